"""``aidbooks import FILE|DIR... [--ledger FILE] [--dry-run] [--since DATE] [--attach]``:
exports into the books.

Identifies each file by its header (folders are walked; files no importer knows are
listed and left alone), reads them all, then — holding a lock on the books, so two
imports never interleave — loads the books **once** (no pickle cache, the garbage
collector paused), books every row against one index of the platform ids already
there, and appends the new entries atomically to ``imports/<platform>.beancount``
(new recipient codes to ``imports/codes.beancount``). ``--dry-run`` does all of it
but the writing; ``--since DATE`` leaves rows dated before DATE out (listed as
skipped), for books whose earlier history was entered another way. A row that an
entry written by hand already records (no platform id, the same amount on the same
money account, ``imports.match_days`` apart) is not added but listed as a match;
``--attach`` writes its id onto that entry (:mod:`aidbooks.importers.matching`).
That pipeline
is :func:`import_files`; saving on Fava's Import page runs it too
(:mod:`aidbooks.fava_import`).

The summary (stdout) gives per file the rows read, imported, duplicates and
skipped rows grouped by reason with their line numbers, rows whose status changed
since they were imported, rejected rows as ``file:line: what. Fix.``, the new
recipient codes and how many entries wait to be categorised. It never prints a
name, an e-mail, a note or any other cell of an export.

Exit codes: 0 imported (or nothing new), 1 some rows were rejected or changed in a
way the books do not show, or some files of a folder were refused (the rest was
imported; each refused file is listed with its reason), 2 unusable input (a file
named on the command line that no importer recognises, a truncated or unreadable
export named on the command line, a folder none of whose exports can be read, a
bad policy or key, a key that is not the key the books record) — nothing is written
then. A progress bar shows on a terminal for large files.
``$AIDBOOKS_LOCK_TIMEOUT`` (seconds, default 60) bounds the wait for another import
(:mod:`aidbooks.plugins.writer`: the lock, and how a crash mid-write is finished).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path

import click

from aidbooks.books import ledger_path
from aidbooks.books import load_books
from aidbooks.importers.booking import AID_UNCATEGORIZED
from aidbooks.importers.booking import CODES_FILE
from aidbooks.importers.matching import Match
from aidbooks.importers.matching import shown_path
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import label
from aidbooks.importers.run import FileReport
from aidbooks.importers.run import ImportRun
from aidbooks.importers.settings import Settings
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.errors import printable
from aidbooks.plugins.fsutil import checkpoint
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.plugins.writer import writer_lock

#: Rows above which a terminal shows a progress bar.
PROGRESS_ROWS = 5000


def _lines(numbers: list[int], limit: int = 12) -> str:
    shown = [str(n) for n in numbers[:limit] if n]
    more = len(numbers) - limit
    text = ", ".join(shown)
    if more > 0:
        text += f" and {more} more"
    return text


def _safe(text: str, scanner: Scanner) -> str:
    """A status from an export: a short word, or a placeholder if it looks personal."""
    text = label(text)
    return "(hidden)" if scanner.kinds(text) else text


def _display(path: Path) -> str:
    try:
        shown = str(path.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        shown = str(path)
    return printable(shown)  # a file name with a newline stays on its line


def summary(run: ImportRun, scanner: Scanner) -> list[str]:
    """The summary lines (no personal data: counts, reasons, line numbers, ids)."""
    out: list[str] = []
    for report in run.files:
        out.extend(_file_summary(report, scanner, run.dry_run, run))
    for path in run.unrecognised:
        out.append(f"{_display(path)}: not recognised, left alone")
    for error in run.refused:
        out.append(f"refused, nothing of it imported: {refusal(error)}")
    total_imported = sum(f.imported for f in run.files)
    total_dups = sum(f.duplicates for f in run.files)
    total_skipped = sum(len(f.skipped) + f.legs_skipped for f in run.files)
    total_matched = sum(len(f.matched) for f in run.files)
    out.append(
        f"total: {run.rows} rows read, {total_imported} imported, "
        f"{total_dups} duplicates, "
        + (f"{total_matched} matched, " if total_matched else "")
        + f"{total_skipped} skipped, "
        f"{sum(f.rejected_rows for f in run.files)} rejected"
    )
    if run.new_codes:
        out.append(
            f"new recipient codes ({len(run.new_codes)}), declared in {CODES_FILE}: "
            + ", ".join(sorted(run.new_codes))
        )
        # A family paid on a platform for the first time gets a code derived from
        # its name there; until it is linked to the family's intake code, the
        # family counts (and is capped) as two households.
        example = min(run.new_codes)
        out.append(
            "a new code may be a family the books already know under its intake code:"
            f" link it with `aidbooks code link {example} --to R-…` (the code on the"
            " family's card); the Aid page lists the codes still to link"
        )
    if run.new_accounts:
        out.append(
            "accounts opened in imports/accounts.beancount: " + ", ".join(run.new_accounts)
        )
    if run.recorded_key:
        out.append(
            f"the books recorded no key yet: {'would record' if run.dry_run else 'recorded'}"
            f" this key's fingerprint {run.recorded_key} in {CODES_FILE}; from now on "
            "another key is refused (see docs/keys.md)"
        )
    waiting = sum(f.to_categorise for f in run.files)
    grants = sum(f.grants_to_categorise for f in run.files)
    if waiting:
        parts = []
        if grants:
            parts.append(
                f"{grants} {'grant' if grants == 1 else 'grants'} on {AID_UNCATEGORIZED}: "
                "set the category, add approved-by, then change ! to *"
            )
        others = waiting - grants
        if others:
            parts.append(
                f"{others} other {'entry' if others == 1 else 'entries'} on "
                "Expenses:Uncategorized or Income:Uncategorized: set the account, then "
                "change ! to *"
            )
        out.append(f"to categorise: {waiting} entries flagged ! ({'; '.join(parts)})")
    if run.dry_run:
        out.append("dry run: nothing was written")
    else:
        for target, count in sorted(run.written.items()):
            out.append(f"wrote {count} entries to {target}")
    return out


def _file_summary(
    report: FileReport,
    scanner: Scanner,
    dry_run: bool = False,
    run: ImportRun | None = None,
) -> list[str]:
    name = _display(report.path)
    matched = len(report.matched)
    out = [
        f"{name} ({report.importer.label}): {report.parsed.rows} rows read, "
        f"{report.imported} imported, {report.duplicates} duplicates, "
        + (f"{matched} matched, " if matched else "")
        + f"{len(report.skipped) + report.legs_skipped} skipped"
    ]
    by_reason: dict[str, list[int]] = defaultdict(list)
    for skip in report.skipped:
        by_reason[skip.reason].append(skip.lineno)
    for reason, numbers in sorted(by_reason.items()):
        where = _lines(sorted(numbers))
        out.append(
            f"  skipped ({len(numbers)}): {reason}" + (f" — line {where}" if where else "")
        )
        if reason.startswith("dated before the books begin"):
            out.append(
                "    to import them, begin the books earlier: move the open dates in "
                "accounts.beancount back (new books: aidbooks init DIR --start DATE), "
                "count what the fund held that day in books/opening.beancount, and "
                "import again"
            )
    for change in report.changed:
        action = (
            "check it and correct the books by hand" if change.needs_action else "noted"
        )
        out.append(
            f"  changed since imported: line {change.lineno}: {change.id} "
            f"{_safe(change.before, scanner)} -> {_safe(change.after, scanner)} ({action})"
        )
    for item in report.problems:
        where = f"{name}:{item.lineno}" if item.lineno else name
        fix = item.fix[:1].upper() + item.fix[1:]
        out.append(f"  rejected: {where}: {item.what}. {fix}.")
    if run is not None:
        out.extend(_match_lines(report, run))
    folded = report.legs_skipped + report.legs_rejected
    if folded:
        out.append(
            f"  ({folded} currency-conversion rows belong to the skipped or rejected "
            "rows above and are counted with them)"
        )
    for item in report.parsed.discrepancies:
        where = f"{name}:{item.lineno}" if item.lineno else name
        fix = item.fix[:1].upper() + item.fix[1:]
        out.append(f"  balance: {where}: {item.what}. {fix}.")
    out.extend(_balance_lines(report, dry_run))
    return out


def _match_lines(report: FileReport, run: ImportRun) -> list[str]:
    """The rows that entries written by hand match: what became of each, and how
    to make a match permanent or settle one that is not unique. Only line numbers,
    ``file:line`` of the books and ids that passed the importer's checks."""
    out: list[str] = []
    books = run.books_dir
    attaching = {id(m) for matches in run.attaching.values() for m in matches}
    unattachable = {id(m) for m in run.unattachable}
    waiting = 0
    for match in sorted(report.matches, key=lambda m: m.lineno):
        key = f"{match.prefix}-id"
        found = match.found
        if found is None:
            out.append(f"  line {match.lineno}: not imported: {_unsettled(match, books)}")
            continue
        place = f"{shown_path(found.filename, books)}:{found.lineno}"
        if id(match) in attaching:
            line = run.moved.get((found.filename, found.lineno), found.lineno)
            place = f"{shown_path(found.filename, books)}:{line}"
            verb = "would attach" if run.dry_run else "attached"
            out.append(f"  line {match.lineno}: {verb} {key} to {place}")
        elif id(match) in unattachable:
            out.append(
                f"  line {match.lineno}: matches {place} (a file outside the books' "
                f'folder: add {key}: "{match.id}" to that entry by hand)'
            )
        else:
            out.append(f"  line {match.lineno}: matches {place}")
            waiting += 1
    if waiting:
        out.append(
            "    entered by hand already, so not added; to write the export's id onto "
            "such an entry (the next import then finds it), import with --attach "
            '(on Fava\'s Import page: untick "duplicate" on the entry, then save)'
        )
    return out


