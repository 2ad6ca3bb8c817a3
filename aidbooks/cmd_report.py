"""``aidbooks report``: publish the transparency report of a whole month, quarter or year.

    aidbooks report [FILE] --period 2025-Q1 --out reports/2025-Q1
                    [--format html,md,csv,json] [--lang en,es] [--draft]

Loads the books once, refuses books with errors or with changes to periods already
published, and writes the report folder in one step (see
:mod:`aidbooks.reports.publish`). Every release is recorded in the books' release
history (``published/<period>/`` beside the main file, see
:mod:`aidbooks.plugins.releases`): the disclosure control audits the new report
together with every recorded one, whatever folder their public copies went to, and
the chain links it to the one published last. Publishing a recorded period again
writes the recorded release again, never numbers recomputed from changed books.
``--draft`` writes a report to look at, recorded nowhere and linked to nothing.

Exit codes: 0 written, 1 the books have errors or changed in published periods
(nothing written), 2 usage or
unreadable input (a period that is not whole, an unknown format or language, a
missing key or one that is not the key the books record, a period not over yet).
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import zoneinfo
from pathlib import Path

import click

from aidbooks.books import ledger_path
from aidbooks.books import load_books
from aidbooks.filechecks import published_changes
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.keys import check_books_key
from aidbooks.plugins.keys import read_key_ring
from aidbooks.plugins.keys import recorded_keys
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.plugins.releases import closed_text
from aidbooks.reports.history import Release
from aidbooks.reports.history import closed_months
from aidbooks.reports.history import read_history
from aidbooks.reports.history import record
from aidbooks.reports.history import recorded
from aidbooks.reports.i18n import check_languages
from aidbooks.reports.manifest import MANIFEST
from aidbooks.reports.manifest import sha256
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import FORMATS
from aidbooks.reports.publish import build
from aidbooks.reports.publish import check_target
from aidbooks.reports.publish import render_files
from aidbooks.reports.publish import write_folder
from aidbooks.reports.render import html_name


def split_list(text: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    """Parse ``a,b,c`` into a tuple of known names, in order, without repeats.

    Raises:
      AidbooksError: an unknown or empty name (exit 2).
    """
    items: list[str] = []
    for raw in text.split(","):
        item = raw.strip().lower()
        if item not in allowed:
            raise AidbooksError(
                f"{option} {raw.strip()!r} is not one of {', '.join(allowed)}",
                f"use a comma-separated list such as {option} {','.join(allowed)}",
            )
        if item not in items:
            items.append(item)
    return tuple(items)


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(message, err=True)


@click.command()
@click.argument("file", required=False)
@click.option("--period", "period_text", required=True, help="2025, 2025-Q1 or 2025-03.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the report into (replaced as a whole).",
)
@click.option(
    "--format",
    "formats_text",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated: html, md, csv, json.",
)
@click.option(
    "--lang", "lang_text", default=None, help="Comma-separated languages (default: policy)."
)
@click.option(
    "--draft",
    is_flag=True,
    help="A draft to look at: not recorded in the release history, never to be posted.",
)
def report(
    file: str | None,
    period_text: str,
    out: Path,
    formats_text: str,
    lang_text: str | None,
    draft: bool,
) -> None:
    """Write the transparency report of a whole month, quarter or year."""
    period = parse_period(period_text)
    formats = split_list(formats_text, FORMATS, "--format")
    path = ledger_path(file)
    policy = load_policy(policy_path_for(path))
    if lang_text:
        languages = split_list(lang_text, ("en", "es", "so"), "--lang")
        check_languages(languages)
    else:
        languages = tuple(policy.report.languages)
        where = str(policy_path_for(path))
        check_languages(languages, "[report] languages", where)
    today = dt.datetime.now(zoneinfo.ZoneInfo(policy.fund.timezone)).date()
    if period.end >= today:
        raise AidbooksError(
            f"period {period.label} has not ended yet",
            "publish a month, quarter or year once it is over (a partial period "
            "followed by the whole one would reveal the difference)",
        )
    check_target(out)
    if "json" not in formats:
        formats = (*formats, "json")  # the release history keeps every report's numbers
    key_path = policy.key_path()
    ring = read_key_ring(key_path)
    key = ring.current
    history = read_history(path)
    again = recorded(history, period)
    if again is not None and not draft:
        write_folder(out, republished(again))
        click.echo(
            f"{out}: report {period.label} written again as it was published "
            f"(published/{period.label} in the books)"
        )
        return
    _progress(f"loading {path} ...")
    entries, errors, options = load_books(path)
    # The books stay alive to the end and hold no cycles: keep the collector off them.
    gc.freeze()
    # A report sealed with another key could not be verified with the books' key.
    check_books_key(ring, recorded_keys(entries), str(key_path))
    if errors:
        for error in errors:
            source = error.source or {}
            click.echo(
                f"{source.get('filename', '?')}:{source.get('lineno', 0)}: {error.message}",
                err=True,
            )
        click.echo(
            f"aidbooks: the books have {len(errors)} error(s); no report was written. "
            "Fix them first ('aidbooks check').",
            err=True,
        )
        raise SystemExit(1)
    changed = published_changes(entries, closed_months(history))
    if changed:
        for finding in changed:
            click.echo(f"{finding.filename}:{finding.lineno}: {finding.message}", err=True)
        click.echo(
            f"aidbooks: {len(changed)} change(s) to periods already published; no report "
            "was written. Book them as corrections in an open period first.",
            err=True,
        )
        raise SystemExit(1)
    _progress(f"making the {period.label} report ({len(history)} earlier release(s)) ...")
    link = history[-1].link() if history and not draft else None
    context = [release.published() for release in history]
    built = build(entries, options, policy, period, key, formats, languages, link, context)
    if not draft:
        record(path, period, built.files, closed_text(entries, period.label))
    write_folder(out, built.files)
    first = out / (html_name(languages[0]) if "html" in formats else "manifest.json")
    hidden = built.report.privacy.suppressed
    if built.disclosure.unprotectable:
        click.echo(
            f"aidbooks: note: {len(built.disclosure.unprotectable)} hidden number(s) can "
            "already be worked out from reports published before; they are hidden here "
            "anyway.",
            err=True,
        )
    if built.disclosure.narrow:
        click.echo(
            f"aidbooks: note: {len(built.disclosure.narrow)} protected amount(s) keep "
            f"less room than privacy.protection asks (±{policy.privacy.protection:%} or "
            f"{policy.privacy.protection_floor} at least): the reports already "
            "published bound them. Everything that could still widen them is hidden.",
            err=True,
        )
    what = "draft (not recorded; do not post it)" if draft else "written and recorded"
    click.echo(
        f"{out}: report {period.label} {what} ({len(built.files)} files, "
        f"{hidden} value(s) hidden to protect households). Open {first}"
    )


def republished(release: Release) -> dict[str, bytes]:
    """The files of a recorded release, rendered again from its ``report.json``.

    Raises:
      AidbooksError: this version of aidbooks renders it differently (exit 2).
    """
    manifest = release.manifest
    report, files = render_files(release.report, manifest.formats, manifest.languages)
    del report
    if {n: sha256(b) for n, b in files.items()} != manifest.artifacts:
        raise AidbooksError(
            f"report {release.period.label} is published, and this version of aidbooks "
            "renders its pages differently",
            "post the copy you published then, or publish with the aidbooks version "
            "that made it",
            str(release.folder),
        )
    files[MANIFEST] = release.manifest_bytes
    return files
