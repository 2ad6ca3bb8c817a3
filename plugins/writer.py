"""One writer at a time, and no half-finished write: how aidbooks changes the books.

Commands that write into the books — ``aidbooks import`` and ``aidbooks code new
--ledger`` — hold the books' **writer lock** (``.aidbooks-import.lock`` beside the
main ledger file, a ``filelock``) while they read what they change and write it
back. A second writer waits up to ``$AIDBOOKS_LOCK_TIMEOUT`` seconds (default 60)
and then stops with one line and exit 2, having written nothing; so two imports
started together end as one after the other, and two volunteers issuing codes at
once both get their declaration.

An import changes several files (new codes, new accounts, one file per
platform). It writes them with :func:`aidbooks.plugins.fsutil.commit_files`: all
new versions are staged first, then a **journal** (``.aidbooks-import.journal``)
records the commit, then the files are renamed into place. A crash (a power cut,
``kill -9``) before the journal leaves the books untouched; a crash after it
leaves the journal, and the next aidbooks command that opens these books —
``import``, ``check``, ``report``, ``verify``, ``serve``, ``code new`` — finishes
the renames first (:func:`finish_interrupted`). Either way the books are never
seen half imported by aidbooks. (``bean-check`` or Fava started by hand in that
moment would see the import partly done; any aidbooks command completes it.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import STAGED_PREFIX
from aidbooks.plugins.fsutil import recover

#: The writer lock, in the folder of the main ledger file.
LOCK_NAME = ".aidbooks-import.lock"
#: The journal of a multi-file write, in the folder of the main ledger file.
JOURNAL_NAME = ".aidbooks-import.journal"
#: Folders (under the books) a multi-file write stages files in: ``imports/``, and
#: ``books/``, where ``aidbooks import --attach`` writes ids onto hand entries. (A
#: hand entry in another folder gets its staged copy there; one a crash leaves
#: before the commit point is a hidden ``.tmp`` file nothing includes.)
WRITTEN_FOLDERS = ("imports", "books")
DEFAULT_TIMEOUT = 60.0


def lock_timeout() -> float:
    """Seconds to wait for another writer: ``$AIDBOOKS_LOCK_TIMEOUT`` or 60.

    Raises:
      AidbooksError: the variable is not a number of seconds (exit 2).
    """
    raw = os.environ.get("AIDBOOKS_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:  # also refuses nan and inf
        raise AidbooksError(
            "$AIDBOOKS_LOCK_TIMEOUT is not a number of seconds",
            "set it to a number such as 60, or unset it",
        )
    return value


@contextmanager
def writer_lock(
    books_dir: Path, busy: str = "another import is running on these books"
) -> Iterator[None]:
    """Hold the books' writer lock; an interrupted write is finished first.

    Args:
      books_dir: The folder of the main ledger file.
      busy: What the error says when another writer holds the lock too long.

    Raises:
      AidbooksError: another writer holds the lock past the timeout, the lock
        cannot be created, or an interrupted write cannot be finished (exit 2).
    """
    path = books_dir / LOCK_NAME
    timeout = lock_timeout()
    try:
        # filelock retries a lock file it cannot create until the timeout, which
        # would report a read-only folder as "busy" a minute later
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as exc:
        raise AidbooksError(
            f"the books' lock cannot be created ({exc.strerror})",
            "check that the books' folder is writable",
            str(path),
        ) from None
    lock = filelock.FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise AidbooksError(
            busy,
            "wait for it to finish, then run this command again; nothing was written",
            str(path),
        ) from None
    try:
        _recover(books_dir)
        yield
    finally:
        lock.release()


def _recover(books_dir: Path) -> bool:
    try:
        return recover(books_dir, JOURNAL_NAME, WRITTEN_FOLDERS)
    except ValueError as exc:
        raise AidbooksError(
            str(exc),
            "restore the books from git or a backup, then delete the journal",
            str(books_dir / JOURNAL_NAME),
        ) from None
    except OSError as exc:
        raise AidbooksError(
            f"an interrupted import cannot be finished ({exc.strerror})",
            "check that the books' folder is writable, then run any aidbooks command",
            str(books_dir / JOURNAL_NAME),
        ) from None


def finish_interrupted(books_dir: Path) -> bool:
    """Finish a write a crash interrupted, if it left a journal or staged files
    (two folder listings otherwise).

    Returns:
      True if an interrupted write was found and finished.

    Raises:
      AidbooksError: it cannot be finished (see :func:`writer_lock`).
    """
    if not _interrupted(books_dir):
        return False
    with writer_lock(books_dir, "an import is finishing on these books"):
        pass
    return True


def _interrupted(books_dir: Path) -> bool:
    """A journal, or files staged by a write that never reached its commit point."""
    if os.path.lexists(books_dir / JOURNAL_NAME):
        return True
    for folder in (".", *WRITTEN_FOLDERS):
        try:
            names = os.listdir(books_dir / folder)
        except OSError:
            continue
        if any(
            name.startswith(STAGED_PREFIX)
            or (folder == "." and name.startswith(f".{JOURNAL_NAME}."))
            for name in names
        ):
            return True
    return False
