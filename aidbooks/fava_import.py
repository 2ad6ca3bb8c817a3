"""Saving on Fava's Import page: what Fava sends back goes through ``aidbooks import``.

Fava's Import page extracts an export from its import folder (``downloads/``) with
the books' importers (:mod:`aidbooks.importers.fava`), shows the entries, and on
*Save* sends them back (``PUT /api/add_entries``). Fava would then insert them into
``main.beancount`` itself, in place and without a journal, and it cannot write the
``aid-recipient`` declaration a new recipient needs at all (it answered "HTTP 500
Unsupported entry type"). The Aid extension (:mod:`aidbooks.fava_ext`) calls
:func:`install` for its books, which puts :func:`save` in front of Fava's insertion
for the transactions extracted from an export in one of Fava's import folders:

* the export is imported by :func:`aidbooks.cmd_import.import_files`, the pipeline
  of ``aidbooks import`` itself: the books' lock, one load, booking against the ids
  already in the books, one journaled commit into ``imports/<platform>.beancount``,
  new recipient codes declared in ``imports/codes.beancount``, accounts the books
  lack opened in ``imports/accounts.beancount``, the statement's balance asserted
  when the books agree;
* only the rows whose entries were sent are imported: an entry marked "ignore
  duplicate" in the dialog is not sent, and its row is listed as left out;
* a row that an entry written by hand already records
  (:mod:`aidbooks.importers.matching`) is shown by the page as a duplicate of that
  entry (``__duplicate__``, beangulp's mark) and is never added. Saved as shown
  (not sent), it is listed as ``line N: matches books/FILE:LINE``, as ``aidbooks
  import`` lists it; sent anyway — the treasurer unticked "duplicate", a
  deliberate act for that one row — its id is written onto the hand entry, as
  ``aidbooks import --attach`` writes it (``line N: attached <prefix>-id to …``),
  and the next extract finds nothing left of it. A row several hand entries
  match is never guessed at: listed, sent or not;
* an entry changed in the dialog (account, flag, amount, narration, metadata) is
  refused and nothing is written: the books hold what the export says, and
  categorising is done in the books afterwards (Fava's editor), as after
  ``aidbooks import``;
* Fava's notification is the summary ``aidbooks import`` prints, in one line (no
  personal data: counts, line numbers, codes); an error is one line
  ``file:line: what is wrong. How to fix.``, and nothing is written.

Every other entry (Fava's *Add* dialog, a transaction not from an export) goes to
Fava's own insertion unchanged. Fava's read-only mode refuses the request before
any of this runs. Saving the same file again adds nothing: its rows are already in
the books (and Fava's Import page then finds nothing left to extract).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from collections.abc import Sequence
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

from beancount.core import data
from fava.json_api import FavaJSONAPIError

from aidbooks.cmd_import import import_files
from aidbooks.cmd_import import refusal
from aidbooks.cmd_import import summary
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.run import ImportRun
from aidbooks.plugins.errors import AidbooksError

#: The metadata key of a row's platform id (``venmo-id``, ``paypal-id``...).
_ROW_ID = re.compile(r"[a-z][a-z0-9]*-id")
#: Set on Fava's file module once :func:`install` wrapped its insertion.
_INSTALLED = "_aidbooks_import_saves"

#: Summary lines left out of the notification (besides a file's first line, which
#: the totals repeat): skipped rows and their hints, the statement's stated balance.
_DETAIL = (
    *(f"{' ' * n}{word}" for n in (2, 4) for word in ("skipped", "to import them")),
    "  the statement's ending balance",
    "  (",
)

Signature = tuple[Any, ...]


class SaveRefused(FavaJSONAPIError):
    """The save was refused; the message is one line, nothing was written."""

    @property
    def status(self) -> HTTPStatus:
        """HTTP 400: the books are as they were."""
        return HTTPStatus.BAD_REQUEST


def install(ledger: Any) -> None:
    """Route the entries Fava's Import page saves for ``ledger`` to :func:`save`.

    Wraps the ``insert_entries`` method of the ledger's file module (once): the
    entries extracted from an export go to :func:`save`, all others to Fava.
    """
    module = ledger.file
    if getattr(module, _INSTALLED, False):
        return
    fava_insert: Callable[[Sequence[Any]], None] = module.insert_entries

    def insert_entries(entries: Sequence[Any]) -> None:
        exports, others = split(ledger, entries)
        if others:
            fava_insert(others)
        if exports:
            _answer(save(ledger, exports))

    setattr(module, "insert_entries", insert_entries)  # noqa: B010 (a method: mypy)
    setattr(module, _INSTALLED, True)


def split(
    ledger: Any, entries: Sequence[Any]
) -> tuple[dict[Path, list[data.Transaction]], list[Any]]:
    """The transactions extracted from an export in an import folder, by export,
    and the other entries."""
    folders = [Path(ledger.join_path(name)) for name in ledger.fava_options.import_dirs]
    exports: dict[Path, list[data.Transaction]] = {}
    others: list[Any] = []
    for entry in entries:
        path = _export(entry, folders)
        if path is None:
            others.append(entry)
        else:
            exports.setdefault(path, []).append(entry)
    return exports, others


def save(ledger: Any, exports: dict[Path, list[data.Transaction]]) -> str:
    """Import the exports' rows whose entries were sent, with ``aidbooks import``'s
    pipeline; returns its summary in one line.

    Raises:
      SaveRefused: an entry was changed in the dialog, or the import cannot run
        (policy, key, lock, unreadable export); nothing was written.
    """
    only = {
        path: frozenset(row for entry in entries if (row := _row_id(entry)) is not None)
        for path, entries in exports.items()
    }
    main = Path(ledger.beancount_file_path)

    def unchanged(run: ImportRun) -> None:
        _refuse_changed(run, exports)

    try:
        run = import_files(
            main, list(exports), only=only, before_write=unchanged, attach=True
        )
    except AidbooksError as exc:
        raise SaveRefused(exc.line()) from None
    if run.nothing_readable:
        raise SaveRefused("; ".join(refusal(error) for error in run.refused))
    for target in [*run.written, *run.attaching]:
        ledger.watcher.notify(main.parent / target)
    ledger.watcher.notify(main)
    return notification(summary(run, run.settings.scanner))


def notification(lines: list[str]) -> str:
    """``aidbooks import``'s summary as one line for Fava's notification: the totals
    first, then what needs the treasurer, without the per-file detail of skipped
    rows and stated balances."""
    kept = [
        line.strip()
        for line in lines
        if not line.startswith(_DETAIL) and not _file_line(line)
    ]
    kept.sort(key=lambda line: not line.startswith("total:"))  # the totals first
    return "; ".join(line for line in kept if line)


def _file_line(line: str) -> bool:
    """A file's first summary line (``FILE (Venmo statement): 15 rows read, …``)."""
    return not line.startswith((" ", "total:")) and " rows read, " in line


