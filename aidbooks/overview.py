"""The treasurer's overview: what in the books needs attention (the Aid page in Fava).

:func:`build` turns loaded books into an :class:`Overview`, section by section:

* **funds** — every fund's opening, received, spent and closing balance over the
  period shown (:func:`aidbooks.plugins.fundflows.flows`, the rule's attribution),
  how many days its balance would last at the pace it spent over the last
  :data:`LOW_LOOKBACK_DAYS` days, and whether it is *close to empty*: fewer than
  :data:`LOW_DAYS` days left, or a balance at or below zero;
* **reconciliation** — each bank and platform account with the date and age of its
  last balance assertion (:func:`aidbooks.plugins.fresh.reconciliations`), and each
  clearing account with what is still open in it and since when
  (:func:`aidbooks.plugins.clearing.open_amounts`);
* **grants waiting** — ``!``-flagged grants (:func:`aidbooks.plugins.pending.waiting`)
  and grants the ``approvals`` check finds unapproved, oldest first;
* **households near their cap** — households whose grants within the cap's window
  reach :data:`NEAR_CAP` of ``caps.per_household`` (:func:`aidbooks.plugins.caps.windows`),
  by code only;
* **codes to link** — recipient codes the importers derived from a platform's name
  for a family (declared in ``imports/codes.beancount``) and not yet linked to any
  other code, with their grants (:mod:`aidbooks.plugins.households`): the
  treasurer links each to the family's intake code at the next review, so one
  family counts as one household;
* **bail and bonds** — what each household still owes back, by age
  (:func:`aidbooks.plugins.receivables.outstanding`);
* **checks** — the findings of every ``aidbooks check`` check, basic and strict
  (:func:`aidbooks.check.run` on the books as loaded), grouped by check;
* **publish preview** — the quarter the fund publishes next
  (:mod:`aidbooks.preview`).

Every number comes from the rules' and the report's own code: this module only
chooses what to show and in which order. Ages are measured against the end of the
books (the last transaction), as the rules measure them, never against today.

A :class:`Scope` narrows the page the way Fava's filters do: a time range (the
funds' period; everything else as the books stood at its last day; grants waiting
dated inside it) and an account filter (the reconciliation, bail and grants-waiting
tables). Findings are about the books as a whole and ignore both.

Nothing here prints anything; the overview holds codes, amounts, dates, account
names and the checks' messages (which never quote personal data), no narration or
payee.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any
from typing import Literal
from typing import TypeVar

from beancount.core import data

from aidbooks import check
from aidbooks.plugins import accounts
from aidbooks.plugins import caps
from aidbooks.plugins import clearing
from aidbooks.plugins import fresh
from aidbooks.plugins import fundflows
from aidbooks.plugins import pending
from aidbooks.plugins import receivables
from aidbooks.plugins.conventions import last_date
from aidbooks.plugins.conventions import recipient_of
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.households import households
from aidbooks.plugins.households import is_derived
from aidbooks.plugins.policy import Policy
from aidbooks.preview import Preview
from aidbooks.preview import earlier_reports
from aidbooks.preview import preview
from aidbooks.preview import quarter_of

#: A household is near its cap from this share of ``caps.per_household``.
NEAR_CAP = Decimal("0.8")
#: The pace of a fund's spending is measured over this many days before the end.
LOW_LOOKBACK_DAYS = 90
#: A fund is close to empty when its balance lasts fewer days than this at that pace.
LOW_DAYS = 14
#: Age buckets of bail and bond receivables: (label, up to this many days).
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("up to 3 months", 90),
    ("3 to 6 months", 182),
    ("6 to 12 months", 365),
    ("over a year", None),
)

Books = tuple[list[data.Directive], Sequence[Any], Mapping[str, Any]]
T = TypeVar("T")
_ZERO = Decimal(0)
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What the page looks at (Fava's time and account filters).

    Attributes:
      begin: The first day of the time filter, or None.
      end: The day after its last day (exclusive, as Fava's ``DateRange``), or None.
      account: Which accounts the account filter keeps, or None for all.
    """

    begin: dt.date | None = None
    end: dt.date | None = None
    account: Callable[[str], bool] | None = field(default=None, compare=False)

    @property
    def until(self) -> dt.date | None:
        """The last day the page looks at, or None for the whole books."""
        return None if self.end is None else self.end - dt.timedelta(days=1)

    def keeps(self, account: str) -> bool:
        """True when the account filter keeps ``account``."""
        return self.account is None or self.account(account)


