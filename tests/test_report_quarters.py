"""A months table with a quarter row (a small fund): every format renders it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from aidbooks.reports.i18n import Formatter
from tests import report_small as small

# Six households every month, but only one in May: May is merged into Q2.
GRANTS = [
    *small.spread([1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12], "Groceries", range(6), "50"),
    small.Grant(5, "Groceries", 1, "50"),
]


@pytest.mark.parametrize("label", ["2025", "2025-Q2"])
def test_quarter_row_renders_in_every_language(label: str) -> None:
    built = small.report(small.books_text(GRANTS), small.policy(), label)
    report = json.loads(built.files["report.json"])
    assert [r["period"] for r in report["months"] if "Q" in r["period"]] == ["2025-Q2"]
    en = built.files["report.en.html"].decode()
    es = built.files["report.es.html"].decode()
    assert "2nd quarter 2025" in en and "2.º trimestre de 2025" in es
    assert "2nd quarter 2025" in built.files["report.en.md"].decode()
    assert "2.º trimestre de 2025" in built.files["report.es.md"].decode()
    # the chart's axis names the quarter in the page's language
    assert ">Q2<" in en and ">T2<" in es


@pytest.mark.parametrize(
    ("lang", "short", "long"),
    [
        ("en", ["Q1", "Q4"], ["1st quarter 2025", "4th quarter 2025"]),
        ("es", ["T1", "T4"], ["1.er trimestre de 2025", "4.º trimestre de 2025"]),
    ],
)
def test_quarter_labels(lang: str, short: list[str], long: list[str]) -> None:
    f = Formatter(lang, "USD", Decimal(1))
    assert [f.short_month(q) for q in ("2025-Q1", "2025-Q4")] == short
    assert [f.month(q) for q in ("2025-Q1", "2025-Q4")] == long
