"""``aidbooks check``: the auditor's checks (first version: Beancount's validation).

Loads the books once, without the pickle cache, and prints every error as
``file:line: message``; silent exit 0 when clean, exit 1 on findings.
"""

from __future__ import annotations

import sys

import click

from aidbooks.books import ledger_path
from aidbooks.books import load_books
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for


@click.command()
@click.argument("file", required=False)
def check(file: str | None) -> None:
    """Check the books in FILE (default: $AIDBOOKS_LEDGER or ledger/main.beancount)."""
    path = ledger_path(file)
    load_policy(policy_path_for(path))  # an invalid policy is unreadable input: exit 2
    _entries, errors, _options = load_books(path)
    for error in errors:
        source = error.source or {}
        click.echo(
            f"{source.get('filename', '?')}:{source.get('lineno', 0)}: {error.message}"
        )
    if errors:
        raise SystemExit(1)
    if sys.stdout.isatty():
        click.echo(f"{path}: no findings.")
