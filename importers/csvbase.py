"""The row loop every CSV importer shares: a platform declares its columns, reads a row.

:class:`CsvImporter` owns what every CSV export needs, as beangulp's
``csvbase.Importer`` does (but with aidbooks' own records): read the text
(:func:`~.csvread.read_text`), find the header among the first rows
(:func:`~.csvread.find_header`), resolve the columns by name
(:class:`~.csvread.Columns`), walk the data rows (:func:`~.csvread.data_rows`),
count them, turn a :class:`~.base.RowIssue` into that row's
:class:`~.records.Problem`, give every :class:`~.records.Record` and
:class:`~.records.Skip` the line its row starts on, and collect them into
:class:`~.records.Parsed`.

To add a CSV platform, subclass :class:`CsvImporter` and declare:

* :attr:`~CsvImporter.layouts` — the header layouts, each the column names that
  identify it (the first that matches wins; its index is :attr:`Sheet.layout`);
* :attr:`~CsvImporter.columns` — column key -> names and aliases, read by key
  through :attr:`Sheet.cols`;
* :attr:`~CsvImporter.header_limit` — how many rows may come before the header;
* :attr:`~CsvImporter.no_header` — what is wrong and how to fix it, for a file
  without the header (``ImportFileError``, exit 2);

then write the hooks:

* :meth:`~CsvImporter.begin` — once per file, before the first row: check the
  columns the importer cannot do without, read the per-file state (the layout,
  time zones, a guessed date order, the balance chain being followed); returns the
  state every other hook receives;
* :meth:`~CsvImporter.read_row` — once per data row: a :class:`~.records.Record`,
  a :class:`~.records.Skip` (not final, no money), several of them, or None for a
  row the state keeps for :meth:`~CsvImporter.end` (a conversion leg); raises
  :class:`~.base.RowIssue` for a row that cannot be read (never quoting a cell),
  or ``ImportFileError`` for a file that must be refused as a whole;
* :meth:`~CsvImporter.end` — once, after the last row: the statement's balances,
  pairing what rows left in the state, the order of the records.

``sniff`` (the header within the head of the file) comes with the declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Generic
from typing import TypeVar

from aidbooks.importers.base import ExportImporter
from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import problem
from aidbooks.importers.csvread import MAX_PREAMBLE
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import Header
from aidbooks.importers.csvread import Row
from aidbooks.importers.csvread import data_rows
from aidbooks.importers.csvread import find_header
from aidbooks.importers.csvread import read_text
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip

#: What :meth:`CsvImporter.read_row` makes of a row.
Outcome = Record | Skip | Sequence[Record | Skip] | None

#: The per-file state an importer's :meth:`CsvImporter.begin` returns.
State = TypeVar("State")


@dataclass
class Sheet:
    """One CSV file being read: what every hook may look at.

    Attributes:
      path: The file, as given (for ``ImportFileError``).
      text: Its whole text.
      header: The header row found.
      layout: The index in :attr:`CsvImporter.layouts` of the layout it matched.
      cols: The columns of :attr:`CsvImporter.columns`, resolved in this header.
      parsed: What the file reads into so far (hooks may set its balances).
    """

    path: str
    text: str = field(repr=False)
    header: Header
    layout: int
    cols: Columns
    parsed: Parsed = field(default_factory=Parsed)
    _rows: list[Row] | None = field(default=None, init=False, repr=False)

    def rows(self) -> list[Row]:
        """Every data row, read once: for a hook that looks at the whole file first
        (a date order, decimal commas, a balance column); the loop then reuses them."""
        if self._rows is None:
            self._rows = list(data_rows(self.text, self.header))
        return self._rows

    def each_row(self) -> Iterator[Row]:
        """The data rows for the loop: read as it goes unless :meth:`rows` was read."""
        if self._rows is not None:
            return iter(self._rows)
        return data_rows(self.text, self.header)


class CsvImporter(ExportImporter, Generic[State]):
    """A CSV export importer: declarations and hooks (see the module docstring)."""

    #: The header layouts: each the column names that identify it.
    layouts: Sequence[Sequence[str]] = ()
    #: Column key -> the names and aliases it goes by.
    columns: Mapping[str, Sequence[str]]
    #: How many rows may come before the header.
    header_limit: int = MAX_PREAMBLE
    #: (what, fix) of the error for a file without any of the layouts' headers.
    no_header: tuple[str, str] = ("has no known header", "check that it is the export")

    # -- the hooks --------------------------------------------------------------------

    def begin(self, sheet: Sheet) -> State:
        """The per-file state, before the first row.

        Raises:
          ImportFileError: the file cannot be imported (a column missing).
        """
        raise NotImplementedError

    def read_row(self, sheet: Sheet, state: State, row: Row) -> Outcome:
        """What one data row is (see the module docstring).

        Raises:
          RowIssue: the row cannot be read (it becomes the row's problem).
          ImportFileError: the whole file must be refused.
        """
        raise NotImplementedError

    def end(self, sheet: Sheet, state: State) -> None:
        """After the last row: balances, pairing, order (nothing by default)."""

    # -- the loop ---------------------------------------------------------------------

    def sniff(self, head: str) -> bool:
        return find_header(head, self.layouts, self.header_limit) is not None

    def parse(self, filepath: str) -> Parsed:
        """Read the whole export through the hooks.

        Raises:
          ImportFileError: the file cannot be imported at all (exit 2).
        """
        text = read_text(filepath)
        found = find_header(text, self.layouts, self.header_limit)
        if found is None:
            what, fix = self.no_header
            raise ImportFileError(what, fix, filepath)
        header, layout = found
        sheet = Sheet(filepath, text, header, layout, Columns(header, self.columns))
        state = self.begin(sheet)
        parsed = sheet.parsed
        for row in sheet.each_row():
            parsed.rows += 1
            try:
                outcome = self.read_row(sheet, state, row)
            except RowIssue as issue:
                parsed.problems.append(problem(row.lineno, issue))
                continue
            if outcome is None:
                continue
            items = (outcome,) if isinstance(outcome, Record | Skip) else outcome
            for item in items:
                if isinstance(item, Skip):
                    parsed.skipped.append(dataclasses.replace(item, lineno=row.lineno))
                else:
                    item.lineno = row.lineno
                    parsed.records.append(item)
        self.end(sheet, state)
        return parsed
