"""Report periods: whole years, quarters and months, nothing else.

A fund publishes reports only for ``2025`` (a year), ``2025-Q1`` (a quarter) or
``2025-03`` (a month). Arbitrary date ranges are refused on purpose: two
overlapping windows (1 March–30 April and 1 March–29 April) differ by one day,
and the difference of their totals is one family's grant (docs/design.md#privacy-rules,
rule 4). Whole calendar periods nest (months in quarters in years), and the
disclosure control (:mod:`aidbooks.reports.disclosure`) takes every report
already published into account, so nested and consecutive reports cannot be
differenced either.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from aidbooks.plugins.errors import AidbooksError

Kind = Literal["year", "quarter", "month"]

_PATTERN = re.compile(r"(\d{4})(?:-(?:[Qq]([1-4])|(0[1-9]|1[0-2])))?")
_LENGTH = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, order=True)
class Period:
    """A whole calendar year, quarter or month.

    Attributes:
      year: The calendar year.
      first_month: The first month of the period (1-12).
      kind: ``year``, ``quarter`` or ``month``.
    """

    year: int
    first_month: int
    kind: Kind

    @property
    def length(self) -> int:
        """Number of months in the period."""
        return _LENGTH[self.kind]

    @property
    def label(self) -> str:
        """The canonical spelling: ``2025``, ``2025-Q1`` or ``2025-03``."""
        if self.kind == "year":
            return f"{self.year:04d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{(self.first_month - 1) // 3 + 1}"
        return f"{self.year:04d}-{self.first_month:02d}"

    @property
    def start(self) -> dt.date:
        """The first day of the period."""
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period (inclusive)."""
        last = self.first_month + self.length - 1
        return dt.date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def months(self) -> tuple[str, ...]:
        """The months of the period as ``YYYY-MM`` strings."""
        return tuple(
            f"{self.year:04d}-{m:02d}"
            for m in range(self.first_month, self.first_month + self.length)
        )

    @property
    def quarters(self) -> tuple[Period, ...]:
        """The quarters of a year, the quarter itself, or the quarter of a month."""
        if self.kind == "year":
            return tuple(Period(self.year, m, "quarter") for m in (1, 4, 7, 10))
        first = (self.first_month - 1) // 3 * 3 + 1
        return (Period(self.year, first, "quarter"),)

    def contains(self, other: Period) -> bool:
        """True when every month of ``other`` is in this period."""
        return set(other.months) <= set(self.months)

    def nests_with(self, other: Period) -> bool:
        """True when one period contains the other (differencing is possible)."""
        return self.contains(other) or other.contains(self)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        month = self.first_month - self.length
        year = self.year
        if month < 1:
            month += 12
            year -= 1
        return Period(year, month, self.kind)

    def order_key(self) -> tuple[dt.date, int]:
        """Publication order: by last day, shorter periods first on the same day."""
        return (self.end, self.length)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class ToDate:
    """The months of a year or quarter from its start through a month (``2025..2025-03``).

    Never published: the disclosure control uses it to keep the year or quarter a
    later report will cover from being worked out from the reports before it.
    """

    whole: Period
    through: str

    kind = "todate"

    @property
    def months(self) -> tuple[str, ...]:
        """The months from the start of ``whole`` through ``through``."""
        return tuple(m for m in self.whole.months if m <= self.through)

    @property
    def quarters(self) -> tuple[Period, ...]:
        """The quarters of ``whole`` that have begun."""
        return tuple(q for q in self.whole.quarters if q.months[0] <= self.through)

    @property
    def label(self) -> str:
        """``2025..2025-03``."""
        return f"{self.whole.label}..{self.through}"

    @property
    def start(self) -> dt.date:
        """The first day."""
        return self.whole.start

    @property
    def end(self) -> dt.date:
        """The last day."""
        return month_period(self.through).end


def unpublished(
    months: tuple[str, ...], published: frozenset[str]
) -> tuple[Period | ToDate, ...]:
    """Every year, quarter and month the window ``months`` touches, but those in
    ``published`` (labels); a year or quarter the window ends inside of runs up to
    the window's last month (:class:`ToDate`).

    No release shows them (yet), but a release of any of them may come later, or
    readers may bound them from the releases around them.
    """
    if not months:
        return ()
    last = months[-1]
    seen = set(months)
    out: list[Period | ToDate] = []
    for year in sorted({int(m[:4]) for m in months}):
        whole = Period(year, 1, "year")
        for period in (whole, *whole.quarters, *(month_period(m) for m in whole.months)):
            if period.label in published or not seen & set(period.months):
                continue
            out.append(period if period.months[-1] <= last else ToDate(period, last))
    return tuple(out)


def month_period(month: str) -> Period:
    """The period of one ``YYYY-MM`` month."""
    year, number = month.split("-")
    return Period(int(year), int(number), "month")


def parse_period(text: str) -> Period:
    """Parse ``2025``, ``2025-Q1`` or ``2025-03``.

    Raises:
      AidbooksError: anything else, such as a date range or a single day (exit 2).
    """
    match = _PATTERN.fullmatch(text.strip())
    year = int(match.group(1)) if match else 0
    if not match or not 1900 <= year <= 9999:
        raise AidbooksError(
            f"--period {text!r} is not a whole year, quarter or month",
            "use a year (2025), a quarter (2025-Q1) or a month (2025-03); "
            "other ranges could be differenced to reveal one family's grant",
        )
    if match.group(2):
        return Period(year, (int(match.group(2)) - 1) * 3 + 1, "quarter")
    if match.group(3):
        return Period(year, int(match.group(3)), "month")
    return Period(year, 1, "year")


def window(
    period: Period, earlier: tuple[Period, ...] = ()
) -> tuple[dt.date, dt.date, tuple[str, ...]]:
    """First day, last day and months of the window a report's arithmetic covers.

    From the start of the period's year (or of the earliest earlier report) through
    the period's last day, or the last day of a report already published for a
    later period (published out of order): everything a reader holds.
    """
    first = min([Period(period.year, 1, "year").start, *(p.start for p in earlier)])
    last = max([period.end, *(p.end for p in earlier)])
    return first, last, tuple(_month_range(first, last))


def _month_range(start: dt.date, stop: dt.date) -> list[str]:
    out = []
    year, month = start.year, start.month
    while (year, month) <= (stop.year, stop.month):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out
