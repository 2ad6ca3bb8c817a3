"""Property: for random funds and random publication orders, no sensitive cell narrows.

Hypothesis draws a small fund (grants by month, category and household, written
out as books by :mod:`tests.report_small`) and a series of periods to publish —
months, quarters and the year, in any order, some published again. Each report
is made the way ``aidbooks report`` makes it (the disclosure control of
:func:`aidbooks.reports.publish.control_reports`, with every earlier report).
Then the independent reader of :mod:`tests.attacker`, holding every
``report.json`` as a plain dict, bounds each sensitive amount: every month,
quarter and the year, each aid category on its own (the truth computed here
from the grants, not by aidbooks). Each must keep a sliding range: a feasible
interval at least ``2 × max(25% of it, $5)`` wide reaching $5 beyond it on each
side (see :func:`tests.attacker.exposed`); and no count of grants under
``MIN_CELL`` households may be recovered exactly.
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

pytestmark = pytest.mark.slow  # a dozen LP audits per example

MIN_CELL = 3
P_RULE = Decimal("0.15")
CATEGORIES = ("Rent", "Groceries", "Utilities", "Medicine")
PERIODS = (
    *(f"2025-{m:02d}" for m in range(1, 13)),
    *(f"2025-Q{q}" for q in range(1, 5)),
    "2025",
)


@st.composite
def grants(draw: st.DrawFn) -> list[Grant]:
    """Grants over a few months: some cells wide, some of one or two households."""
    months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=5, unique=True))
    out: list[Grant] = []
    for month in months:
        for category in draw(
            st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True)
        ):
            people = draw(st.lists(st.integers(1, 14), min_size=1, max_size=7, unique=True))
            for person in people:
                amount = draw(st.integers(20, 900))
                out.append(Grant(month, category, person, f"{amount}.00"))
    return out


def publish(
    text: str, labels: Sequence[str], renamed_at: int | None = None
) -> list[dict[str, Any]]:
    """Every report of ``labels`` in turn, each with the ones before as context.

    ``renamed_at``: from that report on the fund has another name (the history
    is the books', whatever the fund is called now).
    """
    entries, errors, options = loader.load_string(text)
    assert not errors, errors
    recorded: dict[str, PublicReport] = {}
    out: list[dict[str, Any]] = []
    for index, label in enumerate(labels):
        renamed = renamed_at is not None and index >= renamed_at
        name = "Small Test Fund, Renamed" if renamed else "Small Test Fund"
        policy = report_small.policy(name, min_cell=MIN_CELL)
        if label in recorded:  # published again: the recorded release stands
            out.append(json.loads(recorded[label].to_json()))
            continue
        earlier = list(recorded.values())
        period = parse_period(label)
        report = control_reports(entries, options, policy, period, earlier).report
        recorded[label] = report
        out.append(json.loads(report.to_json()))
    return out


def sensitive_part(by_household: dict[int, Decimal]) -> bool:
    """Under ``MIN_CELL`` households, or failing the p% rule."""
    top = [*sorted(by_household.values(), reverse=True), Decimal(0)]
    few = len(by_household) < MIN_CELL
    return few or sum(top) - top[0] - top[1] < P_RULE * top[0]


def correction_truths(grants: Sequence[Grant]) -> list[Truth]:
    """Each period: the corrections booked in it (amount), sensitive as any cell."""
    cells: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for grant in grants:
        if not grant.corrects:
            continue
        month = f"2025-{grant.month:02d}"
        for label in PERIODS:
            if month in period_months(label):
                cell = cells[label]
                cell[grant.household] = cell.get(grant.household, Decimal(0)) + Decimal(
                    grant.amount
                )
    return [
        Truth(
            Query("corrections", period_months(label), label=f"{label} corrections"),
            float(sum(by_household.values(), Decimal(0))),
            sensitive_part(by_household),
        )
        for label, by_household in sorted(cells.items())
    ]


def truths(grants: Sequence[Grant]) -> list[Truth]:
    """Each period and category: the amount granted, sensitive when under
    ``MIN_CELL`` households or failing the p% rule, and the number of grants,
    sensitive when under ``MIN_CELL`` households (the threshold rule: the p% rule
    is about how much a household got, which a count of grants does not tell)."""
    cells: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    count: dict[tuple[str, str], int] = defaultdict(int)
    for grant in grants:
        month = f"2025-{grant.month:02d}"
        for label in PERIODS:
            if month in period_months(label):
                cell = cells[label, grant.category]
                cell[grant.household] = cell.get(grant.household, Decimal(0)) + Decimal(
                    grant.amount
                )
                count[label, grant.category] += 1
    out: list[Truth] = []
    for (label, category), by_household in sorted(cells.items()):
        few = len(by_household) < MIN_CELL
        sensitive = sensitive_part(by_household)
        months = period_months(label)
        out.append(
            Truth(
                Query("amount", months, (category,), label=f"{label} {category} amount"),
                float(sum(by_household.values(), Decimal(0))),
                sensitive,
            )
        )
        out.append(
            Truth(
                Query("grants", months, (category,), label=f"{label} {category} grants"),
                float(count[label, category]),
                few,
            )
        )
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.data(),
    grants(),
)
def test_every_publication_order_keeps_every_sensitive_amount_wide(
    data: st.DataObject, drawn: list[Grant]
) -> None:
    labels = data.draw(
        st.lists(st.sampled_from(PERIODS), min_size=2, max_size=6), label="published"
    )
    accounts = [f"Expenses:Aid:{c}" for c in CATEGORIES]
    text = report_small.books_text(drawn, extra_accounts=accounts)
    reports = publish(text, labels)
    attack = Attack(reports, categories=CATEGORIES)  # the fund's accounts are no secret
    assert attack.feasible()
    cells = truths(drawn)
    found = [
        e for e in exposed(attack, cells)
        if e.truth.query.measure == "amount" or e.exact
    ]  # fmt: skip
    assert not found, f"published {labels}:\n" + "\n".join(f"  {e}" for e in found)


@st.composite
def late_grants(draw: st.DrawFn) -> list[Grant]:
    """Grants recorded late: booked in an open month as corrections of an earlier
    one (``corrects``), to one or a few households."""
    out: list[Grant] = []
    for _ in range(draw(st.integers(1, 4))):
        booked = draw(st.integers(2, 12))
        corrected = draw(st.integers(1, booked - 1))
        category = draw(st.sampled_from(CATEGORIES))
        person = draw(st.integers(1, 14))
        amount = draw(st.integers(20, 900))
        out.append(
            Grant(
                booked, category, person, f"{amount}.00", corrects=f"2025-{corrected:02d}"
            )
        )
    return out


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data(), grants(), late_grants())
def test_late_grants_and_renames_keep_every_sensitive_amount_wide(
    data: st.DataObject, drawn: list[Grant], late: list[Grant]
) -> None:
    """Late grants booked as corrections, the fund renamed along the way: the
    corrections line and every cell stay as protected as before."""
    labels = data.draw(
        st.lists(st.sampled_from(PERIODS), min_size=2, max_size=5), label="published"
    )
    renamed_at = data.draw(st.integers(1, len(labels) - 1), label="renamed at")
    everything = [*drawn, *late]
    accounts = [f"Expenses:Aid:{c}" for c in CATEGORIES]
    text = report_small.books_text(everything, extra_accounts=accounts)
    reports = publish(text, labels, renamed_at)
    attack = Attack(reports, categories=CATEGORIES)
    assert attack.feasible()
    cells = [*truths(everything), *correction_truths(everything)]
    found = [
        e for e in exposed(attack, cells)
        if e.truth.query.measure in ("amount", "corrections") or e.exact
    ]  # fmt: skip
    assert not found, f"published {labels}:\n" + "\n".join(f"  {e}" for e in found)