def signature(entry: data.Transaction) -> Signature:
    """What the dialog lets a treasurer change in a transaction (not its position)."""
    return (
        entry.date,
        entry.flag,
        entry.payee or "",
        entry.narration or "",
        tuple(sorted(entry.tags or ())),
        tuple(sorted(entry.links or ())),
        _meta(entry.meta),
        tuple(
            (
                posting.account,
                _number(posting.units.number) if posting.units else None,
                posting.units.currency if posting.units else None,
                _meta(posting.meta),
            )
            for posting in entry.postings
        ),
    )


def _refuse_changed(run: ImportRun, exports: dict[Path, list[data.Transaction]]) -> None:
    """Refuse the save when a sent entry differs from the one the pipeline booked.

    Raises:
      ImportFileError: at the entry's row, before anything is written.
    """
    booked: dict[tuple[str, str], data.Transaction] = {}
    for entries in run.booked.values():
        for entry in entries:
            row = _row_id(entry)
            if row is not None:
                booked[str(entry.meta.get("filename")), row] = entry
    for report in run.files:  # a matched row sent: attached, so as extracted too
        for match in report.matches:
            if match.sent:
                booked[str(match.entry.meta.get("filename")), match.id] = match.entry
    for path, entries in exports.items():
        for entry in entries:
            row = _row_id(entry)
            mine = booked.get((str(path), row)) if row is not None else None
            if mine is None:  # already in the books, or skipped: the summary says
                continue
            if signature(entry) != signature(mine):
                raise ImportFileError(
                    "this entry was changed on the Import page, and the books keep "
                    "what the export says",
                    "save it as extracted (extract the file again), then change it in "
                    "the books, in Fava's editor; nothing was written",
                    str(path),
                    mine.meta.get("lineno"),
                )


def _export(entry: Any, folders: list[Path]) -> Path | None:
    """The export in an import folder that ``entry`` was extracted from, or None."""
    if not isinstance(entry, data.Transaction) or _row_id(entry) is None:
        return None
    name = (entry.meta or {}).get("filename")
    if not isinstance(name, str) or not name:
        return None
    try:
        path = Path(name).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return None
    if not any(path.is_relative_to(folder) for folder in folders):
        return None
    return path if path.is_file() else None


def _row_id(entry: data.Transaction) -> str | None:
    """The platform id of the row an entry was booked from (``venmo-id``...)."""
    for key, value in (entry.meta or {}).items():
        if isinstance(key, str) and _ROW_ID.fullmatch(key):
            return str(value)
    return None


def _meta(meta: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Metadata as the dialog shows it: no position, nothing hidden (``__…``)."""
    return tuple(
        sorted(
            (str(key), str(value))
            for key, value in (meta or {}).items()
            if key not in ("filename", "lineno") and not str(key).startswith("_")
        )
    )


def _number(value: Any) -> Any:
    """A posting's number, compared by value (``80.00`` is ``80.0``)."""
    return value.normalize() if isinstance(value, Decimal) else value


def _answer(message: str) -> None:
    """Make Fava's answer to this request say ``message`` (its notification)."""
    from flask import Response  # noqa: PLC0415 (only inside Fava's app)
    from flask import after_this_request  # noqa: PLC0415
    from flask import has_request_context  # noqa: PLC0415

    if not has_request_context():
        return

    @after_this_request
    def _say(response: Response) -> Response:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and "data" in body:
            body["data"] = message
            response.set_data(json.dumps(body))
        return response
