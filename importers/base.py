"""The base every aidbooks importer shares: a beangulp importer over :mod:`booking`.

A platform importer says three things:

* :meth:`ExportImporter.sniff` — does this file's head look like my export?
  (identify by header, never by file name or position);
* :meth:`ExportImporter.parse` — read the file into :class:`~.records.Record`,
  :class:`~.records.Skip` and :class:`~.records.Problem` objects;
* :attr:`source` — its metadata prefix, channel and accounts.

A CSV platform writes neither ``sniff`` nor ``parse``: it subclasses
:class:`~.csvbase.CsvImporter`, which owns the row loop, and declares its header
layouts and columns and reads one row at a time (see :mod:`.csvbase`). Only OFX
(:class:`~.bank.OfxImporter`), which is not CSV, writes its own ``parse``.

Everything else is shared. ``identify`` reads only the first 64 KiB, whatever the
file's size (beangulp's own ``identify`` helper skips files over 8 MiB; aidbooks
never calls it). ``extract(filepath, existing)`` — what Fava's import page calls —
books the records against the existing entries with the same rules as
``aidbooks import``: a key that is not the books' is refused
(:func:`~aidbooks.plugins.keys.check_books_key`), duplicates (by platform id) are
left out, new recipient codes come with their ``aid-recipient`` declaration,
accounts the books lack come with their ``open`` — unless
:attr:`ExportImporter.declares` is off, as on Fava's Import page (:mod:`.fava`): Fava can save neither a ``custom`` nor an ``open``
entry, and what it saves goes through ``aidbooks import``'s pipeline, which
declares them itself (:mod:`aidbooks.fava_import`). ``deduplicate`` does nothing
more: beangulp's default fuzzy matching (same amount within two days) would hide
real donations of equal size.

A row that an entry written by hand already records (:mod:`.matching`: the same
amount on the money account, a few days apart, no platform id) is not a new
entry: ``extract`` returns the entry it would be marked as a duplicate
(``__duplicate__``, beangulp's mark, holding the hand entry's ``file:line``), so
Fava's Import page shows it as one and leaves it out when saving. Sent anyway
(the treasurer unticks it), saving writes its id onto the hand entry instead of
adding it (:mod:`aidbooks.fava_import`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import beangulp
from beancount.core import data
from beancount.parser.grammar import ValueType

from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.booking import Source
from aidbooks.importers.csvread import HEAD_BYTES
from aidbooks.importers.csvread import read_text
from aidbooks.importers.matching import where
from aidbooks.importers.money import MoneyError
from aidbooks.importers.money import parse_amount
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import label
from aidbooks.importers.settings import Settings
from aidbooks.importers.timeparse import TimeError
from aidbooks.importers.timeparse import plausible
from aidbooks.plugins import keys

log = logging.getLogger("aidbooks.import")


class RowIssue(Exception):
    """Raised while reading one row: becomes a :class:`Problem` for that row."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix


def amount(text: str, column: str, decimal: str = ".", blank: bool = False) -> Decimal:
    """Parse a money cell of ``column``; blanks give zero when ``blank``.

    Raises:
      RowIssue: naming the column, never quoting the cell.
    """
    try:
        value = parse_amount(text, decimal, blank)
    except MoneyError as exc:
        raise RowIssue(
            f"'{column}' {str(exc).removeprefix('the amount ')}",
            f"check the '{column}' column",
        ) from None
    return Decimal(0) if value is None else value


def when(func: Callable[[], dt.datetime], column: str) -> dt.datetime:
    """Run a timestamp parser, turning its error into a :class:`RowIssue`.

    A year outside :data:`~.timeparse.YEARS` is refused here, once for every
    importer, so converting the instant to the fund's date cannot overflow.
    """
    try:
        return plausible(func())
    except TimeError as exc:
        raise RowIssue(f"'{column}': {exc}", f"check the '{column}' column") from None


def problem(lineno: int, issue: RowIssue) -> Problem:
    """The :class:`Problem` for a row that raised ``issue``."""
    return Problem(lineno, issue.what, issue.fix)


