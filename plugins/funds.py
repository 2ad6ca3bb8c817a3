"""The ``funds`` rule: earmarked money is spent only on what it was given for.

Donors often give for one purpose ("for the bail fund"). A fund that spends such
money on something else, or spends money it does not have, breaks its promise to
them, and auditors test exactly this. This rule keeps a running balance per fund
and checks every transaction against the fund's restrictions.

**Which fund a posting belongs to.** ``fund: "<name>"`` on the posting, else on the
transaction, else ``general``. Every name must be declared in ``aidbooks.toml``
(``general`` always exists and is unrestricted)::

    [funds.legal]
    restricted = true
    categories = ["Legal", "Bail"]    # Expenses:Aid:<Category> and Assets:Receivable:<Category>

**Fund balance.** The balance of fund F is minus the sum of the postings attributed
to F on ``Income:*``, ``Expenses:*``, ``Equity:*`` and ``Assets:Receivable:*``:
donations raise it, grants and bail lower it, returned bail raises it again.
Restricted donations carry ``fund:`` on the ``Income`` posting only, so platform
fees stay in ``general``.

What it enforces (findings are Beancount errors at the entry, ``file:line``):

1. **No overspending.** No fund's balance (per currency) may be below zero at the
   end of any day. The finding is at the transaction that overspent it: the one
   after which the balance stayed below zero until the end of that day (or, when
   the day began already overspent, the first spending of that day). One finding
   per fund and day on which the fund was spent while overspent; a day on which
   nothing is spent from an overspent fund adds no finding.
2. **Restricted funds pay only their categories.** A posting attributed to a
   restricted fund may be on ``Income:*``, ``Equity:*``, ``Expenses:Aid:<C>`` or
   ``Assets:Receivable:<C>`` with ``C`` among the fund's ``categories``; any other
   ``Expenses:*`` posting (fees, operations, another aid category) attributed to a
   restricted fund is a finding, whatever its sign. Fees and operations are paid
   by ``general`` (or by an unrestricted fund): put ``fund: "general"`` on the fee
   posting of a transaction whose other postings belong to a restricted fund.
3. **Declared funds only.** A ``fund:`` value that is not ``general`` and not a
   ``[funds.<name>]`` table is a finding (a typo would otherwise open a new,
   unrestricted fund). Postings of an undeclared fund are left out of the balances.
4. **Releases are explicit and approved.** Money leaves a restricted fund for
   another purpose only through ``Equity:Releases`` postings, which move it between
   funds: ``+X`` with the giving fund, ``-X`` with the receiving one. In each
   transaction the ``Equity:Releases`` postings must add up to zero, and a release
   from a restricted fund needs ``approvals.approvers`` distinct declared volunteer
   codes in ``approved-by:`` whatever its amount (``approvals.threshold`` does not
   apply). A pending (``!``) release is not final, so its approvals are not checked
   yet (the ``pending`` rule lists it when it grows old); its money counts in the
   balances like every posting in the books.

Unrestricted funds (``restricted = false``) are designated by the fund itself: they
keep a balance that must not go below zero, but may pay anything.

Switched on in every ``aidbooks init`` ledger::

    plugin "aidbooks.plugins.funds"

Example (``aidbooks.toml`` declares ``[funds.legal]`` with categories Legal, Bail)::

    2025-03-01 * "Donation for legal aid"
      Income:Donations:Check  -500.00 USD
        fund: "legal"
      Assets:Bank:Checking     500.00 USD

    2025-03-04 * "Legal fees"
      fund: "legal"
      Expenses:Aid:Legal       300.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-03-05 * "Groceries"
      fund: "legal"                       ; finding: legal may not pay Groceries
      Expenses:Aid:Groceries    60.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-12-15 * "Release from restriction: legal fund to general"
      approved-by: "V-0N2CE-7RPWX, V-1B3DF-8SQYZ"
      Equity:Releases          200.00 USD
        fund: "legal"
      Equity:Releases         -200.00 USD
        fund: "general"
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins.conventions import FUND
from aidbooks.plugins.conventions import GENERAL_FUND
from aidbooks.plugins.conventions import PENDING_FLAG
from aidbooks.plugins.conventions import VOLUNTEER
from aidbooks.plugins.conventions import approval_problem
from aidbooks.plugins.conventions import money
from aidbooks.plugins.conventions import note_declaration
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


class FundsError(RuleError):
    """A finding of the ``funds`` rule."""

    __slots__ = ()
    rule: ClassVar[str] = "funds"


# How an account takes part in fund balances.
_OTHER = 0  # not part of any fund balance (money, liabilities)
_INCOME = 1  # Income:* and Equity:* other than releases
_EXPENSE = 2  # Expenses:*
_RECEIVABLE = 3  # Assets:Receivable:*
_RELEASE = 4  # Equity:Releases

_ZERO = Decimal(0)

Key = tuple[str, str]  # (fund, currency)


def _kind(account: str) -> int:
    if account.startswith(accounts.RELEASES) and (
        len(account) == len(accounts.RELEASES) or account[len(accounts.RELEASES)] == ":"
    ):
        return _RELEASE
    if account.startswith(("Income:", accounts.EQUITY)):
        return _INCOME
    if account.startswith("Expenses:"):
        return _EXPENSE
    if account.startswith(accounts.RECEIVABLE):
        return _RECEIVABLE
    return _OTHER


def _names(categories: tuple[str, ...]) -> str:
    return ", ".join(categories) if categories else "nothing (no categories)"


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Check fund attribution, restrictions, releases and balances (one pass)."""
    known = policy.fund_names()
    restricted = {
        name: frozenset(fund.categories)
        for name, fund in policy.funds.items()
        if fund.restricted
    }
    listed = {name: fund.categories for name, fund in policy.funds.items()}
    needed = policy.approvals.approvers
    volunteers: dict[str, dt.date] = {}  # declared so far (see note_declaration)
    unsure: list[tuple[data.Transaction, str]] = []  # releases to re-check at the end
    errors: list[RuleError] = []
    kinds: dict[str, int] = {}
    main = policy.fund.currency
    main_funds: dict[str, Decimal] = {}
    balances: dict[str, dict[str, Decimal]] = {main: main_funds}  # currency, fund
    blame: dict[Key, data.Transaction] = {}  # for the current day
    day: dt.date | None = None

    def close_day() -> None:
        for key, txn in blame.items():
            fund, currency = key
            errors.append(
                FundsError(
                    txn.meta,
                    f"fund '{fund}' is overspent: its balance at the end of {day} is "
                    f"{money(balances[currency][fund], currency)}. Pay this from a fund that has "
                    f"the money, or record first the donation or release that funds it",
                    txn,
                )
            )
        blame.clear()

    def undeclared(value: object, meta: dict[str, Any], entry: data.Transaction) -> None:
        # The value is not repeated: someone may have written a name there.
        if isinstance(value, str):
            what = "fund: names a fund that is not declared in aidbooks.toml"
            close = difflib.get_close_matches(value.strip().lower(), sorted(known), 1)
            if close:
                what += f" (did you mean '{close[0]}'?)"
        else:
            what = "fund: must be a quoted fund name"
        errors.append(
            FundsError(
                meta,
                f"{what}. Use one of {', '.join(sorted(known))}, or declare the fund "
                f"with a [funds.<name>] table in aidbooks.toml",
                entry,
            )
        )

    transaction = data.Transaction
    kind_of: Callable[[str], int] = _kind
    decimal = Decimal
    zero = _ZERO
    fund_key = FUND
    general = GENERAL_FUND
    for entry in entries:
        if type(entry) is not transaction:
            note_declaration(entry, VOLUNTEER, volunteers)
            continue
        date = entry.date
        if date != day:
            if blame:
                close_day()
            day = date
        meta = entry.meta
        txn_fund = meta.get(fund_key, general)
        txn_ok = txn_fund is general or txn_fund in known
        if not txn_ok:
            undeclared(txn_fund, meta, entry)
        # What the transaction takes out of each (fund, currency): nearly always one
        # pair, kept in locals; a dict only for the rare transaction with more.
        fund1: str | None = None
        currency1 = ""
        out1 = zero
        more: dict[Key, Decimal] | None = None
        releases: dict[str, Decimal] | None = None
        released_from: str | None = None
        for posting in entry.postings:
            account = posting.account
            try:
                kind = kinds[account]
            except KeyError:
                kind = kinds[account] = kind_of(account)
            pmeta = posting.meta
            if pmeta is not None and fund_key in pmeta:
                fund = pmeta[fund_key]
                if fund not in known:
                    undeclared(fund, pmeta, entry)
                    continue
            elif txn_ok:
                fund = txn_fund
            else:
                continue
            if not kind:  # _OTHER: not part of any fund balance
                continue
            units = posting.units
            if units is None:
                continue
            number, currency = units
            if type(number) is not decimal:
                continue
            if fund1 is None:
                fund1 = fund
                currency1 = currency
                out1 = number
            elif fund == fund1 and currency == currency1:
                out1 += number
            else:
                if more is None:
                    more = {}
                key = (fund, currency)
                more[key] = more.get(key, zero) - number
            if kind == _INCOME:
                continue
            if kind == _RELEASE:
                if releases is None:
                    releases = {}
                releases[currency] = releases.get(currency, zero) + number
                if number > zero and fund in restricted:
                    released_from = fund
                continue
            allowed = restricted.get(fund)
            if allowed is None:
                continue
            if kind == _EXPENSE:
                if (
                    account.startswith(accounts.AID)
                    and accounts.category(account) in allowed
                ):
                    continue
            elif accounts.category(account) in allowed:
                continue
            errors.append(
                FundsError(
                    pmeta or meta,
                    f"fund '{fund}' is restricted to {_names(listed[fund])} and cannot "
                    f'pay {account}. Pay it from general (fund: "general" on this '
                    f"posting), or release the money from '{fund}' first",
                    entry,
                )
            )
        if releases is not None:
            for currency, total in releases.items():
                if total != 0:
                    errors.append(
                        FundsError(
                            meta,
                            f"the Equity:Releases postings of this transaction add up to "
                            f"{money(total, currency)}, not zero. A release moves money "
                            f"between funds: write +X with the giving fund and -X with "
                            f"the receiving fund",
                            entry,
                        )
                    )
            if released_from is not None and entry.flag != PENDING_FLAG:
                if approval_problem(meta, entry.date, volunteers, needed):
                    unsure.append((entry, released_from))  # decided once all are read
        if fund1 is None:
            continue
        # apply the changes; blame follows the docstring's definition
        if currency1 == main:
            funds_in = main_funds
        else:
            funds_in = balances.setdefault(currency1, {})
        before = funds_in.get(fund1, zero)
        after = before - out1
        funds_in[fund1] = after
        if out1 > zero:
            if after < zero and (before >= zero or (fund1, currency1) not in blame):
                blame[fund1, currency1] = entry
        elif blame and after >= zero:
            blame.pop((fund1, currency1), None)
        if more:
            for (fund, currency), delta in more.items():
                funds_in = balances.setdefault(currency, {})
                before = funds_in.get(fund, zero)
                after = before + delta
                funds_in[fund] = after
                if delta < zero:
                    if after < zero and (before >= zero or (fund, currency) not in blame):
                        blame[fund, currency] = entry
                elif blame and after >= zero:
                    blame.pop((fund, currency), None)
    if blame:
        close_day()
    for entry, released_from in unsure:
        why = approval_problem(entry.meta, entry.date, volunteers, needed)
        if why is not None:
            errors.append(
                FundsError(
                    entry.meta,
                    f"this releases money from restricted fund '{released_from}', which "
                    f"needs {needed} approvers whatever the amount, but {why}. Add "
                    f'approved-by: "V-…, V-…" with {needed} distinct declared volunteer '
                    f"codes",
                    entry,
                )
            )
    return errors


__plugins__ = (as_plugin(validate),)
