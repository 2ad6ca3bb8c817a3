"""Disclosure control: which numbers a report may publish, and how rounded.

Independent of any rendering: it turns :class:`~aidbooks.reports.aggregate.Aggregates`
into a :class:`~aidbooks.reports.model.PublicReport`, and nothing else of the
books reaches a page. The rules (docs/design.md#privacy-rules, rule 4):

1. **Minimum cell size.** Every published number about grants covers at least
   ``privacy.min_cell`` distinct households (default 11, the CMS small-cell rule).
2. **The p% rule.** An amount is sensitive too when the households other than
   the two largest hold less than ``privacy.p_percent`` percent (default 15) of
   the largest one's part: ``total - largest - second < p/100 * largest``. The
   second largest household, subtracting its own grant, would otherwise learn the
   largest one's within p%. (``privacy.dominance``, the share one household might
   hold, is no longer used.)
3. **Merge before suppressing.** The categories table lists the fund's whole
   vocabulary of aid categories (every ``Expenses:Aid:*`` account open during the
   period, with grants or not: a row with no household is not sensitive), so a
   name appearing says nothing. Sensitive aid categories are merged into one
   "Other aid" row, which names none of them (``merged`` is empty; the row holds
   the names of the vocabulary not listed on their own), adding the next
   smallest categories until that row is safe;
   a sensitive month is merged with the rest of its quarter. What is still
   sensitive after merging is suppressed (``null`` in JSON).
4. **Complementary suppression.** A hidden number must not be recoverable from
   the published ones: not by subtraction from a total, and not by any other
   combination. Every published number is a signed sum of the same atoms
   (:mod:`aidbooks.reports.cells`), and readers also know that every transaction
   balances; a hidden number is recoverable exactly when its row of coefficients
   is in the span of the published rows and those relations. The control checks
   that with exact rational arithmetic (:mod:`aidbooks.reports.linalg`); while some
   hidden number is recoverable, it hides one more number from the combination
   that recovers it — preferring the same table, then grant cells with the fewest
   households, then small amounts; totals last. Reports already published (the
   quarters inside a year, last month's report whose closing balances are this
   month's opening) are part of what readers know: their published numbers join
   the system, and their hidden numbers must stay hidden too. Protected as well,
   though no table shows them: each aid category on its own when it is merged
   into "Other aid", the grant part of a published mix (the bail returned inside
   a fund's receipts), and the quarter and year this period belongs to, up to its
   end — the reports that will publish those must not find them given away.
5. **Rounding.** Amounts are rounded to ``privacy.rounding`` (1: whole dollars;
   0: cents) so that every table still adds up to its total
   (:mod:`aidbooks.reports.rounding`). The median grant is published only when
   it is taken over at least twice ``privacy.min_cell`` grants, and rounded to
   ``privacy.median_step`` (default 10; ``privacy.rounding`` when that is
   coarser), so that it cannot tell one household's grant; otherwise it is left
   out (``null``).
6. **Nothing finer than a month.** The output holds no codes, payees, notes or
   days; counts of households, grants and bonds follow the rules above.

Assumptions of the arithmetic (documented for auditors): an atom with no postings
is assumed known to be zero (cautious); balances at the start of the window (the
first report taken into account) are assumed known (cautious); rounding is
ignored when judging recoverability (cautious). Balances enter as one variable
per kind and month-end, tied to the month's flows by known relations, so the
system stays sparse however long the history.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from functools import partial

from aidbooks.plugins.policy import Policy
from aidbooks.reports import sections
from aidbooks.reports.aggregate import ZERO
from aidbooks.reports.aggregate import Aggregates
from aidbooks.reports.aggregate import AtomKey
from aidbooks.reports.audit import Audit
from aidbooks.reports.audit import Known
from aidbooks.reports.audit import Target
from aidbooks.reports.audit import gaps
from aidbooks.reports.cells import OTHER_AID
from aidbooks.reports.cells import Cell
from aidbooks.reports.cells import CellMaker
from aidbooks.reports.cells import Layout
from aidbooks.reports.cells import cells_for
from aidbooks.reports.cells import share_of
from aidbooks.reports.cells import two_largest
from aidbooks.reports.linalg import Span
from aidbooks.reports.model import Bail
from aidbooks.reports.model import CategoryRow
from aidbooks.reports.model import ChannelRow
from aidbooks.reports.model import FundRow
from aidbooks.reports.model import GiftCards
from aidbooks.reports.model import Households
from aidbooks.reports.model import MonthRow
from aidbooks.reports.model import OnHandRow
from aidbooks.reports.model import OperationsRow
from aidbooks.reports.model import PeriodInfo
from aidbooks.reports.model import Privacy
from aidbooks.reports.model import PublicReport
from aidbooks.reports.model import Totals
from aidbooks.reports.period import Period
from aidbooks.reports.period import ToDate
from aidbooks.reports.period import parse_period
from aidbooks.reports.period import unpublished
from aidbooks.reports.rounding import largest_remainder
from aidbooks.reports.rounding import nearest
from aidbooks.reports.rounding import unit_of


@dataclass(frozen=True)
class Disclosure:
    """The outcome of the disclosure control, with its reasons (memory only).

    Attributes:
      report: What is published.
      layout: How the tables were cut (merged categories and months).
      cells: Every cell of the report, with exact values.
      primary: Cells hidden because they are sensitive themselves.
      hidden: Every hidden cell (primary and complementary).
      rounded: Cell id → rounded value (hidden cells included, for tests).
      earlier: (period, cells, hidden ids) of earlier reports taken into account.
      guarded: Grant parts of published mixes that must stay unrecoverable.
      unprotectable: Hidden cells that earlier reports already give away.
      narrow: Protected amounts the interval audit could not widen to the protection
        level (earlier releases and the relations bound them); see
        :mod:`aidbooks.reports.audit`.
    """

    report: PublicReport
    layout: Layout
    cells: tuple[Cell, ...]
    primary: frozenset[str]
    hidden: frozenset[str]
    rounded: Mapping[str, Decimal]
    earlier: tuple[tuple[Period, tuple[Cell, ...], frozenset[str]], ...] = ()
    guarded: tuple[Cell, ...] = ()
    unprotectable: frozenset[str] = frozenset()
    narrow: frozenset[str] = frozenset()


# ------------------------------------------------------------------- sensitivity
def is_sensitive(cell: Cell, policy: Policy) -> bool:
    """True when a cell may not be published as it is (rules 1, 2 and 5).

    Rule 2 on the shares of the cell's magnitude, exactly (fractions):
    ``1 - top - second < p/100 * top``. A median is sensitive when it is taken
    over fewer than twice ``min_cell`` grants.
    """
    if not cell.flow or not cell.households:
        return False
    if len(cell.households) < policy.privacy.min_cell:
        return True
    if cell.measure == "median":
        return cell.grants < 2 * policy.privacy.min_cell
    if cell.measure != "amount":
        return False
    p = Fraction(policy.privacy.p_percent) / 100
    return 1 - cell.top_share - cell.second_share < p * cell.top_share


def grant_part(cell: Cell, aggregates: Aggregates) -> Cell:
    """The part of a cell made of grants (atoms that carry households)."""
    atoms = aggregates.atoms
    coefficients = {k: v for k, v in cell.coefficients.items() if atoms[k].households}
    if len(coefficients) == len(cell.coefficients):
        return cell
    value = ZERO
    magnitude = ZERO
    shares: dict[str, Decimal] = {}
    for key, coef in coefficients.items():
        atom = atoms[key]
        value += coef * (atom.count if cell.measure == "count" else atom.amount)
        magnitude += abs(atom.amount)
        for code, amount in (atom.households or {}).items():
            shares[code] = shares.get(code, ZERO) + amount
    top, second = two_largest(shares.values())
    return Cell(
        cell.id + "#grants",
        cell.measure,
        True,
        value,
        coefficients,
        frozenset(shares),
        share_of(top, magnitude),
        second_share=share_of(second, magnitude),
    )


def choose_layout(maker: CellMaker, period: Period | ToDate, policy: Policy) -> Layout:
    """Merge sensitive categories into "Other aid" and sensitive months into quarters."""
    names = maker.categories(period)
    amounts = {n: maker.category_cells(period, n, (n,))[0] for n in names}
    other = [n for n in names if is_sensitive(amounts[n], policy)]
    # a category without households cannot make "Other aid" safer: it keeps its row
    rest = sorted(
        (n for n in names if n not in other and amounts[n].households),
        key=lambda n: (len(amounts[n].households), amounts[n].value, n),
    )
    if other:
        while rest and is_sensitive(maker.category_cells(period, "x", other)[0], policy):
            other.append(rest.pop(0))
    shown = tuple(n for n in names if n not in other)
    quarters: list[str] = []
    if period.kind != "month":
        aid = maker.groups_with("aid:")
        for quarter in period.quarters:
            for month in quarter.months:
                cell = maker.flow("m", aid, (month,), lambda k: 1)
                if is_sensitive(cell, policy):
                    quarters.append(quarter.label)
                    break
    ordered_other = tuple(n for n in names if n in other)
    return Layout(period, shown, ordered_other, tuple(quarters))


def layout_of(report: PublicReport, maker: CellMaker) -> Layout:
    """The layout an already published report was cut with.

    Its "Other aid" row holds the categories of the vocabulary of its period
    (``maker``) that it does not list on their own (reports made before the
    vocabulary was listed name them in ``merged``).
    """
    period = parse_period(report.period.label)
    shown = tuple(r.name for r in report.categories if r.name != OTHER_AID)
    other: tuple[str, ...] = ()
    for row in report.categories:
        if row.name == OTHER_AID:
            other = tuple(row.merged) or tuple(
                n for n in maker.categories(period) if n not in shown
            )
    quarters = tuple(r.period for r in report.months if "Q" in r.period)
    return Layout(period, shown, other, quarters)


# ------------------------------------------------------- complementary suppression
def _cost(candidate: Cell, *, target: Cell) -> tuple[int, int, Decimal, str]:
    if candidate.table == "totals":
        tier = 5
    elif candidate.table == target.table:
        tier = 0
    elif candidate.households:
        tier = 1
    elif not candidate.flow:
        tier = 2
    else:
        tier = 3
    return (tier, len(candidate.households), abs(candidate.value), candidate.id)


def _identities(aggregates: Aggregates) -> list[dict[AtomKey, int]]:
    """Every transaction balances, so the atoms of one month and class sum to zero."""
    groups: dict[tuple[str, str], dict[AtomKey, int]] = {}
    for key in aggregates.atoms:
        groups.setdefault((key[1], key[4]), {})[key] = 1
    return [groups[k] for k in sorted(groups)]


def _columns(rows: Sequence[Mapping[AtomKey, int]]) -> dict[AtomKey, int]:
    """Number the atoms, merging atoms that every row sees the same way."""
    signature: dict[AtomKey, list[tuple[int, int]]] = {}
    for index, row in enumerate(rows):
        for key, coef in row.items():
            signature.setdefault(key, []).append((index, coef))
    numbers: dict[tuple[tuple[int, int], ...], int] = {}
    columns: dict[AtomKey, int] = {}
    for key in sorted(signature):
        sig = tuple(signature[key])
        columns[key] = numbers.setdefault(sig, len(numbers))
    return columns


def _row(
    cell_coefficients: Mapping[AtomKey, int], columns: Mapping[AtomKey, int]
) -> dict[int, int]:
    row: dict[int, int] = {}
    for key, coef in cell_coefficients.items():
        column = columns[key]
        row[column] = row.get(column, 0) + coef
    return {c: v for c, v in row.items() if v}


def complement(
    cells: Sequence[Cell],
    hidden: set[str],
    guarded: Sequence[Cell],
    earlier: Sequence[tuple[Sequence[Cell], frozenset[str]]],
    identities: Sequence[Mapping[AtomKey, int]],
    secret: Callable[[Cell], bool] | None = None,
) -> set[str]:
    """Hide more cells until no protected number is recoverable (rule 4).

    Protected are: the cells in ``hidden`` when called (the sensitive ones), the
    ``guarded`` parts of published mixes (the bail returned inside a fund's
    receipts), and the numbers earlier reports hid that ``secret`` says are
    sensitive (default: every one; a number an earlier report hid only to
    protect another protects it in this report's arithmetic as well, but is no
    secret of its own). Afterwards, a cell hidden
    only to protect another that the published numbers determine anyway is
    published again: it adds nothing a reader could not already work out.

    Returns:
      The ids of protected numbers that cannot be protected because earlier
      reports and the relations alone already give them away.
    """
    unprotectable: set[str] = set()
    sensitive = set(hidden)
    for measure in ("amount", "count"):
        current = [c for c in cells if c.measure == measure and c.coefficients]
        relations = list(identities) if measure == "amount" else []
        known = [
            c for group, gone in earlier for c in group
            if c.measure == measure and c.id not in gone and c.coefficients
        ]  # fmt: skip
        protect = [
            *(c for c in current if c.id in sensitive),
            *(c for c in guarded if c.measure == measure and c.coefficients),
            *(
                c for group, gone in earlier for c in group
                if c.measure == measure and c.id in gone and c.coefficients
                and (secret is None or secret(c))
            ),
        ]  # fmt: skip
        columns = _columns(
            [*relations, *(c.coefficients for c in current), *(c.coefficients for c in known),
             *(c.coefficients for c in protect)]
        )  # fmt: skip
        base = Span()
        for relation in relations:
            base.add(_row(relation, columns), None)
        for cell in known:
            base.add(_row(cell.coefficients, columns), None)
        by_id = {c.id: c for c in current}
        spans = _PublishedSpans(base, current, columns)

        # Hiding only takes numbers away from the reader, so a protected number
        # the published ones do not give stays so: each is looked at until it is
        # safe, in order, and never again after.
        span = spans.span(hidden)
        for cell in protect:
            if cell.id in unprotectable:
                continue
            target = _row(cell.coefficients, columns)
            while (combination := span.express(target)) is not None:
                candidates = [by_id[str(t)] for t in combination if t is not None]
                if not candidates:
                    unprotectable.add(cell.id)
                    break
                hidden.add(min(candidates, key=partial(_cost, target=cell)).id)
                span = spans.span(hidden)
        span = spans.span(hidden)
        for cell in current:
            if cell.id in hidden and cell.id not in sensitive:
                if span.contains(_row(cell.coefficients, columns)):
                    hidden.discard(cell.id)
    return unprotectable


class _PublishedSpans:
    """The span of the published numbers, for one set of hidden ones after another.

    What a reader can combine: the ``base`` (relations, earlier releases) and every
    one of ``cells`` not hidden, added in the order of ``cells``. Hiding only grows
    while the control runs, so a copy of the span is kept every :attr:`STEP` cells
    and a new hidden set is built from the last copy before the first cell whose
    state changed: the same span, row for row, as building it from ``base`` each
    time, for a fraction of the work.
    """

    STEP = 16

    def __init__(
        self, base: Span, cells: Sequence[Cell], columns: Mapping[AtomKey, int]
    ) -> None:
        self._cells = list(cells)
        self._rows = [_row(c.coefficients, columns) for c in self._cells]
        # checkpoint k: the span after cells[: k × STEP]; patterns[k]: which of those
        # cells were left out then
        self._checkpoints: list[Span] = [base.copy()]
        self._patterns: list[tuple[bool, ...]] = []
        self._last: tuple[tuple[bool, ...], Span] | None = None

    def span(self, hidden: set[str] | frozenset[str]) -> Span:
        """The span with every cell in ``hidden`` left out (do not add to it)."""
        step = self.STEP
        cells = self._cells
        pattern = tuple(c.id in hidden for c in cells)
        if self._last is not None and self._last[0] == pattern:
            return self._last[1]
        blocks = [pattern[i : i + step] for i in range(0, len(cells), step)]
        valid = 0
        while (
            valid < len(self._patterns)
            and valid < len(blocks)
            and self._patterns[valid] == blocks[valid]
            and valid + 1 < len(self._checkpoints)
        ):
            valid += 1
        del self._checkpoints[valid + 1 :]
        del self._patterns[valid:]
        span = self._checkpoints[valid].copy()
        for block in range(valid, len(blocks)):
            start = block * step
            for index in range(start, min(start + step, len(cells))):
                if not pattern[index]:
                    span.add(self._rows[index], cells[index].id)
            self._patterns.append(blocks[block])
            self._checkpoints.append(span.copy())
        self._last = (pattern, span)
        return span


# --------------------------------------------------------------------- rounding
def round_cells(
    cells: Sequence[Cell], rounding: Decimal, median_step: Decimal = ZERO
) -> dict[str, Decimal]:
    """Rounded values of every amount cell, each table adding up to its total.

    How each number is rounded is declared in :mod:`aidbooks.reports.sections`:
    the numbers rounded alone first, then every group spread to its total (a
    table's rows, or a one-row section's columns spread together), a total before
    what is spread to it, then the sums. A median is rounded to ``median_step``,
    or to the unit of ``rounding`` when that is coarser.
    """
    unit = unit_of(rounding)
    out: dict[str, Decimal] = {}
    groups: dict[tuple[str, str], list[Cell]] = {}
    sums: list[tuple[Cell, str, sections.Column]] = []
    for cell in cells:
        section, row, column = sections.place(cell.id)
        if cell.measure == "median":
            out[cell.id] = nearest(cell.value, max(unit, median_step))
        elif column.rounding == "spread":
            group = column.of if section.single_row else column.name
            groups.setdefault((section.name, group), []).append(cell)
        elif column.rounding == "sum":
            sums.append(
                (cell, f"{section.name}/{row}/" if row else f"{section.name}/", column)
            )
        elif cell.measure == "amount":
            out[cell.id] = nearest(cell.value, unit)
    pending = list(groups.values())
    while pending:
        ready = [g for g in pending if sections.column_of(g[0].id).of in out
                 or not any(sections.column_of(g[0].id).of in (c.id for c in h)
                            for h in pending)]  # fmt: skip
        if not ready:
            raise ValueError("spread groups refer to each other in a circle")
        for members in ready:
            total = out.get(sections.column_of(members[0].id).of, ZERO)
            values = largest_remainder([c.value for c in members], total, unit)
            out.update(zip((c.id for c in members), values, strict=True))
            pending.remove(members)
    for cell, prefix, column in sums:
        out[cell.id] = sum((sign * out[prefix + part] for sign, part in column.parts), ZERO)
    return out


# ------------------------------------------------------------------- the report
def _hidden_followers(cells: Sequence[Cell], hidden: set[str], policy: Policy) -> None:
    for cell in cells:
        if cell.follows and cell.follows in hidden:
            hidden.add(cell.id)
        if cell.measure in ("distinct", "median") and is_sensitive(cell, policy):
            hidden.add(cell.id)
    # a median follows the household count it is about
    for cell in cells:
        if cell.follows and cell.follows in hidden:
            hidden.add(cell.id)


def _natural_guards(
    maker: CellMaker,
    aggregates: Aggregates,
    policy: Policy,
    shown: set[str],
    recorded: frozenset[str] = frozenset(),
) -> list[Cell]:
    """Sensitive sums that no report shows but that must not be worked out either.

    * each aid category on its own, even when the report merges it into "Other
      aid" (Other aid minus a known part would give it away);
    * the quarter and the year this period belongs to, up to the window's end:
      a later report will publish them, so their sensitive parts must not
      already follow from this report and the ones before it (their rows as
      that report would cut them, and each category on its own);
    * every other year, quarter and month of the window that no release shows
      yet (``recorded`` labels are shown: their hidden numbers are protected as
      such), the same way: a year's categories less the quarters and months
      already out must not narrow the month that is not, whichever is published
      first.
    """
    guards: list[Cell] = []
    period = aggregates.period
    windows: list[tuple[str, Period | ToDate]] = [("", period)]
    windows += [
        (f"{w.label}|", w)
        for w in unpublished(aggregates.months, recorded | {period.label})
    ]
    for prefix, window in windows:
        candidates: list[Cell] = []
        if prefix:
            candidates += cells_for(maker, choose_layout(maker, window, policy))
        for name in maker.categories(window):
            candidates += maker.category_cells(window, f"{name}", (name,))
        seen: set[str] = set()
        for cell in candidates:
            if not cell.linear or not cell.flow or not cell.households:
                continue
            if not prefix and cell.id in shown:
                continue  # a cell of this report: protected as such
            part = grant_part(cell, aggregates)
            name = f"{prefix}{part.id}" if prefix else f"~{part.id}"
            if name in seen or not is_sensitive(part, policy):
                continue
            seen.add(name)
            guards.append(_renamed(part, name))
    return guards


def plan(
    aggregates: Aggregates,
    policy: Policy,
    earlier: Sequence[PublicReport] = (),
    later_years: bool = False,
) -> Disclosure:
    """Run the disclosure control and keep its reasons (for tests and previews).

    Args:
      aggregates: From :func:`~aidbooks.reports.aggregate.aggregate`, with a window
        covering the periods of ``earlier``.
      policy: The fund's policy (``privacy.min_cell``, ``p_percent``, ``rounding``,
        ``median_step``).
      earlier: Reports already published (the window of ``aggregates`` covers them).
      later_years: Reports of later years are published (and left out of
        ``earlier``): the balances at the end of a window that reaches December
        are then taken as known, as those reports' opening balances tell them.
    """
    maker = CellMaker(aggregates)
    layout = choose_layout(maker, aggregates.period, policy)
    cells = cells_for(maker, layout)
    primary: set[str] = set()
    guarded: list[Cell] = []
    for cell in cells:
        if not cell.linear or not cell.flow or not cell.households:
            continue
        part = grant_part(cell, aggregates)
        if part.coefficients == cell.coefficients:
            if is_sensitive(cell, policy):
                primary.add(cell.id)
        elif is_sensitive(part, policy):
            guarded.append(part)
    recorded = frozenset(r.period.label for r in earlier)
    guarded += _natural_guards(maker, aggregates, policy, {c.id for c in cells}, recorded)
    hidden = set(primary)
    context: list[tuple[Period, tuple[Cell, ...], frozenset[str]]] = []
    for report in earlier:
        earlier_layout = layout_of(report, maker)
        earlier_period = parse_period(report.period.label)
        prefix = f"{report.period.label}|"
        group = tuple(_renamed(c, prefix + c.id) for c in cells_for(maker, earlier_layout))
        values = published_values(report)
        gone = frozenset(prefix + cell_id for cell_id, v in values.items() if v is None)
        context.append((earlier_period, group, gone))
        # what that report merged into "Other aid" stays protected one by one
        for name in earlier_layout.other:
            for cell in maker.category_cells(earlier_period, f"~{name}", (name,)):
                if cell.linear and cell.coefficients and is_sensitive(cell, policy):
                    guarded.append(_renamed(cell, prefix + cell.id))
    relations = [*_identities(aggregates), *maker.balance_relations()]
    last = aggregates.months[-1]
    edges = (
        tuple(
            maker.balance(f"edge|{kind}", (kind,), last) for kind in maker.balance_kinds()
        )
        if later_years and last.endswith("-12")
        else ()
    )
    unprotectable = complement(
        cells,
        hidden,
        guarded,
        [*((g, gone) for _, g, gone in context), (edges, frozenset())],
        relations,
        secret=lambda c: (
            bool(c.households) and is_sensitive(grant_part(c, aggregates), policy)
        ),
    )
    earlier_values: dict[str, Decimal | int | None] = {}
    for report in earlier:
        prefix = f"{report.period.label}|"
        for cell_id, value in published_values(report).items():
            earlier_values[prefix + cell_id] = value
    narrow = interval_audit(
        aggregates,
        policy,
        cells,
        hidden,
        primary,
        guarded,
        context,
        earlier_values,
        relations,
        edges,
    )
    _hide_idle_rows(cells, hidden, [*narrow, *unprotectable])
    _hidden_followers(cells, hidden, policy)
    primary |= {c.id for c in cells if not c.linear and is_sensitive(c, policy)}
    rounded = round_cells(cells, policy.privacy.rounding, policy.privacy.median_step)
    report = build_report(aggregates, policy, layout, cells, hidden, rounded, context)
    return Disclosure(
        report=report,
        layout=layout,
        cells=tuple(cells),
        primary=frozenset(primary),
        hidden=frozenset(hidden),
        rounded=rounded,
        earlier=tuple(context),
        guarded=tuple(guarded),
        unprotectable=frozenset(unprotectable),
        narrow=frozenset(narrow),
    )


def _hide_idle_rows(cells: Sequence[Cell], hidden: set[str], narrow: Iterable[str]) -> None:
    """A fund's protected amount the audit could not protect (it is ``narrow`` or
    ``unprotectable``): hide the fund's row here.

    The audit's model takes a sum without postings as known (zero), so where a
    fund was idle it finds nothing left to hide, and calls the amount lost. A
    reader knows a fund was idle only from the reports, whose row for the fund
    says so (opening, received, spent and closing of an idle month). Hiding the
    row keeps the reader from tying the fund's balance across the months around
    the amount (a January opening is the December closing before it): against
    that reader the amount keeps its range (``tests/test_disclosure_year_edge.py``).
    """
    funds = set()
    for target in narrow:
        table, _, rest = target.rsplit("|", 1)[-1].partition("/")
        if table == "funds":
            funds.add(rest.rsplit("/", 1)[0])
    for cell in cells:
        table, _, rest = cell.id.partition("/")
        if table == "funds" and rest.rsplit("/", 1)[0] in funds:
            hidden.add(cell.id)


def _is_fee(cell_id: str) -> bool:
    """A fee number: the platform's public rate applied to the published gross."""
    name = cell_id.rsplit("|", 1)[-1]
    return name == "totals/fees" or (
        name.startswith("channels/") and name.endswith("/fees")
    )


