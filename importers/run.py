"""One ``aidbooks import`` run: find, parse, book against the books, write.

The command line (:mod:`aidbooks.cmd_import`) drives it in stages so the expensive
part happens once and under a lock::

    run = ImportRun(settings, ledger)
    run.collect(paths)          # files and folders -> (file, importer); exit 2 if unreadable
    run.parse()                 # every file read before the books are touched
    with lock:                  # no two imports interleave
        run.book(entries)       # the books loaded once; one index, one session
        run.write()             # every file in one commit (all or nothing)

Writes go to files the main ledger includes (``include "imports/*.beancount"``,
which the template writes; a ledger without it is refused): each platform's
entries are appended to ``imports/<platform>.beancount``, new recipient codes to
``imports/codes.beancount`` (and, in books that record no key yet, the
fingerprint of the key in use: ``custom "aid-key"``), accounts the books lack to
``imports/accounts.beancount``. All of them are replaced in one commit
(:func:`aidbooks.plugins.fsutil.commit_files`): a crash leaves the books untouched
or, once any aidbooks command has opened them again, completely imported
(:mod:`aidbooks.plugins.writer`).

A row that an entry written by hand already records is not imported
(:mod:`aidbooks.importers.matching`); with :attr:`ImportRun.attach` its id is
written onto that entry, in its own file, in the same commit. The file must be as
it was when the books were loaded (:meth:`ImportRun.note_books`), else nothing is
written.

Before booking a row, :meth:`ImportRun.book` compares the key with the one the
books record (:func:`aidbooks.plugins.keys.check_books_key`): another key would
give every family a new code, so it stops the import with one line, before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from aidbooks.importers import build
from aidbooks.importers import identify
from aidbooks.importers import render
from aidbooks.importers.base import ExportImporter
from aidbooks.importers.booking import CODES_FILE
from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Changed
from aidbooks.importers.booking import Session
from aidbooks.importers.matching import AttachError
from aidbooks.importers.matching import Match
from aidbooks.importers.matching import attach_lines
from aidbooks.importers.matching import shown_path
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import Skip
from aidbooks.importers.settings import Settings
from aidbooks.plugins import keys
from aidbooks.plugins.fsutil import commit_files
from aidbooks.plugins.fsutil import path_kind
from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.plugins.writer import JOURNAL_NAME
from aidbooks.plugins.writer import LOCK_NAME  # noqa: F401 (re-exported)

ACCOUNTS_FILE = "imports/accounts.beancount"
_INCLUDE = re.compile(r'^\s*include\s+"imports/\*\.beancount"', re.MULTILINE)
_HEADERS = {
    CODES_FILE: "; Written by `aidbooks import`: codes it derived for new counterparties.\n"
    "; Do not edit by hand; categorise the listed grants in books/ instead.\n",
    ACCOUNTS_FILE: "; Written by `aidbooks import`: accounts its entries needed.\n",
}
_ENTRIES_HEADER = (
    "; Written by `aidbooks import`. Keep the *-id metadata (it stops duplicates);\n"
    "; categorise `!` entries in place (account, approved-by, then `*`).\n"
)


@dataclass
class FileReport:
    """What happened to one input file (the summary prints these)."""

    path: Path
    importer: ExportImporter
    #: Found by walking a folder (a refusal is listed), not named on the command line.
    from_folder: bool = False
    parsed: Parsed = field(default_factory=Parsed)
    #: Rows imported (a payment and the conversion legs folded into its entry).
    imported: int = 0
    duplicates: int = 0
    #: Rows folded into a skipped or a rejected row's entry.
    legs_skipped: int = 0
    legs_rejected: int = 0
    skipped: list[Skip] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    to_categorise: int = 0
    grants_to_categorise: int = 0
    #: The books' balance of the money account at the statement's end (currency ->
    #: amount), this import included, for each currency the statement states.
    books_balance: dict[str, Decimal] = field(default_factory=dict)
    #: The books' balance at the start of each assertable date (currency -> amount).
    books_before: dict[str, Decimal] = field(default_factory=dict)
    #: ``balance`` assertions this import writes for the statement (the books agree
    #: with it): (date, currency, amount).
    asserted: list[tuple[dt.date, str, Decimal]] = field(default_factory=list)
    #: Currencies whose stated balance the books already assert on that date.
    already_asserted: list[str] = field(default_factory=list)
    #: Rows that entries written by hand match (none of them imported).
    matches: list[Match] = field(default_factory=list)

    @property
    def matched(self) -> list[Match]:
        """Rows that one hand entry records (not imported: it is in the books)."""
        return [m for m in self.matches if m.found is not None]

    @property
    def unsettled(self) -> list[Match]:
        """Rows that several hand entries match, or whose hand entry another row
        matches too: not imported, nothing guessed; the treasurer decides."""
        return [m for m in self.matches if m.found is None]

    @property
    def rejected_rows(self) -> int:
        """Rows not imported because they are unreadable or refused (with the
        conversion rows folded into them), changed in a way the books do not
        show, or matched by more than one hand entry: with the imported,
        duplicate, matched and skipped rows, every row read."""
        return (
            len(self.problems)
            + self.legs_rejected
            + sum(1 for c in self.changed if c.needs_action)
            + len(self.unsettled)
        )

    @property
    def rejected(self) -> int:
        """Rows that need the treasurer: unreadable, refused, changed in a way the
        books do not show, matched by more than one hand entry, or where the
        export's balance column breaks."""
        return (
            len(self.problems)
            + sum(1 for c in self.changed if c.needs_action)
            + len(self.unsettled)
            + len(self.parsed.discrepancies)
        )


