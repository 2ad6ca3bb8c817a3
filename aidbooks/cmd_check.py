"""``aidbooks check [FILE] [NAME...] [--strict] [--json] [--list]``: the auditor's checks.

Runs the named checks of :mod:`aidbooks.check` on the books (all of the basic tier
by default, plus the strict tier with ``--strict``; NAMEs, abbreviated to any
prefix, select exactly those checks) and prints every finding as
``file:line: check-name: message``, sorted by file and line. Silent with exit 0 when
the books pass (a one-line summary when printing to a terminal); exit 1 on
findings; exit 2 for bad input (missing ledger, invalid ``aidbooks.toml``, an
unknown check name). ``--json`` prints one object instead (see :func:`as_json`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from aidbooks.books import ledger_path
from aidbooks.check import Check
from aidbooks.check import Report
from aidbooks.check import check_ledger
from aidbooks.check import registry
from aidbooks.check import select
from aidbooks.plugins.errors import AidbooksError

SCHEMA = "aidbooks.check/1"


def display_path(filename: str | os.PathLike[str]) -> str:
    """A path as printed: relative to the current folder when under it."""
    path = Path(filename)
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def split_arguments(
    arguments: tuple[str, ...], checks: tuple[Check, ...]
) -> tuple[str | None, list[str]]:
    """Split ``[FILE] [NAME...]`` into the ledger file and the check names.

    An argument that looks like a path (it holds a ``/`` or ends in ``.beancount``)
    is FILE, wherever it stands. Otherwise the first argument is FILE only when it
    does not name or abbreviate a check and exists on disk.

    Raises:
      AidbooksError: more than one argument looks like a ledger file (exit 2).
    """
    paths = [a for a in arguments if _looks_like_path(a)]
    if len(paths) > 1:
        raise AidbooksError(
            "more than one ledger file given", "check the books of one fund at a time"
        )
    if paths:
        return paths[0], [a for a in arguments if a != paths[0]]
    if arguments:
        first = arguments[0].lower()
        names_a_check = bool(first) and any(c.name.startswith(first) for c in checks)
        if not names_a_check and os.path.exists(arguments[0]):
            return arguments[0], list(arguments[1:])
    return None, list(arguments)


def _looks_like_path(argument: str) -> bool:
    return "/" in argument or os.sep in argument or argument.lower().endswith(".beancount")


def as_json(report: Report, strict: bool) -> dict[str, Any]:
    """The ``--json`` object::

    {"schema": "aidbooks.check/1", "ledger": "ledger/main.beancount",
     "strict": false, "status": "failed",
     "checks": [{"name": "syntax", "tier": "basic", "description": "...",
                 "status": "passed", "findings": []},
                {"name": "funds", ..., "status": "failed",
                 "findings": [{"filename": "ledger/books/2025-03.beancount",
                               "lineno": 12, "message": "..."}]}]}
    """
    return {
        "schema": SCHEMA,
        "ledger": display_path(report.ledger),
        "strict": strict,
        "status": "passed" if report.ok else "failed",
        "checks": [
            {
                "name": result.check.name,
                "tier": result.check.tier,
                "description": result.check.description,
                "status": result.status,
                "findings": [
                    {
                        "filename": display_path(f.filename),
                        "lineno": f.lineno,
                        "message": f.message,
                    }
                    for f in sorted(result.findings, key=lambda f: (f.filename, f.lineno))
                ],
            }
            for result in report.results
        ],
    }


def list_checks(checks: tuple[Check, ...]) -> None:
    """Print ``name  tier  description`` for every check, in order."""
    width = max(len(c.name) for c in checks)
    for c in checks:
        click.echo(f"{c.name:<{width}}  {c.tier:<6}  {c.description}")


@click.command()
@click.argument("arguments", nargs=-1, metavar="[FILE] [NAME]...")
@click.option("--strict", "-s", is_flag=True, help="Run the strict checks too.")
@click.option("--json", "json_output", is_flag=True, help="Print one JSON object.")
@click.option("--list", "list_only", is_flag=True, help="List the checks and exit.")
def check(
    arguments: tuple[str, ...], strict: bool, json_output: bool, list_only: bool
) -> None:
    """Check the books in FILE (default: $AIDBOOKS_LEDGER or ledger/main.beancount).

    Runs the basic checks (with --strict, the strict ones too), or only the checks
    NAMEd (any prefix of a name works). Prints every finding as
    'file:line: check: message'; exit 0 clean, 1 findings, 2 bad input.
    """
    checks = registry()
    if list_only:
        list_checks(checks)
        return
    file, names = split_arguments(arguments, checks)
    selected = select(names, strict, checks)
    path = ledger_path(file)
    progress = sys.stderr.isatty()
    if progress:  # a big ledger takes seconds to load; say what is going on
        click.echo(f"checking {display_path(path)}...", err=True, nl=False)
    try:
        report = check_ledger(path, selected)
    finally:
        if progress:
            click.echo("\r\033[K", err=True, nl=False)
    if json_output:
        click.echo(json.dumps(as_json(report, strict), indent=2, ensure_ascii=False))
    else:
        for finding in report.findings:
            click.echo(
                f"{display_path(finding.filename)}:{finding.lineno}: "
                f"{finding.check}: {finding.message}"
            )
        if sys.stdout.isatty():
            click.echo(_summary(report))
    if not report.ok:
        raise SystemExit(1)


def _summary(report: Report) -> str:
    where = display_path(report.ledger)
    ran = len(report.results)
    if report.ok:
        return f"{where}: {ran} check{'s' if ran != 1 else ''} passed."
    failed = [r.check.name for r in report.results if r.findings]
    count = len(report.findings)
    return (
        f"{where}: {count} finding{'s' if count != 1 else ''} in "
        f"{', '.join(failed)} ({ran - len(failed)} of {ran} checks passed)."
    )
