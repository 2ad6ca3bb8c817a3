"""Aggregate the books of a period into *atoms*: the finest sums a report is built from.

One linear pass over the entries (:func:`aggregate`) sorts every posting dated in
the window into an atom, keyed by

    (group, month, fund, sign, class)

* ``group`` — what the account is for: ``aid:<Category>``, ``receivable:<Kind>``,
  ``income:<Channel>``, ``fees:<Channel>``, ``ops:<Kind>``, ``giftcards``,
  ``money:bank|cash|platforms|in_transit``, ``liabilities``, ``equity:opening``,
  ``equity:releases``, ``equity:other``, ``other``;
* ``month`` — ``YYYY-MM`` of the transaction (nothing finer is ever kept);
* ``fund`` — the fund a posting is attributed to (posting ``fund:`` wins over the
  transaction's, default ``general``), only for accounts that move a fund balance
  (Income, Expenses, Equity, Assets:Receivable); empty otherwise;
* ``sign`` — +1 for debits, -1 for credits (fund *received* vs *spent*);
* ``class`` — the set of groups the transaction touches (``aid:Rent|money:bank``),
  which is how a reader of the books would know which flows pay for which.

Every published number is a signed sum of atoms plus balances from before the
window (:mod:`aidbooks.reports.cells`), so the disclosure control can reason about
what a reader could work out from all of them together. Atoms that carry grants
(``aid:*``, ``receivable:*`` and gift cards handed out) also keep the amount per
household code, in memory only, to count distinct households and apply the
p% rule; codes never leave this module's data.

Transactions flagged ``!`` (waiting for approval) are counted: their money has
moved in the books, and cash on hand must agree with the bank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any
from typing import cast

from beancount.core import data
from beancount.core.amount import Amount

from aidbooks.plugins import accounts as acc
from aidbooks.plugins.conventions import household_of
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.households import households
from aidbooks.plugins.policy import GENERAL_FUND
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.releases import CORRECTS
from aidbooks.reports.period import Period
from aidbooks.reports.period import window

ZERO = Decimal(0)

#: (group, month, fund, sign, class)
AtomKey = tuple[str, str, str, int, str]

#: Groups whose postings move a fund balance.
FUND_PREFIXES = ("income:", "fees:", "ops:", "aid:", "receivable:", "equity:")
#: Kinds of money on hand, in display order.
MONEY_KINDS = ("bank", "cash", "platforms", "in_transit")
#: Household code used when a grant posting has no recipient (the books are then
#: invalid; counting all such postings as one household keeps the report cautious).
UNKNOWN_HOUSEHOLD = "?"


class Atom:
    """The sum of the postings that share one atom key."""

    __slots__ = ("amount", "count", "households")

    def __init__(self) -> None:
        self.amount = ZERO
        self.count = 0
        self.households: dict[str, Decimal] | None = None

    def add_household(self, code: str, amount: Decimal) -> None:
        """Attribute ``amount`` (made positive) of this atom to a household."""
        if self.households is None:
            self.households = {}
        self.households[code] = self.households.get(code, ZERO) + abs(amount)

    def __repr__(self) -> str:
        return f"Atom({self.amount}, {self.count}, {len(self.households or ())} hh)"


_GROUPS: dict[str, str] = {}
_HOUSEHOLD = 1
_GIFT_CARDS = 2
_KIND = {"aid": _HOUSEHOLD, "receivable": _HOUSEHOLD, "giftcards": _GIFT_CARDS}


def group_of(account: str) -> str:
    """The atom group of an account (see the module docstring)."""
    cached = _GROUPS.get(account)
    if cached is not None:
        return cached
    parts = account.split(":")
    if account.startswith(acc.AID):
        group = "aid:" + acc.category(account)
    elif account.startswith(acc.RECEIVABLE):
        group = "receivable:" + acc.category(account)
    elif account.startswith(acc.DONATIONS):
        group = "income:" + (parts[2] if len(parts) > 2 else "Other")
    elif parts[0] == "Income":
        group = "income:" + (parts[1] if len(parts) > 1 else "Other")
    elif account.startswith(acc.FEES):
        group = "fees:" + (parts[2] if len(parts) > 2 else "Other")
    elif account.startswith(acc.OPERATIONS):
        group = "ops:" + (parts[2] if len(parts) > 2 else "Other")
    elif parts[0] == "Expenses":
        group = "ops:" + (parts[1] if len(parts) > 1 else "Other")
    elif account == acc.GIFT_CARDS or account.startswith(acc.GIFT_CARDS + ":"):
        group = "giftcards"
    elif account.startswith(acc.BANK):
        group = "money:bank"
    elif account.startswith(acc.CASH):
        group = "money:cash"
    elif account.startswith(acc.PLATFORM):
        group = "money:platforms"
    elif account.startswith(acc.CLEARING):
        group = "money:in_transit"
    elif parts[0] == "Liabilities":
        group = "liabilities"
    elif account == acc.OPENING or account.startswith(acc.OPENING + ":"):
        group = "equity:opening"
    elif account == acc.RELEASES or account.startswith(acc.RELEASES + ":"):
        group = "equity:releases"
    elif parts[0] == "Equity":
        group = "equity:other"
    else:
        group = "other"
    _GROUPS[account] = group
    return group


def is_fund_group(group: str) -> bool:
    """True for groups whose postings move a fund balance."""
    return group.startswith(FUND_PREFIXES)


#: The mark in an atom's class for a transaction booked as a correction of a
#: published period (``corrects: "2025-03"``, see :mod:`aidbooks.plugins.releases`).
CORRECTION = "~corrects"


def is_correction_class(klass: str) -> bool:
    """True when the transaction corrects a period already published."""
    return klass.endswith(CORRECTION)


def is_noncash_class(klass: str) -> bool:
    """True when a transaction gave goods, not money.

    Form 990 Schedule I, Part III separates cash grants from non-cash assistance.
    A grant is non-cash when nothing left a bank, cash box or platform in that
    transaction and it came out of gift cards (bought earlier, handed out now) or
    goods a volunteer bought and is reimbursed for.
    """
    groups = klass.split("|")
    if any(g.startswith("money:") for g in groups):
        return False
    return "giftcards" in groups or "liabilities" in groups


@dataclass(frozen=True)
class Aggregates:
    """What the books say about a period, before any disclosure control.

    Attributes:
      fund: The fund's name (policy ``fund.name``).
      currency: The fund's currency.
      period: The period the report is for.
      start, end: The window the atoms cover (the period, or a larger window that
        also covers the reports published before it).
      months: The months of the window, ``YYYY-MM``.
      atoms: Atom key → :class:`Atom`, for postings dated in the window.
      before: (group, fund) → sum of postings dated before the window.
      grants: (month, amount) of every grant posting (positive ``Expenses:Aid``).
      funds: Every fund name: ``general``, the policy's funds and any seen in books.
      restricted: The funds the policy marks restricted.
      aid_accounts: (category, opened, closed or None) of every ``Expenses:Aid:*``
        account opened on or before ``end``: the fund's vocabulary of categories.
    """

    fund: str
    currency: str
    period: Period
    start: dt.date
    end: dt.date
    months: tuple[str, ...]
    atoms: Mapping[AtomKey, Atom]
    before: Mapping[tuple[str, str], Decimal]
    grants: tuple[tuple[str, Decimal], ...]
    funds: tuple[str, ...]
    restricted: frozenset[str] = field(default_factory=frozenset)
    aid_accounts: tuple[tuple[str, dt.date, dt.date | None], ...] = ()

    def month_index(self) -> dict[str, int]:
        """Month → position in the window."""
        return {m: i for i, m in enumerate(self.months)}


def _month_of(date: dt.date, cache: dict[tuple[int, int], str]) -> str:
    key = (date.year, date.month)
    text = cache.get(key)
    if text is None:
        text = f"{date.year:04d}-{date.month:02d}"
        cache[key] = text
    return text


def _currency_error(entry: data.Transaction, currency: str, found: str) -> AidbooksError:
    meta = entry.meta or {}
    return AidbooksError(
        f"a posting is in {found}, but reports are in the fund's currency {currency}",
        "record it in the fund's currency (convert at the day's rate) or change "
        "fund.currency in aidbooks.toml",
        str(meta.get("filename", "")) or None,
        meta.get("lineno"),
    )


def aggregate(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    policy: Policy,
    period: Period,
    context: tuple[Period, ...] = (),
) -> Aggregates:
    """Sum the books of ``period`` into atoms, in one pass over ``entries``.

    Args:
      entries: The loaded, booked entries (sorted by date, as the loader returns).
      options_map: The loader's options (unused today; part of the plugin-style
        signature so callers such as Fava pass what they have).
      policy: The fund's policy.
      period: The period to report.
      context: Periods of reports published earlier. The window runs from the
        start of the period's year (or of the earliest earlier report) through the
        period's last day, so the disclosure control can take them, and the
        quarter and year the period belongs to, into account.

    Raises:
      AidbooksError: a posting is not in the fund's currency.
    """
    del options_map
    start, end, months = window(period, context)
    currency = policy.fund.currency
    before: dict[tuple[str, str], Decimal] = {}
    atoms: dict[AtomKey, Atom] = {}
    grants: list[tuple[str, Decimal]] = []
    funds: set[str] = {GENERAL_FUND, *policy.funds}
    month_cache: dict[tuple[int, int], str] = {}
    klasses: dict[tuple[str, ...], str] = {}
    info: dict[str, tuple[str, bool, int]] = {}
    aid_opened: dict[str, dt.date] = {}
    aid_closed: dict[str, dt.date] = {}
    transaction = data.Transaction
    # Households as linked on the period's last day: the report is made from the
    # books as they stood then (and `aidbooks verify` makes it again from them).
    links = households(entries, period.end)
    for entry in entries:
        if type(entry) is not transaction:
            if entry.date > end:
                break
            if type(entry) is data.Open and entry.account.startswith(acc.AID):
                aid_opened[entry.account] = entry.date
            elif type(entry) is data.Close and entry.account in aid_opened:
                aid_closed[entry.account] = entry.date
            continue
        date = entry.date
        if date > end:
            break
        postings = entry.postings
        txn_meta = entry.meta
        txn_fund = txn_meta.get("fund") if txn_meta else None
        described = []
        for posting in postings:
            account = posting.account
            facts = info.get(account)
            if facts is None:
                group = group_of(account)
                kind = _KIND.get(group.split(":", 1)[0], 0)
                facts = info[account] = (group, is_fund_group(group), kind)
            described.append(facts)
        if date < start:
            for posting, (group, in_fund, _kind) in zip(postings, described, strict=True):
                units = cast(Amount, posting.units)
                if units.currency != currency:
                    raise _currency_error(entry, currency, units.currency)
                fund = ""
                if in_fund:
                    fund = (posting.meta or {}).get("fund") or txn_fund or GENERAL_FUND
                    funds.add(fund)
                key2 = (group, fund)
                before[key2] = before.get(key2, ZERO) + cast(Decimal, units.number)
            continue
        month = _month_of(date, month_cache)
        shape = tuple(f[0] for f in described)
        klass = klasses.get(shape)
        if klass is None:
            klass = klasses[shape] = "|".join(sorted(set(shape)))
        if txn_meta and CORRECTS in txn_meta:
            klass = f"{klass}|{CORRECTION}"
        handed: list[tuple[str, Decimal]] | None = None
        gift_atoms: list[Atom] | None = None
        for posting, (group, in_fund, kind) in zip(postings, described, strict=True):
            units = cast(Amount, posting.units)
            if units.currency != currency:
                raise _currency_error(entry, currency, units.currency)
            number = cast(Decimal, units.number)
            fund = ""
            if in_fund:
                fund = (posting.meta or {}).get("fund") or txn_fund or GENERAL_FUND
                funds.add(fund)
            key = (group, month, fund, 1 if number > 0 else -1, klass)
            atom = atoms.get(key)
            if atom is None:
                atom = atoms[key] = Atom()
            atom.amount += number
            atom.count += 1
            if kind == _HOUSEHOLD:
                household = household_of(entry, posting, links) or UNKNOWN_HOUSEHOLD
                atom.add_household(household, number)
                if number > 0 and group.startswith("aid:"):
                    grants.append((month, number))
                    if handed is None:
                        handed = []
                    handed.append((household, number))
            elif kind == _GIFT_CARDS and number < 0:
                if gift_atoms is None:
                    gift_atoms = []
                gift_atoms.append(atom)
        if handed and gift_atoms:
            # Gift cards handed out are grants in kind: the hand-out is about the
            # same households as the Expenses:Aid postings it pays for.
            for atom in gift_atoms:
                for household, number in handed:
                    atom.add_household(household, number)
    return Aggregates(
        fund=policy.fund.name,
        currency=currency,
        period=period,
        start=start,
        end=end,
        months=months,
        atoms=atoms,
        before=before,
        grants=tuple(grants),
        funds=tuple(sorted(funds, key=lambda f: (f != GENERAL_FUND, f))),
        restricted=frozenset(name for name, f in policy.funds.items() if f.restricted),
        aid_accounts=tuple(
            (acc.category(account), opened, aid_closed.get(account))
            for account, opened in sorted(aid_opened.items())
        ),
    )
