"""One pass over the books, shared by the privacy rules (``recipients``, ``no-pii``).

Both rules look at every transaction, every posting and every metadata value.
On 100,000 transactions, merely walking those objects in Python costs more than
either rule's own work, so the walk is made once and notes what both need. The
``basic`` plugin (:mod:`aidbooks.plugins.basic`) makes it once for all the basic
rules: the walk also lists the transactions with a large grant or a reimbursement,
the only ones the ``approvals`` rule looks at.

When the two privacy rules have a ``plugin`` line each, the first of them to run
walks the entries; the second reuses that walk when it is given the very same
entries (the same list holding the same entry objects, checked by
identity, which costs a C-level comparison, not a walk). The walk is dropped as
soon as the other rule has taken it: keeping a ledger's objects alive past the
load would make the interpreter's final clean-up scan them all (measured: 1.7 s
at 100,000 transactions).

What the walk keeps is small: the directives that are not transactions, the
transactions a rule must look at closely (their values are new, wrong or hold
personal data), and the first use of every well-formed code. Findings are rare,
so these lists are short; the rules' own code (``recipients._Pass``,
``no_pii._Check``) then says exactly what is wrong and where.

:class:`MetaScan` is how the ``no-pii`` rule reads metadata: each key gets a mode
once (skip Beancount's own keys, look only for e-mails and handles in opaque
platform ids ``*-id``, scan everything else), each distinct value is scanned once.

Plugins in a ledger must not change entries in place (Beancount's rule, which
aidbooks keeps): a plugin that edited a metadata dict between the two rules would
not be seen by the second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from decimal import Decimal
from typing import Any
from typing import NamedTuple

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins import codes
from aidbooks.plugins.conventions import FUND
from aidbooks.plugins.conventions import GENERAL_FUND
from aidbooks.plugins.conventions import PENDING_FLAG
from aidbooks.plugins.pii import CODES_ONLY
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.policy import Policy

#: Beancount's own metadata, never written by people.
INTERNAL_KEYS = frozenset({"filename", "lineno"})
#: Kinds looked for in opaque platform ids (``*-id`` keys).
ID_KINDS = frozenset({"email", "handle"})

# How the values of a metadata key are scanned.
SKIP, TEXT, ID, KEPT_DONOR, BAD_KEY = range(5)
# What a posting's account is to the rules (see walk): its role for the recipients
# and approvals rules in the low two bits, its fund kind above them.
_GRANT, _REIMBURSED = 1, 2
_ROLE_BITS = 2

# How an account takes part in fund balances (the funds rule).
FUND_OTHER = 0  # not part of any fund balance (money, liabilities)
FUND_INCOME = 1  # Income:* and Equity:* other than releases
FUND_EXPENSE = 2  # Expenses:*
FUND_RECEIVABLE = 3  # Assets:Receivable:*
FUND_RELEASE = 4  # Equity:Releases

# What the funds rule is told about, in book order (see FundEvent).
OVERSPENT, UNDECLARED, RESTRICTED, UNBALANCED_RELEASE = range(4)


def fund_kind(account: str) -> int:
    """How ``account`` takes part in fund balances (one of the ``FUND_*`` kinds)."""
    if account.startswith(accounts.RELEASES) and (
        len(account) == len(accounts.RELEASES) or account[len(accounts.RELEASES)] == ":"
    ):
        return FUND_RELEASE
    if account.startswith(("Income:", accounts.EQUITY)):
        return FUND_INCOME
    if account.startswith("Expenses:"):
        return FUND_EXPENSE
    if account.startswith(accounts.RECEIVABLE):
        return FUND_RECEIVABLE
    return FUND_OTHER


class FundEvent(NamedTuple):
    """Something the funds rule reports, noted by the walk where it happens.

    ``what`` is ``OVERSPENT`` (``detail`` = (fund, currency, day, balance); ``meta``
    is the transaction's), ``UNDECLARED`` (``detail`` = the ``fund:`` value, ``meta``
    where it is written), ``RESTRICTED`` (``detail`` = (fund, account), ``meta`` of
    the posting, else of the transaction) or ``UNBALANCED_RELEASE`` (``detail`` =
    (currency, total)).
    """

    what: int
    entry: data.Transaction
    meta: dict[str, Any]
    detail: Any


class MetaScan:
    """The no-pii rule's view of metadata: a mode per key, kinds per value (cached)."""

    def __init__(self, policy: Policy) -> None:
        self.scanner = Scanner(policy.privacy.allow, policy.privacy.organisations)
        self.keep_donors = policy.privacy.donors == "keep"
        self.modes: dict[str, int] = dict.fromkeys(INTERNAL_KEYS, SKIP)
        self.value_kinds: dict[str, tuple[str, ...]] = {}

    def text(self, value: str) -> tuple[str, ...]:
        """Kinds in a text value: free text, or an identifier if it has no spaces."""
        kinds = self.value_kinds.get(value)
        if kinds is None:
            if " " in value:
                kinds = self.scanner.kinds(value)
            else:
                kinds = self.scanner.identifier_kinds(value)
            self.value_kinds[value] = kinds
        return kinds

    def mode(self, key: str) -> int:
        """How the values of a metadata key are scanned (decided once per key)."""
        mode = self.modes.get(key)
        if mode is None:
            if key[:2] == "__":
                mode = SKIP
            elif self.scanner.identifier_kinds(key):
                mode = BAD_KEY
            elif key[-3:] == "-id":
                mode = ID
            elif key == "donor" and self.keep_donors:
                mode = KEPT_DONOR
            else:
                mode = TEXT
            self.modes[key] = mode
        return mode

    def value(self, value: Any, mode: int) -> tuple[str, ...]:
        """Kinds in one metadata value, scanned as its key's mode says."""
        if type(value) is str:
            if mode == ID:
                if "@" not in value and "$" not in value:
                    return ()
                return tuple(k for k in self.scanner.kinds(value) if k in ID_KINDS)
            kinds = self.text(value)
            if mode == KEPT_DONOR:
                kinds = tuple(k for k in kinds if k != "name")
            return kinds
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return self.scanner.kinds(str(value))
        return ()

    def suspect(self, meta: dict[str, Any], clean: set[Any]) -> bool:
        """True if a metadata dict may hold personal data.

        ``clean`` collects text values already known to hold none.
        """
        modes = self.modes
        for key, value in meta.items():
            mode = modes.get(key)
            if mode is None:
                mode = self.mode(key)
            if mode == SKIP:
                continue
            if mode == TEXT and type(value) is str:
                if value in clean:
                    continue
                if self.value(value, mode):
                    return True
                clean.add(value)
            elif mode == ID:
                if type(value) is str and "@" not in value and "$" not in value:
                    continue
                if self.value(value, mode):
                    return True
            elif mode == BAD_KEY or self.value(value, mode):
                return True
        return False


