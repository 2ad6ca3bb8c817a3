"""The publish preview: what the next quarter's report would publish, and what it would hide.

For the treasurer's eyes only (the Aid page in Fava): the numbers come from the
same pipeline as ``aidbooks report`` (:func:`aidbooks.reports.publish.control`:
the releases in view, the aggregates and the disclosure control), laid out table by
table, with every cell the report would suppress marked and the reason given
(too few households, the two largest households' shares too large for the p%
rule, or hidden to protect another).
Hidden cells show no value here either: the page shows what donors would see.

Earlier reports matter: the real report keeps hidden whatever an earlier one hid,
and hides what could be worked out by differencing against them. The preview reads
the same release history as ``aidbooks report`` (``published/`` in the books, see
:mod:`aidbooks.reports.history`) and audits against every recorded release.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from aidbooks.plugins.policy import Policy
from aidbooks.reports.cells import Cell
from aidbooks.reports.history import read_history
from aidbooks.reports.manifest import Published
from aidbooks.reports.period import Period
from aidbooks.reports.publish import control
from aidbooks.reports.sections import SECTIONS

#: The tables of a report in the order of the published page.
TABLE_ORDER = tuple(section.name for section in SECTIONS)
#: Tables with one row, shown as a column of values.
SINGLE_ROW = frozenset(section.name for section in SECTIONS if section.single_row)


@dataclass(frozen=True)
class PreviewCell:
    """One number of the preview.

    Attributes:
      id: The report's cell id (``categories/Rent/amount``).
      text: The value as it would be published (rounded), or empty when hidden.
      hidden: True when the report would suppress it.
      reason: Why it is hidden (empty when shown).
    """

    id: str
    text: str
    hidden: bool = False
    reason: str = ""


@dataclass(frozen=True)
class PreviewTable:
    """One table of the report: named columns, labelled rows."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[PreviewCell | None, ...]], ...]


@dataclass(frozen=True)
class Preview:
    """The preview of one period's report.

    Attributes:
      period: The period's label (``2025-Q4``).
      partial: True when the books do not reach the period's last day yet.
      tables: The report's tables.
      hidden: How many numbers the report would suppress.
      total: How many numbers it holds.
      min_cell: ``privacy.min_cell``.
      earlier: The periods of the earlier reports taken into account; None when
        the policy does not say where the published reports are.
    """

    period: str
    partial: bool
    tables: tuple[PreviewTable, ...]
    hidden: int
    total: int
    min_cell: int
    earlier: tuple[str, ...] | None = None


def quarter_of(day: dt.date) -> Period:
    """The calendar quarter that holds ``day`` (the report to be published next)."""
    return Period(day.year, (day.month - 1) // 3 * 3 + 1, "quarter")


def label(name: str) -> str:
    """A table or column name for people: ``net_raised`` -> ``net raised``."""
    return name.replace("_", " ")


def earlier_reports(policy: Policy, ledger_file: Path) -> list[Published]:
    """The fund's releases, from the books' release history (``published/``).

    The same history ``aidbooks report`` reads (:mod:`aidbooks.reports.history`), so
    the preview hides what the report would.

    Raises:
      AidbooksError: a recorded release is missing a file or was altered.
    """
    del policy
    return [release.published() for release in read_history(ledger_file)]


def preview(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    policy: Policy,
    period: Period,
    books_end: dt.date | None = None,
    earlier: Sequence[Published] | None = None,
) -> Preview:
    """Run the report's pipeline on ``period`` and lay out what it would publish.

    ``earlier`` are the fund's published reports (None: not known); those before
    ``period`` are taken into account as ``aidbooks report`` does.

    Raises:
      AidbooksError: the books cannot be reported (a posting in another currency),
        or an earlier report has no valid ``report.json``.
    """
    outcome = control(entries, options_map, policy, period, earlier or ())
    hidden = outcome.hidden
    primary = outcome.primary
    rounded = outcome.rounded
    min_cell = policy.privacy.min_cell
    by_table: dict[str, list[Cell]] = {}
    for cell in outcome.cells:
        by_table.setdefault(cell.table, []).append(cell)

    def shown(cell: Cell) -> PreviewCell:
        if cell.id in hidden:
            return PreviewCell(
                cell.id, "", True, _reason(cell, cell.id in primary, min_cell)
            )
        value = rounded.get(cell.id, cell.value)
        if cell.measure in ("count", "distinct"):
            return PreviewCell(cell.id, f"{int(value):,}")
        return PreviewCell(cell.id, f"{Decimal(value):,}")

    tables: list[PreviewTable] = []
    for name in sorted(by_table, key=_table_position):
        cells = by_table[name]
        if name in SINGLE_ROW:
            rows = tuple((label(c.column), (shown(c),)) for c in cells)
            tables.append(PreviewTable(label(name), ("",), rows))
            continue
        columns: list[str] = []
        grid: dict[str, dict[str, Cell]] = {}
        for cell in cells:
            if cell.column not in columns:
                columns.append(cell.column)
            grid.setdefault(cell.row, {})[cell.column] = cell
        table_rows = tuple(
            (
                label(row),
                tuple(shown(line[c]) if c in line else None for c in columns),
            )
            for row, line in grid.items()
        )
        tables.append(PreviewTable(label(name), tuple(map(label, columns)), table_rows))
    return Preview(
        period=period.label,
        partial=books_end is None or books_end < period.end,
        tables=tuple(tables),
        hidden=sum(1 for c in outcome.cells if c.id in hidden),
        total=len(outcome.cells),
        min_cell=min_cell,
        earlier=None if earlier is None else tuple(p.label for p, _, _ in outcome.earlier),
    )


def _table_position(name: str) -> tuple[int, str]:
    try:
        return TABLE_ORDER.index(name), name
    except ValueError:
        return len(TABLE_ORDER), name


def _reason(cell: Cell, primary: bool, min_cell: int) -> str:
    if not primary and cell.follows:
        return "hidden with the number it belongs to"
    if not primary:
        return "hidden so that another hidden number cannot be worked out from it"
    if cell.households and len(cell.households) < min_cell:
        return f"fewer than {min_cell} households"
    return "the two largest households got too much of it (the p% rule)"
