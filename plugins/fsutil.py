"""Safe file access: atomic writes, and reads that cannot hang on a strange file.

Every write aidbooks makes to the books or a report goes through here: the new text
goes to a temporary file in the same folder, is flushed to disk, and replaces the
target with one ``os.replace`` — so a crash or a full disk never leaves half a file.

Every file aidbooks reads that a user names or a folder holds (exports, the policy,
the key, report files) is read with :func:`read_regular_bytes`, which refuses
anything that is not a regular file — a named pipe would block the command for
ever, ``/dev/zero`` would never end, a socket cannot be read — with an ``OSError``
whose ``strerror`` says so, which every caller already turns into a one-line
``cannot be read (...)`` error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

#: ``strerror`` of the error :func:`read_regular_bytes` raises for a pipe, device
#: or socket.
NOT_REGULAR = "not a regular file"


def read_regular_bytes(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """Read a regular file (at most ``limit`` bytes); never blocks on a pipe.

    The file is opened without blocking, checked with ``fstat`` on the open
    descriptor (so a file swapped between a check and the read cannot slip
    through), and only then read.

    Raises:
      IsADirectoryError: ``path`` is a folder.
      OSError: ``path`` is missing or unreadable, or is a pipe, device or socket
        (``strerror`` is :data:`NOT_REGULAR`).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read() if limit is None else handle.read(limit)
    finally:
        os.close(fd)


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is (or links to) a regular file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


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
