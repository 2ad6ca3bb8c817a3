"""The categories table lists the fund's whole vocabulary, and "Other aid" names none."""

from __future__ import annotations

import json
from typing import Any

from beancount import loader

from aidbooks.reports.aggregate import aggregate
from aidbooks.reports.cells import OTHER_AID
from aidbooks.reports.cells import CellMaker
from aidbooks.reports.disclosure import layout_of
from aidbooks.reports.disclosure import plan
from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import parse_period
from tests import report_small as small

POLICY = small.policy()  # min_cell 3
GRANTS = [
    *small.spread(range(1, 13), "Groceries", range(8), "40"),
    small.Grant(2, "Rent", 9, "700"),  # one household: sensitive
    *small.spread([3], "Utilities", range(4, 8), "100"),
]
TEXT = small.books_text(
    GRANTS,
    extra_accounts=["Expenses:Aid:Phone", "Expenses:Aid:Medicine"],
    extra_lines=[
        "2024-12-15 close Expenses:Aid:Medicine",  # closed before 2025: not listed
        "2025-05-01 open Expenses:Aid:Childcare USD",  # opened in Q2
    ],
)
HIDDEN_NAMES = ("Rent", "Utilities")


def _q1() -> tuple[dict[str, Any], dict[str, bytes]]:
    built = small.report(TEXT, POLICY, "2025-Q1")
    return json.loads(built.files["report.json"]), built.files


def test_every_open_category_is_listed() -> None:
    report, _files = _q1()
    rows = {r["name"]: r for r in report["categories"]}
    assert list(rows) == ["Groceries", "Phone", OTHER_AID]
    assert rows["Phone"] == {
        "name": "Phone",
        "merged": [],
        "amount": "0",
        "cash": "0",
        "noncash": "0",
        "grants": 0,
        "households": 0,
        "suppressed": False,
    }
    year = json.loads(small.report(TEXT, POLICY, "2025").files["report.json"])
    assert "Childcare" in [r["name"] for r in year["categories"]]
    assert "Medicine" not in [r["name"] for r in year["categories"]]


def test_other_aid_names_none_of_its_categories() -> None:
    report, files = _q1()
    other = next(r for r in report["categories"] if r["name"] == OTHER_AID)
    assert other["merged"] == [] and other["households"] == 5
    for name, payload in files.items():
        if name.endswith((".html", ".md", ".csv", ".json")) and name != "manifest.json":
            text = payload.decode()
            assert not any(n in text for n in HIDDEN_NAMES), name
    assert "groups types of assistance that each covered too few households to show on their own." in files["report.en.md"].decode()  # fmt: skip
    assert "\nOther aid,5,5,1100,0,1100,\n" in files["csv/categories.csv"].decode()


def _earlier_layout(report: PublicReport, label: str) -> tuple[str, ...]:
    entries, errors, options = loader.load_string(TEXT)
    assert not errors
    agg = aggregate(entries, options, POLICY, parse_period(label))
    return layout_of(report, CellMaker(agg)).other


def test_layout_of_an_earlier_report_derives_other_aid() -> None:
    report, _files = _q1()
    q1 = PublicReport.model_validate(report)
    assert _earlier_layout(q1, "2025") == HIDDEN_NAMES
    # a report made before the vocabulary was listed names its merged categories
    rows = [r.model_copy(update={"merged": ["Rent"]}) if r.name == OTHER_AID else r
            for r in q1.categories]  # fmt: skip
    older = q1.model_copy(update={"categories": rows})
    assert _earlier_layout(older, "2025") == ("Rent",)


def test_a_later_report_takes_the_earlier_one_into_account() -> None:
    entries, errors, options = loader.load_string(TEXT)
    assert not errors
    report, _files = _q1()
    q1 = PublicReport.model_validate(report)
    year = parse_period("2025")
    agg = aggregate(entries, options, POLICY, year, (parse_period("2025-Q1"),))
    d = plan(agg, POLICY, [q1])
    ((period, group, gone),) = d.earlier
    assert period.label == "2025-Q1"
    other = next(c for c in group if c.id == "2025-Q1|categories/Other aid/amount")
    assert {k[0] for k in other.coefficients} == {"aid:Rent", "aid:Utilities"}
    assert not gone or all(not g.endswith("Other aid/amount") for g in gone)