@dataclass(frozen=True)
class Place:
    """Where an entry is written: a ledger file and a line (for Fava's editor)."""

    filename: str
    lineno: int


@dataclass(frozen=True)
class FundLine:
    """One fund over the period.

    Attributes:
      days_left: How many days the closing balance lasts at the pace the fund
        spent over the last :data:`LOW_LOOKBACK_DAYS` days of the period (None when
        it spent nothing then).
      low: True when it is close to empty (see the module docstring).
    """

    name: str
    restricted: bool
    opening: Decimal
    received: Decimal
    spent: Decimal
    closing: Decimal
    days_left: int | None
    low: bool


@dataclass(frozen=True)
class AccountLine:
    """A bank or platform account and its last balance assertion."""

    account: str
    last: dt.date | None
    age: int | None
    due: bool
    place: Place | None


@dataclass(frozen=True)
class ClearingLine:
    """What is still open in one clearing account."""

    account: str
    currency: str
    amount: Decimal
    count: int
    oldest: dt.date
    age: int
    late: bool
    place: Place | None


@dataclass(frozen=True)
class WaitingGrant:
    """A grant waiting for the treasurer: pending (``!``) or not approved."""

    date: dt.date
    age: int
    status: Literal["pending", "unapproved"]
    amount: Decimal
    currency: str
    categories: tuple[str, ...]
    recipients: tuple[str, ...]
    overdue: bool
    note: str
    place: Place | None


@dataclass(frozen=True)
class NearCap:
    """A household whose grants within the window approach the cap."""

    recipient: str
    currency: str
    total: Decimal
    cap: Decimal
    percent: int
    grants: int
    first: dt.date


@dataclass(frozen=True)
class UnlinkedCode:
    """A derived recipient code linked to no other code yet, with its grants."""

    code: str
    grants: int
    amount: Decimal
    first: dt.date | None
    last: dt.date | None
    place: Place | None

    @property
    def command(self) -> str:
        """The command that links it to the family's intake code."""
        return f"aidbooks code link {self.code} --to R-…"


@dataclass(frozen=True)
class Receivable:
    """Bail or bond money one household still owes back."""

    account: str
    recipient: str
    currency: str
    date: dt.date
    amount: Decimal
    age: int
    old: bool
    place: Place | None


@dataclass(frozen=True)
class AgeBucket:
    """Receivables of one age range."""

    label: str
    amount: Decimal
    count: int


@dataclass(frozen=True)
class FindingLine:
    """One finding of a check; ``editable`` when its file is one of the books' files."""

    filename: str
    lineno: int
    message: str
    editable: bool


@dataclass(frozen=True)
class CheckGroup:
    """One check and what it found."""

    name: str
    tier: str
    description: str
    findings: tuple[FindingLine, ...]


@dataclass(frozen=True)
class Overview:
    """Everything the Aid page shows (see the module docstring).

    Attributes:
      problems: Section name -> why it could not be computed (one line, no data).
    """

    fund: str
    currency: str
    books_end: dt.date | None
    period: str
    scope: Scope
    funds: tuple[FundLine, ...] = ()
    accounts: tuple[AccountLine, ...] = ()
    clearing: tuple[ClearingLine, ...] = ()
    waiting: tuple[WaitingGrant, ...] = ()
    near_cap: tuple[NearCap, ...] = ()
    unlinked: tuple[UnlinkedCode, ...] = ()
    receivables: tuple[Receivable, ...] = ()
    receivable_ages: tuple[AgeBucket, ...] = ()
    checks: tuple[CheckGroup, ...] = ()
    preview: Preview | None = None
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def findings(self) -> int:
        """How many findings the checks made."""
        return sum(len(group.findings) for group in self.checks)


def place_of(entry: Any) -> Place | None:
    """Where ``entry`` is written, or None for an entry a plugin made."""
    meta = getattr(entry, "meta", None)
    if not isinstance(meta, Mapping):
        return None
    filename = meta.get("filename")
    lineno = meta.get("lineno")
    if not isinstance(filename, str) or filename.startswith("<"):
        return None
    return Place(filename, lineno if isinstance(lineno, int) else 0)