def interval_audit(
    aggregates: Aggregates,
    policy: Policy,
    cells: Sequence[Cell],
    hidden: set[str],
    primary: set[str],
    guarded: Sequence[Cell],
    context: Sequence[tuple[Period, tuple[Cell, ...], frozenset[str]]],
    earlier_values: Mapping[str, Decimal | int | None],
    relations: Sequence[Mapping[AtomKey, int]],
    edges: Sequence[Cell] = (),
) -> set[str]:
    """Hide more until every protected amount keeps its protection interval.

    See :mod:`aidbooks.reports.audit`. ``edges`` are balances taken as known
    exactly. Adds to ``hidden``; returns the ids of protected amounts that
    earlier releases alone already bound too closely.

    Each target in turn: while its interval is too narrow, hide the cheapest
    number (as :func:`complement` ranks them) that shares atoms with it and that
    the other published numbers do not determine. When every such number is
    determined by the others (a category is the total less the other
    categories), hide the cheapest one together with what determines it, as the
    exact control would, and audit again.
    """
    privacy = policy.privacy
    unit = unit_of(privacy.rounding)
    atoms = aggregates.atoms

    def sign_of(key: AtomKey) -> int:
        return int(key[3]) if key in atoms else 0

    def sign_of_row(row: Mapping[AtomKey, int]) -> int:
        signs = {sign_of(k) * (1 if c > 0 else -1) for k, c in row.items()}
        return signs.pop() if len(signs) == 1 else 0

    amount = [c for c in cells if c.measure == "amount" and c.linear and c.coefficients]
    fixed: list[Known] = [Known(c.coefficients, c.value, c.value) for c in edges]
    for _period, group, gone in context:
        for cell in group:
            if cell.measure != "amount" or not cell.linear or not cell.coefficients:
                continue
            value = earlier_values.get(cell.id)
            if cell.id in gone or value is None:
                if _is_fee(cell.id):
                    fixed.append(Known(cell.coefficients, cell.value, cell.value))
                continue
            slack = sections.slack(cell.id, unit)
            fixed.append(
                Known(cell.coefficients, Decimal(value) - slack, Decimal(value) + slack)
            )
    targets = [
        *(Target(c.id, c.coefficients, c.value) for c in amount if c.id in primary),
        *(Target(c.id, c.coefficients, c.value) for c in guarded
          if c.measure == "amount" and c.coefficients),
        *(Target(c.id, c.coefficients, c.value) for _p, group, gone in context
          for c in group if c.id in gone and c.measure == "amount" and c.coefficients
          and not _is_fee(c.id) and c.households
          and is_sensitive(grant_part(c, aggregates), policy)),
    ]  # fmt: skip
    if not targets:
        return set()
    # Hiding a number the others determine exactly would widen nothing (but for
    # rounding) and only pretend: such numbers are never picked.
    earlier_known = [
        c for _p, group, gone in context for c in group
        if c.measure == "amount" and c.id not in gone and c.coefficients
    ]  # fmt: skip
    columns_of = _columns(
        [*relations, *(c.coefficients for c in amount),
         *(c.coefficients for c in earlier_known), *(c.coefficients for c in edges)]
    )  # fmt: skip
    earlier_known += edges
    base = Span()
    for relation in relations:
        base.add(_row(relation, columns_of), None)
    for cell in earlier_known:
        base.add(_row(cell.coefficients, columns_of), None)
    spans = _PublishedSpans(base, amount, columns_of)

    def with_determining(first: Cell) -> set[str] | None:
        """``first`` and the numbers to hide with it so that it is not determined;
        None when earlier releases and the relations alone determine it."""
        extra = {first.id}
        while True:
            span = spans.span(hidden | extra)
            combination = span.express(_row(first.coefficients, columns_of))
            if combination is None:
                # a number hidden on the way that the published ones give anyway
                # protects nothing (and is no secret): it stays published
                return {first.id} | {
                    n for n in extra - {first.id}
                    if not span.contains(_row(by_id[n].coefficients, columns_of))
                }  # fmt: skip
            names = [str(t) for t in combination if t is not None and not _is_fee(str(t))]
            if not names:
                return None
            extra.add(min((by_id[n] for n in names), key=partial(_cost, target=first)).id)

    def useful(candidate: Cell) -> bool:
        """Hiding ``candidate`` widens something: the others do not determine it."""
        return candidate.id not in spans.span(hidden).determined

    rounded = round_cells(cells, privacy.rounding)
    by_id = {c.id: c for c in amount}
    given_up: set[str] = set()
    # Hiding a number only takes a constraint away, so an interval only widens:
    # each target is made safe in turn, and stays safe while later ones are.
    target_rows = [t.row for t in targets]

    def solver_for() -> Audit:
        known = list(fixed)
        for cell in amount:
            if _is_fee(cell.id):
                known.append(Known(cell.coefficients, cell.value, cell.value))
            elif cell.id not in hidden:
                value = rounded.get(cell.id, cell.value)
                slack = sections.slack(cell.id, unit)
                known.append(Known(cell.coefficients, value - slack, value + slack))
        return Audit(relations, known, sign_of, target_rows)

    solver = solver_for()
    for target in targets:
        tried: set[str] = set()
        while True:
            found = gaps(
                solver, [target], privacy.protection, privacy.protection_floor, sign_of_row
            )
            if not found:
                break
            columns = set(target.row)
            candidates = [
                c for c in amount
                if c.id not in hidden and not _is_fee(c.id)
                and columns & set(c.coefficients)
            ]  # fmt: skip
            if not candidates:  # bound through the relations (balances): any number
                candidates = [c for c in amount if c.id not in hidden and not _is_fee(c.id)]
            target_cell = by_id.get(target.id) or Cell(
                target.id, "amount", True, target.value, dict(target.row), frozenset()
            )
            candidates.sort(key=partial(_cost, target=target_cell))
            pick = next((c for c in candidates if useful(c)), None)
            if pick is not None:
                hidden.add(pick.id)
            else:
                determined = None
                for candidate in candidates:
                    if candidate.id in tried:
                        continue
                    tried.add(candidate.id)
                    determined = with_determining(candidate)
                    if determined is not None:
                        break
                if determined is None:
                    given_up.add(target.id)
                    break
                hidden.update(determined)
            solver = solver_for()
    return given_up