class Use(NamedTuple):
    """Where a well-formed code is first used."""

    date: dt.date
    meta: dict[str, Any]


@dataclasses.dataclass
class Sweep:
    """What one walk over the entries found, for both privacy rules."""

    policy: Policy
    metascan: MetaScan
    #: Directives that are not transactions, in order.
    others: list[data.Directive] = dataclasses.field(default_factory=list)
    # --- recipients
    #: Aid and receivable postings whose own recipient: is missing or not a
    #: well-formed recipient code.
    grant_postings: list[tuple[data.Transaction, data.Posting]] = dataclasses.field(
        default_factory=list
    )
    #: Transactions whose approved-by: is not a list of well-formed volunteer codes.
    approvals: list[data.Transaction] = dataclasses.field(default_factory=list)
    #: Transactions whose donor: the policy does not allow as it is.
    donors: list[data.Transaction] = dataclasses.field(default_factory=list)
    #: First use of every well-formed recipient and volunteer code.
    first_use: dict[codes.Kind, dict[str, Use]] = dataclasses.field(
        default_factory=lambda: {"recipient": {}, "volunteer": {}}
    )
    # --- no-pii
    #: Transactions with a payee (the payee rule looks at each).
    payees: list[data.Transaction] = dataclasses.field(default_factory=list)
    #: Transactions whose narration, tags, links or metadata may hold personal data.
    suspects: list[data.Transaction] = dataclasses.field(default_factory=list)
    # --- approvals
    #: Transactions the approvals rule must look at: those with a posting to
    #: ``Liabilities:Reimbursements:*``, and those whose debits to grant accounts
    #: (``Expenses:Aid:*``, ``Assets:Receivable:*``), all currencies added together,
    #: are above ``approvals.threshold``. (A superset of what the rule finds: it
    #: adds up each currency on its own.)
    large_grants: list[data.Transaction] = dataclasses.field(default_factory=list)
    # --- funds
    #: Overspent funds, undeclared funds, restricted funds paying what they may not
    #: and releases that do not add up to zero, in book order.
    fund_events: list[FundEvent] = dataclasses.field(default_factory=list)
    #: Final (not pending) releases from a restricted fund, with that fund: each
    #: needs ``approvals.approvers`` approvers.
    fund_releases: list[tuple[data.Transaction, str]] = dataclasses.field(
        default_factory=list
    )


