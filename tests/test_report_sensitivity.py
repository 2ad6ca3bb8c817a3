"""Which cells are sensitive: the minimum cell size and the p% rule."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from beancount import loader

from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.policy import parse_policy
from aidbooks.reports.aggregate import aggregate
from aidbooks.reports.cells import Cell
from aidbooks.reports.cells import CellMaker
from aidbooks.reports.disclosure import is_sensitive
from aidbooks.reports.period import parse_period
from tests import report_small as small

POLICY = small.policy()  # min_cell 3, p_percent 15


def _cell(*amounts: int) -> Cell:
    """An amount cell whose households hold ``amounts`` (and nothing else)."""
    total = sum(amounts)
    top = [*sorted(amounts, reverse=True), 0, 0]
    return Cell(
        "categories/X/amount",
        "amount",
        True,
        Decimal(total),
        {},
        frozenset(f"h{i}" for i in range(len(amounts))),
        Fraction(top[0], total),
        second_share=Fraction(top[1], total),
    )


@pytest.mark.parametrize(
    ("amounts", "sensitive"),
    [
        ((100, 50, 14), True),  # the others hold 14 < 15% of 100
        ((100, 50, 15), False),  # exactly 15%: published
        ((100, 50, 10, 6), False),
        ((50, 45, 5), True),  # two households: 5 < 7.5 (no one holds 60%)
        ((70, 10, 10, 10), False),  # one holds 70%, but the rest is 20 >= 10.5
        ((10, 10, 10), False),
        ((100, 100), True),  # fewer than min_cell households
    ],
)
def test_p_percent_rule(amounts: tuple[int, ...], sensitive: bool) -> None:
    assert is_sensitive(_cell(*amounts), POLICY) is sensitive


def test_p_percent_comes_from_the_policy() -> None:
    cell = _cell(100, 50, 14)
    assert is_sensitive(cell, small.policy(p_percent=15))
    assert not is_sensitive(cell, small.policy(p_percent=14))
    assert is_sensitive(_cell(100, 50, 30), small.policy(p_percent="30.5"))


def test_counts_are_held_to_the_cell_size_only() -> None:
    cell = _cell(100, 50, 1)
    count = Cell("x/grants", "count", True, Decimal(3), {}, cell.households,
                 cell.top_share, second_share=cell.second_share)  # fmt: skip
    assert is_sensitive(cell, POLICY) and not is_sensitive(count, POLICY)


# Rent: two households hold nearly all of it (no one holds 60%).
RENT = [
    small.Grant(3, "Rent", 0, "500"),
    small.Grant(3, "Rent", 1, "450"),
    small.Grant(3, "Rent", 2, "20"),
    small.Grant(3, "Rent", 3, "20"),
]
GRANTS = [
    *small.spread(range(1, 13), "Groceries", range(8), "40"),
    *small.spread([3], "Utilities", range(4, 9), "30"),
    *RENT,
]


def test_cells_carry_the_two_largest_shares() -> None:
    entries, errors, options = loader.load_string(small.books_text(GRANTS))
    assert not errors
    period = parse_period("2025-Q1")
    maker = CellMaker(aggregate(entries, options, POLICY, period))
    rent = maker.category_cells(period, "Rent", ("Rent",))[0]
    assert (rent.top_share, rent.second_share) == (Fraction(500, 990), Fraction(450, 990))
    groceries = maker.category_cells(period, "Groceries", ("Groceries",))[0]
    assert groceries.top_share == groceries.second_share == Fraction(3, 24)


def test_two_households_dominating_a_category_are_not_published() -> None:
    built = small.report(small.books_text(GRANTS), POLICY, "2025-Q1")
    report = json.loads(built.files["report.json"])
    assert report["privacy"]["p_percent"] == "15"
    assert "dominance" not in report["privacy"]
    # under the old dominance rule (no household above 60%) Rent had its own row
    assert built.disclosure.layout.categories == ("Groceries",)
    assert built.disclosure.layout.other == ("Rent", "Utilities")


@pytest.mark.parametrize("value", ["0", "100", "-5", '"x"'])
def test_p_percent_must_be_between_0_and_100(value: str) -> None:
    with pytest.raises(PolicyError, match="p_percent"):
        parse_policy(f"[privacy]\np_percent = {value}\n")


def test_policy_keys() -> None:
    assert parse_policy("").privacy.p_percent == 15
    assert parse_policy("[privacy]\np_percent = 12.5\n").privacy.p_percent == Decimal(
        "12.5"
    )
    # an older policy still loads; dominance is no longer used
    old = parse_policy("[privacy]\ndominance = 0.9\n")
    assert old.privacy.p_percent == 15
