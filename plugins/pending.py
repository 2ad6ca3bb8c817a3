"""The ``pending`` rule: a transaction waiting for approval does not wait forever.

A grant that is agreed but not yet approved (or a payment not yet confirmed) is
written with the ``!`` flag: it is in the books, but the approval rules treat it as
not final. That is a fine state for a few days; a ``!`` transaction months old is a
grant nobody approved, or a payment nobody confirmed.

What it enforces (strict tier: ``aidbooks check --strict``; findings are Beancount
errors at the transaction, ``file:line``):

* A transaction flagged ``!`` and dated more than ``pending.max_age_days`` days
  before the last transaction in the books is a finding, with its age. (The age is
  measured against the books, not today, so the verdict never changes on its own.)

Fix it by approving it (add ``approved-by:`` if the amount needs it, and change
``!`` to ``*``), or by removing it if it did not happen.

Configure in ``aidbooks.toml``::

    [pending]
    max_age_days = 14   # `!` transactions older than this are listed

Run by ``aidbooks check --strict``; a fund may also switch it on in its ledger::

    plugin "aidbooks.plugins.pending"

Example (limit 14 days, last transaction of the books on 2025-12-31)::

    2025-12-26 ! "Rent assistance (waiting for a second approval)"   ; fine: 5 days
      approved-by: "V-0N2CE-7RPWX"
      Expenses:Aid:Rent        300.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-11-02 ! "Utility bill"                                       ; finding: 59 days
      Expenses:Aid:Utilities   120.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins.conventions import PENDING_FLAG
from aidbooks.plugins.conventions import last_date
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


class PendingError(RuleError):
    """A finding of the ``pending`` rule."""

    __slots__ = ()
    rule: ClassVar[str] = "pending"


@dataclass(frozen=True)
class Waiting:
    """A pending (``!``) transaction (see :func:`waiting`).

    Attributes:
      entry: The transaction.
      age: Days from its date to the end of the books.
      overdue: True when ``age`` is above ``pending.max_age_days`` (a finding).
    """

    entry: data.Transaction
    age: int
    overdue: bool


def waiting(
    entries: list[data.Directive], policy: Policy, until: dt.date | None = None
) -> tuple[dt.date | None, list[Waiting]]:
    """Every ``!`` transaction, oldest first, aged against the end of the books.

    Args:
      entries: The loaded entries, sorted by date.
      policy: The fund's policy (``pending.max_age_days``).
      until: Look only at transactions dated on or before this day (default: all).

    Returns:
      (the end of the books: the last transaction looked at, or None; the pending
      transactions).
    """
    now = last_date(entries, until)
    if now is None:
        return None, []
    limit = policy.pending.max_age_days
    found: list[Waiting] = []
    transaction = data.Transaction
    for entry in entries:
        if type(entry) is not transaction or entry.flag != PENDING_FLAG:
            continue
        if entry.date > now:
            break
        age = (now - entry.date).days
        found.append(Waiting(entry, age, age > limit))
    return now, found


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """List ``!`` transactions older than ``pending.max_age_days`` (one pass)."""
    now, found = waiting(entries, policy)
    limit = policy.pending.max_age_days
    return [
        PendingError(
            item.entry.meta,
            f"this transaction has been pending (!) for {item.age} days (at {now}, the "
            f"last date in the books; the limit is {limit}). Approve it and "
            f"change ! to *, or remove it if it did not happen",
            item.entry,
        )
        for item in found
        if item.overdue
    ]


__plugins__ = (as_plugin(validate),)
