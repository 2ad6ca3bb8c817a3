"""The numbers a report can publish, each as a signed sum of atoms.

A :class:`Cell` is one number of one table (``categories/Rent/amount``,
``funds/legal/closing``, ``months/2025-03/granted`` ...): its exact value, its
coefficients over the atoms of :mod:`aidbooks.reports.aggregate`, and the
households it is about. The disclosure control reasons only with cells; the
renderers only with what the disclosure control lets through.

Two kinds of cell:

* **flows** — sums of postings inside the period (raised, granted, fees, bail
  posted ...). A flow that contains grants is *about households*: it is held to
  the minimum cell size and the p% rule (it carries the two largest households'
  shares for that).
* **balances** — what an account or a fund holds at a day (cash on hand, fund
  closing balance). A balance sums the fund's whole history; it is never held to
  the cell rules itself, but it takes part in the arithmetic a reader can do.

Measures: ``amount`` (money), ``count`` (number of grants or bonds) — both linear
— and ``distinct`` / ``median`` (households, median grant), which no sum can
reveal and follow the count they belong to.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any
from typing import Literal

from aidbooks.plugins import accounts as acc
from aidbooks.plugins.policy import DEFAULT_CATEGORIES
from aidbooks.reports.aggregate import MONEY_KINDS
from aidbooks.reports.aggregate import ZERO
from aidbooks.reports.aggregate import Aggregates
from aidbooks.reports.aggregate import Atom
from aidbooks.reports.aggregate import AtomKey
from aidbooks.reports.aggregate import is_correction_class
from aidbooks.reports.aggregate import is_noncash_class
from aidbooks.reports.period import Period
from aidbooks.reports.period import ToDate
from aidbooks.reports.period import month_period

Measure = Literal["amount", "count", "distinct", "median"]
OTHER_AID = "Other aid"

#: Display order of channels: platforms, bank transfers, cash, checks, institutions.
CHANNEL_ORDER = (*acc.CHANNELS, "Grants", "Bank")


@dataclass(frozen=True)
class Cell:
    """One number a report may publish.

    Attributes:
      id: ``table/row/column`` (or ``table/column`` for single-row tables).
      measure: ``amount``, ``count``, ``distinct`` or ``median``.
      flow: True for sums within the period, False for balances at its end.
      value: The exact value.
      coefficients: Atom key → coefficient (+1/-1); empty for non-linear measures.
      households: The households the cell is about (grant codes; memory only).
      top_share: The largest household's share of the cell's magnitude (the sum of
        the absolute values of its atoms), exact.
      second_share: The second largest household's share, exact (0 with fewer
        than two households).
      follows: For ``distinct``/``median`` cells, the cell whose fate they share.
      grants: For a ``median`` cell, the number of grants it is the median of.
    """

    id: str
    measure: Measure
    flow: bool
    value: Decimal
    coefficients: dict[AtomKey, int]
    households: frozenset[str]
    top_share: Fraction = Fraction(0)
    follows: str = ""
    second_share: Fraction = Fraction(0)
    grants: int = 0

    @property
    def table(self) -> str:
        """The table the cell belongs to (``categories``, ``funds`` ...)."""
        return self.id.split("/", 1)[0]

    @property
    def row(self) -> str:
        """The row of the cell (empty for single-row tables)."""
        parts = self.id.split("/")
        return parts[1] if len(parts) == 3 else ""

    @property
    def column(self) -> str:
        """The column of the cell."""
        return self.id.rsplit("/", 1)[-1]

    @property
    def linear(self) -> bool:
        """True for sums (amounts and counts) that take part in the arithmetic."""
        return self.measure in ("amount", "count")


@dataclass(frozen=True)
class Layout:
    """How a report's tables are cut: which categories and months are merged.

    Attributes:
      period: The period.
      categories: The categories shown on their own rows.
      other: The categories merged into one "Other aid" row.
      quarters: Quarters shown as one row instead of their months.
    """

    period: Period | ToDate
    categories: tuple[str, ...]
    other: tuple[str, ...]
    quarters: tuple[str, ...]

    def category_rows(self) -> list[tuple[str, tuple[str, ...]]]:
        """(row name, categories in it), "Other aid" last."""
        rows: list[tuple[str, tuple[str, ...]]] = [
            (name, (name,)) for name in self.categories
        ]
        if self.other:
            rows.append((OTHER_AID, self.other))
        return rows

    def month_rows(self) -> list[tuple[str, tuple[str, ...]]]:
        """(row label, months in it): months, or their quarter when merged."""
        rows: list[tuple[str, tuple[str, ...]]] = []
        for quarter in self.period.quarters:
            if quarter.label in self.quarters:
                rows.append((quarter.label, quarter.months))
            else:
                rows.extend(
                    (m, (m,)) for m in quarter.months if m in set(self.period.months)
                )
        return rows


Selector = Callable[[AtomKey], int]
#: The households of some atoms, with the largest and second largest one's total.
_Households = tuple[frozenset[str], Decimal, Decimal]


class CellMaker:
    """Builds cells for any period inside an aggregate's window."""

    def __init__(self, aggregates: Aggregates) -> None:
        self.agg = aggregates
        self.by_group: dict[str, list[tuple[AtomKey, Atom]]] = {}
        self.by_month: dict[str, list[tuple[AtomKey, Atom]]] = {}
        for key, atom in aggregates.atoms.items():
            self.by_group.setdefault(key[0], []).append((key, atom))
            self.by_month.setdefault(key[1], []).append((key, atom))
        self.groups = sorted(self.by_group)
        # The households of a run of atoms, with the two largest ones' amounts, by
        # the keys of the atoms that hold households (in order, repeats kept): the
        # amount, count and distinct cells of one row read the same atoms, and the
        # merge is the costly part of a cell (thousands of households per atom).
        self._merged: dict[tuple[AtomKey, ...], _Households] = {}

    # ---------------------------------------------------------------- helpers
    def _atoms(
        self, groups: Iterable[str], months: Iterable[str]
    ) -> Iterator[tuple[AtomKey, Atom]]:
        wanted = set(months)
        for group in groups:
            for key, atom in self.by_group.get(group, ()):
                if key[1] in wanted:
                    yield key, atom

    def groups_with(self, prefix: str) -> list[str]:
        """Groups starting with ``prefix`` that have atoms in the window."""
        return [g for g in self.groups if g.startswith(prefix)]

    def _before(self, prefix: str | tuple[str, ...], fund: str | None = None) -> Decimal:
        total = ZERO
        for (group, f), amount in self.agg.before.items():
            if group.startswith(prefix) and (fund is None or f == fund):
                total += amount
        return total

    def _make(
        self,
        cell_id: str,
        picked: Iterable[tuple[AtomKey, Atom, int]],
        *,
        flow: bool,
        measure: Measure = "amount",
        constant: Decimal = ZERO,
    ) -> Cell:
        coefficients: dict[AtomKey, int] = {}
        value = constant
        magnitude = ZERO
        with_households: list[tuple[AtomKey, Atom]] = []
        for key, atom, coef in picked:
            if not coef:
                continue
            coefficients[key] = coefficients.get(key, 0) + coef
            if measure == "count":
                value += coef * atom.count
            else:
                value += coef * atom.amount
            magnitude += abs(atom.amount)
            if flow and atom.households:
                with_households.append((key, atom))
        households, top, second = self._households(with_households)
        return Cell(
            cell_id,
            measure,
            flow,
            value,
            {k: v for k, v in coefficients.items() if v},
            households,
            share_of(top, magnitude),
            second_share=share_of(second, magnitude),
        )

    def _households(self, atoms: list[tuple[AtomKey, Atom]]) -> _Households:
        """The households of ``atoms`` and the two largest ones' totals (merged once)."""
        if not atoms:
            return frozenset(), ZERO, ZERO
        run = tuple(key for key, _atom in atoms)
        merged = self._merged.get(run)
        if merged is None:
            totals: dict[str, Decimal] = {}
            for _key, atom in atoms:
                for code, amount in (atom.households or {}).items():
                    totals[code] = totals.get(code, ZERO) + amount
            merged = (frozenset(totals), *two_largest(totals.values()))
            self._merged[run] = merged
        return merged

    def flow(
        self,
        cell_id: str,
        groups: Iterable[str],
        months: Iterable[str],
        coef: Selector,
        measure: Measure = "amount",
    ) -> Cell:
        """A sum of atoms of ``groups`` in ``months``; ``coef`` picks and signs them."""
        return self._make(
            cell_id,
            ((k, a, coef(k)) for k, a in self._atoms(groups, months)),
            flow=True,
            measure=measure,
        )

    def balance(self, cell_id: str, kinds: Iterable[str], upto: str) -> Cell:
        """The balance of one or more kinds of :data:`BALANCES` after month ``upto``.

        Its coefficients are the balance variables of those kinds at that month (see
        :meth:`balance_relations`), so a report's balances stay sparse rows.
        """
        value = ZERO
        coefficients: dict[AtomKey, int] = {}
        for kind in kinds:
            value += self.balance_value(kind, upto)
            coefficients[balance_key(kind, upto)] = 1
        return Cell(cell_id, "amount", False, value, coefficients, frozenset())

    def _members(self, kind: str, month: str) -> Iterator[tuple[AtomKey, Atom]]:
        prefix, fund = _balance_kind(kind)
        for key, atom in self.by_month.get(month, ()):
            if key[0].startswith(prefix) and (fund is None or key[2] == fund):
                yield key, atom

    def balance_value(self, kind: str, upto: str) -> Decimal:
        """The exact balance of ``kind`` after month ``upto``."""
        prefix, fund = _balance_kind(kind)
        sign = -1 if fund is not None else 1
        total = self._before(prefix, fund)
        for month in self.agg.months:
            if month > upto:
                break
            total += sum((a.amount for _, a in self._members(kind, month)), ZERO)
        return sign * total

    def balance_kinds(self) -> list[str]:
        """Every kind of balance a report can show."""
        return [
            *(f"money:{k}" for k in MONEY_KINDS),
            "giftcards",
            "receivable:",
            *(f"fund:{f}" for f in self.agg.funds),
        ]

    def balance_relations(self) -> list[dict[AtomKey, int]]:
        """How balances move, month by month, as relations readers know.

        For every kind and month m: balance(m) - balance(m-1) - flows(m) = 0, where
        the balance before the window is taken as known (a cautious assumption).
        """
        rows = []
        for kind in self.balance_kinds():
            _, fund = _balance_kind(kind)
            sign = -1 if fund is not None else 1
            previous: AtomKey | None = None
            for month in self.agg.months:
                row: dict[AtomKey, int] = {balance_key(kind, month): 1}
                if previous is not None:
                    row[previous] = -1
                for key, _atom in self._members(kind, month):
                    row[key] = row.get(key, 0) - sign
                rows.append(row)
                previous = balance_key(kind, month)
        return rows

    # ----------------------------------------------------------------- tables
    def categories(self, period: Period | ToDate) -> list[str]:
        """The fund's vocabulary of aid categories in ``period``, in its usual order.

        Every category whose ``Expenses:Aid`` account is open during the period,
        with grants or not, and any with postings in it.
        """
        names = {
            g.split(":", 1)[1]
            for g in self.groups_with("aid:")
            if any(True for _ in self._atoms([g], period.months))
        }
        names.update(
            name
            for name, opened, closed in self.agg.aid_accounts
            if opened <= period.end and (closed is None or closed >= period.start)
        )
        order = {name: i for i, name in enumerate(DEFAULT_CATEGORIES)}
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def category_cells(
        self, period: Period | ToDate, row: str, names: Iterable[str]
    ) -> list[Cell]:
        """Amount, cash, non-cash and number of grants of one categories row."""
        groups = [f"aid:{n}" for n in names]
        months = period.months
        base = f"categories/{row}"
        amount = self.flow(f"{base}/amount", groups, months, lambda k: 1)
        grants = self.flow(
            f"{base}/grants", groups, months, lambda k: 1 if k[3] > 0 else 0, "count"
        )
        return [
            amount,
            self.flow(
                f"{base}/cash", groups, months, lambda k: 0 if is_noncash_class(k[4]) else 1
            ),
            self.flow(
                f"{base}/noncash",
                groups,
                months,
                lambda k: 1 if is_noncash_class(k[4]) else 0,
            ),
            grants,
            _distinct(f"{base}/households", amount, grants.id),
        ]

    def channels(self, period: Period | ToDate) -> list[str]:
        """Channels with money raised or fees in ``period``."""
        names = set()
        for prefix in ("income:", "fees:"):
            for g in self.groups_with(prefix):
                if any(True for _ in self._atoms([g], period.months)):
                    names.add(g.split(":", 1)[1])
        order = {name: i for i, name in enumerate(CHANNEL_ORDER)}
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def operations(self, period: Period | ToDate) -> list[str]:
        """Kinds of operating costs in ``period``."""
        return sorted(
            g.split(":", 1)[1]
            for g in self.groups_with("ops:")
            if any(True for _ in self._atoms([g], period.months))
        )


