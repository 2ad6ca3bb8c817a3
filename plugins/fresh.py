"""Rule ``fresh``: every bank and platform account was reconciled recently.

Books that add up can still be wrong: a payout recorded twice, a fee never
imported, a donation typed with the wrong amount. The only cure is to compare the
books with the bank's or the platform's own statement and write down what it said,
as a Beancount ``balance`` assertion. This rule makes sure that happened recently
for every account that has a statement: every open ``Assets:Bank:*`` and
``Assets:Platform:*`` account needs a ``balance`` assertion dated within
``reconcile.fresh_days`` days of the last date in the books (the last transaction or
assertion). An account opened within that window is not due yet; a closed account is
never due.

It is a strict check: ``aidbooks check --strict`` (or ``aidbooks check fresh``) runs
it; a fund can also switch it on for Fava and ``bean-check`` with
``plugin "aidbooks.plugins.fresh"``.

Configure it in ``aidbooks.toml``::

    [reconcile]
    fresh_days = 45          # the default

A finding points at the account's last assertion (or its ``open`` line when it has
none). Fix it by comparing with the statement and adding the balance it shows::

    2025-12-31 balance Assets:Platform:Venmo  412.50 USD
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins.accounts import needs_reconciling
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


class StaleReconciliationError(RuleError):
    """A bank or platform account without a recent balance assertion."""

    __slots__ = ()
    rule: ClassVar[str] = "fresh"


@dataclass(frozen=True)
class Reconciliation:
    """Where one bank or platform account stands (see :func:`reconciliations`).

    Attributes:
      account: The account.
      opened: Its ``open`` directive.
      last: Its last ``balance`` assertion, or None.
      age: Days from ``last`` to the end of the books (None without one).
      due: True when the rule finds it stale: opened more than ``fresh_days``
        before the end of the books and not asserted within them.
    """

    account: str
    opened: data.Open
    last: data.Balance | None
    age: int | None
    due: bool


def reconciliations(
    entries: list[data.Directive], policy: Policy, until: dt.date | None = None
) -> tuple[dt.date | None, list[Reconciliation]]:
    """Every open bank and platform account with its last balance assertion (one pass).

    Args:
      entries: The loaded entries, sorted by date.
      policy: The fund's policy (``reconcile.fresh_days``).
      until: Look only at entries dated on or before this day (default: all).

    Returns:
      (the last date of the books: of the last transaction or assertion, or None
      for empty books; the accounts in the order they were opened).
    """
    opened: dict[str, data.Open] = {}
    closed: set[str] = set()
    last_assertion: dict[str, data.Balance] = {}
    last_date: dt.date | None = None
    for entry in entries:
        if until is not None and entry.date > until:
            break
        if isinstance(entry, data.Transaction):
            last_date = entry.date
        elif isinstance(entry, data.Balance):
            last_date = entry.date
            if needs_reconciling(entry.account):
                last_assertion[entry.account] = entry
        elif isinstance(entry, data.Open):
            if needs_reconciling(entry.account):
                opened[entry.account] = entry
        elif isinstance(entry, data.Close):
            closed.add(entry.account)
    if last_date is None:
        return None, []
    due_before = last_date - dt.timedelta(days=policy.reconcile.fresh_days)
    found: list[Reconciliation] = []
    for account, open_entry in opened.items():
        if account in closed:
            continue
        assertion = last_assertion.get(account)
        age = None if assertion is None else (last_date - assertion.date).days
        due = open_entry.date <= due_before and (
            assertion is None or assertion.date < due_before
        )
        found.append(Reconciliation(account, open_entry, assertion, age, due))
    return last_date, found


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Find bank and platform accounts whose last balance assertion is too old."""
    last_date, accounts = reconciliations(entries, policy)
    days = policy.reconcile.fresh_days
    errors: list[RuleError] = []
    for status in accounts:
        if not status.due:
            continue
        account, assertion = status.account, status.last
        if assertion is None:
            errors.append(
                StaleReconciliationError(
                    status.opened.meta,
                    f"{account} has no balance assertion; the books end on {last_date} "
                    f"and reconcile.fresh_days is {days}. Compare it with the "
                    "statement and add a 'balance' line",
                    status.opened,
                )
            )
        else:
            errors.append(
                StaleReconciliationError(
                    assertion.meta,
                    f"{account} was last reconciled on {assertion.date}, {status.age} days "
                    f"before the books end ({last_date}); reconcile.fresh_days is "
                    f"{days}. Compare it with the statement and add a 'balance' line",
                    assertion,
                )
            )
    return errors


__plugins__ = (as_plugin(validate),)