@dataclasses.dataclass
class _Kept:
    entries: list[data.Directive]
    identities: list[int]
    policy: Policy
    sweep: Sweep
    waiting_for: str  # the rule that has not taken the walk yet


_kept: _Kept | None = None

#: The rules that share the walk, by module (as plugin lines name them).
RULES = {"recipients": "aidbooks.plugins.recipients", "no-pii": "aidbooks.plugins.no_pii"}


def sweep_for(
    entries: list[data.Directive], policy: Policy, rule: str, options_map: dict[str, Any]
) -> Sweep:
    """The walk over ``entries`` under ``policy``, for ``rule`` (a key of :data:`RULES`).

    The walk is kept for the other rule only while that rule is switched on in the
    same books and has not taken it yet; then it is dropped at once, so the
    entries it refers to are never kept alive after the load.
    """
    global _kept  # noqa: PLW0603 - one walk kept per process, replaced atomically
    identities = list(map(id, entries))
    kept = _kept
    if (
        kept is not None
        and kept.waiting_for == rule
        and kept.entries is entries
        and kept.policy is policy
        and kept.identities == identities
    ):
        _kept = None
        return kept.sweep
    _kept = None
    # The walk makes short-lived objects only; collecting garbage meanwhile would
    # scan the whole ledger's objects again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = walk(entries, policy)
    finally:
        if collecting:
            gc.enable()
    plugins = {name for name, _config in options_map.get("plugin") or ()}
    partner = next(other for other in RULES if other != rule)
    if RULES[partner] in plugins:
        _kept = _Kept(entries, identities, policy, result, partner)
    return result


def forget() -> None:
    """Drop the kept walk (and the entries it refers to)."""
    global _kept  # noqa: PLW0603
    _kept = None


