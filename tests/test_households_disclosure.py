"""A link joins codes into one household: the reports after it must not give away
what it changed.

The reports before a link counted a family's codes as several households; the
reports after it count the family once. A reader holding both series knows that
no amount moved (a link touches no posting) and that a cell's households can only
fall. From that, and every published number, the attacker of :mod:`tests.attacker`
(``relinked``) bounds every cell. The truth is the books' families (the linked
households): a cell is sensitive when it covers fewer than ``MIN_CELL`` families or
fails the p% rule by family. What the reports before the link already gave away
is theirs; the reports after it must not pin down anything more.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from beancount import loader
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import control_reports
from tests import report_small
from tests.attacker import Attack
from tests.attacker import Query
from tests.attacker import Truth
from tests.attacker import exposed
from tests.attacker import period_months
from tests.report_small import Grant

pytestmark = pytest.mark.slow  # LP audits of eight releases

MIN_CELL = 3
P_RULE = Decimal("0.15")
CATEGORIES = ("Rent", "Legal", "Groceries")
BEFORE = ("2025-01", "2025-02", "2025-03", "2025-Q1")
AFTER = ("2025-04", "2025-05", "2025-06", "2025-Q2", "2025")
LINK_DAY = "2025-04-01"


def link_lines(pairs: Sequence[tuple[int, int]]) -> list[str]:
    """``aid-link`` lines joining household ``a`` to household ``b``."""
    return [
        f'{LINK_DAY} custom "aid-link" "{report_small.household(a)}"'
        f' "{report_small.household(b)}"'
        for a, b in pairs
    ]


def family(pairs: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Household number -> its family (the head of its links), read independently."""
    to = dict(pairs)
    out: dict[int, int] = {}
    for start in {*to, *to.values()}:
        code, seen = start, set()
        while code in to and code not in seen:
            seen.add(code)
            code = to[code]
        out[start] = code
    return out


def publish(text: str, labels: Sequence[str]) -> list[dict[str, Any]]:
    """Each report in turn, made as ``aidbooks report`` makes it."""
    entries, errors, options = loader.load_string(text)
    assert not errors, errors
    policy = report_small.policy(min_cell=MIN_CELL)
    recorded: list[PublicReport] = []
    for label in labels:
        disclosure = control_reports(
            entries, options, policy, parse_period(label), list(recorded)
        )
        recorded.append(disclosure.report)
    return [json.loads(r.to_json()) for r in recorded]


def sensitive(by_family: dict[int, Decimal]) -> bool:
    top = [*sorted(by_family.values(), reverse=True), Decimal(0)]
    return len(by_family) < MIN_CELL or sum(top) - top[0] - top[1] < P_RULE * top[0]


def truths(grants: Sequence[Grant], families: dict[int, int]) -> list[Truth]:
    """Every month, quarter, year and category cell's amount, sensitive by family.

    Amounts are what the control guards in every cell (counts of a sensitive cell
    are hidden with it; whether a small fund's month counts can be worked out is
    the disclosure control's own business, the same with links or without)."""
    cells: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    labels = (*BEFORE, *AFTER)
    for g in grants:
        month = f"2025-{g.month:02d}"
        who = families.get(g.household, g.household)
        for label in labels:
            if month in period_months(label):
                cell = cells[label, g.category]
                cell[who] = cell.get(who, Decimal(0)) + Decimal(g.amount)
    out = []
    for (label, category), by_family in sorted(cells.items()):
        is_sensitive = sensitive(by_family)
        months = period_months(label)
        amount = float(sum(by_family.values(), Decimal(0)))
        out.append(Truth(Query("amount", months, (category,)), amount, is_sensitive))
    return out


