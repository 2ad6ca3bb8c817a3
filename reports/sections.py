"""Every section of a report and every number in it, declared once.

A report is a handful of sections (tables); each has columns, and either one row
(``totals``) or a row per name (``categories``: one per aid category). A number's
id says where it sits: ``totals/granted``, ``categories/Rent/amount``. This module
is the one list of them, read by everything that needs to know what a report
publishes and how each number is made:

* the disclosure control reads a report back (:func:`aidbooks.reports.disclosure.published_values`)
  and knows how far each published number may be from the exact one
  (:func:`slack`: its *rounding*), which is what the interval audit assumes a reader
  knows;
* Fava's publish preview lays the tables out in this order, single-row sections as
  a column (:mod:`aidbooks.preview`);
* a test holds the report's model (``report.json``'s schema) and the cells the
  control makes (:mod:`aidbooks.reports.cells`) to this list, so a number cannot be
  published without being declared here.

How a number is rounded (``privacy.rounding``, unit ``u``):

``alone``
    rounded to the nearest unit on its own: off by at most ``u/2``;
``spread``
    a row of a table, rounded so that the rows add up to their rounded total
    (largest remainder): off by less than ``u``;
``sum``
    made of other rounded numbers (a category's amount = cash + non-cash, a fund's
    closing = opening + received - spent): off by up to the sum of theirs
    (``error`` says how many units);
``count``
    a whole number, exact;
``step``
    the median grant, rounded to ``privacy.median_step`` (not a linear number: the
    audit leaves it to its own rule).

Adding a number to a report starts here: declare its column (and its rounding),
then make its cell (``cells.py``), its field in the model (``model.py``), and its
line in the templates; ``tests/test_report_sections.py`` says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Rounding = Literal["alone", "spread", "sum", "count", "step"]


@dataclass(frozen=True)
class Column:
    """One published number of a section's row.

    Attributes:
      name: The field in ``report.json`` and the last part of the cell id.
      rounding: How it is rounded (see the module docstring).
      error: The most it can be off, in rounding units.
    """

    name: str
    rounding: Rounding
    error: Decimal
    #: ``spread``: the id of the total its rows (or, in a one-row section, the
    #: columns spread with it) add up to.
    of: str = ""
    #: ``sum``: (sign, column of the same row) it is made of.
    parts: tuple[tuple[int, str], ...] = ()

    @property
    def amount(self) -> bool:
        """True for money (the interval audit's numbers); False for counts and medians."""
        return self.rounding in ("alone", "spread", "sum")


def _alone(name: str) -> Column:
    return Column(name, "alone", Decimal("0.5"))


def _spread(name: str, of: str) -> Column:
    return Column(name, "spread", Decimal(1), of=of)


def _sum(name: str, error: str, *parts: tuple[int, str]) -> Column:
    return Column(name, "sum", Decimal(error), parts=parts)


def _count(name: str) -> Column:
    return Column(name, "count", Decimal(0))


@dataclass(frozen=True)
class Section:
    """One table of the report.

    Attributes:
      name: The key in ``report.json`` and the first part of every cell id.
      key: For a section with a row per name, the row's field that names it
        (``name``, ``period``, ``kind``); empty for a one-row section.
      columns: Its numbers, in the report's order.
    """

    name: str
    key: str
    columns: tuple[Column, ...]

    @property
    def single_row(self) -> bool:
        """True for a section of one row (``totals``, ``bail``)."""
        return not self.key

    def column(self, name: str) -> Column:
        """The column called ``name``.

        Raises:
          KeyError: the section has no such column.
        """
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name}/{name}")


#: Every section, in the order a report shows them.
SECTIONS: tuple[Section, ...] = (
    Section(
        "totals",
        "",
        (
            _alone("raised"),
            _alone("fees"),
            _sum("net_raised", "1", (1, "raised"), (-1, "fees")),
            _alone("granted"),
            _spread("granted_cash", "totals/granted"),  # with non-cash, to granted
            _spread("granted_noncash", "totals/granted"),
            _count("grants"),
            _alone("corrections"),
            _alone("operations"),
            _alone("on_hand_end"),
        ),
    ),
    Section(
        "households", "", (_count("count"), Column("median_grant", "step", Decimal(0)))
    ),
    Section(
        "categories",
        "name",
        (
            _sum("amount", "2", (1, "cash"), (1, "noncash")),
            _spread("cash", "totals/granted_cash"),
            _spread("noncash", "totals/granted_noncash"),
            _count("grants"),
            _count("households"),
        ),
    ),
    Section(
        "channels",
        "name",
        (
            _spread("gross", "totals/raised"),
            _spread("fees", "totals/fees"),
            _sum("net", "2", (1, "gross"), (-1, "fees")),
        ),
    ),
    Section(
        "months",
        "period",
        (_spread("raised", "totals/raised"), _spread("granted", "totals/granted")),
    ),
    Section(
        "funds",
        "name",
        (
            _alone("opening"),
            _alone("received"),
            _alone("spent"),
            _sum("closing", "1.5", (1, "opening"), (1, "received"), (-1, "spent")),
        ),
    ),
    Section(
        "bail",
        "",
        (
            _alone("posted"),
            _alone("returned"),
            _alone("outstanding_end"),
            _count("bonds"),
            _count("households"),
        ),
    ),
    Section(
        "gift_cards", "", (_alone("bought"), _alone("handed_out"), _alone("on_hand_end"))
    ),
    Section("operations", "name", (_spread("amount", "totals/operations"),)),
    Section("on_hand", "kind", (_spread("amount", "totals/on_hand_end"),)),
)

BY_NAME: dict[str, Section] = {s.name: s for s in SECTIONS}


def place(cell_id: str) -> tuple[Section, str, Column]:
    """Where a number sits: its section, its row's name (empty for a one-row
    section) and its column.

    Raises:
      KeyError: nothing of that name is declared (a report may not publish it).
    """
    name = cell_id.rsplit("|", 1)[-1]
    table, _, rest = name.partition("/")
    section = BY_NAME[table]
    if section.single_row:
        return section, "", section.column(rest)
    row, _, column = rest.rpartition("/")
    return section, row, section.column(column)


def column_of(cell_id: str) -> Column:
    """The declared column of a number: ``categories/Rent/amount`` → categories' amount.

    An id may carry the period of an earlier release in front (``2025-03|totals/raised``).

    Raises:
      KeyError: nothing of that name is declared (a report may not publish it).
    """
    return place(cell_id)[2]


def slack(cell_id: str, unit: Decimal) -> Decimal:
    """How far from the exact value the audit takes a reader to know a number.

    Half a unit for a number rounded alone, one unit for every other amount — for
    a sum that may be off by more, one unit is what the audit assumes (a reader
    who knows more than the rounding tells is the cautious assumption).
    """
    column = column_of(cell_id)
    if column.rounding == "count":
        return Decimal(0)
    return unit * min(column.error, Decimal(1))