def run_checks(books: Books, ledger: Path, policy: Policy) -> check.Report:
    """Run every check, basic and strict, on books that are already loaded."""
    entries, errors, options_map = books
    return check.run(
        (entries, list(errors), dict(options_map)),
        ledger,
        policy,
        check.select([], strict=True),
    )


def build(
    books: Books,
    ledger: Path,
    policy: Policy,
    scope: Scope | None = None,
    report: check.Report | None = None,
    previews: dict[str, Preview] | None = None,
) -> Overview:
    """Compute the overview of the books for ``scope`` (default: the whole books).

    Args:
      books: ``(entries, errors, options_map)`` as loaded (by Fava or aidbooks).
      ledger: The main ledger file.
      policy: The fund's policy.
      scope: Fava's filters.
      report: The checks' report of these books (computed when not given).
      previews: A cache of publish previews by period label, filled as needed.
    """
    scope = scope or Scope()
    entries, _errors, options_map = books
    until = scope.until
    end = last_date(entries, until)
    period_begin = scope.begin or (dt.date(end.year, 1, 1) if end else None)
    if scope.begin or scope.end:
        last = until or end
        period = f"{period_begin or '…'} to {last or '…'}"
    else:
        period = f"{end.year} (year to date)" if end else "(empty books)"
    problems: dict[str, str] = {}

    def section(name: str, compute: Callable[[], T]) -> T | None:
        try:
            return compute()
        except AidbooksError as exc:
            problems[name] = exc.line()
        except Exception as exc:  # one broken section must not take the page down
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            problems[name] = (
                f"internal error ({type(exc).__name__} in "
                f"{Path(frame.filename).name}:{frame.lineno}); please report it"
            )
        return None

    if report is None:
        report = section("checks", lambda: run_checks(books, ledger, policy))
    sources = {str(f) for f in options_map.get("include") or ()}
    account_lines, clearing_lines = section(
        "reconciliation", lambda: _reconciliation(entries, policy, scope)
    ) or ((), ())
    receivable_lines = (
        section("receivables", lambda: _receivables(entries, policy, scope)) or ()
    )
    return Overview(
        fund=policy.fund.name,
        currency=policy.fund.currency,
        books_end=end,
        period=period,
        scope=scope,
        funds=section(
            "funds", lambda: _funds(entries, policy, period_begin, scope.end, end)
        )
        or (),
        accounts=account_lines,
        clearing=clearing_lines,
        waiting=section(
            "waiting", lambda: _waiting(entries, policy, scope, report, sources)
        )
        or (),
        near_cap=section("caps", lambda: _near_cap(entries, policy, until)) or (),
        unlinked=section("links", lambda: _unlinked(entries, policy, until)) or (),
        receivables=receivable_lines,
        receivable_ages=_ages(receivable_lines),
        checks=() if report is None else _groups(report, sources),
        preview=section(
            "preview",
            lambda: _preview(books, ledger, policy, end, last_date(entries), previews),
        ),
        problems=problems,
    )


def _funds(
    entries: list[data.Directive],
    policy: Policy,
    begin: dt.date | None,
    end: dt.date | None,
    books_end: dt.date | None,
) -> tuple[FundLine, ...]:
    last = (end - _DAY) if end else books_end
    if last is None:
        return ()
    since = last - dt.timedelta(days=LOW_LOOKBACK_DAYS - 1)
    flows = fundflows.flows(entries, policy, begin, end, since)
    lines = []
    for name, flow in flows.items():
        pace = flow.spent_since
        closing = flow.closing
        days_left = None
        if pace > 0:
            days_left = max(int(closing * LOW_LOOKBACK_DAYS / pace), 0)
        low = closing <= 0 or (days_left is not None and days_left < LOW_DAYS)
        lines.append(
            FundLine(
                name,
                flow.restricted,
                flow.opening,
                flow.received,
                flow.spent,
                closing,
                days_left,
                low,
            )
        )
    # restricted funds first (what the section is about), general last
    lines.sort(key=lambda f: (not f.restricted, f.name))
    return tuple(lines)