def disclose(
    aggregates: Aggregates, policy: Policy, earlier: Sequence[PublicReport] = ()
) -> PublicReport:
    """What a report for ``aggregates.period`` may publish (see the module docstring)."""
    return plan(aggregates, policy, earlier).report


def _renamed(cell: Cell, new_id: str) -> Cell:
    return replace(cell, id=new_id)


def build_report(
    aggregates: Aggregates,
    policy: Policy,
    layout: Layout,
    cells: Sequence[Cell],
    hidden: set[str],
    rounded: Mapping[str, Decimal],
    context: Sequence[tuple[Period, tuple[Cell, ...], frozenset[str]]] = (),
) -> PublicReport:
    """Assemble :class:`PublicReport` from the cells that may be published."""
    by_id = {c.id: c for c in cells}

    def amount(cell_id: str) -> Decimal | None:
        if cell_id not in by_id or cell_id in hidden:
            return None
        return rounded[cell_id]

    def count(cell_id: str) -> int | None:
        if cell_id not in by_id or cell_id in hidden:
            return None
        return int(by_id[cell_id].value)

    period = aggregates.period
    category_rows = [
        CategoryRow(
            name=name,
            merged=[],
            amount=amount(f"categories/{name}/amount"),
            cash=amount(f"categories/{name}/cash"),
            noncash=amount(f"categories/{name}/noncash"),
            grants=count(f"categories/{name}/grants"),
            households=count(f"categories/{name}/households"),
            suppressed=f"categories/{name}/amount" in hidden,
        )
        for name, _names in layout.category_rows()
    ]
    channel_names = [c.row for c in cells if c.table == "channels" and c.column == "gross"]
    operation_names = [c.row for c in cells if c.table == "operations"]
    on_hand_kinds = [c.row for c in cells if c.table == "on_hand"]
    fund_names = [c.row for c in cells if c.table == "funds" and c.column == "opening"]
    gift_cards = None
    if "gift_cards/bought" in by_id:
        gift_cards = GiftCards(
            bought=amount("gift_cards/bought"),
            handed_out=amount("gift_cards/handed_out"),
            on_hand_end=amount("gift_cards/on_hand_end"),
        )
    bail = None
    if "bail/posted" in by_id:
        bail = Bail(
            posted=amount("bail/posted"),
            returned=amount("bail/returned"),
            outstanding_end=amount("bail/outstanding_end"),
            bonds=count("bail/bonds"),
            households=count("bail/households"),
        )
    privacy = policy.privacy
    return PublicReport(
        fund=aggregates.fund,
        period=PeriodInfo(
            label=period.label, kind=period.kind, start=period.start, end=period.end
        ),
        currency=aggregates.currency,
        totals=Totals(
            raised=amount("totals/raised"),
            fees=amount("totals/fees"),
            net_raised=amount("totals/net_raised"),
            granted=amount("totals/granted"),
            granted_cash=amount("totals/granted_cash"),
            granted_noncash=amount("totals/granted_noncash"),
            grants=count("totals/grants"),
            corrections=amount("totals/corrections"),
            operations=amount("totals/operations"),
            on_hand_end=amount("totals/on_hand_end"),
        ),
        households=Households(
            count=count("households/count"), median_grant=amount("households/median_grant")
        ),
        categories=category_rows,
        channels=[
            ChannelRow(
                name=name,
                gross=amount(f"channels/{name}/gross"),
                fees=amount(f"channels/{name}/fees"),
                net=amount(f"channels/{name}/net"),
            )
            for name in channel_names
        ],
        months=[
            MonthRow(
                period=label,
                raised=amount(f"months/{label}/raised"),
                granted=amount(f"months/{label}/granted"),
                suppressed=f"months/{label}/granted" in hidden
                or f"months/{label}/raised" in hidden,
            )
            for label, _ in layout.month_rows()
        ],
        operations=[
            OperationsRow(name=name, amount=amount(f"operations/{name}/amount"))
            for name in operation_names
        ],
        on_hand=[
            OnHandRow(kind=kind, amount=amount(f"on_hand/{kind}/amount"))  # type: ignore[arg-type]
            for kind in on_hand_kinds
        ],
        gift_cards=gift_cards,
        bail=bail,
        funds=[
            FundRow(
                name=name,
                restricted=name in aggregates.restricted,
                opening=amount(f"funds/{name}/opening"),
                received=amount(f"funds/{name}/received"),
                spent=amount(f"funds/{name}/spent"),
                closing=amount(f"funds/{name}/closing"),
            )
            for name in fund_names
        ],
        privacy=Privacy(
            min_cell=privacy.min_cell,
            p_percent=privacy.p_percent,
            median_step=max(unit_of(privacy.rounding), privacy.median_step),
            rounding=privacy.rounding,
            suppressed=sum(1 for c in cells if c.id in hidden),
            earlier_reports=[p.label for p, _, _ in context],
        ),
    )


def published_values(report: PublicReport) -> dict[str, Decimal | int | None]:
    """Cell id → published value (None when suppressed), read back from a report.

    The inverse of :func:`build_report` for the linear and count cells, so a
    report published earlier can join the arithmetic of a later one: every
    column of every section :mod:`aidbooks.reports.sections` declares.
    """
    out: dict[str, Decimal | int | None] = {}
    for section in sections.SECTIONS:
        part = getattr(report, section.name)
        if part is None:  # no bail, no gift cards in this report
            continue
        rows = part if not section.single_row else [part]
        for row in rows:
            prefix = (
                section.name
                if section.single_row
                else f"{section.name}/{getattr(row, section.key)}"
            )
            for column in section.columns:
                out[f"{prefix}/{column.name}"] = getattr(row, column.name)
    return out
