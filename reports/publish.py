"""Build every file of a report and write the folder in one step.

:func:`build` runs the whole pipeline — aggregate → disclosure control → render →
guard → manifest — and returns the files as bytes; :func:`write_folder` writes them
into a hidden temporary folder beside the target and renames it into place, so a
half-written report never carries the report's name (a crash leaves only a
``.NAME.*.tmp`` folder, which nothing reads). A report published again replaces
the old folder in one atomic swap where the system can (Linux
``renameat2(RENAME_EXCHANGE)``), else by two renames — a crash between them leaves
no report under the name and the old one in a hidden ``.NAME.*.old`` folder,
never a mixture.

A report folder::

    index.html              links to each language
    report.en.html          the page (one per language)
    report.en.md            Markdown (one per language)
    csv/<table>.csv         one file per table
    report.json             the numbers (schema aidbooks.report/1)
    report.schema.json      its JSON Schema
    manifest.json           fingerprints, chain, seal on the books
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Literal

from beancount.core import data

from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import checkpoint
from aidbooks.plugins.fsutil import exchange
from aidbooks.plugins.fsutil import fsync_dir
from aidbooks.plugins.fsutil import path_kind
from aidbooks.plugins.policy import Policy
from aidbooks.reports import guard
from aidbooks.reports.aggregate import aggregate
from aidbooks.reports.disclosure import Disclosure
from aidbooks.reports.disclosure import plan
from aidbooks.reports.manifest import MANIFEST
from aidbooks.reports.manifest import REPORT_JSON
from aidbooks.reports.manifest import Link
from aidbooks.reports.manifest import Manifest
from aidbooks.reports.manifest import Published
from aidbooks.reports.manifest import commit_books
from aidbooks.reports.manifest import sha256
from aidbooks.reports.model import PublicReport
from aidbooks.reports.model import json_schema
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period
from aidbooks.reports.render import html_name
from aidbooks.reports.render import markdown_name
from aidbooks.reports.render import render_csv
from aidbooks.reports.render import render_html
from aidbooks.reports.render import render_index
from aidbooks.reports.render import render_markdown

Format = Literal["html", "md", "csv", "json"]
FORMATS: tuple[Format, ...] = ("html", "md", "csv", "json")
SCHEMA_FILE = "report.schema.json"


@dataclass(frozen=True)
class Built:
    """A report ready to write.

    Attributes:
      files: Relative path → bytes, ``manifest.json`` included.
      report: The published numbers.
      manifest: The manifest.
      disclosure: The disclosure control's reasons (memory only; never written).
    """

    files: dict[str, bytes]
    report: PublicReport
    manifest: Manifest
    disclosure: Disclosure


def render_files(
    report: PublicReport, formats: Sequence[str], languages: Sequence[str]
) -> tuple[PublicReport, dict[str, bytes]]:
    """Render the report in ``formats`` and ``languages``.

    Returns:
      The report with its ``artifacts`` filled in (when JSON is asked for) and the
      files, ``manifest.json`` not included.
    """
    langs = tuple(languages)
    files: dict[str, bytes] = {}
    if "html" in formats:
        for lang in langs:
            files[html_name(lang)] = render_html(report, lang, langs).encode("utf-8")
        files["index.html"] = render_index(report, langs).encode("utf-8")
    if "md" in formats:
        for lang in langs:
            files[markdown_name(lang)] = render_markdown(report, lang).encode("utf-8")
    if "csv" in formats:
        files.update({k: v.encode("utf-8") for k, v in render_csv(report).items()})
    if "json" in formats:
        files[SCHEMA_FILE] = json_schema().encode("utf-8")
        report = report.model_copy(
            update={"artifacts": {name: sha256(b) for name, b in sorted(files.items())}}
        )
        files[REPORT_JSON] = report.to_json().encode("utf-8")
    return report, dict(sorted(files.items()))


def year_end_told(year: int, reports: Sequence[PublicReport]) -> bool:
    """True when the published reports tell every balance at the end of ``year``.

    The balances a report's arithmetic carries from one month to the next: each
    fund's (a December closing or the next January's opening), bail outstanding
    and gift cards on hand (a December closing). Once they are published, a report
    of the years before and one of the years after share nothing unknown.
    """
    funds: set[str] = set()
    told: set[str] = set()
    needs: set[str] = set()
    at_the_edge = False
    for report in reports:
        period = parse_period(report.period.label)
        december = period.end.year == year and period.end.month == 12
        january = period.start.year == year + 1 and period.start.month == 1
        at_the_edge |= december or january
        for fund in report.funds:
            funds.add(fund.name)
            if (december and fund.closing is not None) or (
                january and fund.opening is not None
            ):
                told.add(fund.name)
        for name, part, end in (
            ("bail", report.bail, "outstanding_end"),
            ("gift_cards", report.gift_cards, "on_hand_end"),
        ):
            if part is not None:
                needs.add(name)
                if december and getattr(part, end) is not None:
                    told.add(name)
    return at_the_edge and funds | needs <= told


def in_view_years(
    period: Period, reports: Sequence[PublicReport], booked: Collection[int] = ()
) -> range:
    """The calendar years whose releases the control audits ``period`` with.

    Reports of different years share only the balances at a year's end: the
    December closing of one year is the January opening of the next, which the
    first report of that year publishes (a window that starts in January takes
    its opening as a known constant). So the view reaches from the report's year
    into the years before and after, one year at a time, for as long as the
    balances at the year's end between are not all published
    (:func:`year_end_told`) and that year has releases: across it the balances are
    unknowns the control protects, not constants. Where they are published, what
    lies beyond shares only known numbers with this report (a release two years
    away can matter: the year between may hide its balances to protect it).
    """
    years = {parse_period(r.period.label).year for r in reports}
    first = last = period.year
    while (first - 1 in years or first - 1 in booked) and not year_end_told(
        first - 1, reports
    ):
        first -= 1
    while last + 1 in years and not year_end_told(last, reports):
        last += 1
    return range(first, last + 1)


def year_before_booked(entries: Sequence[data.Directive], period: Period) -> frozenset[int]:
    """The year before ``period``'s when the books hold it: the view reaches into it
    even before anything of it is published (this report's January opening is
    that year's December closing, which a later report of it may hide)."""
    year = period.year - 1
    return frozenset({year}) if any(e.date.year == year for e in entries) else frozenset()


def in_view(
    period: Period, context: Sequence[Published], booked: Collection[int] = ()
) -> list[Published]:
    """The releases the disclosure control audits ``period`` with (:func:`in_view_years`;
    ``booked``: :func:`year_before_booked`)."""
    others = [c.report() for c in context if c.period != period]
    years = in_view_years(period, others, booked)
    return [c for c in context if c.period != period and c.period.year in years]


def control(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    policy: Policy,
    period: Period,
    context: Sequence[Published] = (),
) -> Disclosure:
    """The disclosure control of ``period`` against the releases in view.

    The one path ``aidbooks report``, ``verify`` and Fava's preview take.

    Raises:
      AidbooksError: an earlier release has no valid ``report.json`` (exit 2).
    """
    return control_reports(
        entries, options_map, policy, period, [c.report() for c in context]
    )


def control_reports(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    policy: Policy,
    period: Period,
    earlier: Sequence[PublicReport] = (),
) -> Disclosure:
    """:func:`control` on the published reports themselves (what tests hold)."""
    others = [r for r in earlier if parse_period(r.period.label) != period]
    years = in_view_years(period, others, year_before_booked(entries, period))
    periods = [parse_period(r.period.label) for r in earlier]
    releases = [
        r for r, p in zip(earlier, periods, strict=True) if p != period and p.year in years
    ]
    window = tuple(p for p in periods if p != period and p.year in years)
    # the view covers its years whole: the balance before the window is taken
    # as known, and a reader knows it only at a year's end (a December closing,
    # a January opening); the balances at the years' ends are what a reader ties
    # releases together with, so the months between them are all guarded
    whole = tuple(parse_period(str(y)) for y in (years[0], years[-1]))
    aggregates = aggregate(entries, options_map, policy, period, (*window, *whole))
    # the December balances at the end of the window are told by a release of a
    # later year than any in view (its January opening)
    last = max((p.year for p in window), default=period.year)
    later = any(p.year > max(last, period.year) for p in periods)
    return plan(aggregates, policy, releases, later_years=later)


def make_files(
    entries: list[data.Directive],
    options_map: dict[str, Any],
    policy: Policy,
    period: Period,
    formats: Sequence[str] = FORMATS,
    languages: Sequence[str] = ("en",),
    context: Sequence[Published] = (),
) -> tuple[PublicReport, dict[str, bytes], Disclosure]:
    """Aggregate, run the disclosure control, render and guard (no manifest).

    Raises:
      AidbooksError: the books or the output break a rule of publication (exit 2).
    """
    disclosure = control(entries, options_map, policy, period, context)
    guard.check_words(disclosure.report, policy)
    report, files = render_files(disclosure.report, formats, languages)
    guard.check_files(files, (period.start, period.end))
    return report, files, disclosure


def build(
    entries: list[data.Directive],
    options_map: dict[str, Any],
    policy: Policy,
    period: Period,
    key: bytes,
    formats: Sequence[str] = FORMATS,
    languages: Sequence[str] = ("en",),
    previous: Link | None = None,
    context: Sequence[Published] = (),
) -> Built:
    """Make every file of the report for ``period``, ``manifest.json`` included.

    Args:
      entries, options_map: The loaded books.
      policy: The fund's policy.
      period: The whole month, quarter or year.
      key: The fund's secret key (for the seal on the books).
      formats: Any of ``html``, ``md``, ``csv``, ``json``.
      languages: Languages of the page and the Markdown.
      previous: The link to the report published just before (the chain), if any.
      context: Every report published before (against differencing).

    Raises:
      AidbooksError: the books or the output break a rule of publication (exit 2).
    """
    report, files, disclosure = make_files(
        entries, options_map, policy, period, formats, languages, context
    )
    manifest = Manifest(
        fund=policy.fund.name,
        period=period.label,
        formats=[f for f in FORMATS if f in formats],
        languages=list(languages),
        artifacts={name: sha256(b) for name, b in files.items()},
        previous=previous,
        # exactly the releases the control audited (verify makes it again from them)
        context=[
            c.link() for c in in_view(period, context, year_before_booked(entries, period))
        ],
        books=commit_books(entries, period.end, key, period.label),
    )
    files[MANIFEST] = manifest.to_json().encode("utf-8")
    return Built(files, report, manifest, disclosure)


def check_target(out: Path) -> None:
    """Refuse an --out that is a file, or a folder holding something else.

    Raises:
      AidbooksError: exit 2.
    """
    kind, reason = path_kind(out)
    if os.path.islink(out):
        # the folder is replaced by renaming: that would replace the link, not
        # the folder it points to
        raise AidbooksError(
            "--out is a symbolic link", "name the report folder itself", str(out)
        )
    if kind == "missing" and reason != "no such file or folder":
        raise AidbooksError(f"--out: {reason}", "choose a folder for the report", str(out))
    if kind in ("file", "special"):
        raise AidbooksError("--out is a file", "choose a folder for the report", str(out))
    if kind == "unusable":
        raise AidbooksError(
            f"--out cannot be used ({reason})", "choose a folder for the report", str(out)
        )
    if kind == "folder" and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise AidbooksError(
            "--out is a folder that holds something other than an aidbooks report",
            "choose a new or empty folder (a report replaces its folder as a whole)",
            str(out),
        )


def write_folder(out: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` as the folder ``out``, replacing it as a whole.

    Raises:
      AidbooksError: ``out`` is a file or a folder that is not a report (exit 2).
    """
    out = Path(os.path.abspath(out))
    check_target(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise AidbooksError(
            f"cannot create the report folder ({exc.strerror})",
            "check the path and permissions",
            str(out),
        ) from None
    umask = os.umask(0)
    os.umask(umask)
    try:
        folders = {tmp}
        for name, payload in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
            with path.open("wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(path, 0o666 & ~umask)
            checkpoint("report:writing")
        for folder in sorted(folders, reverse=True):
            os.chmod(folder, 0o777 & ~umask)
            fsync_dir(folder)
        checkpoint("report:staged")
        if not os.path.lexists(out):
            os.rename(tmp, out)
        elif exchange(tmp, out):  # one atomic step: the new report in, the old one out
            checkpoint("report:swapped")
            shutil.rmtree(tmp, ignore_errors=True)
        else:  # no atomic swap here: for a moment there is no report at all
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            os.rename(out, old / "report")
            checkpoint("report:moved-old")
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        fsync_dir(parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise AidbooksError(
            f"cannot write the report folder ({exc.strerror})",
            "check the path, free space and permissions; nothing was published",
            str(out),
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
