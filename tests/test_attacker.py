"""The attacker of :mod:`tests.attacker` works, and can fail: small hand-made reports.

Each case is a handful of report dicts (only the tables it needs; amounts in cents,
``rounding: "0"``, unless it tests rounding) whose true values are known: the
attacker must find exactly what subtraction gives away, narrow an interval with
non-negativity, and leave a properly protected number wide.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.attacker import Attack
from tests.attacker import Infeasible
from tests.attacker import Interval
from tests.attacker import Query
from tests.attacker import Truth
from tests.attacker import exposed
from tests.attacker import period_months

Q1 = period_months("2025-Q1")


def row(
    name: str, amount: str | None, grants: int | None = None, **extra: Any
) -> dict[str, Any]:
    """A categories row (cash only)."""
    return {
        "name": name,
        "amount": amount,
        "cash": amount,
        "noncash": None if amount is None else "0",
        "grants": grants,
        "households": extra.pop("households", None),
        "merged": extra.pop("merged", []),
        "suppressed": amount is None,
        **extra,
    }


def report(
    label: str, categories: list[dict[str, Any]], rounding: str = "0", **tables: Any
) -> dict[str, Any]:
    """A report of ``label`` with only the tables given."""
    months = period_months(label)
    return {
        "period": {"label": label, "start": f"{months[0]}-01", "end": f"{months[-1]}-28"},
        "privacy": {"min_cell": 11, "rounding": rounding},
        "categories": categories,
        **tables,
    }


def other(
    amount: str | None, merged: list[str], grants: int | None = None
) -> dict[str, Any]:
    return row("Other aid", amount, grants, merged=merged)


def bail_q1(truth: float = 50.0) -> Truth:
    return Truth(Query("amount", Q1, ("Bail",), label="Q1 Bail"), truth)


# ------------------------------------------------------------- recovered exactly


def test_subtraction_recovers_a_merged_category_exactly() -> None:
    """Q1 merges Bail with Medicine; the months show Medicine alone: Bail = the rest."""
    reports = [
        report(
            "2025-Q1",
            [row("Rent", "1000.00", 20), other("300.00", ["Bail", "Medicine"], 6)],
        ),
        report(
            "2025-01", [row("Rent", None), row("Medicine", "100.00", 2), row("Bail", None)]
        ),
        report("2025-02", [row("Rent", None), row("Medicine", "80.00", 2)]),
        report(
            "2025-03", [row("Rent", None), row("Medicine", "70.00", 1), row("Bail", None)]
        ),
    ]
    attack = Attack(reports)
    found = attack.interval(bail_q1().query)
    assert found == Interval(50.0, 50.0)
    assert found.exact()
    grants = attack.interval(Query("grants", Q1, ("Bail",)))
    assert grants == Interval(1.0, 1.0)
    # February names no Bail row: nothing was granted for bail in February
    assert attack.interval(Query("amount", ("2025-02",), ("Bail",))) == Interval(0.0, 0.0)

    (hit,) = exposed(
        attack, [bail_q1(), Truth(Query("amount", Q1, ("Rent",)), 1000.0, False)]
    )
    assert hit.exact
    assert hit.truth.query.label == "Q1 Bail"
    assert "recovered exactly in [50.00, 50.00]" in str(hit)


def test_an_other_aid_row_without_a_merged_list_holds_the_unnamed_categories() -> None:
    """Without ``merged``, "Other aid" is every category of the vocabulary not named."""
    reports = [
        report("2025-Q1", [row("Rent", "1000.00"), other("300.00", [])]),
        report(
            "2025", [row("Rent", "4000.00"), row("Medicine", "250.00"), other(None, [])]
        ),
    ]
    # Medicine is known in the year only; with non-negativity Q1 Medicine <= 250
    attack = Attack(reports, categories=["Rent", "Medicine", "Bail"])
    assert attack.interval(bail_q1().query) == Interval(50.0, 300.0)


def test_totals_and_the_months_table_are_used() -> None:
    """The month's total granted minus its published categories is the hidden one."""
    months = [
        {"period": "2025-03", "granted": "1250.00", "raised": None, "suppressed": False}
    ]
    reports = [
        report(
            "2025-03",
            [row("Rent", "1000.00"), row("Legal", "200.00"), row("Bail", None)],
            totals={"granted": None},
            months=months,
        )
    ]
    attack = Attack(reports)
    assert attack.interval(Query("amount", ("2025-03",), ("Bail",))) == Interval(50.0, 50.0)