def _unsettled(match: Match, books: Path) -> str:
    """Why a row several hand entries (or rows) share is not imported, and the fix."""
    key = f"{match.prefix}-id"
    places = ", ".join(
        f"{shown_path(c.filename, books)}:{c.lineno}" for c in match.candidates
    )
    if len(match.candidates) > 1:
        what = f"{len(match.candidates)} entries written by hand match it ({places})"
        fix = f'add {key}: "{match.id}" to the one that records this row'
    else:
        what = (
            f"the entry written by hand at {places} matches another row of this import too"
        )
        fix = f'add {key}: "{match.id}" to it if it records this row'
    return (
        f"{what}, and nothing is guessed. {fix[:1].upper()}{fix[1:]} (if none does, "
        "write the row in books/ with that line), then import again"
    )


def _balance_lines(report: FileReport, dry_run: bool = False) -> list[str]:
    """The statement's ending balance, and the books' beside it when it can be told."""
    parsed = report.parsed
    stated = parsed.statement_balance
    if not stated:
        return []
    end = parsed.statement_end
    account = report.importer.account(str(report.path))
    out = []
    for currency, value in sorted(stated.items()):
        line = f"  the statement's ending balance: {value} {currency}"
        books = report.books_balance.get(currency)
        if end is not None and books is not None:
            line += f" on {end.isoformat()}; the books: {books} {currency} on {account}"
            gap = value - books
            if gap:
                opening = parsed.opening_balance.get(currency)
                hint = (
                    f" (the statement opens at {opening} {currency}: "
                    "the books need that opening balance or the earlier rows)"
                    if opening is not None and opening == gap
                    else ""
                )
                line += f"; they differ by {-gap:+} {currency}{hint}"
        out.append(line)
    for currency, (day, value) in sorted(parsed.assertable.items()):
        before = report.books_before.get(currency)
        if before is not None and before != value:
            out.append(
                f"  not reconciled: the books hold {before} {currency} on {account} at "
                f"the start of {day.isoformat()}, the statement {value} {currency}; no "
                "balance assertion written (import again once the books agree)"
            )
    for day, currency, value in report.asserted:
        out.append(
            f"  reconciled: {day.isoformat()} balance {account}  {value} {currency} "
            + (
                "(would be written: the books agree with the statement)"
                if dry_run
                else "(written: the books agree with the statement)"
            )
        )
    for currency in report.already_asserted:
        out.append(f"  reconciled: the books already assert the {currency} balance")
    return out


