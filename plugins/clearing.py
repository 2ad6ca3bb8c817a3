"""The ``clearing`` rule: money in transit arrives, and does so soon.

A platform payout leaves Venmo (or PayPal, Stripe ...) on one day and reaches the
bank a few days later. The books park it in ``Assets:Clearing:<Platform>`` in
between. Money that stays there means a payout that never arrived, an arrival
recorded against the wrong platform, or an import that missed a file: exactly what
an auditor's reconciliation looks for.

What it enforces (strict tier: ``aidbooks check --strict``; findings are Beancount
errors at the transaction where the money entered clearing, ``file:line``):

* Every amount that enters an ``Assets:Clearing:*`` account leaves it again within
  ``reconcile.clearing_days`` days. Amounts are matched first in, first out, per
  account and currency: an amount leaving clears the oldest open amounts first.
  (An amount leaving before anything entered, e.g. an arrival recorded before its
  payout, opens a negative amount that the next entry clears, under the same limit.)
* An amount that cleared late is a finding with the days it took; an amount still
  open at the end of the books is a finding with the open amount and its age.

"Now", for amounts still open, is the date of the last transaction in the books,
not today: the verdict depends on the books alone.

Configure in ``aidbooks.toml``::

    [reconcile]
    clearing_days = 10   # Assets:Clearing:* must return to zero within this many days

Run by ``aidbooks check --strict``; a fund may also switch it on in its ledger::

    plugin "aidbooks.plugins.clearing"

Example (limit 10 days)::

    2025-03-03 * "Transfer to bank"
      Assets:Clearing:Venmo    480.00 USD
      Assets:Platform:Venmo   -480.00 USD

    2025-03-05 * "Venmo transfer received"      ; cleared after 2 days: fine
      Assets:Bank:Checking     480.00 USD
      Assets:Clearing:Venmo   -480.00 USD

    2025-03-10 * "Transfer to bank"             ; finding if nothing arrives by 03-20
      Assets:Clearing:Venmo    120.00 USD
      Assets:Platform:Venmo   -120.00 USD
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
from aidbooks.plugins.conventions import last_date
from aidbooks.plugins.conventions import money
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


class ClearingError(RuleError):
    """A finding of the ``clearing`` rule."""

    __slots__ = ()
    rule: ClassVar[str] = "clearing"


_ZERO = Decimal(0)

Key = tuple[str, str]  # (account, currency)


class _Lot:
    """An amount that entered a clearing account and is not yet matched."""

    __slots__ = ("date", "entry", "open")

    def __init__(self, date: dt.date, amount: Decimal, entry: data.Transaction) -> None:
        self.date = date
        self.open = amount
        self.entry = entry


@dataclass(frozen=True)
class OpenAmount:
    """An amount still in a clearing account (see :func:`open_amounts`).

    Attributes:
      account: The clearing account.
      currency: Its currency.
      date: When it entered (or, for a negative amount, left before anything entered).
      amount: What is still open (negative: left before a payout entered).
      age: Days from ``date`` to the end of the books.
      late: True when ``age`` is above ``reconcile.clearing_days`` (a finding).
      entry: The transaction that opened it.
    """

    account: str
    currency: str
    date: dt.date
    amount: Decimal
    age: int
    late: bool
    entry: data.Transaction


def _match(
    entries: list[data.Directive],
    limit: int,
    errors: list[RuleError] | None,
    until: dt.date | None = None,
) -> dict[Key, deque[_Lot]]:
    """Match clearing amounts first in, first out; returns the lots still open.

    Amounts that cleared after more than ``limit`` days become findings in
    ``errors`` (when given). Entries dated after ``until`` are not looked at.
    """
    lots: dict[Key, deque[_Lot]] = {}
    clearing = accounts.CLEARING
    is_clearing: dict[str, bool] = {}
    transaction = data.Transaction
    for entry in entries:
        if type(entry) is not transaction:
            continue
        if until is not None and entry.date > until:
            break
        for posting in entry.postings:
            account = posting.account
            try:
                hit = is_clearing[account]
            except KeyError:
                hit = is_clearing[account] = account.startswith(clearing)
            if not hit:
                continue
            units = posting.units
            amount = None if units is None else units.number
            if units is None or not isinstance(amount, Decimal) or amount == 0:
                continue
            key = (account, units.currency)
            queue = lots.get(key)
            if queue is None:
                queue = lots[key] = deque()
            positive = amount > 0
            while amount != 0 and queue and (queue[0].open > 0) != positive:
                lot = queue[0]
                if abs(amount) < abs(lot.open):
                    lot.open += amount  # part of the oldest lot clears
                    amount = _ZERO
                    break
                queue.popleft()  # the oldest lot clears in full
                amount += lot.open
                days = (entry.date - lot.date).days
                if days > limit and errors is not None:
                    errors.append(_late(lot, account, units.currency, days, limit))
            if amount != 0:
                queue.append(_Lot(entry.date, amount, entry))
    return lots


def open_amounts(
    entries: list[data.Directive], policy: Policy, until: dt.date | None = None
) -> tuple[dt.date | None, list[OpenAmount]]:
    """What is still in the clearing accounts, oldest first (one pass).

    Args:
      entries: The loaded entries, sorted by date.
      policy: The fund's policy (``reconcile.clearing_days``).
      until: Look only at transactions dated on or before this day (default: all).

    Returns:
      (the end of the books as the rule measures it: the last transaction looked
      at, or None; the open amounts).
    """
    limit = policy.reconcile.clearing_days
    lots = _match(entries, limit, None, until)
    now = last_date(entries, until)
    if now is None:
        return None, []
    found = [
        OpenAmount(
            account,
            currency,
            lot.date,
            lot.open,
            (now - lot.date).days,
            (now - lot.date).days > limit,
            lot.entry,
        )
        for (account, currency), queue in lots.items()
        for lot in queue
    ]
    found.sort(key=lambda o: (o.date, o.account))
    return now, found


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Match clearing amounts first in, first out and age them (one pass)."""
    limit = policy.reconcile.clearing_days
    errors: list[RuleError] = []
    lots = _match(entries, limit, errors)
    now = last_date(entries)
    if now is None:
        return errors
    for (account, currency), queue in lots.items():
        for lot in queue:
            age = (now - lot.date).days
            if age <= limit:
                continue
            if lot.open > 0:
                what = f"{money(lot.open, currency)} entered {account} on {lot.date}"
                fix = "Record its arrival at the bank, or correct this transfer"
            else:
                what = (
                    f"{money(-lot.open, currency)} left {account} on {lot.date} "
                    f"before any payout entered it"
                )
                fix = "Record the payout it came from, or correct this arrival"
            errors.append(
                ClearingError(
                    lot.entry.meta,
                    f"{what} and is still open after {age} days (at {now}, the last "
                    f"date in the books; the limit is {limit}). {fix}",
                    lot.entry,
                )
            )
    return errors


def _late(lot: _Lot, account: str, currency: str, days: int, limit: int) -> ClearingError:
    return ClearingError(
        lot.entry.meta,
        f"{money(abs(lot.open), currency)} that {'entered' if lot.open > 0 else 'left'} "
        f"{account} on {lot.date} took {days} days to clear (the limit is {limit}). "
        f"Check the dates of this transfer and of its arrival at the bank, or raise "
        f"reconcile.clearing_days in aidbooks.toml",
        lot.entry,
    )


__plugins__ = (as_plugin(validate),)
