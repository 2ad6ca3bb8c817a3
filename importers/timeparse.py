"""Platform timestamps → the fund's local date.

Every platform writes time differently (docs/platforms.md#time-zones): explicit UTC
(Stripe, Open Collective, the Venmo charity profile), a zone abbreviation (PayPal's
``TimeZone`` column, Cash App's ``2023-10-07 16:12:36 EDT``), an IANA name (PayPal
statements), or nothing at all (Venmo's personal statement — probably UTC, so the
policy's ``imports.venmo_timezone`` decides). A transaction is booked on the
**fund's local date** (``fund.timezone``): a donation made at 11 pm in Chicago
belongs to that day, not to the next UTC day. The raw text is kept in the
``timestamp`` metadata so the conversion can always be checked.

Bank posting dates (Chase CSV, OFX ``DTPOSTED``) are business dates, not instants:
they are kept as the bank wrote them.

Abbreviations are ambiguous in general; the table below fixes the common ones
(``IST`` is India, ``CST`` is US Central). An unknown abbreviation is an error, not
a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from aidbooks.plugins.zones import ZoneError
from aidbooks.plugins.zones import iana_zone

#: Zone abbreviation -> UTC offset in minutes.
ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 60,
    "WEST": 60,
    "CET": 60,
    "MEZ": 60,
    "CEST": 120,
    "MESZ": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "IST": 330,
    "SGT": 480,
    "HKT": 480,
    "JST": 540,
    "KST": 540,
    "AWST": 480,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HST": -600,
    "HDT": -540,
    "AKST": -540,
    "AKDT": -480,
    "PST": -480,
    "PDT": -420,
    "MST": -420,
    "MDT": -360,
    "CST": -360,
    "CDT": -300,
    "EST": -300,
    "EDT": -240,
    "AST": -240,
    "ADT": -180,
    "NST": -210,
    "NDT": -150,
    "BRT": -180,
    "ART": -180,
}


class TimeError(ValueError):
    """A cell that is not a timestamp (the message never quotes the cell)."""


def _digits(text: str) -> bool:
    """True for ASCII digits only: ``"²".isdigit()`` is true, but ``int("²")`` fails."""
    return text.isascii() and text.isdigit()


@lru_cache(maxsize=64)
def zone(name: str) -> dt.tzinfo:
    """Return a tzinfo for an abbreviation, a UTC offset or an IANA name.

    Raises:
      TimeError: The zone is unknown.
    """
    text = name.strip()
    upper = text.upper()
    if upper in ABBREVIATIONS:
        return dt.timezone(dt.timedelta(minutes=ABBREVIATIONS[upper]), upper)
    match = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", upper)
    if match:
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        sign = -1 if match.group(1) == "-" else 1
        return dt.timezone(dt.timedelta(minutes=sign * minutes))
    try:
        return iana_zone(text)
    except ZoneError:
        raise TimeError("the time zone is not known") from None


#: Years a platform timestamp may fall in. Outside them a cell is a typo or a
#: placeholder (``0001-01-01``, ``9999-12-31``), and turning such an instant into
#: another zone's date would step off the calendar.
YEARS = range(1900, 3000)


def plausible(moment: dt.datetime) -> dt.datetime:
    """Return ``moment`` if its year is in :data:`YEARS`.

    Raises:
      TimeError: the year is out of range.
    """
    if moment.year not in YEARS:
        raise TimeError("the year is out of range")
    return moment


def local_date(moment: dt.datetime, fund_zone: dt.tzinfo) -> dt.date:
    """The fund's local calendar date of an aware instant."""
    if moment.tzinfo is None:
        raise TimeError("the timestamp has no time zone")
    try:
        return moment.astimezone(fund_zone).date()
    except OverflowError:  # 9999-12-31 23:00 -05:00 is in year 10000 in UTC
        raise TimeError("the timestamp is out of range") from None


_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def parse_iso(text: str, default_zone: dt.tzinfo) -> dt.datetime:
    """Parse ``2025-05-03``, ``2025-05-03 14:22[:10]``, ``2025-05-03T14:22:10[Z|+02:00]``.

    A timestamp without an offset is read in ``default_zone``.
    """
    match = _ISO.fullmatch(text.strip())
    if not match:
        raise TimeError("the timestamp is not in the expected format")
    year, month, day, hour, minute, second, offset = match.groups()
    tz = default_zone
    if offset:
        tz = zone("UTC") if offset == "Z" else zone(offset)
    return _build(year, month, day, hour or 0, minute or 0, second or 0, tz)


def parse_date(text: str, order: str) -> dt.date:
    """Parse a numeric date in ``order`` "MDY", "DMY" or "YMD" (any of / . - separators).

    Raises:
      TimeError: The cell is not such a date.
    """
    parts = re.split(r"[/.\-]", text.strip())
    if len(parts) != 3 or not all(_digits(p) for p in parts):
        raise TimeError("the date is not in the expected format")
    values = dict(zip(order, (int(p) for p in parts), strict=True))
    year = values["Y"]
    if year < 100:
        year += 2000
    try:
        return dt.date(year, values["M"], values["D"])
    except (ValueError, OverflowError):
        raise TimeError("the date is not a real calendar date") from None


def parse_clock(text: str) -> dt.time:
    """Parse ``14:22:10``, ``2:51:26`` or ``14:22``."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text.strip(), re.ASCII)
    if not match:
        raise TimeError("the time of day is not in the expected format")
    hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return dt.time(hour, minute, second)
    except (ValueError, OverflowError):
        raise TimeError("the time of day is out of range") from None


def date_order(samples: list[str], default: str) -> str:
    """Decide "MDY" or "DMY" for a file's slash dates from all of its date cells.

    A first part above 12 means day-first; a second part above 12 month-first;
    a file where nothing decides keeps ``default`` (the export language's habit).
    """
    for sample in samples:
        parts = re.split(r"[/.\-]", sample.strip())
        if len(parts) != 3 or not all(_digits(p) for p in parts):
            continue
        if len(parts[0]) == 4:
            return "YMD"
        first, second = int(parts[0]), int(parts[1])
        if first > 12 >= second:
            return "DMY"
        if second > 12 >= first:
            return "MDY"
    return default


def _build(
    year: str | int,
    month: str | int,
    day: str | int,
    hour: str | int,
    minute: str | int,
    second: str | int,
    tz: dt.tzinfo,
) -> dt.datetime:
    try:
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz
        )
    except (ValueError, OverflowError):
        raise TimeError("the timestamp is not a real date and time") from None


def combine(day: dt.date, clock: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """An aware datetime from a date, a time of day and a zone."""
    return dt.datetime.combine(day, clock, tzinfo=tz)
