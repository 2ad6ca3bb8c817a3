"""Report periods: whole years, quarters and months only."""

from __future__ import annotations

import datetime as dt

import pytest

from aidbooks.plugins.errors import AidbooksError
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period
from aidbooks.reports.period import unpublished
from aidbooks.reports.period import window


@pytest.mark.parametrize(
    ("text", "start", "end", "months"),
    [
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 12),
        ("2025-Q1", dt.date(2025, 1, 1), dt.date(2025, 3, 31), 3),
        ("2024-q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31), 3),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), 1),
    ],
)
def test_whole_periods(text: str, start: dt.date, end: dt.date, months: int) -> None:
    period = parse_period(text)
    assert (period.start, period.end, len(period.months)) == (start, end, months)
    assert parse_period(period.label) == period


@pytest.mark.parametrize(
    "text",
    [
        "2025-13",
        "2025-00",
        "2025-Q0",
        "2025-Q5",
        "2025-03-01",
        "Q1-2025",
        "",
        "2025-1",
        "1899",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(AidbooksError) as caught:
        parse_period(text)
    assert caught.value.exit_code == 2
    assert "whole year, quarter or month" in caught.value.line()


def test_order_nesting_and_previous() -> None:
    year, q4, dec = parse_period("2025"), parse_period("2025-Q4"), parse_period("2025-12")
    assert dec.order_key() < q4.order_key() < year.order_key()
    assert year.contains(q4) and q4.contains(dec) and not dec.contains(q4)
    assert dec.nests_with(year) and not parse_period("2025-Q1").nests_with(dec)
    assert parse_period("2025-01").previous() == parse_period("2024-12")
    assert parse_period("2025-Q1").previous() == parse_period("2024-Q4")
    assert year.previous() == Period(2024, 1, "year")


def test_window_and_unpublished() -> None:
    march = parse_period("2025-03")
    start, end, months = window(march)
    assert (start, end) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert months == ("2025-01", "2025-02", "2025-03")
    assert window(march, (parse_period("2024-Q4"),))[2][0] == "2024-10"
    shown = frozenset({"2025-03", "2025-01"})
    assert [c.label for c in unpublished(months, shown)] == [
        "2025..2025-03", "2025-Q1", "2025-02",
    ]  # fmt: skip
    q2 = window(parse_period("2025-Q2"))[2]
    labels = [c.label for c in unpublished(q2, frozenset({"2025-Q2"}))]
    assert labels == ["2025..2025-06", "2025-Q1", *(f"2025-0{m}" for m in range(1, 7))]
    assert unpublished((), frozenset()) == ()