def test_a_late_entry_is_the_difference_of_two_vintages() -> None:
    """March is published, a grant is added to March later, Q1 shows March again."""
    march = report(
        "2025-03",
        [row("Rent", "1000.00", 10)],
        months=[{"period": "2025-03", "granted": "1000.00", "raised": None}],
    )
    quarter = report(
        "2025-Q1",
        [row("Rent", "3000.00", 31)],
        months=[
            {"period": "2025-01", "granted": "1000.00", "raised": None},
            {"period": "2025-02", "granted": "936.00", "raised": None},
            {"period": "2025-03", "granted": "1064.00", "raised": None},
        ],
    )
    attack = Attack([march, quarter], vintages=[0, 1])
    late = Query("amount", ("2025-03",), (), vintage=1, since=0)
    assert attack.interval(late) == Interval(64.0, 64.0)
    # one vintage only: the reports contradict each other
    with pytest.raises(Infeasible):
        Attack([march, quarter]).interval(late)


# ------------------------------------------------------------ narrowed, not exact


def test_non_negativity_narrows_an_interval() -> None:
    """Q1 Medicine can be no more than the year's Medicine: Bail >= 300 - 290."""
    reports = [
        report("2025-Q1", [other("300.00", ["Bail", "Medicine"])]),
        report("2025", [row("Medicine", "290.00"), other(None, ["Bail", "Legal"])]),
    ]
    assert Attack(reports).interval(bail_q1().query) == Interval(10.0, 300.0)
    loose = Attack(reports, nonnegative=False).interval(bail_q1().query)
    assert loose.low == float("-inf")
    assert loose.high == float("inf")
    # truth 50: the interval reaches 50 +/- 12.5 on both sides, so it is protected
    assert exposed(Attack(reports), [bail_q1()]) == []
    # truth 12: p = max(3, 5) = 5 must reach down to 7, but 10 is the floor
    (hit,) = exposed(Attack(reports), [bail_q1(12.0)])
    assert not hit.exact
    assert hit.interval == Interval(10.0, 300.0)


def test_rounding_leaves_the_rows_a_unit_either_way() -> None:
    """Whole-dollar rounding: each row may be a unit off, the interval says so."""
    reports = [
        report("2025-Q1", [row("Rent", "1000"), other("300", ["Bail", "Medicine"])], "1"),
        *(
            report(
                month, [row("Rent", None), row("Medicine", amount), row("Bail", None)], "1"
            )
            for month, amount in zip(Q1, ("100", "80", "70"), strict=True)
        ),
    ]
    found = Attack(reports).interval(bail_q1().query)
    assert found.low <= 50.0 <= found.high
    assert not found.exact()
    assert found.width <= 10.0  # +/-1 on cash and non-cash, +/-2 on an amount, per row
    (hit,) = exposed(Attack(reports), [bail_q1()])
    assert not hit.exact


