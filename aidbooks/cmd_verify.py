"""``aidbooks verify``: check that a published report is genuine.

    aidbooks verify REPORT_DIR                      anyone: files, numbers, chain
    aidbooks verify REPORT_DIR --ledger FILE        auditor: also against the books

Without ``--ledger`` it checks what a donor can: every file has the fingerprint the
manifest records, the pages say what ``report.json`` says, the numbers add up,
and the chain to the previous report (when it is beside this one or named with
``--previous``). With ``--ledger`` (and the fund's key, from the policy or
``$AIDBOOKS_KEY_FILE``) it makes the report again from the books and compares every
byte, and checks the keyed seal on the books (without the key it checks the numbers
and says the seal was not checked; a report sealed before a rotation is checked with
the retired key the key file keeps). See :mod:`aidbooks.reports.verify`.

Prints every difference as ``REPORT_DIR/FILE: what differs``. Exit codes: 0 the
report is genuine, 1 something differs, 2 unreadable input (no such folder, a
missing key).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from aidbooks.books import ledger_path
from aidbooks.books import load_books
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import path_kind
from aidbooks.plugins.keys import read_key_ring
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.reports.history import read_history
from aidbooks.reports.verify import Books
from aidbooks.reports.verify import verify_folder


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(message, err=True)


@click.command()
@click.argument("report_dir", type=click.Path(path_type=Path))
@click.option(
    "--ledger", "ledger", default=None, help="The fund's books (main ledger file)."
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the previous report, to check the chain.",
)
def verify(report_dir: Path, ledger: str | None, previous: Path | None) -> None:
    """Check that the report in REPORT_DIR is genuine (and, with --ledger, true)."""
    kind, reason = path_kind(report_dir)
    if kind != "folder":
        what = "is not a folder" if kind in ("file", "special") else reason
        raise AidbooksError(what, "pass the folder of a published report", str(report_dir))
    books = None
    if ledger is not None:
        path = ledger_path(ledger)
        policy = load_policy(policy_path_for(path))
        key_path = policy.key_path()
        # Without the key the numbers are still checked; only the seal is not.
        ring = read_key_ring(key_path) if key_path.exists() else None
        _progress(f"loading {path} ...")
        entries, errors, options = load_books(path)
        # The books stay alive to the end and hold no cycles: keep the collector off them.
        gc.freeze()
        if errors:
            click.echo(
                f"{report_dir}: the books have {len(errors)} error(s); "
                "run 'aidbooks check' on them first",
                err=True,
            )
            raise SystemExit(1)
        history = tuple(release.published() for release in read_history(path))
        books = Books(
            entries,
            options,
            policy,
            ring.current if ring else None,
            history,
            ring.retired if ring else (),
        )
    outcome = verify_folder(report_dir, books, previous, _progress)
    for difference in outcome.differences:
        click.echo(f"{report_dir}/{difference}")
    if not outcome.ok:
        click.echo(
            f"{report_dir}: NOT verified ({len(outcome.differences)} difference(s)).",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"{report_dir}: verified. " + "; ".join(outcome.notes) + ".")
