"""Fund flows over a period: what each fund had, received, spent and has left.

The treasurer's page (:mod:`aidbooks.overview`) shows every fund's opening,
received, spent and closing balance over the period Fava's time filter selects.
The numbers follow the book conventions the ``funds`` rule enforces
(:mod:`aidbooks.plugins.funds`): a posting belongs to the fund named by its
``fund:``, else by its transaction's, else ``general``; only declared funds count
(the rule reports the others); a fund's balance is minus the sum of its postings on
``Income:*``, ``Expenses:*``, ``Equity:*`` and ``Assets:Receivable:*``. They are the
same numbers as the published report's funds table (a test checks it), for any
range of days, not only whole months, quarters and years.

Kept apart from the rule's module, which checks balances day by day in its own
(shared) pass: this one only sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins.conventions import FUND
from aidbooks.plugins.conventions import GENERAL_FUND
from aidbooks.plugins.policy import Policy

_ZERO = Decimal(0)

#: The accounts whose postings make up fund balances (docs/design.md#accounts).
_FUND_ACCOUNTS = ("Income:", "Expenses:", accounts.EQUITY, accounts.RECEIVABLE)


@dataclass
class FundFlow:
    """One fund over a period (see :func:`flows`): opening + received - spent = closing.

    Attributes:
      name: The fund.
      restricted: Whether the policy restricts it.
      opening: Its balance before the period, plus opening balances booked in it.
      received: Money it received in the period (donations, bail returned, releases
        to it).
      spent: Money it spent in the period (grants, bail posted, releases from it).
      spent_since: What it spent from the ``since`` day of :func:`flows` to the end
        of the period (how fast it is spending lately).
    """

    name: str
    restricted: bool
    opening: Decimal = _ZERO
    received: Decimal = _ZERO
    spent: Decimal = _ZERO
    spent_since: Decimal = _ZERO

    @property
    def closing(self) -> Decimal:
        """The balance at the end of the period."""
        return self.opening + self.received - self.spent


def flows(
    entries: list[data.Directive],
    policy: Policy,
    begin: dt.date | None = None,
    end: dt.date | None = None,
    since: dt.date | None = None,
) -> dict[str, FundFlow]:
    """Every declared fund's opening, received, spent and closing (one pass).

    Postings are attributed to funds as the rule does (the posting's ``fund:``, else
    the transaction's, else ``general``; undeclared funds are left out), in the
    fund's currency. Received and spent are the credits and debits of the
    fund-balance postings, as in the published report; postings to
    ``Equity:Opening-Balances`` count as opening.

    Args:
      entries: The loaded entries, sorted by date.
      policy: The fund's policy.
      begin: The first day of the period (default: the beginning of the books).
      end: The day after the period (default: after the end of the books).
      since: Also sum what each fund spent from this day to ``end`` (any day, even
        before ``begin``), into ``spent_since``.

    Returns:
      Fund name -> its flows, ``general`` first, then the policy's funds in order.
    """
    known = policy.fund_names()
    found = {GENERAL_FUND: FundFlow(GENERAL_FUND, False)}
    for name, fund in policy.funds.items():
        found[name] = FundFlow(name, fund.restricted)
    currency = policy.fund.currency
    opening_account = accounts.OPENING
    moves_funds = _FUND_ACCOUNTS
    facts: dict[str, tuple[bool, bool]] = {}  # account -> (moves funds?, opening?)
    transaction = data.Transaction
    for entry in entries:
        if type(entry) is not transaction:
            continue
        date = entry.date
        if end is not None and date >= end:
            break
        before = begin is not None and date < begin
        recent = since is not None and date >= since
        txn_fund = entry.meta.get(FUND, GENERAL_FUND)
        for posting in entry.postings:
            account = posting.account
            fact = facts.get(account)
            if fact is None:
                fact = facts[account] = (
                    account.startswith(moves_funds),
                    account == opening_account or account.startswith(opening_account + ":"),
                )
            units = posting.units
            if not fact[0] or units is None or units.currency != currency:
                continue
            pmeta = posting.meta
            fund = pmeta[FUND] if pmeta is not None and FUND in pmeta else txn_fund
            if fund not in known or not isinstance(units.number, Decimal):
                continue
            flow = found[fund]
            number = units.number
            if recent and number > 0 and not fact[1]:
                flow.spent_since += number
            if before or fact[1]:
                flow.opening -= number
            elif number < 0:
                flow.received -= number
            else:
                flow.spent += number
    return found
