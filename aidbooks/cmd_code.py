"""``aidbooks code``: recipient and volunteer codes for intake volunteers.

``aidbooks code new`` prints a fresh random code alone on stdout (so it can be
piped or pasted onto the family's paper card). With ``--ledger`` it also appends
its declaration — ``custom "aid-recipient" "R-…"`` — to ``codes.beancount`` beside
that ledger (or to the ledger itself when there is no such file). The link between
the code and the family is never written anywhere by aidbooks.

``aidbooks code check CODE`` tells whether a code copied from paper is well formed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import click

from aidbooks.books import ledger_path
from aidbooks.plugins import codes
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import atomic_append_text
from aidbooks.plugins.fsutil import read_regular_bytes
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
            line = f'{today.isoformat()} custom "{codes.DECLARATION[kind]}" "{value}"\n'
            try:
                atomic_append_text(target, line)
            except OSError as exc:
                raise AidbooksError(
                    f"cannot be written ({exc.strerror})",
                    "check its permissions",
                    str(target),
                ) from None
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