def walk(entries: list[data.Directive], policy: Policy) -> Sweep:
    """Walk the entries once; see :class:`Sweep` for what is kept.

    The loop below runs for every transaction and posting of the books, so it is
    written for speed: each value is looked up in a set of values already known
    to be well formed or clean, and only new values go to the scanner or the
    code checks; the funds rule's running balances are kept here too, so the
    postings are walked once for all the basic rules. (Bulk ``map``/``filter``
    sweeps were measured slower: they build lists as long as the books.)
    """
    metascan = MetaScan(policy)
    result = Sweep(policy, metascan)
    others, suspects, payees = result.others, result.suspects, result.payees
    grant_postings, approvals, donors = (
        result.grant_postings,
        result.approvals,
        result.donors,
    )
    first_recipient = result.first_use["recipient"]
    first_volunteer = result.first_use["volunteer"]
    # Values already seen well formed or clean: the walk only looks them up.
    good_recipients: set[Any] = set()
    good_approvals: set[Any] = set()
    good_donors: set[Any] = set()
    clean_text: set[str] = {""}
    clean_values: set[Any] = set()
    check_donors = policy.privacy.donors != "keep"
    drop_donors = policy.privacy.donors == "drop"
    pseudonymized = check_donors and not drop_donors
    valid = codes.is_valid
    kinds = metascan.scanner.kinds
    names = metascan.scanner.identifier_kinds
    suspect = metascan.suspect
    modes_get = metascan.modes.get
    mode_of = metascan.mode
    codes_only = CODES_ONLY.fullmatch
    value_kinds = metascan.value
    transaction = data.Transaction
    zero = Decimal(0)
    decimal = Decimal
    # account -> its role (grant, reimbursement) | its fund kind << _ROLE_BITS
    classes: dict[str, int] = {}
    classes_get = classes.get
    grant_prefixes = (accounts.AID, accounts.RECEIVABLE)
    reimbursed = accounts.REIMBURSEMENTS + ":"
    # --- approvals
    large_grants = result.large_grants
    threshold = policy.approvals.threshold
    # --- funds (what each kind and rule means: see aidbooks.plugins.funds)
    fund_events, fund_releases = result.fund_events, result.fund_releases
    fund_key = FUND
    general = GENERAL_FUND
    known_funds = policy.fund_names()
    restricted = {
        name: frozenset(fund.categories)
        for name, fund in policy.funds.items()
        if fund.restricted
    }
    main_currency = policy.fund.currency
    main_funds: dict[str, Decimal] = {}
    balances: dict[str, dict[str, Decimal]] = {main_currency: main_funds}
    # The transaction to blame for each overspent (fund, currency), for the day.
    blame: dict[tuple[str, str], data.Transaction] = {}
    day: dt.date | None = None

    def close_day() -> None:
        for key, txn in blame.items():
            fund, currency = key
            detail = (fund, currency, day, balances[currency][fund])
            fund_events.append(FundEvent(OVERSPENT, txn, txn.meta, detail))
        blame.clear()

    for entry in entries:
        if type(entry) is not transaction:
            others.append(entry)
            continue
        # One unpacking is cheaper than six attribute look-ups.
        meta, date, flag, payee, narration, tags, links, postings = entry
        found = False
        approved = donor = None
        txn_fund: Any = general
        # The transaction's metadata, inline: this loop runs for every transaction.
        for key, value in meta.items():
            mode = modes_get(key)
            if mode == SKIP:
                continue
            if mode is None:
                mode = mode_of(key)
                if mode == SKIP:
                    continue
            if key == "approved-by":
                approved = value
            elif key == "donor":
                donor = value
                if pseudonymized and type(value) is str:
                    # a well-formed donor code is a code: never personal data
                    if value in good_donors:
                        continue
                    if valid(value, "donor"):
                        good_donors.add(value)
                        continue
            elif key == fund_key:
                txn_fund = value
            if mode == ID:
                if type(value) is str and "@" not in value and "$" not in value:
                    continue
            elif mode == TEXT and type(value) is str:
                if value in clean_values:
                    continue
                if codes_only(value):  # codes are never personal data
                    clean_values.add(value)
                    continue
            if mode == BAD_KEY or value_kinds(value, mode):
                found = True
            elif mode == TEXT and type(value) is str:
                clean_values.add(value)
        narration = narration or ""
        if narration not in clean_text:
            if kinds(narration):
                found = True
            else:
                clean_text.add(narration)
        if payee:
            payees.append(entry)
        if tags or links:
            if any(names(name) for name in tags | links):
                found = True
        # --- funds: a new day closes the last one; the transaction's own fund
        if date != day:
            if blame:
                close_day()
            day = date
        txn_ok = txn_fund is general or txn_fund in known_funds
        if not txn_ok:
            fund_events.append(FundEvent(UNDECLARED, entry, meta, txn_fund))
        # What the transaction takes out of each (fund, currency): nearly always one
        # pair, kept in locals; a dict only for the rare transaction with more.
        fund1: Any = None
        currency1 = ""
        out1 = zero
        more: dict[tuple[str, str], Decimal] | None = None
        releases: dict[str, Decimal] | None = None
        released_from: str | None = None
        # --- approvals
        granted = zero  # positive grant amounts, all currencies together
        reimburses = False
        for posting in postings:
            account, units, _cost, _price, _pflag, pmeta = posting
            role = classes_get(account)
            if role is None:
                role = classes[account] = (
                    _GRANT
                    if account.startswith(grant_prefixes)
                    else _REIMBURSED
                    if account.startswith(reimbursed)
                    else 0
                ) | fund_kind(account) << _ROLE_BITS
            # --- funds: which fund the posting belongs to, and how much
            # plain: pmeta holds only filename, lineno and a fund already seen clean
            plain = False
            if pmeta is not None and fund_key in pmeta:
                fund = pmeta[fund_key]
                if fund not in known_funds:
                    fund_events.append(FundEvent(UNDECLARED, entry, pmeta, fund))
                    fund = None  # left out of the balances
                elif (
                    len(pmeta) == 3
                    and fund in clean_values
                    and "lineno" in pmeta
                    and "filename" in pmeta
                ):
                    plain = True
            elif txn_ok:
                fund = txn_fund
            else:
                fund = None
            if not role:  # money and liabilities: no fund, no grant (most postings)
                if (
                    pmeta
                    and not plain
                    and (len(pmeta) > 2 or "lineno" not in pmeta)
                    and suspect(pmeta, clean_values)
                ):
                    found = True
                continue
            kind = role >> _ROLE_BITS
            if kind and fund is not None and units is not None:
                number, currency = units
                if type(number) is decimal:
                    if fund1 is None:
                        fund1 = fund
                        currency1 = currency
                        out1 = number
                    elif fund == fund1 and currency == currency1:
                        out1 += number
                    else:
                        if more is None:
                            more = {}
                        pair = (fund, currency)
                        more[pair] = more.get(pair, zero) - number
                    if kind == FUND_RELEASE:
                        if releases is None:
                            releases = {}
                        releases[currency] = releases.get(currency, zero) + number
                        if number > zero and fund in restricted:
                            released_from = fund
                    elif kind != FUND_INCOME:
                        allowed = restricted.get(fund)
                        if allowed is not None and not (
                            accounts.category(account) in allowed
                            and (kind != FUND_EXPENSE or account.startswith(accounts.AID))
                        ):
                            detail = (fund, account)
                            where = pmeta or meta
                            fund_events.append(FundEvent(RESTRICTED, entry, where, detail))
            role &= _GRANT | _REIMBURSED
            if not role:
                pass
            elif role == _REIMBURSED:
                reimburses = True
            else:  # _GRANT
                if units is not None:
                    number = units[0]
                    if type(number) is decimal and number > zero:
                        granted += number
                value = pmeta.get("recipient") if pmeta else None
                if value in good_recipients:
                    if (
                        pmeta is not None
                        and len(pmeta) == 3
                        and "lineno" in pmeta
                        and "filename" in pmeta
                    ):  # nothing but the recipient, already known clean
                        continue
                elif pmeta and type(value) is str and valid(value, "recipient"):
                    good_recipients.add(value)
                    clean_values.add(value)  # a code is never personal data
                    if value not in first_recipient:
                        first_recipient[value] = Use(date, pmeta)
                else:
                    grant_postings.append((entry, posting))
            if (
                pmeta
                and not plain
                and (len(pmeta) > 2 or "lineno" not in pmeta)
                and suspect(pmeta, clean_values)
            ):
                found = True
        if approved is not None and approved not in good_approvals:
            parts = approved.split(", ") if type(approved) is str else ()
            if parts and all(valid(part, "volunteer") for part in parts):
                good_approvals.add(approved)
                for part in parts:
                    if part not in first_volunteer:
                        first_volunteer[part] = Use(date, meta)
            else:
                approvals.append(entry)
        if donor is not None and check_donors and donor not in good_donors:
            if not drop_donors and type(donor) is str and valid(donor, "donor"):
                good_donors.add(donor)
            else:
                donors.append(entry)
        if found:
            suspects.append(entry)
        if reimburses or granted > threshold:
            large_grants.append(entry)
        # --- funds: releases add up to zero; the balances after the transaction
        if releases is not None:
            for currency, total in releases.items():
                if total != 0:
                    unbalanced = (currency, total)
                    fund_events.append(
                        FundEvent(UNBALANCED_RELEASE, entry, meta, unbalanced)
                    )
            if released_from is not None and flag != PENDING_FLAG:
                fund_releases.append((entry, released_from))
        if fund1 is None:
            continue
        # blame follows the funds rule's definition (see aidbooks.plugins.funds)
        if currency1 == main_currency:
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
    return result
