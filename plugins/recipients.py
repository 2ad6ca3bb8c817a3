"""The ``recipients`` rule: every grant names its household by a declared code.

The books must prove that each grant went to a real household without saying who
it was. So every posting to ``Expenses:Aid:*`` and to ``Assets:Receivable:*`` (bail
and bonds) carries a recipient code, and every code is declared once, so a typo
never silently names another household or invents a new one.

What it enforces:

* Every such posting carries ``recipient: "R-…"``, on the posting or on the
  transaction (a transaction's ``recipient:`` applies to all its aid postings; a
  posting's own wins).
* The code is well formed (kind letter, Crockford alphabet, check character: see
  :mod:`aidbooks.plugins.codes`), is a *recipient* code, and is declared with
  ``custom "aid-recipient"`` on or before the date of its first use.
* ``approved-by: "V-…, V-…"`` lists well-formed volunteer codes declared with
  ``custom "aid-volunteer"`` on or before the transaction's date.
* The leaf of ``Liabilities:Reimbursements:<V-code>`` is a declared volunteer code.
* A declaration holds exactly one well-formed code of its kind; a code is declared
  once (never twice, never as both recipient and volunteer); a recipient code is
  never used as a volunteer, nor the reverse.
* An ``aid-link`` (:mod:`aidbooks.plugins.households`) joins two well-formed
  recipient codes, both declared on or before the link's date; a code is linked
  to one household only, never to itself, and links never form a cycle.
* ``donor:`` is a well-formed donor code (``D-…``) when the policy pseudonymizes
  donors (``[privacy] donors = "pseudonymize"``, the default), and absent when it
  drops them (``"drop"``); with ``"keep"`` it is not checked.
* ``custom "aid-key"`` (the fingerprint of the fund's key, see
  :mod:`aidbooks.plugins.keys`) holds exactly one quoted fingerprint of 16
  lower-case hex digits — never the key itself — and no two fingerprints are
  recorded on one day (the latest dated one is the books' current key).

Findings point at the posting or directive and say how to fix it. A mistyped code
gets the declared code it was probably meant to be ("did you mean R-…? one
character differs"). A value that is not a well-formed code is never repeated in
the message: it might be a name typed where a code belongs.

Switched on in every ``aidbooks init`` ledger with the other basic rules, by
``plugin "aidbooks.plugins.basic"`` (see :mod:`aidbooks.plugins.basic`). Ledger
example, with this rule alone::

    plugin "aidbooks.plugins.recipients"

    2025-01-01 custom "aid-recipient" "R-4F7KM-Q9X2H"
    2025-01-01 custom "aid-volunteer" "V-0N2CE-7RPWX"
    2025-01-01 custom "aid-volunteer" "V-8QK3M-2ZXT8"

    2025-03-02 * "Rent assistance"
      approved-by: "V-0N2CE-7RPWX, V-8QK3M-2ZXT8"
      Expenses:Aid:Rent  450.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking

New codes come from ``aidbooks code new --kind recipient --ledger main.beancount``,
which prints the code and appends its declaration. Nothing to configure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from typing import ClassVar
from typing import NamedTuple

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins import codes
from aidbooks.plugins import keys
from aidbooks.plugins.conventions import RECIPIENT
from aidbooks.plugins.conventions import recipient_of
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.households import LINK
from aidbooks.plugins.households import resolve as resolve_links
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin
from aidbooks.plugins.sweep import Sweep
from aidbooks.plugins.sweep import Use as _Use
from aidbooks.plugins.sweep import sweep_for


class RecipientError(RuleError):
    """A missing, malformed, undeclared or misused recipient or volunteer code."""

    __slots__ = ()
    rule: ClassVar[str] = "recipients"


_KIND_OF_DECLARATION: dict[str, codes.Kind] = {
    "aid-recipient": "recipient",
    "aid-volunteer": "volunteer",
}
_EXAMPLE = {
    "recipient": "R-XXXXX-XXXXX",
    "volunteer": "V-XXXXX-XXXXX",
    "donor": "D-XXXXX-XXXXX",
}
_SOURCE = {
    "recipient": "copy it again from the intake sheet",
    "volunteer": "copy it again from codes.beancount, where volunteers are declared",
    "donor": "donor codes are written by `aidbooks import`; import the row again",
}
_FIELD = {"recipient": "recipient:", "volunteer": "approved-by:", "donor": "donor:"}


class _Declared(NamedTuple):
    kind: codes.Kind
    date: dt.date
    meta: dict[str, Any]


class _Bad(NamedTuple):
    """A value that is not a well-formed code of the kind its field needs."""

    text: str
    kind: codes.Kind
    meta: dict[str, Any]
    problem: codes.CodeProblem


def _where(meta: dict[str, Any]) -> str:
    return f"{meta.get('filename', '?')}:{meta.get('lineno', 0)}"


class _Pass:
    """One pass over the entries; resolution of uses against declarations at the end."""

    def __init__(self, policy: Policy) -> None:
        self.errors: list[RuleError] = []
        self.declared: dict[str, _Declared] = {}
        self.first_use: dict[codes.Kind, dict[str, _Use]] = {
            "recipient": {},
            "volunteer": {},
        }
        self.bad: list[_Bad] = []
        self.shape: dict[tuple[str, codes.Kind], codes.CodeProblem | None] = {}
        self.donors = policy.privacy.donors
        #: day -> the fingerprint recorded that day and where
        self.key_days: dict[dt.date, tuple[str, dict[str, Any]]] = {}

    def add(self, meta: dict[str, Any], message: str) -> None:
        # No entry: bean-check would print it, and a name typed for a code with it.
        self.errors.append(RecipientError(meta, message, None))

    # --------------------------------------------------------------- uses
    def use(self, value: Any, kind: codes.Kind, day: dt.date, meta: dict[str, Any]) -> bool:
        """Check one value of a code field; True if it is a well-formed code."""
        field = _FIELD[kind]
        if not isinstance(value, str):
            self.add(
                meta,
                f'{field} must be a quoted code like "{_EXAMPLE[kind]}"; put the code in'
                " double quotes",
            )
            return False
        key = (value, kind)
        problem = self.shape.get(key, ...)
        if problem is ...:
            problem = codes.problem(value, kind)
            self.shape[key] = problem
        if problem is not None:
            self.bad.append(_Bad(value, kind, meta, problem))
            return False
        if kind == "donor":
            return True
        first = self.first_use[kind]
        earlier = first.get(value)
        if earlier is None or earlier.date > day:
            first[value] = _Use(day, meta)
        return True

    def grant_posting(self, entry: data.Transaction, posting: data.Posting) -> bool:
        """Check the recipient of one aid posting; True if it is a well-formed code."""
        pmeta = posting.meta
        value = recipient_of(entry, posting)
        # the finding goes where the value is written: the posting's own wins
        where = pmeta if pmeta and pmeta.get(RECIPIENT) is not None else entry.meta
        if value is None:
            self.add(
                pmeta or entry.meta,
                f"posting to {posting.account} has no recipient: code; add"
                f' recipient: "{_EXAMPLE["recipient"]}" under the posting (or on the'
                " transaction) with the household's code from the intake sheet",
            )
            return False
        return self.use(value, "recipient", entry.date, where)

    def approvals(self, entry: data.Transaction, approved: Any) -> bool:
        """Check ``approved-by:``; True if every part is a well-formed volunteer code."""
        meta = entry.meta
        if not isinstance(approved, str):
            return self.use(approved, "volunteer", entry.date, meta)
        parts = [p.strip() for p in approved.split(",")]
        ok = True
        if any(not p for p in parts):
            self.add(
                meta,
                "approved-by: has an empty entry; list volunteer codes separated by"
                f' commas, like "{_EXAMPLE["volunteer"]}, {_EXAMPLE["volunteer"]}"',
            )
            ok = False
        for part in parts:
            if part and not self.use(part, "volunteer", entry.date, meta):
                ok = False
        return ok

    def donor(self, entry: data.Transaction, donor: Any) -> None:
        """Report a ``donor:`` the policy does not allow, or that is not a donor code."""
        if self.donors == "drop":
            self.add(
                entry.meta,
                'donor: is present but the policy drops donors ([privacy] donors = "drop");'
                " remove it",
            )
            return
        self.use(donor, "donor", entry.date, entry.meta)

    # ------------------------------------------------------- declarations
    def declaration(self, entry: data.Custom, kind: codes.Kind) -> None:
        values = entry.values or []
        if (
            len(values) != 1
            or not isinstance(values[0].value, str)
            or values[0].dtype is not str
        ):
            self.add(
                entry.meta,
                f'custom "{entry.type}" needs exactly one quoted code; write it as'
                f' {entry.date} custom "{entry.type}" "{_EXAMPLE[kind]}"',
            )
            return
        code = values[0].value
        problem = codes.problem(code, kind)
        if problem is not None:
            self.add(
                entry.meta,
                f'custom "{entry.type}": the code {problem.reason}; {self.fix(code, problem, None)}',
            )
            return
        earlier = self.declared.get(code)
        if earlier is not None:
            if earlier.kind == kind:
                self.add(
                    entry.meta,
                    f"{code} is declared twice (first at {_where(earlier.meta)});"
                    " remove this declaration",
                )
            else:
                self.add(
                    entry.meta,
                    f"{code} is already declared as a {earlier.kind} at"
                    f" {_where(earlier.meta)}; a code names one person in one role —"
                    " remove this declaration",
                )
            return
        self.declared[code] = _Declared(kind, entry.date, entry.meta)

    def key_record(self, entry: data.Custom) -> None:
        """Check a ``custom "aid-key"``: one quoted fingerprint, one per day."""
        value = keys.key_record(entry)
        if value is not None:
            earlier = self.key_days.get(entry.date)
            if earlier is None:
                self.key_days[entry.date] = (value, entry.meta)
            elif earlier[0] != value:
                self.add(
                    entry.meta,
                    f'custom "{keys.AID_KEY}": another key is recorded on {entry.date}'
                    f" ({_where(earlier[1])}), so which one is current cannot be told;"
                    " date the later key a day after the earlier one",
                )
            return
        values = entry.values or []
        raw = values[0].value if len(values) == 1 else None
        if isinstance(raw, str) and len(raw.strip()) == 2 * keys.KEY_BYTES:
            self.add(
                entry.meta,
                f'custom "{keys.AID_KEY}" holds what looks like a whole key, not its'
                " fingerprint; remove it from the books and from their history, treat"
                " the key as exposed and rotate it (aidbooks key rotate): the books"
                " record only the fingerprint `aidbooks key show` prints",
            )
            return
        self.add(
            entry.meta,
            f'custom "{keys.AID_KEY}" needs exactly one quoted fingerprint of 16'
            f' lower-case hex digits; write it as {entry.date} custom "{keys.AID_KEY}"'
            ' "0123456789abcdef" with the fingerprint `aidbooks key show` prints',
        )

    def reimbursement_account(self, entry: data.Open) -> None:
        prefix = accounts.REIMBURSEMENTS + ":"
        if not entry.account.startswith(prefix):
            return
        leaf = entry.account[len(prefix) :]
        problem = codes.problem(leaf, "volunteer")
        if problem is not None:
            self.add(
                entry.meta,
                f"a reimbursement account ends in the volunteer's code, but this one"
                f" {problem.reason}; {self.fix(leaf, problem, 'volunteer')}",
            )
            return
        self.use(leaf, "volunteer", entry.date, entry.meta)

    # ---------------------------------------------------------- resolving
    def fix(self, text: str, problem: codes.CodeProblem, kind: codes.Kind | None) -> str:
        """How to fix a malformed code, never repeating what was typed."""
        candidates = [c for c, d in self.declared.items() if d.kind == kind] if kind else []
        suggestion = codes.suggest(text, candidates)
        if suggestion is not None:
            target = codes.normalize(text)
            differs = sum(a != b for a, b in zip(target, suggestion, strict=False))
            how = "one character differs" if differs == 1 else "two characters are swapped"
            return f"did you mean {suggestion}? {how}"
        fixed = codes.normalize(text)
        if kind and fixed in candidates:
            return f"write it as {fixed}"
        if kind and problem.reason == "is not shaped like a code":
            return f"a {kind} code looks like {_EXAMPLE[kind]}; {_SOURCE[kind]}"
        if kind and problem.fix.startswith("copy the code again"):
            return _SOURCE[kind]
        if problem.fix.startswith("write it as"):
            return "write it in capitals with hyphens, like R-XXXXX-XXXXX"
        return problem.fix

    def resolve(self) -> None:
        for bad in self.bad:
            self.add(
                bad.meta,
                f"{_FIELD[bad.kind]} value {bad.problem.reason}; {self.fix(bad.text, bad.problem, bad.kind)}",
            )
        for kind, first in self.first_use.items():
            for code, use in first.items():
                self.resolve_use(code, kind, use)

    def resolve_use(self, code: str, kind: codes.Kind, use: _Use) -> None:
        """Report a code used before (or without) its declaration."""
        declared = self.declared.get(code)
        if declared is None:
            how = (
                "aidbooks code new --kind recipient --ledger main.beancount"
                if kind == "recipient"
                else "aidbooks code new --kind volunteer --ledger main.beancount"
            )
            self.add(
                use.meta,
                f"{kind} code {code} is not declared; declare it with"
                f' {use.date} custom "{codes.DECLARATION[kind]}" "{code}"'
                f" in codes.beancount (new codes come from `{how}`)",
            )
        elif declared.date > use.date:
            self.add(
                use.meta,
                f"{code} is used on {use.date} before its declaration on"
                f" {declared.date} ({_where(declared.meta)}); date the declaration"
                f" {use.date} or earlier",
            )


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Check recipient and volunteer codes on grants, approvals and declarations.

    One walk over the entries (shared with the no-pii rule, see
    :mod:`aidbooks.plugins.sweep`) notes the first use of every well-formed code
    and the few postings and transactions that need a closer look; uses are then
    resolved against the declarations (a declaration dated on or before the first
    use counts, wherever it is in the files).
    """
    return from_sweep(
        sweep_for(entries, policy, "recipients", options_map), options_map, policy
    )


def from_sweep(
    walked: Sweep, options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """The rule's findings from a walk over the entries already made (see ``basic``)."""
    check = _Pass(policy)
    for kind, first in walked.first_use.items():
        check.first_use[kind].update(first)
    for transaction, posting in walked.grant_postings:
        check.grant_posting(transaction, posting)
    for transaction in walked.approvals:
        check.approvals(transaction, transaction.meta["approved-by"])
    for transaction in walked.donors:
        check.donor(transaction, transaction.meta["donor"])
    links: list[data.Custom] = []
    for entry in walked.others:
        if isinstance(entry, data.Custom):
            declared = _KIND_OF_DECLARATION.get(entry.type)
            if declared is not None:
                check.declaration(entry, declared)
            elif entry.type == LINK:
                links.append(entry)
            elif entry.type == keys.AID_KEY:
                check.key_record(entry)
        elif isinstance(entry, data.Open):
            check.reimbursement_account(entry)
    check.resolve()
    if links:
        recipients = {
            code: d.date for code, d in check.declared.items() if d.kind == "recipient"
        }
        for problem in resolve_links(links, recipients).problems:
            check.add(dict(problem.meta), problem.message)
    return check.errors


__plugins__ = (as_plugin(validate),)
