"""The ``no-pii`` rule: no personal data anywhere in the books.

Payment records are an enforcement target. The books must prove where every dollar
went without saying to whom, so nothing that names or locates a person may enter
them: no names or initials, phone numbers, e-mails, payment handles, street
addresses, ZIP+4 codes, A-numbers, SSN/ITIN, passport, consular or licence numbers,
case and booking numbers, licence plates, card or account digits, dates of birth.
People appear only as codes (``recipient: "R-…"``, ``approved-by: "V-…"``,
``donor: "D-…"``).

What it scans — every string the books hold:

* payee and narration of every transaction;
* metadata values of every directive and posting (text, and numbers: a phone
  number typed without quotes is still a phone number), and metadata keys;
* tags and links;
* the type and values of ``custom`` directives;
* the file names of ``document`` directives (relative to the main ledger's folder);
* account names (at their ``open`` directive);
* the text of ``note``, ``event`` and ``query`` directives.

The detectors are those of :mod:`aidbooks.plugins.pii` (the same ones the importers
and ``aidbooks check`` use). Platform ids (metadata keys ending in ``-id``, such as
``venmo-id``) are opaque random strings that can look like anything, so only
e-mails and handles are looked for in them.

Payees: on a grant (a posting to ``Expenses:Aid:*`` or ``Assets:Receivable:*``) or
a donation (``Income:Donations:*``, ``Income:Grants``) the payee must be empty or
one of the fund's organisations — a utility, a court, a foundation. Who was helped
is the ``recipient:`` code; who gave is the ``donor:`` code.

Findings name the field and the kind of data, never the value itself, because the
output may be pasted into a chat::

    books/2025-03.beancount:88: narration holds a phone number; remove it — notes about families stay off the books

Configure it in ``aidbooks.toml``::

    [privacy]
    allow = ["Rosa Parks Elementary"]   # exact strings that are never findings
    organisations = ["Riverside Water Utility", "County Court Clerk"]
    donors = "keep"                     # donor names kept on purpose: donor: is not scanned for names

Switched on in every ``aidbooks init`` ledger with the other basic rules, by
``plugin "aidbooks.plugins.basic"`` (see :mod:`aidbooks.plugins.basic`). Ledger
example, with this rule alone::

    plugin "aidbooks.plugins.no_pii"

    2025-03-02 * "Riverside Water Utility" "Water bill"
      Expenses:Aid:Utilities  80.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

The rule is one pass over the entries; each distinct string is scanned once.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.keys import AID_KEY
from aidbooks.plugins.keys import FINGERPRINT
from aidbooks.plugins.pii import CODES_ONLY
from aidbooks.plugins.pii import describe
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin
from aidbooks.plugins.sweep import BAD_KEY
from aidbooks.plugins.sweep import SKIP
from aidbooks.plugins.sweep import MetaScan
from aidbooks.plugins.sweep import Sweep
from aidbooks.plugins.sweep import sweep_for


class NoPiiError(RuleError):
    """Personal data found in the books."""

    __slots__ = ()
    rule: ClassVar[str] = "no-pii"


#: Posting accounts that make a transaction a grant or a donation (payee rule).
_PAYEE_RULE_PREFIXES = (accounts.AID, accounts.RECEIVABLE, accounts.DONATIONS)

_FIX = "remove it — notes about families stay off the books"
_NAME_FIX = (
    "remove it and let the code (recipient:, approved-by:, donor:) stand for the person"
    " — names stay off the books; if it is an organisation or a place, add its exact"
    " text to [privacy] allow in aidbooks.toml"
)


def _message(field: str, kinds: tuple[str, ...] | list[str]) -> str:
    fix = _NAME_FIX if "name" in kinds else _FIX
    return f"{field} holds {describe(kinds)}; {fix}"


class _Check:
    """Reporting: says exactly what is where, for the entries the walk pointed at."""

    def __init__(self, metascan: MetaScan, options_map: dict[str, Any]) -> None:
        self.metascan = metascan
        self.scanner = metascan.scanner
        self.errors: list[RuleError] = []
        main = options_map.get("filename") or ""
        self.root = os.path.dirname(str(main)) if main and not main.startswith("<") else ""

    def add(self, source: dict[str, Any], message: str) -> None:
        # No entry: bean-check would print it, and with it the personal data found.
        self.errors.append(NoPiiError(source, message, None))

    def text(self, value: str) -> tuple[str, ...]:
        return self.metascan.text(value)

    def item(
        self, meta: dict[str, Any], key: str, value: Any, mode: int, where: str
    ) -> bool:
        """Scan one metadata key and value; True if anything was found."""
        found = False
        if mode == BAD_KEY:
            self.add(meta, _message(f"a {where} key", self.scanner.identifier_kinds(key)))
            found = True
        kinds = self.metascan.value(value, mode)
        if kinds:
            label = f"a {where} value" if mode == BAD_KEY else f'{where} "{key}"'
            self.add(meta, _message(label, kinds))
            found = True
        return found

    def meta(self, meta: dict[str, Any], where: str) -> None:
        """Scan every key and value of a metadata dict."""
        for key, value in meta.items():
            mode = self.metascan.mode(key)
            if mode != SKIP:
                self.item(meta, key, value, mode, where)

    def names(self, values: Any, what: str, meta: dict[str, Any]) -> None:
        """Tags or links."""
        for value in values:
            kinds = self.scanner.identifier_kinds(value)
            if kinds:
                self.add(meta, _message(what, kinds))

    def payee(self, entry: data.Transaction) -> None:
        payee = entry.payee or ""
        postings = entry.postings
        if any(p.account.startswith(_PAYEE_RULE_PREFIXES) for p in postings) or any(
            p.account == accounts.GRANTS_IN for p in postings
        ):
            if not self.scanner.is_organisation(payee):
                self.add(entry.meta, _payee_message(entry))
        else:
            kinds = self.scanner.kinds(payee)
            if kinds:
                self.add(entry.meta, _message("payee", kinds))

    def other(self, entry: data.Directive) -> None:
        scanner = self.scanner
        if isinstance(entry, data.Open):
            kinds = scanner.identifier_kinds(entry.account)
            if kinds:
                self.add(entry.meta, _message("the account name", kinds))
        elif isinstance(entry, data.Custom):
            type_kinds = scanner.identifier_kinds(entry.type)
            if type_kinds:
                self.add(entry.meta, _message("a custom directive's type", type_kinds))
            for value in entry.values or ():
                raw = value.value
                if isinstance(raw, str) and value.dtype is str:
                    if CODES_ONLY.fullmatch(raw):  # declarations: the common case
                        continue
                    if entry.type == AID_KEY and FINGERPRINT.fullmatch(raw):
                        continue  # hex digits, never a person's (16 digits: a "card")
                    kinds = self.text(raw)
                elif isinstance(raw, Decimal):
                    kinds = scanner.kinds(str(raw))
                else:
                    continue
                if kinds:
                    label = "a custom directive" if type_kinds else f'custom "{entry.type}"'
                    self.add(entry.meta, _message(f"the value of {label}", kinds))
        elif isinstance(entry, data.Document):
            name = entry.filename
            if self.root and name.startswith(self.root + os.sep):
                name = name[len(self.root) + 1 :]
            else:
                name = os.path.basename(name)
            kinds = scanner.identifier_kinds(name)
            if kinds:
                self.add(entry.meta, _message("the document's file name", kinds))
            if entry.tags:
                self.names(entry.tags, "a tag", entry.meta)
            if entry.links:
                self.names(entry.links, "a link", entry.meta)
        elif isinstance(entry, data.Note):
            kinds = scanner.kinds(entry.comment)
            if kinds:
                self.add(entry.meta, _message("the note", kinds))
        elif isinstance(entry, data.Event):
            kinds = tuple(
                sorted(
                    set(scanner.identifier_kinds(entry.type))
                    | set(scanner.kinds(entry.description))
                )
            )
            if kinds:
                self.add(entry.meta, _message("the event", kinds))
        elif isinstance(entry, data.Query):
            kinds = tuple(
                sorted(
                    set(scanner.kinds(entry.name)) | set(scanner.kinds(entry.query_string))
                )
            )
            if kinds:
                self.add(entry.meta, _message("the query", kinds))
        meta = entry.meta
        if meta and (len(meta) > 2 or "lineno" not in meta):
            self.meta(meta, "metadata")


def _payee_message(entry: data.Transaction) -> str:
    donation = any(
        p.account.startswith(accounts.DONATIONS) or p.account == accounts.GRANTS_IN
        for p in entry.postings
    )
    if donation:
        return (
            "payee of a donation must be empty or one of the fund's organisations;"
            " remove it (donor: holds the donor's code) or add the organisation's exact"
            " name to [privacy] organisations in aidbooks.toml"
        )
    return (
        "payee of a grant must be empty or one of the fund's organisations;"
        " remove it (recipient: holds the household's code) or add the organisation's"
        " exact name to [privacy] organisations in aidbooks.toml"
    )


def _report(check: _Check, entry: data.Transaction) -> None:
    """Report every finding in one transaction's narration, tags, links and metadata."""
    kinds = check.scanner.kinds(entry.narration) if entry.narration else ()
    if kinds:
        check.add(entry.meta, _message("narration", kinds))
    check.meta(entry.meta, "metadata")
    if entry.tags:
        check.names(entry.tags, "a tag", entry.meta)
    if entry.links:
        check.names(entry.links, "a link", entry.meta)
    for posting in entry.postings:
        if posting.meta:
            check.meta(posting.meta, "posting metadata")


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Find personal data in every string the books hold.

    One walk over the entries (shared with the recipients rule, see
    :mod:`aidbooks.plugins.sweep`) scans each distinct string once and points at
    the transactions that hold something; only those are then reported in full.
    """
    return from_sweep(
        sweep_for(entries, policy, "no-pii", options_map), options_map, policy
    )


def from_sweep(
    walked: Sweep, options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """The rule's findings from a walk over the entries already made (see ``basic``)."""
    check = _Check(walked.metascan, options_map)
    for entry in walked.others:
        check.other(entry)
    for transaction in walked.payees:
        check.payee(transaction)
    for transaction in walked.suspects:
        _report(check, transaction)
    return check.errors


__plugins__ = (as_plugin(validate),)