@dataclass
class ImportRun:
    """State of one import (see the module docstring)."""

    settings: Settings
    ledger: Path
    dry_run: bool = False
    #: ``--since``: rows dated earlier are listed as skipped, not imported.
    since: dt.date | None = None
    #: For some files, the ids of the rows to import; the file's other rows are
    #: listed as skipped (Fava's Import page: rows the treasurer left out), or as
    #: matches when a hand entry records them.
    only: Mapping[Path, frozenset[str]] | None = None
    #: ``--attach``: write the ids of rows matched to hand entries onto them (only
    #: rows that were sent, when :attr:`only` names some).
    attach: bool = False
    files: list[FileReport] = field(default_factory=list)
    unrecognised: list[Path] = field(default_factory=list)
    #: Files found in a folder that cannot be imported at all, with the reason.
    refused: list[ImportFileError] = field(default_factory=list)
    session: Session | None = None
    #: target file (relative to the books) -> text to append
    pending: dict[str, str] = field(default_factory=dict)
    #: target file -> number of entries appended
    written: dict[str, int] = field(default_factory=dict)
    new_codes: dict[str, dt.date] = field(default_factory=dict)
    new_accounts: list[str] = field(default_factory=list)
    #: target file -> the new transactions booked for it (what :attr:`pending` renders)
    booked: dict[str, list[data.Transaction]] = field(default_factory=dict)
    #: file of the books (relative, ``/``-separated) -> the matches whose ids are
    #: attached to its hand entries
    attaching: dict[str, list[Match]] = field(default_factory=dict)
    #: Matches --attach cannot write: the hand entry is in a file outside the
    #: books' folder (the summary says to add the id by hand).
    unattachable: list[Match] = field(default_factory=list)
    #: (hand entry's file, its header line) -> the header's line once attached
    moved: dict[tuple[str, int], int] = field(default_factory=dict)
    #: The books' ledger files before they were loaded (relative path -> stat),
    #: so an attach never writes over a file changed since (:meth:`note_books`).
    files_seen: dict[str, tuple[int, int, int]] | None = None
    #: The key's fingerprint, recorded in :data:`CODES_FILE` because the books
    #: recorded none yet (books made before keys were recorded).
    recorded_key: str | None = None

    @property
    def books_dir(self) -> Path:
        """The folder of the main ledger."""
        return self.ledger.parent

    @property
    def rows(self) -> int:
        """Rows read in every file."""
        return sum(f.parsed.rows for f in self.files)

    @property
    def rejected(self) -> int:
        """Rows rejected in every file."""
        return sum(f.rejected for f in self.files)

    @property
    def nothing_readable(self) -> bool:
        """Files were refused and none could be read: the import is unusable input."""
        return bool(self.refused) and not self.files

    def collect(self, paths: Iterable[Path]) -> None:
        """Expand files and folders; find each file's importer.

        A file named on the command line that no importer recognises is an error;
        unrecognised files found in a folder are listed and left alone, and files
        found in a folder that cannot be read are listed as refused (:attr:`refused`).

        Raises:
          ImportFileError: a path does not exist, cannot be read or is ambiguous.
        """
        importers = build(self.settings)
        for path in paths:
            kind, reason = path_kind(path)
            if kind == "folder":
                for found in _walk(path):
                    if path_kind(found)[0] != "file":  # a pipe would block identify()
                        self.unrecognised.append(found)
                        continue
                    try:
                        importer = identify(str(found), importers)
                    except ImportFileError as exc:
                        self.refused.append(exc)
                        continue
                    if importer is None:
                        self.unrecognised.append(found)
                    else:
                        self.files.append(FileReport(found, importer, from_folder=True))
            elif kind == "file":
                importer = identify(str(path), importers)
                if importer is None:
                    raise ImportFileError(
                        "is not an export aidbooks recognises (its header matches no importer)",
                        "check it is the CSV/OFX as downloaded, or map its columns in "
                        "[imports.mapped] of aidbooks.toml",
                        str(path),
                    )
                self.files.append(FileReport(path, importer))
            elif kind == "missing":
                raise ImportFileError(reason, "check the path", str(path))
            else:
                raise ImportFileError(
                    f"cannot be read ({reason})", "pass the export as downloaded", str(path)
                )

    def parse(self) -> None:
        """Read every collected file (before the books are loaded).

        A file found in a folder that cannot be imported at all is moved to
        :attr:`refused` (the rest of the folder is imported); a file named on the
        command line stops the import.

        Raises:
          ImportFileError: a file named on the command line cannot be imported.
        """
        readable: list[FileReport] = []
        for report in self.files:
            try:
                report.parsed = report.importer.parse(str(report.path))
            except ImportFileError as exc:
                if not report.from_folder:
                    raise
                self.refused.append(exc)
                continue
            readable.append(report)
        self.files = readable

    def check_ledger(self) -> None:
        """Refuse books whose main file does not include ``imports/*.beancount``."""
        try:
            text = self.ledger.read_text(encoding="utf-8")
        except OSError as exc:
            raise ImportFileError(
                f"cannot be read ({exc.strerror})",
                "check the ledger path",
                str(self.ledger),
            ) from None
        if not _INCLUDE.search(text):
            raise ImportFileError(
                'does not include "imports/*.beancount", so imported entries would not count',
                'add the line include "imports/*.beancount" to it',
                str(self.ledger),
            )

    def book(
        self,
        entries: list[data.Directive],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Book every parsed file against the books' entries (indexed once).

        Raises:
          WrongKeyError: the key is not the key the books record (nothing is
            booked, nothing will be written).
        """
        history = keys.recorded_keys(entries)
        key_file = self.settings.key_file
        keys.check_books_key(
            self.settings.ring, history, None if key_file is None else str(key_file)
        )
        if self.attach and self.files_seen is None:
            self.note_books()  # late (after the load): the header check still holds
        money = {report.importer.source.money_account for report in self.files}
        session = Session(self.settings, BookState.from_entries(entries, money))
        self.session = session
        by_target: dict[str, list[data.Transaction]] = {}
        for report in self.files:
            source = report.importer.source
            if self.since is not None:
                _before_since(report.parsed, self.since)
            only = self.only.get(report.path) if self.only is not None else None
            booked = session.book(report.parsed, source, str(report.path), progress, only)
            report.imported = len(booked.entries) + booked.legs_imported
            report.legs_skipped = booked.legs_skipped
            report.legs_rejected = booked.legs_rejected
            report.duplicates = booked.duplicates
            report.skipped = booked.skipped
            report.problems = booked.problems
            report.changed = booked.changed
            report.to_categorise = booked.to_categorise
            report.grants_to_categorise = booked.grants_to_categorise
            report.matches = booked.matches
            by_target.setdefault(f"imports/{source.target}.beancount", []).extend(
                booked.entries
            )
        session.settle()
        if self.attach:
            self._plan_attach(session.matches)
        for target, new in by_target.items():
            if not new:
                continue
            new.sort(key=lambda e: e.date)
            self.booked[target] = new
            self.pending[target] = render.transactions(new)
            self.written[target] = len(new)
        asserted = _books_balances(self.files, entries, by_target)
        self._assert_balances(session, asserted)
        self.new_codes = dict(session.new_codes)
        codes_text = ""
        if history.current is None:
            # Books made before keys were recorded: the key in use is theirs from the
            # start; from now on another key is refused.
            self.recorded_key = keys.fingerprint(self.settings.key)
            start = (
                session.state.first_open or dt.datetime.now(self.settings.fund_zone).date()
            )
            codes_text = keys.record_line(self.recorded_key, start)
        if session.new_codes:
            codes_text += "".join(
                render.declaration(code, date)
                for code, date in sorted(
                    session.new_codes.items(), key=lambda i: (i[1], i[0])
                )
            )
        if codes_text:
            self.pending[CODES_FILE] = codes_text
        if session.new_accounts:
            first_open = session.state.first_open
            lines = []
            for account, (first, currency) in sorted(session.new_accounts.items()):
                date = min(first, first_open) if first_open else first
                lines.append(render.open_account(account, date, currency))
                self.new_accounts.append(account)
            self.pending[ACCOUNTS_FILE] = "".join(lines)

    def _assert_balances(
        self, session: Session, existing: set[tuple[str, dt.date, str]]
    ) -> None:
        """A ``balance`` assertion for each balance the statement lets assert
        (:attr:`~.records.Parsed.assertable`: a bank's the day after its ledger
        balance's date, a platform's at the start of its last row's day) that the
        books agree with after this import, and do not assert yet. One the books
        disagree with is not written: the summary shows the difference, and an
        import after the books are put right writes it."""
        for report in self.files:
            account = report.importer.account(str(report.path))
            if account not in session.state.opened and account not in session.new_accounts:
                continue  # nothing opens the account yet: an assertion would break the books
            target = f"imports/{report.importer.source.target}.beancount"
            for currency, (day, stated) in sorted(report.parsed.assertable.items()):
                if report.books_before.get(currency) != stated:
                    continue
                key = (account, day, currency)
                if key in existing:
                    report.already_asserted.append(currency)
                    continue
                existing.add(key)
                report.asserted.append((day, currency, stated))
                text = render.balance(account, day, stated, currency)
                old = self.pending.get(target)
                self.pending[target] = f"{old}\n{text}" if old else text
                self.written[target] = self.written.get(target, 0) + 1

    def write(self) -> None:
        """Append the new text to each target file, all in one commit (nothing on
        dry runs).

        Every target's whole new content is made in memory first, then
        :func:`~aidbooks.plugins.fsutil.commit_files` replaces them together: a
        crash leaves the books untouched or, once any aidbooks command has opened
        them again, completely imported (:mod:`aidbooks.plugins.writer`).
        """
        if self.dry_run:
            return
        session = self.session
        contents: dict[str, str] = {}
        if session is not None and session.redate:
            redated = self._redated(session.redate)
            if redated is not None:
                contents[CODES_FILE] = redated
        for relative, matches in sorted(self.attaching.items()):
            contents[relative] = self._attached(relative, matches)
        rest = sorted(t for t in self.pending if t not in (CODES_FILE, ACCOUNTS_FILE))
        for target in [CODES_FILE, ACCOUNTS_FILE, *rest]:
            text = self.pending.get(target)
            if not text:
                continue
            old = contents.get(target)
            if old is None:
                old = self._current(target)
            if old is None:
                old = _HEADERS.get(target, _ENTRIES_HEADER)
            if old and not old.endswith("\n"):
                old += "\n"
            contents[target] = old + "\n" + text
        if not contents:
            return
        new_files = [t for t in contents if not (self.books_dir / t).exists()]
        try:
            commit_files(
                self.books_dir,
                {target: text.encode("utf-8") for target, text in contents.items()},
                JOURNAL_NAME,
            )
        except OSError as exc:  # a full disk, a read-only folder: before the commit
            raise ImportFileError(
                f"the books cannot be written ({exc.strerror})",
                "free some space or fix the permissions, then import again; "
                "nothing was written",
                str(self.books_dir),
            ) from None
        if new_files:
            # A new file joins the books through `include "imports/*.beancount"`.
            # Watchers (Fava) follow the files already included, so the main
            # file's time is renewed: it now includes more.
            os.utime(self.ledger)

    def note_books(self) -> None:
        """Note each ledger file of the books (``*.beancount`` under the main file's
        folder) as it is now: call it before the books are loaded. An attach
        writes only into a file that is still exactly as noted (its size, time
        and inode): one changed since — by an editor, by Fava — is refused."""
        seen: dict[str, tuple[int, int, int]] = {}
        for root, dirs, names in os.walk(self.books_dir):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d != "downloads"]
            for name in names:
                if not name.endswith(".beancount") or name.startswith("."):
                    continue
                path = Path(root) / name
                try:
                    info = path.stat()
                except OSError:
                    continue
                relative = path.relative_to(self.books_dir).as_posix()
                seen[relative] = (info.st_mtime_ns, info.st_size, info.st_ino)
        self.files_seen = seen

    def _plan_attach(self, matches: Iterable[Match]) -> None:
        """Which hand entries get which row's id (``--attach``): the rows matched
        to exactly one hand entry, that were sent, in a file of the books."""
        for match in matches:
            found = match.found
            if found is None or not match.sent:
                continue
            relative = shown_path(found.filename, self.books_dir)
            if self.files_seen is None or relative not in self.files_seen:
                self.unattachable.append(match)
                continue
            self.attaching.setdefault(relative, []).append(match)

    def _attached(self, relative: str, matches: list[Match]) -> str:
        """The text of a file of the books with the matched rows' ids attached.

        Raises:
          ImportFileError: the file changed since the books were loaded, or cannot
            be read (nothing is written).
        """
        path = self.books_dir / relative
        changed = ImportFileError(
            "changed since the books were loaded, so no id was attached to it",
            "import again; nothing was written",
            str(path),
        )
        try:
            info = path.stat()
            text = read_regular_bytes(path).decode("utf-8")
        except FileNotFoundError:
            raise changed from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ImportFileError(
                f"cannot be read ({reason})", "nothing was written", str(path)
            ) from None
        seen = (self.files_seen or {}).get(relative)
        if seen != (info.st_mtime_ns, info.st_size, info.st_ino):
            raise changed
        places = []
        for match in matches:
            assert match.found is not None  # _plan_attach keeps found ones only
            places.append((match.found, match.metadata()))
        try:
            new, moved = attach_lines(text, places)
        except AttachError:
            raise changed from None
        self.moved.update(moved)
        return new

    def _current(self, target: str) -> str | None:
        """The text of a file the import appends to (None if it does not exist).

        Raises:
          ImportFileError: it exists but cannot be read.
        """
        path = self.books_dir / target
        try:
            return read_regular_bytes(path).decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ImportFileError(
                f"cannot be read ({reason})",
                "restore it from git or a backup; nothing was written",
                str(path),
            ) from None

    def _redated(self, redate: dict[str, dt.date]) -> str | None:
        """imports/codes.beancount with declarations moved before their earliest grant."""
        text = self._current(CODES_FILE)
        if text is None:
            return None
        for code, date in redate.items():
            pattern = re.compile(
                rf'^\d{{4}}-\d{{2}}-\d{{2}}(\s+custom\s+"aid-recipient"\s+"{re.escape(code)}")',
                re.MULTILINE,
            )
            text = pattern.sub(date.isoformat() + r"\1", text)
        return text


def _before_since(parsed: Parsed, since: dt.date) -> None:
    """Move the records dated before ``since`` to the skipped rows (``--since``)."""
    reason = f"dated before --since {since.isoformat()}"
    kept = []
    for record in parsed.records:
        if record.date < since:
            parsed.skipped.append(Skip(record.lineno, reason))
        else:
            kept.append(record)
    parsed.records = kept


def _books_balances(
    files: list[FileReport],
    entries: Iterable[data.Directive],
    new: dict[str, list[data.Transaction]],
) -> set[tuple[str, dt.date, str]]:
    """Each statement's ending balance next to the books': the money account's
    balance at the end of the statement's last day, after this import (one pass
    over the books, only for the accounts of files that state a balance).

    Returns:
      The (account, date, currency) of the books' ``balance`` assertions on those
      accounts.
    """
    asserted: set[tuple[str, dt.date, str]] = set()
    reports = [
        f
        for f in files
        if (f.parsed.statement_balance and f.parsed.statement_end) or f.parsed.assertable
    ]
    if not reports:
        return asserted
    by_account: dict[str, list[FileReport]] = {}
    for report in reports:
        by_account.setdefault(report.importer.account(str(report.path)), []).append(report)
        report.books_balance = dict.fromkeys(report.parsed.statement_balance, Decimal(0))
        report.books_before = dict.fromkeys(report.parsed.assertable, Decimal(0))
    for entry in itertools.chain(entries, *new.values()):
        if isinstance(entry, data.Balance):
            if entry.account in by_account:
                asserted.add((entry.account, entry.date, str(entry.amount.currency)))
            continue
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            interested = by_account.get(posting.account)
            if not interested or posting.units is None:
                continue
            number, currency = posting.units.number, str(posting.units.currency)
            if not isinstance(number, Decimal):
                continue
            for report in interested:
                end = report.parsed.statement_end
                if currency in report.books_balance and end and entry.date <= end:
                    report.books_balance[currency] += number
                point = report.parsed.assertable.get(currency)
                if point is not None and entry.date < point[0]:
                    report.books_before[currency] += number
    return asserted


def _walk(folder: Path) -> list[Path]:
    """Files under ``folder`` (sorted), without hidden files and .beancount files."""
    out: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(names):
            if name.startswith(".") or name.endswith(".beancount"):
                continue
            out.append(Path(root) / name)
    return out
