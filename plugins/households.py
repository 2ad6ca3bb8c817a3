"""Households: the codes that name one family, joined by ``aid-link`` declarations.

A family easily ends up with several recipient codes: the intake code on its paper
card, and one the importers derive from each platform's name for it (Venmo, PayPal,
Zelle). Counted as codes, one family is several "households": the report's counts
are inflated, a published cell of "11 households" may be four families, and the
family's cap is split across its codes. A link declares that codes are one
household::

    2025-01-01 custom "aid-recipient" "R-4F7KM-Q9X2H"   ; the intake code
    2025-02-10 custom "aid-recipient" "R-9TQ2M-7C4AX"   ; derived from Venmo
    2025-03-01 custom "aid-link" "R-9TQ2M-7C4AX" "R-4F7KM-Q9X2H"

The first code is *linked to* the second; ``aidbooks code link CODE... --to CODE``
writes these lines (dated, so a link is reviewable in git like any entry). Links may
chain (A to B, B to C): a household is named by the code at the end of the chain,
its **head** — usually the intake code. A household's codes are its head and every
code linked to it.

Every rule, report and page that counts or caps households calls
:func:`aidbooks.plugins.conventions.household_of`, which reads the
:class:`Households` made here once per pass over the books. A link holds for every
grant of its codes whatever their dates (the family was one family all along), so
linking two codes that already have grants re-evaluates the caps. A report counts
only the links dated on or before its period's last day: the report is a function
of the books as they stood then, and ``aidbooks verify`` makes it again from them.

What is wrong with a link is the ``recipients`` rule's finding
(:mod:`aidbooks.plugins.recipients`): a link that is not two well-formed recipient
codes, a code linked to itself, a code linked twice, a link to or from a code not
declared by the link's date, and a cycle. A link with a finding is not followed.
Nothing to configure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypeGuard

from beancount.core import data

from aidbooks.plugins import codes

#: The custom directive that links a code to another (the same household).
LINK = "aid-link"
#: Where ``aidbooks import`` declares the recipient codes it derives from platform
#: identifiers (relative to the books' folder). A code declared there is *derived*:
#: until it is linked to the family's intake code it may count one family twice.
DERIVED_FILE = "imports/codes.beancount"


def is_derived(entry: data.Directive) -> TypeGuard[data.Custom]:
    """True for a recipient declaration written by the importers (a derived code)."""
    if type(entry) is not data.Custom or entry.type != codes.DECLARATION["recipient"]:
        return False
    filename = entry.meta.get("filename") if entry.meta else None
    return isinstance(filename, str) and filename.replace("\\", "/").endswith(DERIVED_FILE)


@dataclass(frozen=True)
class Link:
    """One ``aid-link`` directive: ``code`` is the same household as ``to``."""

    code: str
    to: str
    date: dt.date
    meta: Mapping[str, Any]


@dataclass(frozen=True)
class LinkProblem:
    """What is wrong with one link (it is not followed)."""

    meta: Mapping[str, Any]
    message: str


def read_link(entry: data.Custom) -> Link | None:
    """The link an ``aid-link`` directive declares, or None when it is malformed."""
    values = entry.values or []
    if len(values) != 2:
        return None
    first, second = values[0], values[1]
    if first.dtype is not str or second.dtype is not str:
        return None
    code, to = first.value, second.value
    if not isinstance(code, str) or not isinstance(to, str):
        return None
    if not codes.is_valid(code, "recipient") or not codes.is_valid(to, "recipient"):
        return None
    return Link(code, to, entry.date, entry.meta)


def is_link(entry: data.Directive) -> bool:
    """True for an ``aid-link`` directive (well formed or not)."""
    return type(entry) is data.Custom and entry.type == LINK


@dataclass
class Households:
    """Which household each recipient code belongs to.

    Attributes:
      head: code -> the head of its household, for linked codes only (a code that
        is in no link is its own household and is not listed).
      links: The links followed, in book order.
      problems: The links not followed, with why.
    """

    head: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    problems: list[LinkProblem] = field(default_factory=list)
    _heads: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def of(self, code: str) -> str:
        """The household (its head code) of a recipient code."""
        return self.head.get(code, code)

    def codes_of(self, code: str) -> tuple[str, ...]:
        """Every code of the household ``code`` belongs to, its head first."""
        head = self.of(code)
        return (head, *(c for c, h in self.head.items() if h == head))

    def linked(self, code: str) -> bool:
        """True when ``code`` is in a link (on either side)."""
        return code in self.head or code in self.heads

    @property
    def heads(self) -> frozenset[str]:
        """The codes that name a linked household."""
        heads = self._heads
        if heads is None:
            heads = self._heads = frozenset(self.head.values())
        return heads


#: No links: every code is its own household.
NONE = Households()


def households(
    entries: Iterable[data.Directive],
    until: dt.date | None = None,
    declared: Mapping[str, dt.date] | None = None,
) -> Households:
    """The households of the books (one pass over ``entries``).

    Args:
      entries: The books' directives (any order; links are few).
      until: Only links dated on or before this day count (a report's last day).
      declared: Recipient code -> its declaration date. When given, a link with a
        code not declared by the link's date is a problem and is not followed; the
        ``recipients`` rule passes it. Without it every well-formed link counts
        (the books passed that rule to be loaded at all).
    Returns:
      The households; links with problems are not followed.
    """
    custom = data.Custom
    found: list[data.Custom] = []
    for entry in entries:
        if type(entry) is custom and entry.type == LINK:
            if until is None or entry.date <= until:
                found.append(entry)
    if not found:
        return Households()
    return resolve(found, declared)


def resolve(
    entries: Iterable[data.Custom], declared: Mapping[str, dt.date] | None = None
) -> Households:
    """Follow the links of some ``aid-link`` directives to each household's head."""
    result = Households()
    to: dict[str, Link] = {}
    for entry in entries:
        link = read_link(entry)
        if link is None:
            result.problems.append(
                LinkProblem(
                    entry.meta,
                    f'custom "{LINK}" needs two quoted recipient codes; write it as'
                    f' {entry.date} custom "{LINK}" "R-XXXXX-XXXXX" "R-XXXXX-XXXXX"'
                    " (the code, then the code of the household it joins)",
                )
            )
            continue
        if link.code == link.to:
            result.problems.append(
                LinkProblem(link.meta, f"{link.code} is linked to itself; remove this link")
            )
            continue
        if declared is not None:
            missing = [
                c
                for c in (link.code, link.to)
                if (d := declared.get(c)) is None or d > link.date
            ]
            if missing:
                result.problems.append(
                    LinkProblem(
                        link.meta,
                        f"the link names {missing[0]}, which is not declared as"
                        f" aid-recipient on or before {link.date}; declare it (custom"
                        ' "aid-recipient") or correct the code',
                    )
                )
                continue
        earlier = to.get(link.code)
        if earlier is not None:
            if earlier.to == link.to:
                message = (
                    f"{link.code} is already linked to {link.to} at"
                    f" {_where(earlier.meta)}; remove this link"
                )
            else:
                message = (
                    f"{link.code} is already linked to {earlier.to} at"
                    f" {_where(earlier.meta)}; a code belongs to one household — link"
                    f" {earlier.to} to {link.to} instead if they are one family"
                )
            result.problems.append(LinkProblem(link.meta, message))
            continue
        to[link.code] = link
    # Follow each chain to its head; a chain that comes back on itself is a cycle.
    head: dict[str, str] = {}
    cyclic: set[str] = set()
    for start in to:
        if start in head or start in cyclic:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        code = start
        end: str | None = None
        while True:
            if code in head:
                end = head[code]
                break
            if code in cyclic:
                break
            if code in on_path:
                break
            nxt = to.get(code)
            if nxt is None:
                end = code
                break
            path.append(code)
            on_path.add(code)
            code = nxt.to
        if end is None:
            cyclic.update(path)
        else:
            for member in path:
                head[member] = end
    for code, link in to.items():
        if code in cyclic:
            result.problems.append(
                LinkProblem(
                    link.meta,
                    f"the links of {code} lead into a cycle; a household"
                    " needs one code that is linked to nothing — remove one link of"
                    " the cycle",
                )
            )
        else:
            result.links.append(link)
    result.head = head
    return result


def _where(meta: Mapping[str, Any]) -> str:
    return f"{meta.get('filename', '?')}:{meta.get('lineno', 0)}"