def _reconciliation(
    entries: list[data.Directive], policy: Policy, scope: Scope
) -> tuple[tuple[AccountLine, ...], tuple[ClearingLine, ...]]:
    _end, statuses = fresh.reconciliations(entries, policy, scope.until)
    account_lines = tuple(
        AccountLine(
            s.account,
            None if s.last is None else s.last.date,
            s.age,
            s.due,
            place_of(s.last or s.opened),
        )
        for s in statuses
        if scope.keeps(s.account)
    )
    _now, open_amounts = clearing.open_amounts(entries, policy, scope.until)
    grouped: dict[tuple[str, str], list[clearing.OpenAmount]] = {}
    for item in open_amounts:
        if scope.keeps(item.account):
            grouped.setdefault((item.account, item.currency), []).append(item)
    clearing_lines = tuple(
        ClearingLine(
            account,
            currency,
            sum((i.amount for i in items), _ZERO),
            len(items),
            items[0].date,
            items[0].age,
            any(i.late for i in items),
            place_of(items[0].entry),
        )
        for (account, currency), items in sorted(grouped.items())
    )
    return account_lines, clearing_lines


def _grant_facts(
    entry: data.Transaction, main: str
) -> tuple[Decimal, tuple[str, ...], tuple[str, ...]]:
    """A grant's amount (its debits to grant accounts), categories and household codes."""
    amount = _ZERO
    categories: list[str] = []
    recipients: list[str] = []
    for posting in entry.postings:
        if not accounts.is_grant_posting(posting.account):
            continue
        units = posting.units
        if (
            units is not None
            and units.currency == main
            and isinstance(units.number, Decimal)
        ):
            if units.number > 0:
                amount += units.number
        category = accounts.category(posting.account)
        if category not in categories:
            categories.append(category)
        code = recipient_of(entry, posting)
        if isinstance(code, str) and code not in recipients:
            recipients.append(code)
    return amount, tuple(categories), tuple(recipients)


def _is_grant(entry: data.Transaction) -> bool:
    return any(accounts.is_grant_posting(p.account) for p in entry.postings)


def _in_scope(entry: data.Transaction, scope: Scope) -> bool:
    if scope.begin is not None and entry.date < scope.begin:
        return False
    if scope.end is not None and entry.date >= scope.end:
        return False
    return scope.account is None or any(scope.keeps(p.account) for p in entry.postings)


def _waiting(
    entries: list[data.Directive],
    policy: Policy,
    scope: Scope,
    report: check.Report | None,
    sources: set[str],
) -> tuple[WaitingGrant, ...]:
    main = policy.fund.currency
    now, items = pending.waiting(entries, policy, scope.until)
    found: list[WaitingGrant] = []
    for item in items:
        entry = item.entry
        if not _is_grant(entry) or not _in_scope(entry, scope):
            continue
        amount, categories, recipients = _grant_facts(entry, main)
        note = f"pending for {_days(item.age)}" + (
            f", over the limit of {policy.pending.max_age_days}" if item.overdue else ""
        )
        found.append(
            WaitingGrant(
                entry.date,
                item.age,
                "pending",
                amount,
                main,
                categories,
                recipients,
                item.overdue,
                note,
                place_of(entry),
            )
        )
    if report is not None and now is not None:
        unapproved = [
            f for r in report.results if r.check.name == "approvals" for f in r.findings
        ]
        located = _entries_at(entries, {(f.filename, f.lineno) for f in unapproved})
        for finding in unapproved:
            at = finding.entry or located.get((finding.filename, finding.lineno))
            if not isinstance(at, data.Transaction) or not _in_scope(at, scope):
                continue
            if at.date > now:
                continue
            amount, categories, recipients = _grant_facts(at, main)
            found.append(
                WaitingGrant(
                    at.date,
                    (now - at.date).days,
                    "unapproved",
                    amount,
                    main,
                    categories,
                    recipients,
                    True,
                    finding.message,
                    place_of(at),
                )
            )
    found.sort(key=lambda w: (w.date, w.place.filename if w.place else "", w.age))
    return tuple(found)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _entries_at(
    entries: list[data.Directive], places: set[tuple[str, int]]
) -> dict[tuple[str, int], data.Directive]:
    """The entries written at ``places`` (findings whose plugin dropped the entry)."""
    if not places:
        return {}
    found: dict[tuple[Any, Any], data.Directive] = {}
    for entry in entries:
        meta = entry.meta
        key = (meta.get("filename"), meta.get("lineno"))
        if key in places:
            found[key] = entry
    return found


