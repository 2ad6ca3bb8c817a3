"""An adversary who holds every report a fund has published, and does linear algebra.

Independent of the disclosure control on purpose: it reads the published
``report.json`` files as plain dicts (nothing of :mod:`aidbooks.reports`), builds
ONE linear programme over what the reports are about, and asks, for any number a
reader might want (say "granted, category Bail, 2025-01..03"), the smallest and
the largest value every published number allows (``scipy.optimize.linprog``,
HiGHS). A hidden number is protected when that interval is wide.

The unknowns (all at the finest grain any report implies — a month):

* per month and aid category: ``cash``, ``noncash`` (amount = cash + noncash),
  ``grants`` (number of grant postings) and ``h`` (distinct households); and
  ``corr``, the part of its amount booked as a correction of a period already
  published (``0 <= corr <= cash + noncash``: a correction is aid of the month it
  is booked in, and ``totals.corrections`` publishes their sum);
* per month and channel: ``gross`` and ``fee``; per month and kind of operating
  cost: ``ops``; per month: bail ``posted``, ``returned``, ``bonds``, the bail
  households ``hb``, gift cards ``bought`` and ``handed``;
* per month and fund: ``recv``, ``spent`` and ``eq`` (opening-balance entries,
  which a fund's opening holds but its flows do not); per fund / balance:
  ``init`` (the balance before the first month in view, unknown);
* per month-end and kind of money account: ``money`` (free: no chain ties it);
* the distinct households of a union of (month, category) cells: one variable
  per union a report publishes (or a query asks about), with
  ``max(parts) <= union <= sum(parts)``, ``union <= grants``, and unions
  ordered by inclusion.

Balances are expressions: ``init + sum of the month flows`` up to a month-end
(funds: ``eq + recv - spent``; bail outstanding: ``posted - returned``; gift
cards on hand: ``bought - handed``).

Every published number ``v`` becomes ``v - s <= expression <= v + s``. The slack
``s`` is the rounding error a reader can allow for, from ``privacy.rounding`` (unit
``u``; ``0`` means cents, and since the books hold cents those numbers are exact,
``s = 0``): a total rounded on its own is off by at most ``u/2``; the rows of a
table are rounded *to* their rounded total by the largest-remainder method, so a
row may be off by up to one unit (``s = u``, the safe bound); a number a report
adds up from two rounded numbers (a category's amount = cash + non-cash, a
channel's net = gross - fees, a fund's closing = opening + received - spent) by
up to ``2u``. Counts (grants, households, bonds) are exact.

Side knowledge, each a switch: non-negativity of every flow and count; a
category, channel or operating cost a report does not list had nothing in that
period (``absent_zero``: a report lists every category with grants); the
transactions balance, so across funds ``received - spent`` = ``raised - fees -
operations - granted - bail posted + bail returned`` every month
(``fund_identity``); a report without a bail section posted and got back no bail;
opening-balance entries are made once, when the books begin (``openings_once``:
a fund's ``eq`` is zero after the first month in view, so a January opening is
the December closing before it); a platform's public fee rate, ``fee = rate * gross`` within
``fee_tolerance * gross + fee_slack`` every month (``fee_rates``).

Books change after a report is out (a late entry): give each report a
``vintage`` (the state of the books it was made from, 0, 1, ...). Flows of
vintage ``k`` are those of vintage 0 plus late changes ``late_1 + ... + late_k``
(non-negative with ``late_nonnegative``: late entries add grants), and a query
may ask for the change between two vintages (:attr:`Query.since`). When the books
changed by links alone (``relinked``: codes joined into one household, no amount,
grant or date touched), every late change is zero and a cell's households can only
fall from one vintage to the next (a link joins codes, it never splits them).

Counts are integers: the interval of a count is rounded inwards. A sensitive
number is *exposed* (:func:`exposed`) when its interval is narrower than a
sliding protection range: at least ``2p`` wide (``p = max(ratio * v, floor)``)
and reaching at least ``floor`` beyond ``v`` on each side; recovered exactly when
min == max.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any
from typing import Literal

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

Json = Mapping[str, Any]
Key = tuple[str, ...]
Expr = dict[Key, float]
Atom = tuple[str, str, str]  # ("aid", month, category) or ("bail", month, "")
#: A_ub, b_ub, A_eq, b_eq, the bounds as linprog takes them, and variable -> column.
_Matrices = tuple[
    Any, Any, Any, Any, list[tuple[float | None, float | None]], dict[int, int]
]
Measure = Literal[
    "amount", "cash", "noncash", "grants", "households", "gross", "fees", "operations",
    "corrections",
]  # fmt: skip

OTHER_AID = "Other aid"
INF = math.inf
#: Measures whose values are whole numbers.
COUNTS = frozenset({"grants", "households"})
#: Unknowns that are sums of non-negative postings (or counts of them).
NONNEGATIVE = frozenset(
    {"cash", "noncash", "grants", "h", "hb", "gross", "fee", "ops", "posted",
     "returned", "bonds", "bought", "handed", "recv", "spent", "corr"}
)  # fmt: skip


class Infeasible(RuntimeError):
    """The published numbers contradict the model (or each other)."""


@dataclass(frozen=True)
class Interval:
    """The values a number can take given everything published."""

    low: float
    high: float

    @property
    def width(self) -> float:
        """high - low."""
        return self.high - self.low

    def exact(self, tolerance: float = 1e-6) -> bool:
        """True when the number is pinned down (min == max); never for an infinite
        interval (``inf - 0 <= tolerance * inf`` would say it is)."""
        return math.isfinite(self.width) and self.width <= tolerance * max(
            1.0, abs(self.high)
        )

    def __str__(self) -> str:
        return f"[{self.low:.2f}, {self.high:.2f}]"


@dataclass(frozen=True)
class Query:
    """A number to bound: ``measure`` over ``months`` x ``names``.

    ``names`` are aid categories (amount, cash, noncash, grants, households),
    channels (gross, fees) or kinds of operating cost (operations); empty means
    all of them. ``vintage`` is the state of the books asked about; with
    ``since``, the change from vintage ``since`` to ``vintage``.
    """

    measure: Measure
    months: tuple[str, ...]
    names: tuple[str, ...] = ()
    vintage: int = 0
    since: int | None = None
    label: str = ""

    def __str__(self) -> str:
        if self.label:
            return self.label
        months = (
            self.months[0]
            if len(self.months) == 1
            else f"{self.months[0]}..{self.months[-1]}"
        )
        return f"{self.measure} {'/'.join(self.names) or 'all'} {months}"


@dataclass(frozen=True)
class Truth:
    """A number known from the books, to hold the attacker to."""

    query: Query
    value: float
    sensitive: bool = True


@dataclass(frozen=True)
class Exposure:
    """A sensitive number the published reports pin down too tightly."""

    truth: Truth
    interval: Interval
    protection: float
    exact: bool

    def __str__(self) -> str:
        how = "recovered exactly" if self.exact else "recovered"
        return (
            f"{self.truth.query}: truth {self.truth.value:g}, {how} in {self.interval} "
            f"(needs +/-{self.protection:g})"
        )


# ---------------------------------------------------------------- reading reports
def months_between(start: str, end: str) -> tuple[str, ...]:
    """The months ``YYYY-MM`` from the month of ``start`` to that of ``end``."""
    year, month = int(start[:4]), int(start[5:7])
    last = (int(end[:4]), int(end[5:7]))
    out: list[str] = []
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def period_months(label: str) -> tuple[str, ...]:
    """The months of a period label: ``2025``, ``2025-Q1`` or ``2025-03``."""
    if len(label) == 4:
        return months_between(f"{label}-01", f"{label}-12")
    if "Q" in label:
        year, quarter = int(label[:4]), int(label[-1])
        first = 3 * quarter - 2
        return months_between(f"{year}-{first:02d}", f"{year}-{first + 2:02d}")
    return (label[:7],)


def report_months(report: Json) -> tuple[str, ...]:
    """The months a report covers (from ``period.start``/``end``, else its label)."""
    period = report.get("period") or {}
    if period.get("start") and period.get("end"):
        return months_between(str(period["start"]), str(period["end"]))
    return period_months(str(period["label"]))


def _num(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _unit(report: Json) -> float:
    privacy = report.get("privacy") or {}
    return float(Decimal(str(privacy.get("rounding", "0"))))


def _previous_month(month: str) -> str:
    day = dt.date(int(month[:4]), int(month[5:7]), 1) - dt.timedelta(days=1)
    return f"{day.year:04d}-{day.month:02d}"


# -------------------------------------------------------------------- the attack
@dataclass
class _Programme:
    index: dict[Key, int] = field(default_factory=dict)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)


class Attack:
    """The linear programme of everything ``reports`` publish (see the module doc).

    Args:
      reports: Published ``report.json`` contents, in publication order.
      vintages: The state of the books each report was made from (default: all 0).
      categories: Aid categories known to exist (the fund's vocabulary) on top of
        those the reports name; an "Other aid" row without a ``merged`` list holds
        every category of the vocabulary its report does not name.
      nonnegative: Flows and counts are >= 0.
      absent_zero: What a report does not list was zero in its period.
      fund_identity: Transactions balance (see the module doc).
      fee_rates: Channel -> public fee rate (fee = rate * gross).
      fee_tolerance: Allowed relative deviation of fees from rate * gross.
      fee_slack: Allowed absolute deviation, per channel and month.
      late_nonnegative: Late entries only add.
      openings_once: Opening-balance entries are made once, when the books begin:
        a fund's ``eq`` is zero in every month after the first in view (a reader
        then ties a January opening to the December closing before it).
      relinked: Between vintages the books changed by ``aid-link`` declarations
        only: no flow changed, and households of a cell (or union of cells) at a
        later vintage are at most those of the vintage before.
    """

    def __init__(
        self,
        reports: Sequence[Json],
        *,
        vintages: Sequence[int] | None = None,
        categories: Iterable[str] = (),
        nonnegative: bool = True,
        absent_zero: bool = True,
        fund_identity: bool = True,
        fee_rates: Mapping[str, float] | None = None,
        fee_tolerance: float = 0.0,
        fee_slack: float = 0.0,
        late_nonnegative: bool = True,
        openings_once: bool = False,
        relinked: bool = False,
    ) -> None:
        self.reports = list(reports)
        self.vintages = list(vintages) if vintages is not None else [0] * len(self.reports)
        if len(self.vintages) != len(self.reports):
            raise ValueError("one vintage per report")
        self.nonnegative = nonnegative
        self.relinked = relinked
        # links take households away, never add them: the "late entries add" ties
        # would be wrong, and the late changes of flows are zero
        self.late_nonnegative = late_nonnegative and not relinked
        self._lp = _Programme()
        self._unions: dict[tuple[int, frozenset[Atom]], Key] = {}
        self._ready = False
        self._roots: list[int] | None = None
        self._unique: list[tuple[dict[int, float], float, float]] = []
        self._parts: dict[frozenset[int], _Matrices] = {}

        every = [report_months(r) for r in self.reports]
        first = min(m[0] for m in every)
        last = max(m[-1] for m in every)
        self.months: tuple[str, ...] = months_between(first, last)
        self.categories: tuple[str, ...] = self._vocabulary(
            "categories", extra=categories, merged=True
        )
        self.channels: tuple[str, ...] = self._vocabulary("channels")
        self.operations: tuple[str, ...] = self._vocabulary("operations")
        self.funds: tuple[str, ...] = self._vocabulary("funds")
        self.money_kinds: tuple[str, ...] = tuple(
            sorted(
                {str(r["kind"]) for rep in self.reports for r in rep.get("on_hand") or []}
            )
        )
        self.vintage_list = sorted(set(self.vintages) | {0})

        for report, vintage in zip(self.reports, self.vintages, strict=True):
            self._read(report, vintage, absent_zero)
        if fund_identity and self.funds:
            for vintage in sorted(set(self.vintages)):
                for month in self.months:
                    self._fund_identity(month, vintage)
        for channel, rate in (fee_rates or {}).items():
            if channel not in self.channels:
                continue
            for vintage in sorted(set(self.vintages)):
                for month in self.months:
                    fee = self.flow("fee", (month, channel), vintage)
                    gross = self.flow("gross", (month, channel), vintage)
                    upper = _sum(fee, _scale(gross, -(rate + fee_tolerance)))
                    lower = _sum(fee, _scale(gross, -(rate - fee_tolerance)))
                    self._constrain(upper, -INF, fee_slack)
                    self._constrain(lower, -fee_slack, INF)
        if openings_once:
            for vintage in sorted(set(self.vintages)):
                for month in self.months[1:]:
                    for fund in self.funds:
                        self._zero(self.flow("eq", (month, fund), vintage))
        for key in list(self._unions):
            self._relate_union(key)
        self._ready = True

    # ------------------------------------------------------------ vocabulary
    def _vocabulary(
        self, table: str, extra: Iterable[str] = (), merged: bool = False
    ) -> tuple[str, ...]:
        names: list[str] = []
        for report in self.reports:
            for row in report.get(table) or []:
                candidates = [str(row["name"])]
                if merged:
                    candidates += [str(n) for n in row.get("merged") or []]
                for name in candidates:
                    if name != OTHER_AID and name not in names:
                        names.append(name)
        for name in extra:
            if name not in names:
                names.append(name)
        return tuple(names)

    # ------------------------------------------------------------- variables
    def _var(self, key: Key) -> int:
        lp = self._lp
        if key not in lp.index:
            lp.index[key] = len(lp.low)
            family = key[0]
            if family == "late":
                low = 0.0 if self.late_nonnegative else -INF
            elif family in NONNEGATIVE or family == "union":
                low = 0.0 if self.nonnegative else -INF
            else:
                low = -INF
            lp.low.append(0.0 if family == "late" and self.relinked else low)
            lp.high.append(0.0 if family == "late" and self.relinked else INF)
            self._roots = None
        return lp.index[key]

    def flow(self, family: str, key: tuple[str, ...], vintage: int = 0) -> Expr:
        """The unknown ``family[key]`` at ``vintage``: vintage 0 plus late changes."""
        expr: Expr = {(family, *key): 1.0}
        for later in self.vintage_list:
            if 0 < later <= vintage:
                expr[("late", str(later), family, *key)] = 1.0
        return expr

    def _flows(self, families: Iterable[str], keys: Iterable[Key], vintage: int) -> Expr:
        out: Expr = {}
        keys = list(keys)
        for family in families:
            for key in keys:
                _add(out, self.flow(family, key, vintage))
        return out

    def granted(
        self, months: Iterable[str], vintage: int = 0, names: Iterable[str] = ()
    ) -> Expr:
        """Cash + non-cash granted over ``months`` (and ``names``, default all)."""
        cats = tuple(names) or self.categories
        return self._flows(
            ("cash", "noncash"), [(m, c) for m in months for c in cats], vintage
        )

    def corrections(self, cells: Iterable[tuple[str, str]], vintage: int = 0) -> Expr:
        """The corrections booked in ``cells`` (month, category): each a part of the
        cell's aid (its bound written once per cell)."""
        out: Expr = {}
        for month, name in cells:
            corr = self.flow("corr", (month, name), vintage)
            first = ("corr", month, name)
            if first not in self._lp.index:
                self._var(first)
                aid = self._flows(("cash", "noncash"), [(month, name)], vintage)
                self._constrain(_sum(corr, _scale(aid, -1)), -INF, 0.0)
            _add(out, corr)
        return out

    def _household_atom(self, atom: Atom, vintage: int) -> Key:
        """The households of one cell at ``vintage`` (its constraints written once)."""
        kind, month, name = atom
        family = "h" if kind == "aid" else "hb"
        key: Key = (family, str(vintage), month, name)
        if key in self._lp.index:
            return key
        self._var(key)
        count = (
            self.flow("grants", (month, name), vintage)
            if kind == "aid"
            else self.flow("bonds", (month,), vintage)
        )
        # households <= grants (every household of a cell has a grant in it)
        self._constrain(_sum({key: 1.0}, _scale(count, -1)), -INF, 0.0)
        earlier = [v for v in self.vintage_list if v < vintage]
        if earlier and self.relinked:
            before = self._household_atom(atom, earlier[-1])
            self._constrain({key: 1.0, before: -1.0}, -INF, 0.0)
        if earlier and self.late_nonnegative:
            # late entries add households, at most one per late grant
            before = self._household_atom(atom, earlier[-1])
            late = {
                k: c for k, c in count.items() if k[0] == "late" and k[1] == str(vintage)
            }
            change = {key: 1.0, before: -1.0}
            self._constrain(change, 0.0, INF)
            self._constrain(_sum(change, _scale(late, -1)), -INF, 0.0)
        return key

    def households(self, atoms: Iterable[Atom], vintage: int = 0) -> Expr:
        """The distinct households of a union of (kind, month, category) cells."""
        group = frozenset(atoms)
        if len(group) == 1:
            (atom,) = group
            return {self._household_atom(atom, vintage): 1.0}
        key = (vintage, group)
        if key not in self._unions:
            name: Key = ("union", str(vintage), *sorted("|".join(a) for a in group))
            self._var(name)
            self._unions[key] = name
            for atom in group:
                self._household_atom(atom, vintage)
            if self._ready:
                self._relate_union(key)
        return {self._unions[key]: 1.0}

    def _relate_union(self, key: tuple[int, frozenset[Atom]]) -> None:
        vintage, group = key
        me = self._unions[key]
        parts: Expr = {}
        counts: Expr = {}
        for atom in group:
            atom_key = self._household_atom(atom, vintage)
            self._constrain({me: 1.0, atom_key: -1.0}, 0.0, INF)  # >= each part
            parts[atom_key] = 1.0
            kind, month, name = atom
            _add(counts, self.flow("grants", (month, name), vintage) if kind == "aid"
                 else self.flow("bonds", (month,), vintage))  # fmt: skip
        self._constrain(_sum({me: 1.0}, _scale(parts, -1)), -INF, 0.0)  # <= sum of parts
        self._constrain(_sum({me: 1.0}, _scale(counts, -1)), -INF, 0.0)  # <= grants
        # ordered by inclusion; at most the sum over a partition into known unions
        inside: list[frozenset[Atom]] = []
        for (other_vintage, other), other_key in self._unions.items():
            if other_vintage != vintage or other == group:
                continue
            if other < group:
                self._constrain({me: 1.0, other_key: -1.0}, 0.0, INF)
                inside.append(other)
            elif group < other:
                self._constrain({other_key: 1.0, me: -1.0}, 0.0, INF)
        left = set(group)
        cover: Expr = {}
        for other in sorted(inside, key=len, reverse=True):
            if other <= left:
                cover[self._unions[(vintage, other)]] = 1.0
                left -= other
        if cover:
            for atom in left:
                cover[self._household_atom(atom, vintage)] = 1.0
            self._constrain(_sum({me: 1.0}, _scale(cover, -1)), -INF, 0.0)
        earlier = [
            v for v in self.vintage_list if v < vintage and (v, group) in self._unions
        ]
        if earlier and self.late_nonnegative:
            before = self._unions[(earlier[-1], group)]
            self._constrain({me: 1.0, before: -1.0}, 0.0, INF)
        elif earlier and self.relinked:
            before = self._unions[(earlier[-1], group)]
            self._constrain({me: 1.0, before: -1.0}, -INF, 0.0)

    # ------------------------------------------------------------ constraints
    def _constrain(self, expr: Mapping[Key, float], low: float, high: float) -> None:
        row: dict[int, float] = {}
        constant = 0.0
        for key, coefficient in expr.items():
            if key == ():
                constant += coefficient
                continue
            index = self._var(key)
            row[index] = row.get(index, 0.0) + coefficient
        row = {i: c for i, c in row.items() if c != 0.0}
        if not row:
            if not low - 1e-9 <= constant <= high + 1e-9:
                raise Infeasible(f"a constant {constant} outside [{low}, {high}]")
            return
        self._lp.rows.append((row, low - constant, high - constant))
        self._roots = None

    def _publish(self, expr: Mapping[Key, float], value: Any, slack: float) -> None:
        number = _num(value)
        if number is not None:
            self._constrain(expr, number - slack, number + slack)

    def _zero(self, expr: Mapping[Key, float]) -> None:
        self._constrain(expr, 0.0, 0.0)

    # ------------------------------------------------------------ one report
    def _read(self, report: Json, vintage: int, absent_zero: bool) -> None:
        months = report_months(report)
        unit = _unit(report)
        half, row, twice = unit / 2, unit, 2 * unit
        last = months[-1]
        v = vintage

        # aid categories
        listed: set[str] = set()
        for item in report.get("categories") or []:
            name = str(item["name"])
            if name == OTHER_AID:
                continue
            listed.add(name)
        for item in report.get("categories") or []:
            name = str(item["name"])
            if name == OTHER_AID:
                cats = tuple(item.get("merged") or ()) or tuple(
                    c for c in self.categories if c not in listed
                )
            else:
                cats = (name,)
            listed.update(cats)
            cells = [(m, c) for m in months for c in cats]
            self._publish(
                self._flows(("cash", "noncash"), cells, v), item.get("amount"), twice
            )
            self._publish(self._flows(("cash",), cells, v), item.get("cash"), row)
            self._publish(self._flows(("noncash",), cells, v), item.get("noncash"), row)
            self._publish(self._flows(("grants",), cells, v), item.get("grants"), 0.0)
            if item.get("households") is not None:
                atoms = [("aid", m, c) for m, c in cells]
                self._publish(self.households(atoms, v), item["households"], 0.0)
        if absent_zero and report.get("categories") is not None:
            for name in self.categories:
                if name not in listed:
                    cells = [(m, name) for m in months]
                    self._zero(self._flows(("cash", "noncash"), cells, v))
                    self._zero(self._flows(("grants",), cells, v))

        # totals
        totals = report.get("totals") or {}
        every = [(m, c) for m in months for c in self.categories]
        chans = [(m, ch) for m in months for ch in self.channels]
        raised = self._flows(("gross",), chans, v)
        fees = self._flows(("fee",), chans, v)
        self._publish(
            self._flows(("cash", "noncash"), every, v), totals.get("granted"), half
        )
        self._publish(self._flows(("cash",), every, v), totals.get("granted_cash"), row)
        self._publish(
            self._flows(("noncash",), every, v), totals.get("granted_noncash"), row
        )
        self._publish(self._flows(("grants",), every, v), totals.get("grants"), 0.0)
        if "corrections" in totals:
            self._publish(self.corrections(every, v), totals.get("corrections"), half)
        self._publish(raised, totals.get("raised"), half)
        self._publish(fees, totals.get("fees"), half)
        self._publish(_sum(raised, _scale(fees, -1)), totals.get("net_raised"), row)
        ops = self._flows(("ops",), [(m, o) for m in months for o in self.operations], v)
        self._publish(ops, totals.get("operations"), half)
        money: Expr = {("money", str(v), last, k): 1.0 for k in self.money_kinds}
        self._publish(money, totals.get("on_hand_end"), half)

        # households helped
        helped = report.get("households") or {}
        if helped.get("count") is not None:
            atoms = [("aid", m, c) for m, c in every] + [("bail", m, "") for m in months]
            self._publish(self.households(atoms, v), helped["count"], 0.0)

        # channels
        named: set[str] = set()
        for item in report.get("channels") or []:
            name = str(item["name"])
            named.add(name)
            keys = [(m, name) for m in months]
            gross = self._flows(("gross",), keys, v)
            fee = self._flows(("fee",), keys, v)
            self._publish(gross, item.get("gross"), row)
            self._publish(fee, item.get("fees"), row)
            self._publish(_sum(gross, _scale(fee, -1)), item.get("net"), twice)
        if absent_zero and report.get("channels") is not None:
            for name in self.channels:
                if name not in named:
                    self._zero(
                        self._flows(("gross", "fee"), [(m, name) for m in months], v)
                    )

        # month by month (a row may be a whole quarter)
        for item in report.get("months") or []:
            inside = [m for m in period_months(str(item["period"])) if m in months]
            self._publish(self.granted(inside, v), item.get("granted"), row)
            keys = [(m, ch) for m in inside for ch in self.channels]
            self._publish(self._flows(("gross",), keys, v), item.get("raised"), row)

        # operating costs
        named = set()
        for item in report.get("operations") or []:
            name = str(item["name"])
            named.add(name)
            self._publish(
                self._flows(("ops",), [(m, name) for m in months], v),
                item.get("amount"),
                row,
            )
        if absent_zero and report.get("operations") is not None:
            for name in self.operations:
                if name not in named:
                    self._zero(self._flows(("ops",), [(m, name) for m in months], v))

        # money on hand at the end
        for item in report.get("on_hand") or []:
            self._publish(
                {("money", str(v), last, str(item["kind"])): 1.0}, item.get("amount"), row
            )

        # gift cards
        cards = report.get("gift_cards")
        if cards:
            only = [(m,) for m in months]
            self._publish(self._flows(("bought",), only, v), cards.get("bought"), half)
            self._publish(self._flows(("handed",), only, v), cards.get("handed_out"), half)
            self._publish(
                self._balance("gift", "", last, v), cards.get("on_hand_end"), half
            )

        # bail and bonds
        bail = report.get("bail")
        if absent_zero and "bail" in report and bail is None:
            # no bail section: the fund posted and got back no bail in the period
            for month in months:
                self._zero(self._flows(("posted", "returned"), [(month,)], v))
        if bail:
            only = [(m,) for m in months]
            self._publish(self._flows(("posted",), only, v), bail.get("posted"), half)
            self._publish(self._flows(("returned",), only, v), bail.get("returned"), half)
            self._publish(
                self._balance("bail", "", last, v), bail.get("outstanding_end"), half
            )
            self._publish(self._flows(("bonds",), only, v), bail.get("bonds"), 0.0)
            if bail.get("households") is not None:
                atoms = [("bail", m, "") for m in months]
                self._publish(self.households(atoms, v), bail["households"], 0.0)

        # funds: opening + received - spent = closing
        for item in report.get("funds") or []:
            fund = str(item["name"])
            keys = [(m, fund) for m in months]
            opening = _sum(
                self._balance("fund", fund, _previous_month(months[0]), v),
                self._flows(("eq",), keys, v),
            )
            self._publish(opening, item.get("opening"), half)
            self._publish(self._flows(("recv",), keys, v), item.get("received"), half)
            self._publish(self._flows(("spent",), keys, v), item.get("spent"), half)
            self._publish(
                self._balance("fund", fund, last, v), item.get("closing"), 1.5 * unit
            )

    def _balance(self, kind: str, name: str, upto: str, vintage: int) -> Expr:
        """``init`` + the flows of every month in view up to the end of ``upto``."""
        expr: Expr = {("init", kind, name): 1.0}
        months = [(m,) if kind != "fund" else (m, name) for m in self.months if m <= upto]
        if kind == "fund":
            _add(expr, self._flows(("eq", "recv"), months, vintage))
            _add(expr, _scale(self._flows(("spent",), months, vintage), -1))
        elif kind == "bail":
            _add(expr, self._flows(("posted",), months, vintage))
            _add(expr, _scale(self._flows(("returned",), months, vintage), -1))
        else:
            _add(expr, self._flows(("bought",), months, vintage))
            _add(expr, _scale(self._flows(("handed",), months, vintage), -1))
        return expr

    def _fund_identity(self, month: str, vintage: int) -> None:
        keys = [(month, f) for f in self.funds]
        chans = [(month, ch) for ch in self.channels]
        expr = self._flows(("recv",), keys, vintage)
        _add(expr, _scale(self._flows(("spent",), keys, vintage), -1))
        _add(expr, _scale(self._flows(("gross",), chans, vintage), -1))
        _add(expr, self._flows(("fee",), chans, vintage))
        _add(expr, self._flows(("ops",), [(month, o) for o in self.operations], vintage))
        _add(expr, self.granted([month], vintage))
        _add(expr, self._flows(("posted",), [(month,)], vintage))
        _add(expr, _scale(self._flows(("returned",), [(month,)], vintage), -1))
        self._zero(expr)

    # ---------------------------------------------------------------- queries
    def expression(self, query: Query) -> Expr:
        """The linear expression of ``query`` over the unknowns."""
        expr = self._expression_at(query, query.vintage)
        if query.since is not None:
            _add(expr, _scale(self._expression_at(query, query.since), -1))
        return expr

    def _expression_at(self, query: Query, vintage: int) -> Expr:
        months = query.months
        measure = query.measure
        if measure in ("gross", "fees"):
            names = query.names or self.channels
            family = "gross" if measure == "gross" else "fee"
            return self._flows((family,), [(m, n) for m in months for n in names], vintage)
        if measure == "operations":
            names = query.names or self.operations
            return self._flows(("ops",), [(m, n) for m in months for n in names], vintage)
        names = query.names or self.categories
        cells = [(m, n) for m in months for n in names]
        if measure == "corrections":
            return self.corrections(cells, vintage)
        if measure == "households":
            return self.households([("aid", m, n) for m, n in cells], vintage)
        families = {"amount": ("cash", "noncash"), "cash": ("cash",),
                    "noncash": ("noncash",), "grants": ("grants",)}[measure]  # fmt: skip
        return self._flows(families, cells, vintage)

    def interval(self, query: Query) -> Interval:
        """The smallest and largest value of ``query`` the reports allow.

        Raises:
          Infeasible: the reports contradict the model.
        """
        found = self.bound(self.expression(query))
        if query.measure in COUNTS:
            low = math.ceil(found.low - 1e-6) if math.isfinite(found.low) else found.low
            high = (
                math.floor(found.high + 1e-6) if math.isfinite(found.high) else found.high
            )
            return Interval(float(low), float(high))
        return found

    def bound(self, expr: Mapping[Key, float]) -> Interval:
        """[min, max] of a linear expression over the unknowns (see :meth:`flow`).

        Only the independent part of the programme the expression's unknowns are in
        is solved (amounts and counts, for one, share no constraint).

        Raises:
          Infeasible: that part of the programme has no solution.
        """
        constant = expr.get((), 0.0)
        indices: dict[int, float] = {}
        for key, c in expr.items():
            if key != ():
                index = self._var(key)
                indices[index] = indices.get(index, 0.0) + c
        roots = self._split()
        wanted = frozenset(roots[i] for i in indices) if indices else frozenset(roots)
        a_ub, b_ub, a_eq, b_eq, bounds, local = self._build(wanted)
        cost = np.zeros(len(bounds))
        for i, c in indices.items():
            cost[local[i]] += c
        ends: list[float] = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                bounds=bounds, method="highs",
            )  # fmt: skip
            if result.status == 2:
                # HiGHS's presolve may call an unbounded problem infeasible: ask
                # again without it before believing so.
                result = linprog(
                    sign * cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                    bounds=bounds, method="highs", options={"presolve": False},
                )  # fmt: skip
            if result.status == 2:
                raise Infeasible(str(result.message))
            if result.status == 3:
                ends.append(-sign * INF)
                continue
            if result.status != 0:
                raise RuntimeError(f"linprog: {result.message}")
            ends.append(sign * float(result.fun) + constant)
        return Interval(ends[0], ends[1])

    def feasible(self) -> bool:
        """True when the published numbers are consistent with the model."""
        try:
            self.bound({})
        except Infeasible:
            return False
        return True

    def _split(self) -> list[int]:
        """The independent parts of the programme: a root variable per variable."""
        if self._roots is not None:
            return self._roots
        lp = self._lp
        parent = list(range(len(lp.low)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        seen: set[tuple[tuple[tuple[int, float], ...], float, float]] = set()
        unique: list[tuple[dict[int, float], float, float]] = []
        for row, low, high in lp.rows:
            key = (tuple(sorted(row.items())), low, high)
            if key in seen:
                continue
            seen.add(key)
            unique.append((row, low, high))
            first = find(next(iter(row)))
            for i in row:
                parent[find(i)] = first
        self._unique = unique
        self._roots = [find(i) for i in range(len(parent))]
        self._parts = {}
        return self._roots

    def _build(self, roots: frozenset[int]) -> _Matrices:
        if roots in self._parts:
            return self._parts[roots]
        lp = self._lp
        root_of = self._split()
        variables = [i for i, r in enumerate(root_of) if r in roots]
        local = {v: j for j, v in enumerate(variables)}
        n = len(variables)
        ub: tuple[list[float], list[int], list[int], list[float]] = ([], [], [], [])
        eq: tuple[list[float], list[int], list[int], list[float]] = ([], [], [], [])

        def put(
            into: tuple[list[float], list[int], list[int], list[float]],
            row: dict[int, float],
            sign: float,
            bound: float,
        ) -> None:
            data, rows, cols, rhs = into
            for i, c in row.items():
                data.append(sign * c)
                rows.append(len(rhs))
                cols.append(local[i])
            rhs.append(sign * bound)

        for row, low, high in self._unique:
            if root_of[next(iter(row))] not in roots:
                continue
            if low == high:
                put(eq, row, 1.0, high)
                continue
            if high < INF:
                put(ub, row, 1.0, high)
            if low > -INF:
                put(ub, row, -1.0, low)

        def matrix(part: tuple[list[float], list[int], list[int], list[float]]) -> Any:
            data, rows, cols, rhs = part
            if not rhs:
                return None, None
            return csr_matrix((data, (rows, cols)), shape=(len(rhs), n)), np.array(rhs)

        a_ub, b_ub = matrix(ub)
        a_eq, b_eq = matrix(eq)
        bounds = [
            (
                None if lp.low[v] == -INF else lp.low[v],
                None if lp.high[v] == INF else lp.high[v],
            )
            for v in variables
        ]
        built: _Matrices = (a_ub, b_ub, a_eq, b_eq, bounds, local)
        self._parts[roots] = built
        return built


# ------------------------------------------------------------------ judging
def protection(
    value: float, measure: str, ratio: float, floor: float, count_floor: float
) -> float:
    """How far on each side of ``value`` the attacker's interval must reach."""
    return max(ratio * abs(value), count_floor if measure in COUNTS else floor)


def exposed(
    attack: Attack,
    truths: Iterable[Truth],
    *,
    ratio: float = 0.25,
    floor: float = 5.0,
    count_floor: float = 1.0,
) -> list[Exposure]:
    """Every sensitive truth whose interval is narrower than the protection level.

    Protected means a sliding range: the interval is at least ``2p`` wide
    (``p = max(ratio * v, floor)``, ``count_floor`` for counts; for a number
    below ``p``, which cannot be negative, from 0 to at least ``v + p``), and
    reaches at least the floor beyond ``v`` on each side (down to 0). An exactly
    recovered number (min == max) is always exposed.
    """
    out: list[Exposure] = []
    for truth in truths:
        if not truth.sensitive:
            continue
        found = attack.interval(truth.query)
        v = truth.value
        p = protection(v, truth.query.measure, ratio, floor, count_floor)
        side = count_floor if truth.query.measure in COUNTS else floor
        slack = 1e-6 * max(1.0, abs(v))
        width = 2 * p if v >= p else v + p
        wide = (
            found.high >= v + side - slack
            and found.low <= max(0.0, v - side) + slack
            and found.width >= width - slack
        )
        exact = found.exact()
        if exact or not wide:
            out.append(Exposure(truth, found, p, exact))
    return out


# ------------------------------------------------------------- expressions
def _add(into: Expr, other: Mapping[Key, float]) -> None:
    for key, c in other.items():
        into[key] = into.get(key, 0.0) + c


def _sum(a: Mapping[Key, float], b: Mapping[Key, float]) -> Expr:
    out = dict(a)
    _add(out, b)
    return out


def _scale(a: Mapping[Key, float], factor: float) -> Expr:
    return {k: c * factor for k, c in a.items()}
