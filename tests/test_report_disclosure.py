"""Disclosure control: property tests on generated books, and the example fund.

The properties:

* no published number made of grants covers fewer than ``min_cell`` households
  (checked with the cells' household sets *and* recomputed from what the
  generator put in the books);
* no hidden number — and no small grant part of a published mix, and nothing an
  earlier report hid — is determined by the published numbers and what every
  reader knows (each transaction balances, balances move by the month's flows):
  checked by an independent solver (``tests/report_checks.py``);
* published totals add up, hidden values included.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from beancount.core import data
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from aidbooks.books import load_books
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.reports import arithmetic
from aidbooks.reports.aggregate import Aggregates
from aidbooks.reports.aggregate import aggregate
from aidbooks.reports.cells import OTHER_AID
from aidbooks.reports.cells import Cell
from aidbooks.reports.cells import CellMaker
from aidbooks.reports.cells import month_label_period
from aidbooks.reports.disclosure import Disclosure
from aidbooks.reports.disclosure import complement
from aidbooks.reports.disclosure import plan
from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period
from tests.helpers import LEDGER
from tests.report_books import CATEGORIES
from tests.report_books import Generated
from tests.report_books import books
from tests.report_checks import determined_hidden
from tests.report_checks import relations
from tests.report_checks import small_published

PERIODS = st.sampled_from(["2025", "2025-Q1", "2025-Q2", "2025-Q4", "2025-02", "2025-11"])


def _check_disclosure(d: Disclosure, agg: Aggregates, policy: Policy) -> None:
    assert (
        small_published(d, agg, policy.privacy.min_cell, Fraction(policy.privacy.p_percent))
        == []
    )
    assert determined_hidden(d, agg) == []
    assert arithmetic.problems(d.report) == []


def _check_against_generated(d: Disclosure, gen: Generated, period: Period) -> None:
    """Recompute the grant tables from what the generator wrote, not from the report."""
    months = {int(m[5:]) for m in period.months}
    min_cell = gen.policy.privacy.min_cell
    by_category: dict[str, set[str]] = defaultdict(set)
    amount_by_category: dict[str, Decimal] = defaultdict(Decimal)
    for grant in gen.grants:
        if grant.month in months:
            by_category[grant.category].add(grant.household)
            amount_by_category[grant.category] += grant.amount
    everyone = set().union(*by_category.values()) if by_category else set()
    report = d.report
    if report.totals.granted is not None and everyone:
        assert len(everyone) >= min_cell
    for row in report.categories:
        assert row.merged == []  # "Other aid" names none of its categories
        names = d.layout.other if row.name == OTHER_AID else [row.name]
        households = set().union(*(by_category[n] for n in names))
        exact = sum((amount_by_category[n] for n in names), Decimal(0))
        cell = next(c for c in d.cells if c.id == f"categories/{row.name}/amount")
        assert cell.value == exact
        if row.amount is not None and households:
            assert len(households) >= min_cell
        if row.households is not None:
            assert row.households == len(households)
            assert len(households) >= min_cell or not households
    # every category of the books (all opened) is listed, on its own or in Other aid
    listed = [r.name for r in report.categories if r.name != OTHER_AID]
    assert sorted([*listed, *d.layout.other]) == sorted((*CATEGORIES, "Bail"))
    for month in report.months:
        in_row = {int(m[5:]) for m in month_label_period(month.period).months}
        households = {g.household for g in gen.grants if g.month in in_row}
        if month.granted is not None and households:
            assert len(households) >= min_cell
    if report.bail is not None and report.bail.posted is not None:
        posted = {h for m, h, a, _ in gen.bail if m in months and a > 0}
        assert len(posted) >= min_cell or not posted


def _check_rounding(d: Disclosure) -> None:
    """Totals add up with the hidden values too (they are rounded, just not shown)."""
    r = d.rounded
    for table, column, total in (
        ("categories", "amount", "totals/granted"),
        ("categories", "cash", "totals/granted_cash"),
        ("months", "granted", "totals/granted"),
        ("months", "raised", "totals/raised"),
        ("channels", "gross", "totals/raised"),
        ("channels", "fees", "totals/fees"),
        ("operations", "amount", "totals/operations"),
        ("on_hand", "amount", "totals/on_hand_end"),
    ):
        ids = [c.id for c in d.cells if c.table == table and c.row and c.column == column]
        if ids:
            assert sum((r[i] for i in ids), Decimal(0)) == r[total], (table, column)
    unit = d.report.privacy.rounding or Decimal("0.01")
    for cell in d.cells:
        if cell.measure == "amount" and cell.table in ("categories", "months", "channels"):
            assert abs(r[cell.id] - cell.value) < 2 * unit, cell.id


@pytest.mark.slow  # reports on many generated books
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen=books(), label=PERIODS)
def test_generated_books_single_report(gen: Generated, label: str) -> None:
    entries, options = gen.load()
    period = parse_period(label)
    agg = aggregate(entries, options, gen.policy, period)
    d = plan(agg, gen.policy)
    event(f"cells hidden: {'some' if d.hidden else 'none'}")
    event(f"grant parts guarded: {'some' if d.guarded else 'none'}")
    _check_disclosure(d, agg, gen.policy)
    _check_against_generated(d, gen, period)
    _check_rounding(d)
    maker = CellMaker(agg)
    for relation in relations(agg):  # every relation readers are assumed to know holds
        total = Decimal(0)
        balances = [k for k in relation if k[0].startswith("=")]
        for key, coef in relation.items():
            if key in balances:
                total += coef * maker.balance_value(key[0][1:], key[1])
            else:
                total += coef * agg.atoms[key].amount
        # the first month-end of the window moves from the balance before it, known
        known = (
            maker.balance_value(balances[0][0][1:], "0000-00") if len(balances) == 1 else 0
        )
        assert total == known


SEQUENCES = st.sampled_from(
    [
        ["2025-01", "2025-02", "2025-03", "2025-Q1"],
        ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2025"],
        ["2025-01", "2025-Q1", "2025-04", "2025-Q2", "2025"],
        ["2025-06", "2025-07", "2025-Q3"],
    ]
)


@pytest.mark.slow  # reports on many generated books
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen=books(), labels=SEQUENCES)
def test_generated_books_series_of_reports(gen: Generated, labels: list[str]) -> None:
    """Publishing a series of reports never lets one be differenced with another."""
    entries, options = gen.load()
    published: list[PublicReport] = []
    for label in labels:
        period = parse_period(label)
        context = tuple(parse_period(r.period.label) for r in published)
        agg = aggregate(entries, options, gen.policy, period, context)
        d = plan(agg, gen.policy, published)
        event(f"complementary cells: {'some' if d.hidden - d.primary else 'none'}")
        assert d.unprotectable == frozenset()
        _check_disclosure(d, agg, gen.policy)
        published.append(d.report)


def _cell(
    cell_id: str, keys: list[tuple[str, str, str, int, str]], households: int
) -> Cell:
    return Cell(
        cell_id,
        "amount",
        True,
        Decimal(1),
        dict.fromkeys(keys, 1),
        frozenset(f"h{i}" for i in range(households)),
    )


def test_complement_hides_a_second_cell_of_a_sum() -> None:
    keys = [(f"aid:{c}", "2025-01", "general", 1, "x") for c in "abc"]
    cells = [
        _cell("categories/a/amount", [keys[0]], 2),
        _cell("categories/b/amount", [keys[1]], 30),
        _cell("categories/c/amount", [keys[2]], 20),
        _cell("totals/granted", keys, 52),
    ]
    hidden = {"categories/a/amount"}
    assert complement(cells, hidden, [], [], []) == set()
    # the cheapest cell of the same table that breaks "a = total - b - c"
    assert hidden == {"categories/a/amount", "categories/c/amount"}


def test_complement_publishes_again_what_is_determined_anyway() -> None:
    keys = [(f"aid:{c}", "2025-01", "general", 1, "x") for c in "ab"]
    cells = [
        _cell("categories/a/amount", [keys[0]], 2),
        _cell("categories/b/amount", [keys[1]], 30),
        _cell("totals/granted", keys, 32),
        _cell("months/2025-01/granted", keys, 32),
    ]
    hidden = {"categories/a/amount"}
    complement(cells, hidden, [], [], [])
    # hiding b is enough; the total and the month both stay published
    assert hidden == {"categories/a/amount", "categories/b/amount"}


@pytest.fixture(scope="module")
def example() -> tuple[list[data.Directive], dict[str, Any], Policy]:
    entries, errors, options = load_books(LEDGER)
    assert not errors
    return entries, options, load_policy(policy_path_for(LEDGER))


@pytest.mark.parametrize("label", ["2025", "2025-Q3", "2025-03"])
def test_example_fund(
    example: tuple[list[data.Directive], dict[str, Any], Policy], label: str
) -> None:
    entries, options, policy = example
    assert policy.privacy.min_cell == 11
    period = parse_period(label)
    agg = aggregate(entries, options, policy, period)
    d = plan(agg, policy)
    _check_disclosure(d, agg, policy)
    _check_rounding(d)
    if label == "2025":
        # a year of the example fund publishes every figure; small categories merge
        assert d.hidden == frozenset()
        assert [r.name for r in d.report.categories][-1] == OTHER_AID
    else:
        assert d.hidden, "a month or quarter of a small fund has cells to hide"


@pytest.mark.slow  # publishes a series of reports of the example fund
def test_example_fund_series(
    example: tuple[list[data.Directive], dict[str, Any], Policy],
) -> None:
    """A fund publishing every quarter, then the year."""
    entries, options, policy = example
    published: list[PublicReport] = []
    for label in ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2025"]:
        period = parse_period(label)
        agg = aggregate(
            entries,
            options,
            policy,
            period,
            tuple(parse_period(r.period.label) for r in published),
        )
        d = plan(agg, policy, published)
        assert d.unprotectable == frozenset()
        _check_disclosure(d, agg, policy)
        published.append(d.report)
