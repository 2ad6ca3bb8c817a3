"""Atomic file writes: a file is either the old version or the whole new one.

Every write aidbooks makes to the books or a report goes through here: the new text
goes to a temporary file in the same folder, is flushed to disk, and replaces the
target with one ``os.replace`` — so a crash or a full disk never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, payload: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``payload`` atomically (keeping its permissions)."""
    path = Path(path)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def atomic_append_text(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` atomically (rewrites the file via a temp copy)."""
    path = Path(path)
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    atomic_write_bytes(path, old + text.encode("utf-8"))


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entry table so a rename survives a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