def newly_exposed(grants: Sequence[Grant], pairs: Sequence[tuple[int, int]]) -> list[str]:
    """Sensitive cells the reports after the link pin down that those before did not."""
    text = report_small.books_text(grants, extra_lines=link_lines(pairs))
    reports = publish(text, (*BEFORE, *AFTER))
    families = family(pairs)
    everything = Attack(
        reports,
        vintages=[0] * len(BEFORE) + [1] * len(AFTER),
        categories=CATEGORIES,
        relinked=True,
    )
    assert everything.feasible()
    before_only = Attack(reports[: len(BEFORE)], categories=CATEGORIES)
    assert before_only.feasible()
    all_truths = truths(grants, families)
    known = {
        str(e.truth.query)
        for e in exposed(
            before_only,
            [t for t in all_truths if all(m in before_only.months for m in t.query.months)],
        )
    }
    return [
        str(e) for e in exposed(everything, all_truths) if str(e.truth.query) not in known
    ]


def test_the_reports_count_a_linked_family_once() -> None:
    """Households 1 and 2 are one family: after the link every count says so."""
    grants = [Grant(m, "Rent", h, "100.00") for m in (4, 5, 6) for h in range(1, 8)]
    text = report_small.books_text(grants, extra_lines=link_lines([(2, 1)]))
    reports = publish(text, AFTER)
    assert reports[-1]["households"]["count"] == 6
    (rent,) = [c for c in reports[-1]["categories"] if c["name"] == "Rent"]
    assert rent["households"] == 6
    unlinked = publish(report_small.books_text(grants), AFTER)
    assert unlinked[-1]["households"]["count"] == 7


def test_a_report_before_the_link_is_made_as_it_was() -> None:
    """A link dated after a period leaves that period's report unchanged (verify
    makes it again from the books)."""
    grants = [Grant(m, "Rent", h, "100.00") for m in (1, 2, 3) for h in range(1, 8)]
    linked = publish(
        report_small.books_text(grants, extra_lines=link_lines([(2, 1)])), BEFORE
    )
    plain = publish(report_small.books_text(grants), BEFORE)
    assert linked == plain
    assert linked[-1]["households"]["count"] == 7


def test_a_family_split_across_codes_then_linked() -> None:
    """Q1 published the family's two codes as two households; the link in April
    makes the year's Legal a cell the p% rule fails by family (not by code):
    the year must hide it, and nothing after the link may give Q1 away."""
    rent = [Grant(m, "Rent", h, "120.00") for m in range(1, 7) for h in range(10, 16)]
    legal = [
        Grant(2, "Legal", 1, "500.00"),
        Grant(2, "Legal", 2, "500.00"),
        Grant(3, "Legal", 3, "100.00"),
        Grant(3, "Legal", 4, "60.00"),
        Grant(3, "Legal", 5, "40.00"),
        Grant(5, "Legal", 1, "400.00"),
        Grant(5, "Legal", 6, "50.00"),
        Grant(6, "Legal", 7, "45.00"),
    ]
    found = newly_exposed([*rent, *legal], [(2, 1)])
    assert not found, found


@st.composite
def linked_books(draw: st.DrawFn) -> tuple[list[Grant], list[tuple[int, int]]]:
    people = draw(st.integers(min_value=4, max_value=9))
    grants = []
    for month in range(1, 7):
        for category in CATEGORIES:
            who = draw(
                st.lists(
                    st.integers(min_value=1, max_value=people), max_size=5, unique=True
                )
            )
            for household in who:
                cents = draw(st.integers(min_value=20, max_value=600)) * 100
                grants.append(Grant(month, category, household, f"{cents / 100:.2f}"))
    others = list(range(2, people + 1))
    joined = (
        draw(st.lists(st.sampled_from(others), max_size=3, unique=True)) if others else []
    )
    return grants, [(h, 1) for h in joined]


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(linked_books())
def test_links_never_open_what_the_earlier_reports_kept(
    drawn: tuple[list[Grant], list[tuple[int, int]]],
) -> None:
    grants, pairs = drawn
    found = newly_exposed(grants, pairs)
    assert not found, found
