"""The release history: where the books keep every report they published, and what it closes.

A fund publishes reports for whole months, quarters and years. Each release is
recorded inside the books' own folder, so every command (``report``, ``verify``,
``check``) and Fava's preview read one complete history, whatever folder the public
copy was written to and whatever the fund is called now::

    main.beancount
    published/
      2025-03/
        report.json      the numbers as published (public)
        manifest.json    its manifest (public): fingerprints, the chain, the seal
        closed.txt       private: a fingerprint of every transaction of the period

Keep ``published/`` under the books' git like every other file of the books.

**Published periods are closed.** Once a month is inside a published period, its
numbers stand: a transaction dated in it that was not there when it was published,
or one changed or removed since, is a finding of ``aidbooks check`` (and stops
``aidbooks report``). A late grant or a correction is booked in an open period
with ``corrects: "2025-03"`` naming the period it corrects::

    2025-05-02 * "Rent support (recorded late)"
      corrects: "2025-03"
      recipient: "R-…"
      Expenses:Aid:Rent        400.00 USD
      Assets:Bank:Checking

``closed.txt`` holds, per month, a fingerprint of each transaction: its date, and
for every posting the account, the amount, and the ``fund`` and ``recipient`` it
carries (the transaction's as well) — what reports are computed from. Editing a
narration, a tag or a receipt link changes no report and is not a change.
It stays in the books' folder, which is as private as the books.

This module is the ground floor's part (the location, the fingerprints, the
months a history closes); writing and reading whole releases is
:mod:`aidbooks.reports.history`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

from beancount.core import data

from aidbooks.plugins.conventions import FUND
from aidbooks.plugins.conventions import RECIPIENT

#: The folder of the release history, beside the main ledger file.
FOLDER = "published"
#: The private list of fingerprints of a release.
CLOSED = "closed.txt"
#: The metadata key that books a correction of a closed period in an open one.
CORRECTS = "corrects"

_LABEL = re.compile(r"\d{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?")


def history_folder(ledger_file: Path) -> Path:
    """The release history of the books whose main file is ``ledger_file``."""
    return ledger_file.parent / FOLDER


def is_label(name: str) -> bool:
    """True when ``name`` is a period label (``2025``, ``2025-Q1``, ``2025-03``)."""
    return _LABEL.fullmatch(name) is not None


def months_of(label: str) -> list[str]:
    """The ``YYYY-MM`` months of a period label."""
    year = int(label[:4])
    if len(label) == 4:
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    if label[5] == "Q":
        first = (int(label[6]) - 1) * 3 + 1
        return [f"{year}-{m:02d}" for m in range(first, first + 3)]
    return [label]


def month_end(month: str) -> dt.date:
    """The last day of a ``YYYY-MM`` month."""
    year, number = int(month[:4]), int(month[5:7])
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def fingerprint(entry: data.Transaction) -> str:
    """What reports read of a transaction, as 16 hex digits (see the module docstring)."""
    meta = entry.meta or {}
    parts = [entry.date.isoformat(), str(meta.get(FUND, "")), str(meta.get(RECIPIENT, ""))]
    for posting in entry.postings:
        units = posting.units
        pmeta = posting.meta or {}
        parts.append(
            f"{posting.account} {units.number if units else ''} "
            f"{units.currency if units else ''} {pmeta.get(FUND, '')} "
            f"{pmeta.get(RECIPIENT, '')}"
        )
    parts[3:] = sorted(parts[3:])
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def fingerprints(entries: Iterable[data.Directive], months: set[str]) -> Iterator[str]:
    """``YYYY-MM fingerprint`` of every transaction dated in ``months`` (one pass)."""
    for entry in entries:
        if type(entry) is data.Transaction:
            month = entry.date.isoformat()[:7]
            if month in months:
                yield f"{month} {fingerprint(entry)}"


def closed_text(entries: Iterable[data.Directive], label: str) -> str:
    """The ``closed.txt`` of a release of period ``label``: sorted lines, one per transaction."""
    lines = sorted(fingerprints(entries, set(months_of(label))))
    return "".join(f"{line}\n" for line in lines)


def read_closed(text: str) -> dict[str, list[str]]:
    """Month → fingerprints, from a ``closed.txt``. Malformed lines are left out."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        month, _, value = line.partition(" ")
        if len(month) == 7 and len(value) == 16:
            out.setdefault(month, []).append(value)
    return out


def changes(
    entries: Iterable[data.Directive], closed: dict[str, list[str]]
) -> tuple[list[data.Transaction], dict[str, int]]:
    """What changed in closed months since they were published (one pass).

    Args:
      entries: The books as loaded now.
      closed: Month → fingerprints recorded when the month was first published.

    Returns:
      The transactions dated in a closed month that the record does not hold (new or
      changed since), and per month the number of recorded transactions that are gone
      (removed or changed since).
    """
    left = {month: _counts(values) for month, values in closed.items()}
    added: list[data.Transaction] = []
    for entry in entries:
        if type(entry) is not data.Transaction:
            continue
        month = entry.date.isoformat()[:7]
        counts = left.get(month)
        if counts is None:
            continue
        value = fingerprint(entry)
        if counts.get(value, 0) > 0:
            counts[value] -= 1
        else:
            added.append(entry)
    gone = {m: n for m, c in left.items() if (n := sum(c.values()))}
    return added, gone


def _counts(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out
