"""Reading the metadata the book conventions define, the same way in every fund rule.

The conventions (docs/design.md#metadata-keys) give a few metadata keys a meaning:

* ``fund: "<name>"`` on a transaction or a posting (the posting wins), default
  ``general``: which fund a posting's money belongs to;
* ``recipient: "R-…"`` on an aid or receivable posting (a transaction-level
  ``recipient:`` applies to all of its aid postings): which code, and through the
  ``aid-link`` declarations (:mod:`aidbooks.plugins.households`) which household —
  read with :func:`recipient_of` and :func:`household_of`;
* ``approved-by: "V-…, V-…"`` on the transaction: who approved it;
* ``override: "<reason>"`` on the transaction: why a household cap is exceeded;
* the ``!`` flag: the transaction is pending, not yet final.

The rules in ``funds``, ``approvals``, ``caps``, ``clearing``, ``receivables`` and
``pending``, the reports and the Fava pages read them through this module, so a
change of convention is made once.
Nothing here mutates an entry.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from beancount.core import data

from aidbooks.plugins import codes
from aidbooks.plugins.households import Households
from aidbooks.plugins.policy import GENERAL_FUND

FUND = "fund"
RECIPIENT = "recipient"
APPROVED_BY = "approved-by"
OVERRIDE = "override"
PENDING_FLAG = "!"
VOLUNTEER = codes.DECLARATION["volunteer"]  # the custom directive that declares one

__all__ = [
    "APPROVED_BY",
    "FUND",
    "GENERAL_FUND",
    "OVERRIDE",
    "PENDING_FLAG",
    "RECIPIENT",
    "VOLUNTEER",
    "approval_problem",
    "household_of",
    "last_date",
    "money",
    "note_declaration",
    "ordinal",
    "parse_approvers",
    "recipient_of",
    "shown",
]


def recipient_of(entry: data.Transaction, posting: data.Posting) -> Any:
    """The ``recipient:`` of an aid or receivable posting, as written (or None).

    The posting's own wins; else the transaction's applies. The value is what the
    books hold: the ``recipients`` rule says when it is not a declared code.
    """
    pmeta = posting.meta
    value = pmeta.get(RECIPIENT) if pmeta else None
    if value is None:
        value = entry.meta.get(RECIPIENT)
    return value


def household_of(
    entry: data.Transaction, posting: data.Posting, households: Households
) -> str | None:
    """The household of an aid or receivable posting: the head code of its links.

    Every code of a family linked with ``aid-link`` gives the same household
    (:mod:`aidbooks.plugins.households`); a code in no link is its own household.
    None when the posting names no recipient (the ``recipients`` rule's finding).
    """
    value = recipient_of(entry, posting)
    if type(value) is not str:
        return None
    return str(households.head.get(value, value))


def money(number: Decimal, currency: str) -> str:
    """Format an amount for a message: ``1234.50 USD``."""
    return f"{number:.2f} {currency}"


def shown(code: str, kind: codes.Kind) -> str:
    """A code as a message may show it: itself when valid, else a description.

    Messages may name codes (they are what the books use), but whatever someone
    wrote in a code's place (a name, a phone number) is never repeated.
    """
    if codes.problem(code, kind) is None:
        return code
    return f"a {kind} that is not a valid code (see the recipients check)"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` ... for positions in a list."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def note_declaration(entry: data.Directive, kind: str, found: dict[str, dt.date]) -> None:
    """Record ``entry`` in ``found`` if it declares a code with ``custom "<kind>"``.

    ``found`` maps each code to the date of its first declaration; a declaration
    dated on or before a use counts for that use (the conventions). Rules collect
    declarations during their own pass; entries are sorted by date, but a
    declaration and a transaction of the same day may come in either order (they
    sort by line number, across files), so a rule re-checks at the end of its pass
    whatever failed for want of a declaration.
    """
    if type(entry) is data.Custom and entry.type == kind and entry.values:
        value = entry.values[0].value
        if isinstance(value, str) and value not in found:
            found[value] = entry.date


def last_date(
    entries: Sequence[data.Directive], until: dt.date | None = None
) -> dt.date | None:
    """The date of the last transaction in the (date-sorted) books, or None.

    Rules that age something ("still open after 40 days") measure against this date,
    not today's, so a verdict depends on the books alone and never changes on its own.
    With ``until``, the last transaction dated on or before that day (the Fava page
    shows the books as they stood then).
    """
    txn = data.Transaction
    for entry in reversed(entries):
        if type(entry) is txn and (until is None or entry.date <= until):
            return entry.date
    return None


def parse_approvers(value: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Split an ``approved-by`` value into volunteer codes and bad positions.

    Returns:
      (the distinct valid volunteer codes in order, the 1-based positions of items
      that are not volunteer codes). The bad items themselves are never returned:
      someone may have written a name there.
    """
    if not isinstance(value, str):
        return (), (1,)
    found: list[str] = []
    bad: list[int] = []
    for position, raw in enumerate(value.split(","), start=1):
        item = raw.strip()
        if not item:
            continue
        if _is_volunteer_code(item):
            if item not in found:
                found.append(item)
        else:
            bad.append(position)
    return tuple(found), tuple(bad)


@functools.lru_cache(maxsize=4096)
def _is_volunteer_code(item: str) -> bool:
    # A fund has a few dozen volunteers whose codes repeat in thousands of
    # approvals: the check character is computed once per distinct code.
    return codes.problem(item, "volunteer") is None


def approval_problem(
    meta: dict[str, Any],
    date: dt.date,
    volunteers: dict[str, dt.date],
    needed: int,
    exclude: Iterable[str] = (),
) -> str | None:
    """Say why a transaction's ``approved-by`` does not carry ``needed`` approvals.

    An approval counts when it is a volunteer code, declared with
    ``custom "aid-volunteer"`` on or before ``date``, distinct from the others and
    not in ``exclude`` (the volunteers the transaction reimburses).

    Returns:
      None when the approvals suffice, else a clause such as ``"approved-by names
      1 declared volunteer (V-… is not declared)"`` to build a message from.
    """
    if APPROVED_BY not in meta:
        return "it has no approved-by"
    found, bad = parse_approvers(meta[APPROVED_BY])
    excluded = set(exclude) if exclude else ()
    if not bad and len(found) >= needed:  # the common case, without building notes
        count = 0
        for code in found:
            declared = volunteers.get(code)
            if declared is not None and declared <= date and code not in excluded:
                count += 1
        if count >= needed:
            return None
    valid: list[str] = []
    notes: list[str] = []
    for code in found:
        declared = volunteers.get(code)
        if code in excluded:
            notes.append(f"{code} is reimbursed by it")
        elif declared is None:
            notes.append(f"{code} is not declared as aid-volunteer")
        elif declared > date:
            notes.append(f"{code} is declared only from {declared}")
        else:
            valid.append(code)
    if bad:
        where = ", ".join(ordinal(p) for p in bad)
        notes.append(f"the {where} item is not a volunteer code")
    if len(valid) >= needed:
        return None
    people = "volunteer" if len(valid) == 1 else "volunteers"
    detail = f" ({'; '.join(notes)})" if notes else ""
    return f"approved-by names {len(valid)} distinct declared {people}{detail}"