class ExportImporter(beangulp.Importer):  # type: ignore[misc]
    """Base class of the aidbooks importers (see the module docstring).

    Args:
      settings: The fund's settings; needed by :meth:`extract`, not by
        :meth:`identify` or :meth:`parse`.
    """

    #: The short name: ``aidbooks.<key>`` is the importer's name in Fava.
    key: ClassVar[str] = ""
    #: What the file is, for the summary ("Venmo statement").
    label: ClassVar[str] = ""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        #: :meth:`extract` returns the ``open`` and ``aid-recipient`` directives
        #: its entries need (off for Fava's Import page, see the module docstring).
        self.declares = True

    # -- what a platform importer provides ------------------------------------------

    @property
    def source(self) -> Source:
        """How this importer's records map onto the books."""
        raise NotImplementedError

    def sniff(self, head: str) -> bool:
        """True if ``head`` (the first 64 KiB of a file, as text) is this export."""
        raise NotImplementedError

    def parse(self, filepath: str) -> Parsed:
        """Read a whole export.

        Raises:
          ImportFileError: the file cannot be imported at all (exit 2).
        """
        raise NotImplementedError

    # -- beangulp.Importer ----------------------------------------------------------

    @property
    def name(self) -> str:
        """``aidbooks.<key>``: unique per importer (Fava requires it)."""
        return f"aidbooks.{self.key}"

    def identify(self, filepath: str) -> bool:
        """True if the file is this importer's export (reads the head only)."""
        try:
            head = read_text(filepath, HEAD_BYTES)
        except ImportFileError:
            return False
        return self.sniff(head)

    def account(self, filepath: str) -> data.Account:
        """The money account the export describes."""
        return self.source.money_account

    def date(self, filepath: str) -> dt.date | None:
        """The latest date in the export (None if it cannot be read)."""
        try:
            parsed = self.parse(filepath)
        except ImportFileError:
            return None
        return max((r.date for r in parsed.records), default=None)

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        """New entries for the file, booked against ``existing`` (see the module doc)."""
        if self.settings is None:
            raise ImportFileError(
                "the importer has no settings", "build it with the books' Settings"
            )
        parsed = self.parse(filepath)
        key_file = self.settings.key_file
        keys.check_books_key(
            self.settings.ring,
            keys.recorded_keys(existing),
            None if key_file is None else str(key_file),
        )
        money = (self.source.money_account,)
        session = Session(self.settings, BookState.from_entries(existing, money))
        booked = session.book(parsed, self.source, filepath)
        session.settle()
        for item in booked.problems:
            log.warning(
                "%s:%s: %s. %s.", Path(filepath).name, item.lineno, item.what, item.fix
            )
        for change in booked.changed:
            log.warning(
                "%s:%s: %s changed from %s to %s since it was imported",
                Path(filepath).name,
                change.lineno,
                change.id,
                label(change.before),
                label(change.after),
            )
        entries: list[data.Directive] = list(booked.entries)
        for match in booked.matches:
            # beangulp's mark of a duplicate; Fava shows the entry as one
            match.entry.meta["__duplicate__"] = ", ".join(
                where(c, self.settings.books_dir) for c in match.candidates
            )
            entries.append(match.entry)
        if not self.declares:
            return entries
        return [*declarations(session, filepath), *entries]

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Nothing to do: :meth:`extract` already left out rows already in the books."""


def declarations(session: Session, filename: str) -> list[data.Directive]:
    """The ``open`` and ``aid-recipient`` directives a session's entries need."""
    out: list[data.Directive] = []
    first_open = session.state.first_open
    for account, (first, currency) in sorted(session.new_accounts.items()):
        date = min(first, first_open) if first_open else first
        out.append(
            data.Open(
                data.new_metadata(filename, 0), date, account, currency.split(","), None
            )
        )
    for code, date in sorted(session.new_codes.items()):
        out.append(
            data.Custom(
                data.new_metadata(filename, 0),
                date,
                "aid-recipient",
                [ValueType(code, str)],
            )
        )
    return out
