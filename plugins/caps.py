"""The ``caps`` rule: what one household may receive within a rolling window.

Mutual-aid funds share a small pot among many families, so their policy caps what
one household gets in a month ("up to $600 in any 30 days"). Exceptions happen (an
eviction next week), but they are decided, not drifted into: an exception carries
its reason and the approvals. This rule finds every grant that breaks the cap
without one.

What it enforces (strict tier: ``aidbooks check --strict``; findings are Beancount
errors at the transaction, ``file:line``):

* The grants to one household (per currency) dated within any
  ``caps.window_days`` consecutive days may add up to at most
  ``caps.per_household``. The finding is at the transaction that takes the
  household above the cap: its own grants to that household, plus those of the
  ``window_days - 1`` days before it (and earlier ones of the same day), add up to
  more than the cap.
* Unless that transaction carries ``override: "<reason>"`` with a non-empty reason
  and ``approvals.approvers`` distinct declared volunteer codes in
  ``approved-by:``. An overridden grant still counts in the household's window, so
  the next grant inside the window needs its own override.

A household is a recipient code with every code linked to it by ``aid-link``
(:mod:`aidbooks.plugins.households`): a family paid over Venmo and Zelle under two
derived codes, linked to its intake code, has one cap. A link holds for the grants
made before it too, so linking codes re-evaluates their grants; the finding then
names the household and its codes.

What counts as a grant: every posting to ``Expenses:Aid:*`` with a ``recipient``
(on the posting or the transaction), signed, so a grant returned or moved to
another category in the same window is netted. Bail and bond receivables
(``Assets:Receivable:*``) do **not** count: they are loans the court pays back, not
money the household keeps; the part a court keeps is written off to
``Expenses:Aid:Bail`` with the household's code, and counts from that day.
Pending (``!``) transactions are not final and are left out until they are.

The check is one pass: a sliding window (a queue and a running sum) per household.

Configure in ``aidbooks.toml``::

    [caps]
    per_household = "600.00"   # grants to one household within window_days
    window_days = 30

Run by ``aidbooks check --strict``; a fund may also switch it on in its ledger::

    plugin "aidbooks.plugins.caps"

Example (cap 600.00 USD in 30 days)::

    2025-03-01 * "Rent assistance"
      approved-by: "V-0N2CE-7RPWX, V-1B3DF-8SQYZ"
      Expenses:Aid:Rent        450.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-03-20 * "Utility bill"           ; finding: 650.00 USD within 30 days
      Expenses:Aid:Utilities   200.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

    2025-03-21 * "Rent assistance"        ; fine: an approved override
      approved-by: "V-0N2CE-7RPWX, V-1B3DF-8SQYZ"
      override: "eviction prevention; committee vote"
      Expenses:Aid:Rent        950.00 USD
        recipient: "R-7WQ2N-3KD8P"
      Assets:Bank:Checking
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from typing import ClassVar
from typing import cast

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins.conventions import OVERRIDE
from aidbooks.plugins.conventions import PENDING_FLAG
from aidbooks.plugins.conventions import VOLUNTEER
from aidbooks.plugins.conventions import approval_problem
from aidbooks.plugins.conventions import household_of
from aidbooks.plugins.conventions import last_date
from aidbooks.plugins.conventions import money
from aidbooks.plugins.conventions import note_declaration
from aidbooks.plugins.conventions import shown
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.households import Households
from aidbooks.plugins.households import households as households_of
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


class CapsError(RuleError):
    """A finding of the ``caps`` rule."""

    __slots__ = ()
    rule: ClassVar[str] = "caps"


_ZERO = Decimal(0)

Key = tuple[str, str]  # (recipient, currency)


class _Window:
    """The grants to one household inside the current window, with their sum."""

    __slots__ = ("grants", "total")

    def __init__(self) -> None:
        self.grants: deque[tuple[int, Decimal]] = deque()  # (date ordinal, amount)
        self.total = _ZERO


@dataclass(frozen=True)
class Household:
    """What one household received within the cap's window (see :func:`windows`).

    Attributes:
      recipient: The household's code (the head of its links).
      currency: The currency.
      total: The grants inside the window that ends on the last day of the books.
      grants: How many grants that is.
      first: The date of the oldest grant still inside the window.
      cap: ``caps.per_household``.
    """

    recipient: str
    currency: str
    total: Decimal
    grants: int
    first: dt.date
    cap: Decimal


def windows(
    entries: list[data.Directive], policy: Policy, until: dt.date | None = None
) -> tuple[dt.date | None, list[Household]]:
    """Each household's grants within the ``caps.window_days`` that end with the books.

    The same pass as the rule (what counts as a grant is the rule's definition),
    with every window then moved on to the last day of the books.

    Args:
      entries: The loaded entries, sorted by date.
      policy: The fund's policy (``caps``).
      until: Look only at transactions dated on or before this day (default: all).

    Returns:
      (the end of the books: the last transaction looked at, or None; the
      households with grants inside the window, largest total first).
    """
    _errors, state = _run(entries, policy, until)
    now = last_date(entries, until)
    if now is None:
        return None, []
    cutoff = now.toordinal() - policy.caps.window_days
    main = policy.fund.currency
    found: list[Household] = []
    for key, window in state.items():
        if isinstance(key, str):
            recipient, currency = key, main
        else:
            recipient, currency = cast(Key, key)
        inside = [(day, amount) for day, amount in window.grants if day > cutoff]
        if not inside:
            continue
        total = sum((amount for _, amount in inside), _ZERO)
        first = dt.date.fromordinal(inside[0][0])
        found.append(
            Household(
                recipient, currency, total, len(inside), first, policy.caps.per_household
            )
        )
    found.sort(key=lambda h: (-h.total, h.recipient))
    return now, found


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Check the rolling household cap (one pass, a sliding window per household)."""
    return _run(entries, policy)[0]


def _run(
    entries: list[data.Directive], policy: Policy, until: dt.date | None = None
) -> tuple[list[RuleError], dict[object, _Window]]:
    """The rule's pass: its findings and every household's window at the end."""
    cap = policy.caps.per_household
    span = policy.caps.window_days
    needed = policy.approvals.approvers
    volunteers: dict[str, dt.date] = {}  # declared so far (see note_declaration)
    unsure: list[tuple[data.Transaction, str, str, Decimal]] = []
    errors: list[RuleError] = []
    windows: dict[object, _Window] = {}  # recipient (or (recipient, currency)) -> window
    main = policy.fund.currency
    aid = accounts.AID
    is_aid: dict[str, bool] = {}
    transaction = data.Transaction
    decimal = Decimal
    zero = _ZERO
    pending = PENDING_FLAG
    links = households_of(entries, until)
    day: dt.date | None = None
    ordinal = cutoff = 0
    for entry in entries:
        if type(entry) is not transaction:
            note_declaration(entry, VOLUNTEER, volunteers)
            continue
        if entry.flag == pending:
            continue
        # the transaction's grants per household: nearly always one, kept in locals
        recipient1: str | None = None
        currency1 = main
        amount1 = zero
        more: dict[Key, Decimal] | None = None
        for posting in entry.postings:
            account = posting.account
            try:
                hit = is_aid[account]
            except KeyError:
                hit = is_aid[account] = account.startswith(aid)
            if not hit:
                continue
            recipient = household_of(entry, posting, links)
            units = posting.units
            if units is None or recipient is None:
                continue  # a missing recipient is the recipients rule's finding
            number, currency = units
            if type(number) is not decimal:
                continue
            if recipient1 is None:
                recipient1 = recipient
                currency1 = currency
                amount1 = number
            elif recipient == recipient1 and currency == currency1:
                amount1 += number
            else:
                if more is None:
                    more = {}
                key = (recipient, currency)
                more[key] = more.get(key, zero) + number
        if recipient1 is None:
            continue
        date = entry.date
        if date != day:
            if until is not None and date > until:
                break
            day = date
            ordinal = date.toordinal()
            cutoff = ordinal - span  # grants on or before this day are outside the window
        grants = ((recipient1, currency1), amount1)
        for (recipient, currency), amount in (grants, *more.items()) if more else (grants,):
            window = windows.get(recipient if currency == main else (recipient, currency))
            if window is None:
                window = _Window()
                windows[recipient if currency == main else (recipient, currency)] = window
            queue = window.grants
            total = window.total
            while queue and queue[0][0] <= cutoff:
                total -= queue.popleft()[1]
            queue.append((ordinal, amount))
            total += amount
            window.total = total
            if total <= cap or amount <= zero:
                continue
            meta = entry.meta
            head = (
                f"grants to {_named(recipient, links)} within {span} days reach "
                f"{money(window.total, currency)}, above the household cap of "
                f"{money(cap, currency)}"
            )
            if OVERRIDE not in meta:
                errors.append(
                    CapsError(
                        meta,
                        f"{head}. Move the grant out of the window, or add "
                        f'override: "<reason>" and approved-by with {needed} distinct '
                        f"declared volunteer codes",
                        entry,
                    )
                )
                continue
            reason = meta[OVERRIDE]
            if (
                isinstance(reason, str)
                and reason.strip()
                and approval_problem(meta, date, volunteers, needed) is None
            ):
                continue
            unsure.append((entry, recipient, currency, total))  # decided once all are read
    for entry, recipient, currency, total in unsure:
        meta = entry.meta
        problems: list[str] = []
        fixes: list[str] = []
        reason = meta[OVERRIDE]
        if not isinstance(reason, str) or not reason.strip():
            problems.append("its override gives no reason")
            fixes.append('write the reason in override: "<reason>"')
        why = approval_problem(meta, entry.date, volunteers, needed)
        if why is not None:
            problems.append(f"its override needs {needed} approvers, but {why}")
            fixes.append(f"add approved-by with {needed} distinct declared volunteer codes")
        if not problems:
            continue
        fix = " and ".join(fixes)
        errors.append(
            CapsError(
                meta,
                f"grants to {_named(recipient, links)} within {span} days reach "
                f"{money(total, currency)}, "
                f"above the household cap of {money(cap, currency)}, and "
                f"{' and '.join(problems)}. {fix[:1].upper()}{fix[1:]}",
                entry,
            )
        )
    return errors, windows


def _named(household: str, links: Households) -> str:
    """A household as a finding names it: its code, and its linked codes if any."""
    members = links.codes_of(household) if links.linked(household) else ()
    if len(members) > 1:
        return f"household {household} (linked codes {', '.join(members[1:])})"
    return str(shown(household, "recipient"))


__plugins__ = (as_plugin(validate),)