def test_households_of_a_union_lie_between_the_largest_part_and_the_sum() -> None:
    """Monthly households 5, 6, 4 and 13 grants in the quarter: 6 <= Q1 <= 13."""
    reports = [
        report("2025-01", [row("Rent", "500.00", 5, households=5)]),
        report("2025-02", [row("Rent", "600.00", 6, households=6)]),
        report("2025-03", [row("Rent", "200.00", 2, households=4)]),
    ]
    assert not Attack(reports).feasible()  # 4 households with 2 grants
    with pytest.raises(Infeasible):
        Attack(reports).interval(Query("households", Q1, ("Rent",)))
    reports[2]["categories"][0]["grants"] = 4
    attack = Attack(reports)
    assert attack.feasible()
    assert attack.interval(Query("households", Q1, ("Rent",))) == Interval(6.0, 15.0)
    assert attack.interval(Query("grants", Q1, ("Rent",))) == Interval(15.0, 15.0)
    quarter = report("2025-Q1", [row("Rent", "1300.00", 15, households=9)])
    attack = Attack([*reports, quarter])
    # Jan + Feb households: at least 6, at most the quarter's 9
    assert attack.interval(Query("households", Q1[:2], ("Rent",))) == Interval(6.0, 9.0)


def test_fee_rates_recover_a_hidden_gross() -> None:
    """Venmo's gross is hidden, its fees are not; the public rate gives the gross away."""
    channels = [
        {"name": "Venmo", "gross": None, "fees": "19.00", "net": None},
        {"name": "Cash", "gross": "500.00", "fees": "0", "net": "500.00"},
    ]
    reports = [report("2025-03", [], channels=channels)]
    gross = Query("gross", ("2025-03",), ("Venmo",))
    assert Attack(reports).interval(gross) == Interval(0.0, float("inf"))
    exact = Attack(reports, fee_rates={"Venmo": 0.019}).interval(gross)
    assert exact.exact()
    assert exact.low == pytest.approx(1000.0)
    loose = Attack(reports, fee_rates={"Venmo": 0.019}, fee_slack=1.9).interval(gross)
    assert loose.low == pytest.approx(900.0)
    assert loose.high == pytest.approx(1100.0)


def test_funds_tie_months_together() -> None:
    """A fund's closing is the next period's opening; received - spent closes the gap."""
    funds_q1 = [
        {
            "name": "legal",
            "opening": "0",
            "received": "500.00",
            "spent": "400.00",
            "closing": "100.00",
        }
    ]
    funds_m = [
        {
            "name": "legal",
            "opening": "100.00",
            "received": "50.00",
            "spent": None,
            "closing": "30.00",
        }
    ]
    reports = [
        report("2025-Q1", [], funds=funds_q1),
        report("2025-04", [], funds=funds_m),
    ]
    spent = Attack(reports, fund_identity=False)
    assert spent.bound(spent.flow("spent", ("2025-04", "legal"))) == Interval(120.0, 120.0)


# ------------------------------------------------------------------ protected


def test_a_properly_protected_set_leaves_the_hidden_number_wide() -> None:
    """Bail is merged with Medicine in every report: nothing splits them."""
    reports = [
        report("2025-Q1", [row("Rent", "1000.00"), other("300.00", ["Bail", "Medicine"])]),
        report("2025-Q2", [row("Rent", "1100.00"), other("250.00", ["Bail", "Medicine"])]),
        report("2025", [row("Rent", "4300.00"), other("1200.00", ["Bail", "Medicine"])]),
    ]
    attack = Attack(reports)
    assert attack.interval(bail_q1().query) == Interval(0.0, 300.0)
    assert exposed(attack, [bail_q1()]) == []
    # and the month inside is as wide
    march = Truth(Query("amount", ("2025-03",), ("Bail",)), 50.0)
    assert exposed(attack, [march]) == []
    assert attack.interval(march.query) == Interval(0.0, 300.0)


def test_cells_that_are_not_sensitive_are_not_judged() -> None:
    reports = [report("2025-Q1", [row("Rent", "1000.00", 20)])]
    truth = Truth(Query("amount", Q1, ("Rent",)), 1000.0, sensitive=False)
    assert exposed(Attack(reports), [truth]) == []
    assert len(exposed(Attack(reports), [Truth(truth.query, 1000.0)])) == 1
