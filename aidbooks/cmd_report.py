"""``aidbooks report``: publish the transparency report of a whole month, quarter or year.

    aidbooks report [FILE] --period 2025-Q1 --out reports/2025-Q1
                    [--format html,md,csv,json] [--lang en,es] [--previous DIR]

Loads the books once, refuses books with errors, and writes the report folder in
one step (see :mod:`aidbooks.reports.publish`). Keep a fund's reports side by side
(``reports/2025-Q1``, ``reports/2025-Q2``, ``reports/2025``): the report published
just before is found there for the chain, and every report published before is
taken into account by the disclosure control (so no two reports can be
differenced). ``--previous DIR`` names the previous report explicitly.

Exit codes: 0 written, 1 the books have errors (nothing written), 2 usage or
unreadable input (a period that is not whole, an unknown format or language, a
missing key, a period not over yet).
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
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.keys import read_key_file
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.reports.i18n import check_languages
from aidbooks.reports.manifest import Published
from aidbooks.reports.manifest import later_than
from aidbooks.reports.manifest import neighbours
from aidbooks.reports.manifest import read_published
from aidbooks.reports.manifest import siblings
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import FORMATS
from aidbooks.reports.publish import build
from aidbooks.reports.publish import check_target
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


def explicit_previous(option: Path | None) -> Published | None:
    """The report named with ``--previous``.

    Raises:
      AidbooksError: the folder holds no report (exit 2).
    """
    if option is None:
        return None
    published = read_published(option)
    if published is None:
        raise AidbooksError(
            "--previous is not a report folder (no manifest.json)",
            "name the folder of the fund's previous report",
            str(option),
        )
    return published


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
    "--previous",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the fund's previous report (default: found beside --out).",
)
def report(
    file: str | None,
    period_text: str,
    out: Path,
    formats_text: str,
    lang_text: str | None,
    previous: Path | None,
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
    key = read_key_file(policy.key_path())
    chain, context = neighbours(out, policy.fund.name, period, explicit_previous(previous))
    after = later_than(period, siblings(out, policy.fund.name))
    if after:
        raise AidbooksError(
            f"report {after[0].period.label} beside --out comes after {period.label}, and "
            "a report published out of order could be differenced with it",
            "publish periods in order (months, their quarter, then the year), or move "
            "the later reports away first",
            str(after[0].folder),
        )
    _progress(f"loading {path} ...")
    entries, errors, options = load_books(path)
    # The books stay alive to the end and hold no cycles: keep the collector off them.
    gc.freeze()
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
    _progress(f"making the {period.label} report ...")
    link = chain.link() if chain else None
    built = build(entries, options, policy, period, key, formats, languages, link, context)
    write_folder(out, built.files)
    first = out / (html_name(languages[0]) if "html" in formats else "manifest.json")
    hidden = built.report.privacy.suppressed
    if built.disclosure.unprotectable:
        click.echo(
            f"aidbooks: note: {len(built.disclosure.unprotectable)} hidden number(s) can "
            "already be worked out from reports published before; they are hidden here "
            "anyway. Publish reports in order, side by side, to avoid this.",
            err=True,
        )
    click.echo(
        f"{out}: report {period.label} written ({len(built.files)} files, "
        f"{hidden} value(s) hidden to protect households). Open {first}"
    )
