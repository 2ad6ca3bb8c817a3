"""The ``receivables`` rule: bail and bond money is owed back per household, and tracked.

Bail and immigration bonds are paid to a court and come back when the case ends,
sometimes years later: the fund lends, it does not spend. The books keep that money
in ``Assets:Receivable:*`` with the household's code on every posting, so the fund
knows what is still out and for whom, and a return is matched to what was posted.

What it enforces (strict tier: ``aidbooks check --strict``; findings are Beancount
errors at the entry, ``file:line``):

1. **Returns cannot exceed what was posted.** Per account, household (a code with
   the codes linked to it, :mod:`aidbooks.plugins.households`) and currency, the money returned (credits) may not exceed the money posted
   (debits) at the end of any day. The finding is at the last return of that day:
   usually a mistyped amount, or a return booked to the wrong household's code.
2. **Old receivables are listed.** Amounts still owed are matched first in, first
   out; an amount posted more than ``receivables.max_age_days`` before the last date
   in the books and still open is a finding at the transaction that posted it, with
   its open amount and age. This is not necessarily wrong (cases take years), but
   the treasurer should look: follow up with the court, or write the part that
   will not come back off to ``Expenses:Aid:Bail`` with the household's code.

Postings without a ``recipient`` are the ``recipients`` rule's finding and are not
matched here.

Configure in ``aidbooks.toml``::

    [receivables]
    max_age_days = 365   # receivables older than this are listed

Run by ``aidbooks check --strict``; a fund may also switch it on in its ledger::

    plugin "aidbooks.plugins.receivables"

Example::

    2025-02-10 * "County Court Clerk" "Bail posted"
      fund: "legal"
      Assets:Receivable:Bail   1500.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-05-02 * "County Court Clerk" "Bail returned"
      fund: "legal"
      Assets:Bank:Checking     1350.00 USD
      Expenses:Aid:Bail         150.00 USD    ; the court kept its fee
        recipient: "R-4F7KM-Q9X2H"
      Assets:Receivable:Bail  -1500.00 USD
        recipient: "R-4F7KM-Q9X2H"
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins.conventions import household_of
from aidbooks.plugins.conventions import last_date
from aidbooks.plugins.conventions import money
from aidbooks.plugins.conventions import shown
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.households import households
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


class ReceivablesError(RuleError):
    """A finding of the ``receivables`` rule."""

    __slots__ = ()
    rule: ClassVar[str] = "receivables"


_ZERO = Decimal(0)

Key = tuple[str, str, str]  # (account, recipient, currency)


class _Lot:
    """An amount posted to a receivable and not yet returned."""

    __slots__ = ("date", "entry", "open")

    def __init__(self, date: dt.date, amount: Decimal, entry: data.Transaction) -> None:
        self.date = date
        self.open = amount
        self.entry = entry


class _Owed:
    """What one household owes on one receivable account: a balance and open lots."""

    __slots__ = ("balance", "lots")

    def __init__(self) -> None:
        self.balance = _ZERO
        self.lots: deque[_Lot] = deque()


@dataclass(frozen=True)
class Owed:
    """Bail or bond money still owed back for one household (see :func:`outstanding`).

    Attributes:
      account: The receivable account (``Assets:Receivable:Bail``).
      recipient: The household's code.
      currency: The currency.
      date: When the money was posted.
      amount: What of it is still owed.
      age: Days from ``date`` to the end of the books.
      old: True when ``age`` is above ``receivables.max_age_days`` (a finding).
      entry: The transaction that posted it.
    """

    account: str
    recipient: str
    currency: str
    date: dt.date
    amount: Decimal
    age: int
    old: bool
    entry: data.Transaction


def _match(
    entries: list[data.Directive], until: dt.date | None = None
) -> tuple[dict[Key, _Owed], list[RuleError]]:
    """Match returns to what was posted, per household (one pass).

    Returns:
      (what each household owes on each account, the findings of returns that
      exceed what was posted). Entries dated after ``until`` are not looked at.
    """
    errors: list[RuleError] = []
    owed: dict[Key, _Owed] = {}
    returns: dict[Key, data.Transaction] = {}  # the last return of the current day
    receivable = accounts.RECEIVABLE
    is_receivable: dict[str, bool] = {}
    transaction = data.Transaction
    day: dt.date | None = None
    links = households(entries, until)

    def close_day() -> None:
        for key, txn in returns.items():
            state = owed[key]
            if state.balance < 0:
                account, recipient, currency = key
                errors.append(
                    ReceivablesError(
                        txn.meta,
                        f"returns of {account} for {shown(recipient, 'recipient')} exceed what "
                        f"was posted "
                        f"for that household by {money(-state.balance, currency)} at "
                        f"the end of {day}. Check the amount and the recipient code "
                        f"against the bail or bond that was posted",
                        txn,
                    )
                )
        returns.clear()

    for entry in entries:
        if type(entry) is not transaction:
            continue
        if until is not None and entry.date > until:
            break
        for posting in entry.postings:
            account = posting.account
            try:
                hit = is_receivable[account]
            except KeyError:
                hit = is_receivable[account] = account.startswith(receivable)
            if not hit:
                continue
            if entry.date != day:  # only days with receivables need closing
                if returns:
                    close_day()
                day = entry.date
            recipient = household_of(entry, posting, links)
            units = posting.units
            amount = None if units is None else units.number
            if (
                units is None
                or not isinstance(recipient, str)
                or not isinstance(amount, Decimal)
            ):
                continue
            if amount == 0:
                continue
            key = (account, recipient, units.currency)
            state = owed.get(key)
            if state is None:
                state = owed[key] = _Owed()
            state.balance += amount
            if amount < 0:
                returns[key] = entry
            queue = state.lots
            positive = amount > 0
            while amount != 0 and queue and (queue[0].open > 0) != positive:
                lot = queue[0]
                if abs(amount) < abs(lot.open):
                    lot.open += amount
                    amount = _ZERO
                    break
                queue.popleft()
                amount += lot.open
            if amount != 0:
                queue.append(_Lot(entry.date, amount, entry))
    if returns:
        close_day()
    return owed, errors


def outstanding(
    entries: list[data.Directive], policy: Policy, until: dt.date | None = None
) -> tuple[dt.date | None, list[Owed]]:
    """Bail and bond money still owed back, per household, oldest first (one pass).

    Args:
      entries: The loaded entries, sorted by date.
      policy: The fund's policy (``receivables.max_age_days``).
      until: Look only at transactions dated on or before this day (default: all).

    Returns:
      (the end of the books as the rule measures it, or None; what is owed).
    """
    limit = policy.receivables.max_age_days
    owed, _errors = _match(entries, until)
    now = last_date(entries, until)
    if now is None:
        return None, []
    found = [
        Owed(
            account,
            recipient,
            currency,
            lot.date,
            lot.open,
            (now - lot.date).days,
            (now - lot.date).days > limit,
            lot.entry,
        )
        for (account, recipient, currency), state in owed.items()
        for lot in state.lots
        if lot.open > 0
    ]
    found.sort(key=lambda o: (o.date, o.account, o.recipient))
    return now, found


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Match returns to receivables per household and age what is open (one pass)."""
    limit = policy.receivables.max_age_days
    owed, errors = _match(entries)
    now = last_date(entries)
    if now is None:
        return errors
    for (account, recipient, currency), state in owed.items():
        for lot in state.lots:
            age = (now - lot.date).days
            if lot.open > 0 and age > limit:
                errors.append(
                    ReceivablesError(
                        lot.entry.meta,
                        f"{money(lot.open, currency)} of {account} for "
                        f"{shown(recipient, 'recipient')}, "
                        f"posted on {lot.date}, is still owed after {age} days (at "
                        f"{now}, the last date in the books; the limit is {limit}). "
                        f"Follow it up and record what comes back, or write off what "
                        f"will not to Expenses:Aid:{accounts.category(account)} with the "
                        f"household's code",
                        lot.entry,
                    )
                )
    return errors


__plugins__ = (as_plugin(validate),)
