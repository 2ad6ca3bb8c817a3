"""Safe file access: atomic writes, and reads that cannot hang on a strange file.

Every write aidbooks makes to the books or a report goes through here: the new text
goes to a temporary file in the same folder, is flushed to disk, and replaces the
target with one ``os.replace`` — so a crash or a full disk never leaves half a file.
A write that changes several files at once (an import) uses :func:`commit_files`:
a journal makes it all or nothing (:func:`recover` finishes it after a crash).
:func:`checkpoint` marks the steps of a write for the crash tests (inert unless
``$AIDBOOKS_PAUSE_AT`` names it).

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
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterable
from collections.abc import Mapping
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


def path_kind(path: str | os.PathLike[str]) -> tuple[str, str]:
    """What a path names, never raising: ``(kind, reason)``.

    ``kind`` is ``"file"`` (a regular file, or a link to one), ``"folder"``,
    ``"special"`` (a pipe, device or socket), ``"missing"`` (nothing there, a
    dangling link, a part of the path that is a file) or ``"unusable"`` (a link
    loop, a name too long, no permission to look). ``reason`` says it in words
    for an error message. ``pathlib``'s own ``exists()``/``is_dir()`` raise for
    some of these (a name too long), which escaped as internal errors.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing", "no such file or folder"
    except NotADirectoryError:
        return "missing", "a part of the path is a file, not a folder"
    except OSError as exc:
        return "unusable", (exc.strerror or "cannot be reached").lower()
    except ValueError:
        return "unusable", "not a file name"
    if stat.S_ISREG(mode):
        return "file", "a file"
    if stat.S_ISDIR(mode):
        return "folder", "a folder"
    return "special", "not a regular file (a pipe, device or socket)"


def checkpoint(name: str) -> None:
    """A named point inside a write, where the crash tests stop the program.

    Inert unless ``$AIDBOOKS_PAUSE_AT`` equals ``name``: then it writes
    ``aidbooks: paused at NAME`` to stderr and waits (up to ten minutes) to be
    killed, so a test can SIGKILL the command exactly between two steps of a
    write and show what a crash there leaves behind.
    """
    if os.environ.get("AIDBOOKS_PAUSE_AT") != name:
        return
    sys.stderr.write(f"aidbooks: paused at {name}\n")
    sys.stderr.flush()
    time.sleep(600)


def _file_mode(path: Path) -> int:
    """The permissions a new version of ``path`` gets: its own, else the umask's."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _stage(path: Path, payload: bytes, mode: int | None, prefix: str) -> str:
    """Write ``payload`` to a new temporary file beside ``path``, flushed to disk."""
    mode = _file_mode(path) if mode is None else mode
    fd, tmp = tempfile.mkstemp(
        prefix=f"{prefix}{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write_bytes(path: Path, payload: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``payload`` atomically (keeping its permissions)."""
    path = Path(path)
    tmp = _stage(path, payload, mode, ".")
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


#: Temporary files of :func:`commit_files` start with this (see :func:`recover`).
STAGED_PREFIX = ".aidbooks-staged."


def commit_files(root: Path, files: Mapping[str, bytes], journal: str) -> None:
    """Replace several files under ``root`` in one step: all of them or none.

    1. Every new version is written to a temporary file beside its target
       (``.aidbooks-staged.NAME.*.tmp``) and flushed to disk.
    2. The journal (``root/journal``: which temporary file becomes which target)
       is written atomically — **the commit point**.
    3. Each temporary file is renamed over its target.
    4. The journal is removed.

    A crash before 2 leaves the old files and some temporary files; a crash after
    it leaves the journal, and :func:`recover` finishes the renames. So once
    :func:`recover` has run, the files are all old or all new. Call both holding
    the writer's lock (:mod:`aidbooks.plugins.writer`).

    Args:
      root: The folder the relative paths in ``files`` are under.
      files: Relative path (``/``-separated) -> the whole new content.
      journal: The journal's file name in ``root``.
    """
    root = Path(root)
    staged: list[tuple[str, str]] = []
    try:
        for relative, payload in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = _stage(target, payload, None, STAGED_PREFIX)
            staged.append((Path(tmp).relative_to(root).as_posix(), relative))
        checkpoint("commit:staged")
        record = {"version": 1, "moves": staged}
        atomic_write_bytes(root / journal, json.dumps(record, indent=1).encode("utf-8"))
    except BaseException:
        for tmp, _target in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(root / tmp)
        raise
    checkpoint("commit:journal")
    _roll_forward(root, journal, staged)


def _roll_forward(root: Path, journal: str, moves: list[tuple[str, str]]) -> None:
    folders: set[Path] = set()
    for number, (tmp, target) in enumerate(moves, start=1):
        if (root / tmp).exists():  # already renamed when a recovery runs again
            os.replace(root / tmp, root / target)
            folders.add((root / target).parent)
        if number == 1 and len(moves) > 1:
            checkpoint("commit:renamed-one")
    for folder in sorted(folders):
        fsync_dir(folder)
    checkpoint("commit:renamed-all")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(root / journal)
    fsync_dir(root)


def recover(root: Path, journal: str, folders: Iterable[str] = ()) -> bool:
    """Finish a :func:`commit_files` a crash interrupted; remove staged leftovers.

    With a journal, its renames are done (roll forward) and it is removed. Then
    temporary files of commits that never reached their commit point are removed
    from ``root`` and the ``folders`` under it. Call holding the writer's lock.

    Returns:
      True if a journal was found (an interrupted write was finished).

    Raises:
      ValueError: the journal is damaged (it names files outside ``root``, or is
        not a journal).
    """
    root = Path(root)
    found = False
    try:
        raw = read_regular_bytes(root / journal)
    except FileNotFoundError:
        raw = None
    if raw is not None:
        try:
            record = json.loads(raw)
            moves = [(str(a), str(b)) for a, b in record["moves"]]
        except (ValueError, KeyError, TypeError):
            raise ValueError("the journal of an interrupted write is damaged") from None
        resolved = root.resolve()
        for pair in moves:
            for name in pair:
                if resolved not in (root / name).resolve().parents:
                    raise ValueError("the journal names a file outside the books")
        _roll_forward(root, journal, moves)
        found = True
    for folder in {".", *folders}:
        try:
            names = os.listdir(root / folder)
        except OSError:
            continue
        for name in names:
            staged = name.startswith(STAGED_PREFIX)
            half_journal = folder == "." and name.startswith(f".{journal}.")
            if (staged or half_journal) and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(root / folder / name)
    return found


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


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns:
      True if they were swapped; False if the system or the file system cannot
      (then nothing changed, and the caller falls back to two renames).

    Raises:
      OSError: the swap failed for another reason (a path is missing...).
    """
    import ctypes  # noqa: PLC0415 (a slow import, only when swapping)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(second))


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