def refusal(error: ImportFileError) -> str:
    """A refused file's one line, its name shown as the summary shows names."""
    shown = _display(Path(error.filename)) if error.filename else None
    return ImportFileError(error.what, error.fix, shown, error.lineno).line()


def _since(text: str | None) -> dt.date | None:
    """The ``--since`` date.

    Raises:
      AidbooksError: not a YYYY-MM-DD date (exit 2).
    """
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AidbooksError(
            "--since is not a date",
            "give the first day to import as YYYY-MM-DD (--since 2025-01-01); "
            "nothing was imported",
        ) from None


def _settings(ledger: Path) -> Settings:
    policy = load_policy(policy_path_for(ledger))
    return Settings.from_policy(policy, ledger.parent)


def import_files(
    ledger: Path,
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    since: dt.date | None = None,
    only: Mapping[Path, frozenset[str]] | None = None,
    before_write: Callable[[ImportRun], None] | None = None,
    terminal: bool = False,
    attach: bool = False,
) -> ImportRun:
    """The import pipeline, as ``aidbooks import`` runs it (Fava's Import page too).

    Reads the policy and key, identifies and parses every file, then — holding the
    books' lock — loads the books once, books every row and writes the new entries,
    codes and accounts in one journaled commit (:meth:`ImportRun.write`).

    Args:
      ledger: The main ledger file.
      paths: Files and folders to import.
      dry_run: Do everything but the writing (not even the lock file).
      since: Leave out the rows dated before it (``--since``).
      only: For a file among ``paths``, the ids of the rows to import; its other
        rows are listed as skipped (Fava's Import page: rows the treasurer left out).
      before_write: Called with the booked run under the lock, before anything is
        written; it may raise to write nothing.
      terminal: Show progress on stderr for large files.
      attach: Write the id of each row that one entry written by hand matches
        onto that entry (``--attach``; of a file in ``only``, the rows sent).

    Returns:
      The run (its summary: :func:`summary`). When :attr:`ImportRun.nothing_readable`,
      nothing was booked or written.

    Raises:
      AidbooksError: an unusable policy, key, ledger or file (nothing is written).
    """
    settings = _settings(ledger)
    run = ImportRun(settings, ledger, dry_run, since=since, only=only, attach=attach)
    run.collect(paths)
    run.check_ledger()
    run.parse()
    if run.nothing_readable:
        return run
    # a dry run writes nothing, not even the lock file (a read-only copy works)
    with contextlib.nullcontext() if dry_run else writer_lock(ledger.parent):
        progress = terminal and run.rows >= PROGRESS_ROWS
        if progress:
            click.echo("Loading the books…", err=True)
        if attach:
            run.note_books()  # an attach refuses a file changed after this
        # the import reads the books and reports nothing on them: unchecked is enough
        entries, _errors, _options = load_books(ledger, checks=False)
        if progress:
            with click.progressbar(
                length=sum(len(f.parsed.records) for f in run.files),
                label="Booking rows",
                file=sys.stderr,
            ) as bar:
                step: Callable[[int], None] = bar.update
                run.book(entries, step)
        else:
            run.book(entries)
        checkpoint("import:booked")
        if before_write is not None:
            before_write(run)
        run.write()
    return run


@click.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=False)
)
@click.option(
    "--ledger",
    "ledger_arg",
    default=None,
    help="The main ledger file (default: $AIDBOOKS_LEDGER, else ledger/main.beancount).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Import only rows dated on or after DATE (YYYY-MM-DD); earlier rows are "
    "listed as skipped.",
)
@click.option(
    "--attach",
    is_flag=True,
    help="Write the id of each row that matches an entry written by hand onto that "
    "entry, so the next import finds it.",
)
def import_(
    paths: tuple[Path, ...],
    ledger_arg: str | None,
    dry_run: bool,
    since: str | None,
    attach: bool,
) -> None:
    """Import platform exports (FILE or DIR...) into the books."""
    ledger = ledger_path(ledger_arg)
    run = import_files(
        ledger,
        paths,
        dry_run=dry_run,
        since=_since(since),
        terminal=sys.stderr.isatty(),
        attach=attach,
    )
    if run.nothing_readable:
        for error in run.refused:
            click.echo(f"aidbooks: {refusal(error)}", err=True)
        raise SystemExit(2)
    for line in summary(run, run.settings.scanner):
        click.echo(line)
    if run.rejected or run.refused:
        raise SystemExit(1)
