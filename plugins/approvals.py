"""The ``approvals`` rule: large grants need two people, and nobody approves their own money.

Two-person approval is the control small funds write into their policy and then
enforce by hand. This rule enforces it in the books, so an auditor (or the fund's
CI) sees every grant that went out without it.

What it enforces (findings are Beancount errors at the transaction, ``file:line``):

1. **Large grants are approved.** A transaction whose grant amount is above
   ``approvals.threshold`` needs ``approvals.approvers`` distinct volunteer codes,
   each declared with ``custom "aid-volunteer"`` on or before the transaction's
   date, in ``approved-by: "V-…, V-…"``. The grant amount is the sum of the
   transaction's debit postings to ``Expenses:Aid:*`` and ``Assets:Receivable:*``
   (per currency): a group of grants paid in one transaction counts together, and
   a credit in the same transaction (bail coming back, a refund) is not netted
   against it, so a return can never hide a grant.
2. **Nobody approves their own reimbursement.** When a transaction posts to
   ``Liabilities:Reimbursements:<V-code>`` (a volunteer fronted the money), that
   volunteer's code in its ``approved-by`` is a finding, whatever the amount, and
   it does not count towards the approvers a large grant needs.

Pending transactions (flag ``!``) are waiting for approval and are not final, so
they are skipped; the strict ``pending`` rule lists those that wait too long.

Whether each code in ``approved-by`` is well formed and declared is the
``recipients`` rule's finding; here a code that is not a declared volunteer simply
does not count, and the message says why.

Configure in ``aidbooks.toml``::

    [approvals]
    threshold = "250.00"    # a grant above this needs `approvers` distinct approvers
    approvers = 2

Switched on in every ``aidbooks init`` ledger with the other basic rules, by
``plugin "aidbooks.plugins.basic"`` (see :mod:`aidbooks.plugins.basic`); alone::

    plugin "aidbooks.plugins.approvals"

Example::

    2025-01-01 custom "aid-volunteer" "V-0N2CE-7RPWX"
    2025-01-01 custom "aid-volunteer" "V-1B3DF-8SQYZ"

    2025-03-04 * "Rent assistance"
      approved-by: "V-0N2CE-7RPWX, V-1B3DF-8SQYZ"
      Expenses:Aid:Rent        450.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-03-05 * "Groceries bought by a volunteer"
      approved-by: "V-0N2CE-7RPWX"           ; finding: approves their own reimbursement
      Expenses:Aid:Groceries    80.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Liabilities:Reimbursements:V-0N2CE-7RPWX
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins.conventions import APPROVED_BY
from aidbooks.plugins.conventions import PENDING_FLAG
from aidbooks.plugins.conventions import VOLUNTEER
from aidbooks.plugins.conventions import approval_problem
from aidbooks.plugins.conventions import money
from aidbooks.plugins.conventions import note_declaration
from aidbooks.plugins.conventions import parse_approvers
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin
from aidbooks.plugins.sweep import Sweep


class ApprovalsError(RuleError):
    """A finding of the ``approvals`` rule."""

    __slots__ = ()
    rule: ClassVar[str] = "approvals"


_GRANT_PREFIXES = (accounts.AID, accounts.RECEIVABLE)
_REIMBURSED = accounts.REIMBURSEMENTS + ":"
_ZERO = Decimal(0)


def _role(account: str) -> str | None:
    if account.startswith(_GRANT_PREFIXES):
        return ""
    if account.startswith(_REIMBURSED):
        return account[len(_REIMBURSED) :].split(":", 1)[0] or None
    return None


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Check approvals of large grants and of reimbursements (one pass)."""
    volunteers: dict[str, dt.date] = {}  # declared so far (see note_declaration)
    transaction = data.Transaction

    def transactions() -> Iterator[data.Transaction]:
        for entry in entries:
            if type(entry) is transaction:
                yield entry
            else:
                note_declaration(entry, VOLUNTEER, volunteers)

    return _check(transactions(), volunteers, policy)


def from_sweep(
    walked: Sweep, options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """The rule's findings from a walk over the entries already made (see ``basic``).

    The walk lists the transactions with a large grant or a reimbursement, the
    only ones this rule can find anything in, and every directive that is not a
    transaction (so every declaration is known before the first transaction is
    checked).
    """
    volunteers: dict[str, dt.date] = {}
    for entry in walked.others:
        note_declaration(entry, VOLUNTEER, volunteers)
    return _check(iter(walked.large_grants), volunteers, policy)


def _check(
    transactions: Iterator[data.Transaction],
    volunteers: dict[str, dt.date],
    policy: Policy,
) -> list[RuleError]:
    """Check ``transactions`` in order; ``volunteers`` holds the declarations seen so
    far, and is complete once ``transactions`` is exhausted."""
    threshold = policy.approvals.threshold
    needed = policy.approvals.approvers
    unsure: list[tuple[data.Transaction, list[tuple[Decimal, str]], list[str]]] = []
    errors: list[RuleError] = []
    # account -> None (not involved), "" (a grant account) or the reimbursed V-code
    involved: dict[str, str | None] = {}
    decimal = Decimal
    zero = _ZERO
    for entry in transactions:
        if entry.flag == PENDING_FLAG:
            continue
        # the grant amount: one currency in locals, a dict only for several
        currency1: str | None = None
        total1 = zero
        totals: dict[str, Decimal] | None = None
        reimbursed: list[str] | None = None
        for posting in entry.postings:
            account = posting.account
            try:
                role = involved[account]
            except KeyError:
                role = involved[account] = _role(account)
            if role is None:
                continue
            if role:
                if reimbursed is None:
                    reimbursed = []
                reimbursed.append(role)
                continue
            units = posting.units
            if units is None:
                continue
            number, currency = units
            if type(number) is not decimal or number <= zero:
                continue
            if currency1 is None or currency == currency1:
                currency1 = currency
                total1 += number
            else:
                if totals is None:
                    totals = {}
                totals[currency] = totals.get(currency, zero) + number
        if currency1 is None or total1 <= threshold:
            if not totals and not reimbursed:
                continue
        over = [(total1, currency1)] if currency1 is not None and total1 > threshold else []
        if totals:
            over += [(t, c) for c, t in totals.items() if t > threshold]
        if not over and not reimbursed:
            continue
        meta = entry.meta
        if reimbursed and APPROVED_BY in meta:
            found, _bad = parse_approvers(meta[APPROVED_BY])
            for code in found:
                if code in reimbursed:
                    errors.append(
                        ApprovalsError(
                            meta,
                            f"{code} approves this transaction, which reimburses "
                            f"{code}: nobody approves their own reimbursement. Ask "
                            f"another volunteer to approve it in place of {code}",
                            entry,
                        )
                    )
        if over and approval_problem(
            meta, entry.date, volunteers, needed, reimbursed or ()
        ):
            unsure.append((entry, over, reimbursed or []))  # decided once all are read
    for entry, over, reimbursed in unsure:
        why = approval_problem(entry.meta, entry.date, volunteers, needed, reimbursed)
        if why is not None:
            total, currency = max(over)
            errors.append(
                ApprovalsError(
                    entry.meta,
                    f"this grant of {money(total, currency)} is above the approval "
                    f"threshold of {money(threshold, currency)} and needs {needed} "
                    f'approvers, but {why}. Add approved-by: "V-…, V-…" with '
                    f"{needed} distinct declared volunteer codes, or flag it ! "
                    f"while it waits for approval",
                    entry,
                )
            )
    return errors


__plugins__ = (as_plugin(validate),)
