"""The rules' public state for the treasurer's page agrees with the rules' findings.

``fundflows.flows``, ``caps.windows``, ``clearing.open_amounts``,
``receivables.outstanding``, ``pending.waiting`` and ``fresh.reconciliations``
expose what the rules compute. Each must say exactly what the rule's findings say
(an item the state calls late is a finding, and nothing else is), and the numbers
must match a plain recomputation from the postings written in the test.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core import data

from aidbooks.books import load_books
from aidbooks.plugins import caps
from aidbooks.plugins import clearing
from aidbooks.plugins import fresh
from aidbooks.plugins import fundflows
from aidbooks.plugins import pending
from aidbooks.plugins import receivables
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import parse_policy
from aidbooks.reports import aggregate
from aidbooks.reports import parse_period
from aidbooks.reports.disclosure import plan
from tests.helpers import LEDGER
from tests.postings import posting_number
from tests.smallbooks import BOOKS
from tests.smallbooks import write_books

DATA = Path(__file__).parent / "data" / "fundrules"
Books = tuple[list[data.Directive], list[Any], dict[str, Any]]


@pytest.fixture(scope="module")
def example() -> tuple[Books, Policy]:
    books = load_books(LEDGER)
    assert books[1] == []
    return books, load_policy(LEDGER.parent / "aidbooks.toml")


def fixture(name: str) -> tuple[list[data.Directive], Policy]:
    entries, _errors, _options = load_books(DATA / f"{name}.beancount")
    return entries, load_policy(DATA / "aidbooks.toml")


def lines(errors: list[Any]) -> set[int]:
    return {e.source["lineno"] for e in errors}


# ------------------------------------------------------------------------ funds
def recomputed_funds(
    entries: list[data.Directive], policy: Policy, begin: dt.date, end: dt.date
) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """(opening, received, spent) per fund, straight from the conventions."""
    out: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date >= end:
            continue
        for posting in entry.postings:
            if not posting.account.startswith(
                ("Income:", "Expenses:", "Equity:", "Assets:Receivable:")
            ):
                continue
            fund = (posting.meta or {}).get("fund") or entry.meta.get("fund") or "general"
            if fund not in policy.fund_names():
                continue
            number = posting_number(posting)
            row = out[fund]
            if entry.date < begin or posting.account == "Equity:Opening-Balances":
                row[0] -= number
            elif number < 0:
                row[1] -= number
            else:
                row[2] += number
    return {name: (row[0], row[1], row[2]) for name, row in out.items()}


@pytest.mark.parametrize("label", ["2025", "2025-Q2", "2025-11"])
def test_fund_flows_match_the_postings_and_the_report(
    example: tuple[Books, Policy], label: str
) -> None:
    (entries, _errors, options), policy = example
    period = parse_period(label)
    end = period.end + dt.timedelta(days=1)
    found = fundflows.flows(entries, policy, period.start, end)
    assert list(found) == ["general", "legal", "rent"]
    expected = recomputed_funds(entries, policy, period.start, end)
    cells = {
        c.id: c.value
        for c in plan(aggregate(entries, options, policy, period), policy).cells
    }
    for name, flow in found.items():
        assert (flow.opening, flow.received, flow.spent) == expected[name]
        assert flow.closing == flow.opening + flow.received - flow.spent
        assert flow.restricted == (name != "general")
        # the published report's exact numbers (before rounding) are the same
        for column in ("opening", "received", "spent", "closing"):
            assert cells[f"funds/{name}/{column}"] == getattr(flow, column)


def test_fund_flows_spent_since(example: tuple[Books, Policy]) -> None:
    (entries, _errors, _options), policy = example
    since = dt.date(2025, 10, 3)
    found = fundflows.flows(entries, policy, dt.date(2025, 1, 1), None, since)
    later = fundflows.flows(entries, policy, since, None)
    for name, flow in found.items():
        assert flow.spent_since == later[name].spent > 0


def test_overspent_fund_closes_below_zero() -> None:
    entries, policy = fixture("funds-fail")
    flows = fundflows.flows(entries, policy)
    end = dt.date(2025, 1, 4)  # after the first overspending (2025-01-03, -60.00)
    assert fundflows.flows(entries, policy, None, end)["legal"].closing == Decimal("-60.00")
    assert set(flows) == {"general", "legal", "rent", "pantry"}


# ------------------------------------------------------------------ clearing
def test_clearing_open_amounts_are_the_rule_s_open_findings() -> None:
    entries, policy = fixture("clearing-fail")
    now, found = clearing.open_amounts(entries, policy)
    assert now == dt.date(2025, 3, 31)
    assert [(o.account, o.date, o.amount, o.age) for o in found] == [
        ("Assets:Clearing:Venmo", dt.date(2025, 2, 10), Decimal("50.00"), 49),
        ("Assets:Clearing:Stripe", dt.date(2025, 2, 15), Decimal("-150.00"), 44),
    ]
    assert all(o.late for o in found)
    still_open = [
        e for e in clearing.validate(entries, {}, policy) if "still open" in e.message
    ]
    assert {o.entry.meta["lineno"] for o in found} == lines(still_open)


def test_clearing_until_a_day_shows_what_was_open_then() -> None:
    entries, policy = fixture("clearing-fail")
    now, found = clearing.open_amounts(entries, policy, dt.date(2025, 1, 19))
    assert now == dt.date(2025, 1, 3)
    assert [(o.amount, o.age, o.late) for o in found] == [(Decimal("500.00"), 0, False)]


# --------------------------------------------------------------- receivables
def test_outstanding_receivables_are_the_rule_s_old_findings() -> None:
    entries, policy = fixture("receivables-fail")
    now, owed = receivables.outstanding(entries, policy)
    assert now is not None and owed
    total: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for p in entry.postings:
                code = (p.meta or {}).get("recipient") or entry.meta.get("recipient")
                if p.account.startswith("Assets:Receivable:") and code:
                    total[p.account, code] += posting_number(p)
    # what is open per household is what was posted minus what came back
    open_by_household: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for o in owed:
        assert o.age == (now - o.date).days and o.amount > 0
        open_by_household[o.account, o.recipient] += o.amount
    assert open_by_household == {k: v for k, v in total.items() if v > 0}
    old = [
        e for e in receivables.validate(entries, {}, policy) if "still owed" in e.message
    ]
    assert {o.entry.meta["lineno"] for o in owed if o.old} == lines(old)
    assert len(old) == sum(1 for o in owed if o.old) > 0


# ------------------------------------------------------------------- pending
def test_waiting_lists_every_pending_transaction_and_flags_the_rule_s() -> None:
    entries, policy = fixture("pending-fail")
    now, found = pending.waiting(entries, policy)
    flagged = [e for e in entries if isinstance(e, data.Transaction) and e.flag == "!"]
    assert [w.entry for w in found] == flagged
    assert now is not None
    assert all(w.age == (now - w.entry.date).days for w in found)
    findings = pending.validate(entries, {}, policy)
    assert {w.entry.meta["lineno"] for w in found if w.overdue} == lines(findings)


# ---------------------------------------------------------------------- caps
def test_caps_windows_sum_the_grants_of_the_last_window(
    example: tuple[Books, Policy],
) -> None:
    (entries, _errors, _options), policy = example
    now, households = caps.windows(entries, policy)
    assert now == dt.date(2025, 12, 31)
    first_day = now - dt.timedelta(days=policy.caps.window_days - 1)
    # a family's codes are one household: the links, followed here independently
    linked = {
        e.values[0].value: e.values[1].value
        for e in entries
        if isinstance(e, data.Custom) and e.type == "aid-link"
    }
    assert linked  # the example links derived codes to intake codes

    def household(code: str) -> str:
        while code in linked:
            code = linked[code]
        return code

    expected: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.flag == "!":
            continue
        if not first_day <= entry.date <= now:
            continue
        for p in entry.postings:
            code = (p.meta or {}).get("recipient") or entry.meta.get("recipient")
            if p.account.startswith("Expenses:Aid:") and code:
                expected[household(code)] += posting_number(p)
    assert {h.recipient: h.total for h in households} == {
        k: v for k, v in expected.items() if v
    }
    assert [h.total for h in households] == sorted(
        (h.total for h in households), reverse=True
    )
    assert all(h.cap == policy.caps.per_household for h in households)


def test_caps_windows_until_a_day() -> None:
    entries, policy = fixture("caps-fail")
    # on 2025-02-03 the household's grants of 01-05 and 02-03 are inside the window
    now, households = caps.windows(entries, policy, dt.date(2025, 2, 3))
    assert now == dt.date(2025, 2, 3)
    by_code = {h.recipient: h for h in households}
    over = by_code["R-0M88G-E8HHQ"]
    assert (over.total, over.grants, over.first) == (
        Decimal("650.00"),
        2,
        dt.date(2025, 1, 5),
    )
    # windows end with the books as they stood: on 02-19 that is still 02-03
    assert caps.windows(entries, policy, dt.date(2025, 2, 19))[0] == dt.date(2025, 2, 3)
    # on 02-20 the window (01-22 .. 02-20) has left the 01-05 grant behind
    now, households = caps.windows(entries, policy, dt.date(2025, 2, 20))
    assert now == dt.date(2025, 2, 20)
    assert {h.recipient: h.total for h in households}["R-0M88G-E8HHQ"] == Decimal("250.00")
    # and before the first grant there is nothing to show
    first = min(e.date for e in entries)
    assert caps.windows(entries, policy, first - dt.timedelta(days=1)) == (None, [])


# --------------------------------------------------------------------- fresh
def test_reconciliations_flag_what_the_rule_finds(tmp_path: Path) -> None:
    late = (
        BOOKS
        + '\n2025-04-30 * "Donation"\n  Income:Donations:Venmo  -10.00 USD\n  Assets:Platform:Venmo\n'
    )
    main = write_books(tmp_path / "b", books=late)
    entries, errors, options = load_books(main)
    assert errors == []
    policy = parse_policy("[reconcile]\nfresh_days = 45\n")
    end, statuses = fresh.reconciliations(entries, policy)
    assert end == dt.date(2025, 4, 30)
    assert [
        (s.account, s.last.date if s.last else None, s.age, s.due) for s in statuses
    ] == [
        ("Assets:Bank:Checking", dt.date(2025, 2, 1), 88, True),
        ("Assets:Platform:Venmo", dt.date(2025, 2, 1), 88, True),
    ]
    findings = fresh.validate(entries, options, policy)
    assert lines(findings) == {s.last.meta["lineno"] for s in statuses if s.last}
    # as the books stood on 2025-02-01, both were just reconciled
    end, statuses = fresh.reconciliations(entries, policy, dt.date(2025, 2, 1))
    assert end == dt.date(2025, 2, 1)
    assert [(s.age, s.due) for s in statuses] == [(0, False), (0, False)]