def two_largest(amounts: Iterable[Decimal]) -> tuple[Decimal, Decimal]:
    """The largest and the second largest of ``amounts`` (0 for what is missing)."""
    top = heapq.nlargest(2, amounts)
    return (top[0] if top else ZERO), (top[1] if len(top) > 1 else ZERO)


def share_of(part: Decimal, whole: Decimal) -> Fraction:
    """``part / whole`` exactly (0 when ``whole`` is 0)."""
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def _distinct(cell_id: str, of: Cell, follows: str) -> Cell:
    return Cell(
        cell_id,
        "distinct",
        True,
        Decimal(len(of.households)),
        {},
        of.households,
        follows=follows,
    )


def cells_for(maker: CellMaker, layout: Layout) -> list[Cell]:
    """Every cell of a report cut as ``layout`` says, in a fixed order."""
    agg = maker.agg
    period = layout.period
    months = period.months
    last = months[-1]
    first = months[0]
    aid = maker.groups_with("aid:")
    income = maker.groups_with("income:")
    fees = maker.groups_with("fees:")
    ops = maker.groups_with("ops:")
    cells: list[Cell] = []
    add = cells.append

    # totals
    granted = maker.flow("totals/granted", aid, months, lambda k: 1)
    grants = maker.flow(
        "totals/grants", aid, months, lambda k: 1 if k[3] > 0 else 0, "count"
    )
    add(maker.flow("totals/raised", income, months, lambda k: -1))
    add(maker.flow("totals/fees", fees, months, lambda k: 1))
    add(maker.flow("totals/net_raised", [*income, *fees], months, lambda k: -1))
    add(granted)
    add(
        maker.flow(
            "totals/granted_cash", aid, months, lambda k: 0 if is_noncash_class(k[4]) else 1
        )
    )
    add(
        maker.flow(
            "totals/granted_noncash",
            aid,
            months,
            lambda k: 1 if is_noncash_class(k[4]) else 0,
        )
    )
    add(
        maker.flow(
            "totals/corrections",
            aid,
            months,
            lambda k: 1 if is_correction_class(k[4]) else 0,
        )
    )
    add(maker.flow("totals/operations", ops, months, lambda k: 1))
    add(maker.balance("totals/on_hand_end", [f"money:{k}" for k in MONEY_KINDS], last))
    add(grants)

    # households helped and the median grant
    helped = maker.flow(
        "households/count",
        [*aid, *maker.groups_with("receivable:")],
        months,
        lambda k: 1 if k[3] > 0 else 0,
    )
    add(_distinct("households/count", helped, ""))
    in_period = set(months)
    amounts = [amount for month, amount in agg.grants if month in in_period]
    median = Decimal(statistics.median(amounts)) if amounts else ZERO
    add(Cell("households/median_grant", "median", True, median, {}, helped.households,
             follows="households/count", grants=len(amounts)))  # fmt: skip

    # categories
    for row, names in layout.category_rows():
        cells.extend(maker.category_cells(period, row, names))

    # channels
    for name in maker.channels(period):
        base = f"channels/{name}"
        add(maker.flow(f"{base}/gross", [f"income:{name}"], months, lambda k: -1))
        add(maker.flow(f"{base}/fees", [f"fees:{name}"], months, lambda k: 1))
        add(
            maker.flow(
                f"{base}/net",
                [f"income:{name}", f"fees:{name}"],
                months,
                lambda k: -1,
            )
        )

    # month by month
    for label, row_months in layout.month_rows():
        add(maker.flow(f"months/{label}/raised", income, row_months, lambda k: -1))
        add(maker.flow(f"months/{label}/granted", aid, row_months, lambda k: 1))

    # operating costs
    for name in maker.operations(period):
        add(maker.flow(f"operations/{name}/amount", [f"ops:{name}"], months, lambda k: 1))

    # cash on hand at the end, by kind of account
    for kind in MONEY_KINDS:
        cell = maker.balance(f"on_hand/{kind}/amount", [f"money:{kind}"], last)
        if cell.value or any(True for _ in maker._atoms([f"money:{kind}"], agg.months)):
            add(cell)

    # gift cards
    if maker.groups_with("giftcards") or maker._before("giftcards"):
        add(maker.flow("gift_cards/bought", ["giftcards"], months, lambda k: max(k[3], 0)))
        add(
            maker.flow(
                "gift_cards/handed_out", ["giftcards"], months, lambda k: min(k[3], 0)
            )
        )
        add(maker.balance("gift_cards/on_hand_end", ["giftcards"], last))

    # bail and bonds
    receivable = maker.groups_with("receivable:")
    if receivable or maker._before("receivable:"):
        posted = maker.flow("bail/posted", receivable, months, lambda k: max(k[3], 0))
        bonds = maker.flow(
            "bail/bonds", receivable, months, lambda k: max(k[3], 0), "count"
        )
        add(posted)
        add(maker.flow("bail/returned", receivable, months, lambda k: min(k[3], 0)))
        add(maker.balance("bail/outstanding_end", ["receivable:"], last))
        add(bonds)
        add(_distinct("bail/households", posted, bonds.id))

    # funds: opening + received - spent = closing
    fund_groups = [g for g in maker.groups if g.startswith(FUND_GROUP_PREFIXES)]
    before_start = [m for m in agg.months if m < first]
    for fund in agg.funds:
        base = f"funds/{fund}"
        kind = f"fund:{fund}"
        opening_atoms = [
            (k, a) for k, a in maker._atoms(["equity:opening"], months) if k[2] == fund
        ]
        coefficients: dict[AtomKey, int] = {k: -1 for k, _ in opening_atoms}
        value = -sum((a.amount for _, a in opening_atoms), ZERO)
        if before_start:
            coefficients[balance_key(kind, before_start[-1])] = 1
            value += maker.balance_value(kind, before_start[-1])
        else:
            value += maker.balance_value(kind, "0000-00")
        opening = Cell(f"{base}/opening", "amount", False, value, coefficients, frozenset())
        flows = [
            (k, a)
            for k, a in maker._atoms(fund_groups, months)
            if k[2] == fund and k[0] != "equity:opening"
        ]
        received = maker._make(
            f"{base}/received", ((k, a, -1) for k, a in flows if k[3] < 0), flow=True
        )
        spent = maker._make(
            f"{base}/spent", ((k, a, 1) for k, a in flows if k[3] > 0), flow=True
        )
        closing = maker.balance(f"{base}/closing", [kind], last)
        cells.extend([opening, received, spent, closing])
    return cells


FUND_GROUP_PREFIXES = ("income:", "fees:", "ops:", "aid:", "receivable:", "equity:")
#: startswith() accepts a tuple: any fund group.
FUND_GROUP_PREFIXES_ANY: Any = FUND_GROUP_PREFIXES


def balance_key(kind: str, month: str) -> AtomKey:
    """The variable standing for the balance of ``kind`` at the end of ``month``."""
    return ("=" + kind, month, "", 0, "")


def _balance_kind(kind: str) -> tuple[str, str | None]:
    """(group prefix, fund or None) of a kind of balance."""
    if kind.startswith("fund:"):
        return FUND_GROUP_PREFIXES_ANY, kind.split(":", 1)[1]
    return kind, None


def month_label_period(label: str) -> Period:
    """The period of a months-table row label (a month or a quarter)."""
    if "Q" in label:
        year, quarter = label.split("-Q")
        return Period(int(year), (int(quarter) - 1) * 3 + 1, "quarter")
    return month_period(label)