def _near_cap(
    entries: list[data.Directive], policy: Policy, until: dt.date | None
) -> tuple[NearCap, ...]:
    _now, households = caps.windows(entries, policy, until)
    found = []
    for h in households:
        if h.cap <= 0 or h.total < h.cap * NEAR_CAP:
            continue
        percent = int(h.total * 100 / h.cap)
        found.append(
            NearCap(h.recipient, h.currency, h.total, h.cap, percent, h.grants, h.first)
        )
    return tuple(found)


def _unlinked(
    entries: list[data.Directive], policy: Policy, until: dt.date | None
) -> tuple[UnlinkedCode, ...]:
    """Derived codes in no link, with their final and pending grants (one pass)."""
    derived: dict[str, data.Directive] = {}
    for entry in entries:
        if until is not None and entry.date > until:
            break
        if is_derived(entry):
            value = entry.values[0].value if entry.values else None
            if isinstance(value, str) and value not in derived:
                derived[value] = entry
    if not derived:
        return ()
    links = households(entries, until)
    waiting = {code: entry for code, entry in derived.items() if not links.linked(code)}
    if not waiting:
        return ()
    main = policy.fund.currency
    counts: dict[str, int] = {}
    totals: dict[str, Decimal] = {}
    first: dict[str, dt.date] = {}
    last: dict[str, dt.date] = {}
    for entry in entries:
        if type(entry) is not data.Transaction:
            continue
        if until is not None and entry.date > until:
            break
        for posting in entry.postings:
            if not accounts.is_grant_posting(posting.account):
                continue
            code = recipient_of(entry, posting)
            if code not in waiting:
                continue
            units = posting.units
            if (
                units is None
                or units.currency != main
                or not isinstance(units.number, Decimal)
            ):
                continue
            counts[code] = counts.get(code, 0) + 1
            totals[code] = totals.get(code, Decimal(0)) + units.number
            first.setdefault(code, entry.date)
            last[code] = entry.date
    return tuple(
        UnlinkedCode(
            code,
            counts.get(code, 0),
            totals.get(code, Decimal(0)),
            first.get(code),
            last.get(code),
            place_of(entry),
        )
        for code, entry in sorted(
            waiting.items(), key=lambda kv: (-totals.get(kv[0], 0), kv[0])
        )
    )


def _receivables(
    entries: list[data.Directive], policy: Policy, scope: Scope
) -> tuple[Receivable, ...]:
    _now, owed = receivables.outstanding(entries, policy, scope.until)
    return tuple(
        Receivable(
            o.account,
            o.recipient,
            o.currency,
            o.date,
            o.amount,
            o.age,
            o.old,
            place_of(o.entry),
        )
        for o in owed
        if scope.keeps(o.account)
    )


def _ages(owed: tuple[Receivable, ...]) -> tuple[AgeBucket, ...]:
    buckets: list[AgeBucket] = []
    low = -1
    for name, high in AGE_BUCKETS:
        inside = [o for o in owed if o.age > low and (high is None or o.age <= high)]
        buckets.append(AgeBucket(name, sum((o.amount for o in inside), _ZERO), len(inside)))
        low = high if high is not None else low
    return tuple(buckets)


def _groups(report: check.Report, sources: set[str]) -> tuple[CheckGroup, ...]:
    return tuple(
        CheckGroup(
            result.check.name,
            result.check.tier,
            result.check.description,
            tuple(
                FindingLine(f.filename, f.lineno, f.message, f.filename in sources)
                for f in sorted(result.findings, key=lambda f: (f.filename, f.lineno))
            ),
        )
        for result in report.results
    )


def _preview(
    books: Books,
    ledger: Path,
    policy: Policy,
    end: dt.date | None,
    books_end: dt.date | None,
    previews: dict[str, Preview] | None,
) -> Preview | None:
    """The preview of the quarter that holds ``end`` (the books' real end decides
    whether that quarter is over), with the fund's earlier reports when the policy
    says where they are kept."""
    if end is None:
        return None
    period = quarter_of(end)
    cache = {} if previews is None else previews
    found = cache.get(period.label)
    if found is None:
        entries, _errors, options_map = books
        earlier = earlier_reports(policy, ledger)
        found = cache[period.label] = preview(
            entries, options_map, policy, period, books_end, earlier
        )
    return found
