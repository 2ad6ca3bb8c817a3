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
from aidbooks.plugins.pii import CODES_ONLY
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.policy import Policy

#: Beancount's own metadata, never written by people.
INTERNAL_KEYS = frozenset({"filename", "lineno"})
#: Kinds looked for in opaque platform ids (``*-id`` keys).
ID_KINDS = frozenset({"email", "handle"})

# How the values of a metadata key are scanned.
SKIP, TEXT, ID, KEPT_DONOR, BAD_KEY = range(5)
# What a posting's account is to the rules (see walk).
_GRANT, _REIMBURSED = 1, 2


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
    code checks. (Bulk ``map``/``filter`` sweeps were measured slower: they build
    lists as long as the books.)
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
    large_grants = result.large_grants
    threshold = policy.approvals.threshold
    zero = Decimal(0)
    decimal = Decimal
    grant_prefixes = (accounts.AID, accounts.RECEIVABLE)
    reimbursed = accounts.REIMBURSEMENTS + ":"
    roles: dict[str, int] = {}  # account -> _GRANT, _REIMBURSED or 0
    modes_get = metascan.modes.get
    mode_of = metascan.mode
    codes_only = CODES_ONLY.fullmatch
    value_kinds = metascan.value
    transaction = data.Transaction
    for entry in entries:
        if type(entry) is not transaction:
            others.append(entry)
            continue
        # One unpacking is cheaper than six attribute look-ups.
        meta, date, _flag, payee, narration, tags, links, postings = entry
        found = False
        approved = donor = None
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
        granted = zero  # positive grant amounts, all currencies together
        reimburses = False
        for posting in postings:
            account, units, _cost, _price, _pflag, pmeta = posting
            role = roles.get(account)
            if role is None:
                role = roles[account] = (
                    _GRANT
                    if account.startswith(grant_prefixes)
                    else _REIMBURSED
                    if account.startswith(reimbursed)
                    else 0
                )
            if role == _REIMBURSED:
                reimburses = True
            elif role:  # _GRANT
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
                    if value not in first_recipient:
                        first_recipient[value] = Use(date, pmeta)
                else:
                    grant_postings.append((entry, posting))
            if (
                pmeta
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
    return result
