"""``aidbooks code``: recipient and volunteer codes for intake volunteers.

``aidbooks code new`` prints a fresh random code alone on stdout (so it can be
piped or pasted onto the family's paper card). With ``--ledger`` it also appends
its declaration — ``custom "aid-recipient" "R-…"`` — to ``codes.beancount`` beside
that ledger (or to the ledger itself when there is no such file). The link between
the code and the family is never written anywhere by aidbooks.

``aidbooks code check CODE`` tells whether a code copied from paper is well formed.

``aidbooks code link CODE... --to CODE`` declares that codes are one household: a
family paid over Venmo and Zelle has a code derived from each platform's name for
it, and its intake code. Each link is a dated line in ``codes.beancount``
(``custom "aid-link" "R-…" "R-…"``, see docs/design.md#households), reviewable in
git. Linking codes that already have grants re-evaluates the caps, and the command
says what the caps now find. ``aidbooks code show CODE`` says which household a
code belongs to, with its linked codes and their grants::

    $ aidbooks code link R-9TQ2M-7C4AX R-2JX8P-5MNQW --to R-4F7KM-Q9X2H --ledger main.beancount
    linked R-9TQ2M-7C4AX to R-4F7KM-Q9X2H
    linked R-2JX8P-5MNQW to R-4F7KM-Q9X2H
    household R-4F7KM-Q9X2H: 3 codes, 5 grants, 1130.00 USD
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import click
from beancount.core import data
from beancount.parser.grammar import ValueType

from aidbooks.books import ledger_path
from aidbooks.books import load_books
from aidbooks.plugins import accounts
from aidbooks.plugins import caps
from aidbooks.plugins import codes
from aidbooks.plugins.conventions import money
from aidbooks.plugins.conventions import ordinal
from aidbooks.plugins.conventions import recipient_of
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import atomic_append_text
from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.plugins.households import LINK
from aidbooks.plugins.households import Households
from aidbooks.plugins.households import households
from aidbooks.plugins.households import is_derived
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.plugins.writer import writer_lock


@click.group()
def code() -> None:
    """Make and check recipient and volunteer codes."""


def declaration_file(ledger: Path) -> Path:
    """Where declarations go: codes.beancount beside the ledger, else the ledger."""
    candidate = ledger.parent / "codes.beancount"
    return candidate if candidate.is_file() else ledger


def _write(target: Path, text: str) -> None:
    """Append ``text`` to ``target`` atomically (the caller holds the writer lock)."""
    try:
        atomic_append_text(target, text)
    except OSError as exc:
        raise AidbooksError(
            f"cannot be written ({exc.strerror})", "check its permissions", str(target)
        ) from None


def _append(target: Path, path: Path, text: str) -> None:
    """Append ``text`` to ``target`` atomically, under the books' writer lock."""
    with writer_lock(path.parent, "another aidbooks command is writing these books"):
        _write(target, text)


@code.command("new")
@click.option(
    "--kind",
    type=click.Choice(["recipient", "volunteer"]),
    default="recipient",
    show_default=True,
    help="Who the code is for.",
)
@click.option(
    "--ledger",
    "ledger",
    default=None,
    help="Also declare the code in these books (the main ledger file).",
)
def new(kind: codes.Kind, ledger: str | None) -> None:
    """Print a fresh code (and declare it in the books with --ledger)."""
    value = codes.new_code(kind)
    if ledger is not None:
        path = ledger_path(ledger)
        policy = load_policy(policy_path_for(path))
        today = dt.datetime.now(zoneinfo.ZoneInfo(policy.fund.timezone)).date()
        target = declaration_file(path)
        # The writer lock: two volunteers issuing codes at once (or a code during
        # an import) must both find their declaration in the books.
        with writer_lock(path.parent, "another aidbooks command is writing these books"):
            try:
                existing = read_regular_bytes(target).decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not UTF-8 text"
                raise AidbooksError(
                    f"cannot be read ({reason})", "check its permissions", str(target)
                ) from None
            while value in existing:  # 45 random bits: practically never
                value = codes.new_code(kind)
            _write(
                target,
                f'{today.isoformat()} custom "{codes.DECLARATION[kind]}" "{value}"\n',
            )
    click.echo(value)


@code.command("check")
@click.argument("value")
@click.option(
    "--kind",
    type=click.Choice(["recipient", "volunteer", "donor"]),
    default=None,
    help="The kind the code must be.",
)
def check_code(value: str, kind: codes.Kind | None) -> None:
    """Tell whether VALUE is a well-formed code (exit 1 if not)."""
    found = codes.problem(value, kind)
    if found is None:
        click.echo(f"{value}: valid {codes.kind_of(value)} code")
        return
    click.echo(f"the code {found.reason}. {found.fix}.", err=True)
    raise SystemExit(1)


@dataclass(frozen=True)
class _Codes:
    """What ``link`` and ``show`` need from the books: declarations, links, grants."""

    entries: list[data.Directive]
    declared: dict[str, data.Custom]
    links: Households
    grants: dict[str, tuple[int, Decimal]]
    currency: str


def _read(path: Path, currency: str) -> _Codes:
    entries, _errors, _options = load_books(path, checks=False)
    declared: dict[str, data.Custom] = {}
    grants: dict[str, tuple[int, Decimal]] = {}
    for entry in entries:
        if type(entry) is data.Custom and entry.type == codes.DECLARATION["recipient"]:
            value = entry.values[0].value if entry.values else None
            if isinstance(value, str):
                declared.setdefault(value, entry)
        elif type(entry) is data.Transaction:
            for posting in entry.postings:
                if not accounts.is_grant_posting(posting.account):
                    continue
                code = recipient_of(entry, posting)
                units = posting.units
                if (
                    isinstance(code, str)
                    and units is not None
                    and units.currency == currency
                    and isinstance(units.number, Decimal)
                ):
                    count, total = grants.get(code, (0, Decimal(0)))
                    grants[code] = (count + 1, total + units.number)
    dates = {code: entry.date for code, entry in declared.items()}
    return _Codes(entries, declared, households(entries, declared=dates), grants, currency)


