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

Switched on in every ``aidbooks init`` ledger with the other basic rules, by
``plugin "aidbooks.plugins.basic"`` (see :mod:`aidbooks.plugins.basic`); alone::

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
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins import sweep
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


def _names(categories: tuple[str, ...]) -> str:
    return ", ".join(categories) if categories else "nothing (no categories)"


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Check fund attribution, restrictions, releases and balances (one pass).

    The pass is the walk the basic rules share (:func:`aidbooks.plugins.sweep.walk`),
    which keeps every fund's running balance as it goes.
    """
    return from_sweep(sweep.walk(entries, policy), options_map, policy)


def from_sweep(
    walked: sweep.Sweep, options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """The rule's findings from a walk over the entries already made (see ``basic``)."""
    known = sorted(policy.fund_names())
    listed = {name: fund.categories for name, fund in policy.funds.items()}
    errors: list[RuleError] = []
    for what, entry, meta, detail in walked.fund_events:
        if what == sweep.OVERSPENT:
            fund, currency, day, balance = detail
            message = (
                f"fund '{fund}' is overspent: its balance at the end of {day} is "
                f"{money(balance, currency)}. Pay this from a fund that has "
                f"the money, or record first the donation or release that funds it"
            )
        elif what == sweep.UNDECLARED:
            message = _undeclared(detail, known)
        elif what == sweep.RESTRICTED:
            fund, account = detail
            message = (
                f"fund '{fund}' is restricted to {_names(listed[fund])} and cannot "
                f'pay {account}. Pay it from general (fund: "general" on this '
                f"posting), or release the money from '{fund}' first"
            )
        else:  # sweep.UNBALANCED_RELEASE
            currency, total = detail
            message = (
                f"the Equity:Releases postings of this transaction add up to "
                f"{money(total, currency)}, not zero. A release moves money "
                f"between funds: write +X with the giving fund and -X with "
                f"the receiving fund"
            )
        errors.append(FundsError(meta, message, entry))
    if walked.fund_releases:
        needed = policy.approvals.approvers
        volunteers: dict[str, dt.date] = {}  # every declaration (see note_declaration)
        for other in walked.others:
            note_declaration(other, VOLUNTEER, volunteers)
        for entry, released_from in walked.fund_releases:
            why = approval_problem(entry.meta, entry.date, volunteers, needed)
            if why is not None:
                errors.append(
                    FundsError(
                        entry.meta,
                        f"this releases money from restricted fund '{released_from}', "
                        f"which needs {needed} approvers whatever the amount, but {why}. "
                        f'Add approved-by: "V-…, V-…" with {needed} distinct declared '
                        f"volunteer codes",
                        entry,
                    )
                )
    return errors


def _undeclared(value: object, known: list[str]) -> str:
    # The value is not repeated: someone may have written a name there.
    if isinstance(value, str):
        what = "fund: names a fund that is not declared in aidbooks.toml"
        close = difflib.get_close_matches(value.strip().lower(), known, 1)
        if close:
            what += f" (did you mean '{close[0]}'?)"
    else:
        what = "fund: must be a quoted fund name"
    return (
        f"{what}. Use one of {', '.join(known)}, or declare the fund "
        f"with a [funds.<name>] table in aidbooks.toml"
    )


__plugins__ = (as_plugin(validate),)