def _checked(value: str, position: str, books: _Codes) -> str:
    """``value`` as a declared recipient code of these books, or a clean error."""
    fixed = codes.normalize(value)
    found = codes.problem(fixed, "recipient")
    if found is not None:
        raise AidbooksError(f"the {position} code {found.reason}", found.fix)
    if fixed not in books.declared:
        raise AidbooksError(
            f"{fixed} is not declared in these books",
            "check the code against the intake sheet; new codes come from"
            " `aidbooks code new --ledger main.beancount`",
        )
    return fixed


def _where(meta: object, folder: Path) -> str:
    """``file:line`` of an entry's (or a finding's) metadata, relative to the books."""
    source = meta if isinstance(meta, dict) else {}
    filename = str(source.get("filename", "?"))
    try:
        filename = str(Path(filename).relative_to(folder))
    except ValueError:
        pass
    return f"{filename}:{source.get('lineno', 0)}"


def _household_line(head: str, links: Households, books: _Codes) -> str:
    members = links.codes_of(head) if links.linked(head) else (head,)
    count = sum(books.grants.get(c, (0, Decimal(0)))[0] for c in members)
    total = sum((books.grants.get(c, (0, Decimal(0)))[1] for c in members), Decimal(0))
    grants = "grant" if count == 1 else "grants"
    return (
        f"household {head}: {len(members)} code{'' if len(members) == 1 else 's'},"
        f" {count} {grants}, {money(total, books.currency)}"
    )


@code.command("link")
@click.argument("linked", nargs=-1, required=True)
@click.option(
    "--to",
    "to",
    required=True,
    help="The code of the household they join (its intake code).",
)
@click.option("--ledger", "ledger", default=None, help="The books (the main ledger file).")
def link(linked: tuple[str, ...], to: str, ledger: str | None) -> None:
    """Declare that the codes LINKED are the same household as --to."""
    path = ledger_path(ledger)
    policy = load_policy(policy_path_for(path))
    books = _read(path, policy.fund.currency)
    target = _checked(to, "--to", books)
    today = dt.datetime.now(zoneinfo.ZoneInfo(policy.fund.timezone)).date()
    links = books.links
    lines: list[str] = []
    written: list[data.Custom] = []
    target_file = declaration_file(path)
    said: list[str] = []
    joined: dict[str, str] = {}  # head -> head it now joins (links written so far)

    def head(code: str) -> str:
        found = links.of(code)
        while found in joined:
            found = joined[found]
        return found

    for number, value in enumerate(linked, start=1):
        code = _checked(value, ordinal(number), books)
        if code == target:
            raise AidbooksError(
                f"{code} is the --to code itself", "list only the codes that join it"
            )
        mine, theirs = head(code), head(target)
        if mine == theirs:
            said.append(f"{code} is already in household {theirs}")
            continue
        # A code linked onward already belongs to a household: its head joins.
        date = max(
            today,
            books.declared[mine].date,
            books.declared[target].date,
        )
        lines.append(f'{date.isoformat()} custom "{LINK}" "{mine}" "{target}"\n')
        meta = {"filename": str(target_file), "lineno": 0}
        written.append(
            data.Custom(meta, date, LINK, [ValueType(mine, str), ValueType(target, str)])
        )
        joined[mine] = theirs
        if mine == code:
            said.append(f"linked {code} to {target}")
        else:
            said.append(f"linked {code} to {target} (through its household {mine})")
    if lines:
        _append(target_file, path, "".join(lines))
    for line in said:
        click.echo(line)
    if not lines:
        return
    # The books as they are now: those loaded, with the links just written (the
    # households are read from every link whatever its place, the caps need only
    # the transactions in order), so nothing is loaded a second time.
    entries = [*books.entries, *written]
    dates = {code: entry.date for code, entry in books.declared.items()}
    after = households(entries, declared=dates)
    household = after.of(target)
    click.echo(_household_line(household, after, books))
    members = set(after.codes_of(household))
    for finding in caps.validate(entries, {}, policy):
        message = str(finding.message)
        if any(member in message for member in members):
            click.echo(f"caps: {_where(finding.source, path.parent)}: {message}")


@code.command("show")
@click.argument("value")
@click.option("--ledger", "ledger", default=None, help="The books (the main ledger file).")
def show(value: str, ledger: str | None) -> None:
    """Say which household the code VALUE belongs to, and its linked codes."""
    path = ledger_path(ledger)
    policy = load_policy(policy_path_for(path))
    books = _read(path, policy.fund.currency)
    code_ = _checked(value, "given", books)
    links = books.links
    household = links.of(code_)
    click.echo(_household_line(household, links, books))
    members = links.codes_of(household) if links.linked(household) else (household,)
    for member in members:
        declared = books.declared.get(member)
        count, total = books.grants.get(member, (0, Decimal(0)))
        role = "head" if member == household else "linked"
        origin = ""
        if declared is not None:
            origin = " derived by an import" if is_derived(declared) else ""
            origin = (
                f", declared {declared.date}{origin} ({_where(declared.meta, path.parent)})"
            )
        grants = "grant" if count == 1 else "grants"
        click.echo(
            f"  {member}  {role}{origin}: {count} {grants}, {money(total, books.currency)}"
        )
