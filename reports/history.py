"""Read and record the books' release history (``published/`` beside the main ledger file).

The layout and what a release closes are described in
:mod:`aidbooks.plugins.releases`. This module reads the whole history — every
release, in the order it was published, each checked against its own manifest —
and records a new one. Every command reads the history through
:func:`read_history`: ``aidbooks report`` (the disclosure control audits a new
report together with all of them, and the chain links it to the last one),
``aidbooks verify``, ``aidbooks check`` (changes to closed periods) and Fava's
publish preview.

A recorded release that is missing a file or was altered (its ``report.json`` no
longer has the SHA-256 its manifest lists, its manifest is not the one the next
release links to, the chain has a gap) stops every reader with one line naming
the folder: the history is evidence, restore it from git.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import commit_files
from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.plugins.releases import CLOSED
from aidbooks.plugins.releases import history_folder
from aidbooks.plugins.releases import is_label
from aidbooks.plugins.releases import months_of
from aidbooks.plugins.releases import read_closed
from aidbooks.plugins.writer import JOURNAL_NAME
from aidbooks.plugins.writer import writer_lock
from aidbooks.reports.manifest import MANIFEST
from aidbooks.reports.manifest import REPORT_JSON
from aidbooks.reports.manifest import Link
from aidbooks.reports.manifest import Manifest
from aidbooks.reports.manifest import Published
from aidbooks.reports.manifest import sha256
from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period


@dataclass(frozen=True)
class Release:
    """One recorded release.

    Attributes:
      folder: ``published/<period>`` in the books.
      period: The period it reports on.
      manifest: Its manifest (as published).
      manifest_sha256: The SHA-256 of ``manifest.json`` (what the next release links to).
      report: Its ``report.json`` (as published).
      closed: Month → fingerprints of the transactions it was computed from.
    """

    folder: Path
    period: Period
    manifest: Manifest
    manifest_sha256: str
    report: PublicReport
    closed: Mapping[str, list[str]]
    manifest_bytes: bytes = b""

    def link(self) -> Link:
        """The link the next release carries to this one."""
        return Link(period=self.period.label, manifest_sha256=self.manifest_sha256)

    def published(self) -> Published:
        """The release as a report folder (what the disclosure control reads)."""
        return Published(self.folder, self.manifest, self.manifest_bytes)


def _broken(what: str, folder: Path) -> AidbooksError:
    return AidbooksError(
        f"release history: {what}",
        "restore published/ from git (the release history is evidence and is never "
        "edited by hand)",
        str(folder),
    )


def _read(folder: Path) -> tuple[Release, bytes]:
    try:
        manifest_bytes = read_regular_bytes(folder / MANIFEST)
        report_bytes = read_regular_bytes(folder / REPORT_JSON)
        closed_bytes = read_regular_bytes(folder / CLOSED)
    except FileNotFoundError as exc:
        raise _broken(f"{Path(str(exc.filename)).name} is missing", folder) from None
    except OSError as exc:
        raise _broken(f"cannot be read ({exc.strerror})", folder) from None
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
    except ValidationError:
        raise _broken(f"{MANIFEST} is not a valid manifest", folder) from None
    try:
        report = PublicReport.model_validate_json(report_bytes)
    except ValidationError:
        raise _broken(f"{REPORT_JSON} is not a valid report", folder) from None
    if manifest.period != folder.name or report.period.label != folder.name:
        raise _broken("the folder's name is not the period of its report", folder)
    if manifest.artifacts.get(REPORT_JSON) != sha256(report_bytes):
        raise _broken("report.json differs from what its manifest lists", folder)
    closed = read_closed(closed_bytes.decode("utf-8", "replace"))
    release = Release(
        folder,
        parse_period(folder.name),
        manifest,
        sha256(manifest_bytes),
        report,
        closed,
        manifest_bytes,
    )
    return release, manifest_bytes


def read_history(ledger_file: Path) -> list[Release]:
    """Every recorded release of the books, in publication order (oldest first).

    Raises:
      AidbooksError: a release is missing a file, altered, or the chain of
        releases is broken (exit 2).
    """
    root = history_folder(ledger_file)
    if not root.is_dir():
        return []
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and is_label(p.name))
    except OSError as exc:
        raise _broken(f"cannot be listed ({exc.strerror})", root) from None
    releases = {f.name: _read(f)[0] for f in folders}
    # the chain: each release names the one published just before it
    after: dict[str | None, Release] = {}
    for release in releases.values():
        previous = release.manifest.previous
        key = previous.period if previous else None
        if key in after:
            raise _broken(f"two releases follow {key or 'the start'}", release.folder)
        if previous is not None:
            before = releases.get(previous.period)
            if before is None:
                raise _broken(f"the release it follows ({previous.period}) is missing",
                              release.folder)  # fmt: skip
            if before.manifest_sha256 != previous.manifest_sha256:
                raise _broken("its manifest is not the one the next release links to",
                              before.folder)  # fmt: skip
        after[key] = release
    ordered: list[Release] = []
    current = after.get(None)
    while current is not None:
        ordered.append(current)
        current = after.get(current.period.label)
    if len(ordered) != len(releases):
        stray = sorted(set(releases) - {r.period.label for r in ordered})
        raise _broken("the chain of releases has a loop", releases[stray[0]].folder)
    return ordered


def recorded(history: list[Release], period: Period) -> Release | None:
    """The release of ``period`` in the history, if it was published."""
    for release in history:
        if release.period == period:
            return release
    return None


def record(
    ledger_file: Path, period: Period, files: Mapping[str, bytes], closed: str
) -> Path:
    """Record a release in the books: its ``report.json``, ``manifest.json`` and ``closed.txt``.

    All three are written in one step (all or none), holding the books' writer lock.

    Returns:
      The release's folder.
    """
    books = ledger_file.parent
    base = f"{history_folder(ledger_file).name}/{period.label}"
    payload = {
        f"{base}/{REPORT_JSON}": files[REPORT_JSON],
        f"{base}/{MANIFEST}": files[MANIFEST],
        f"{base}/{CLOSED}": closed.encode("utf-8"),
    }
    with writer_lock(books, "another aidbooks command is writing these books"):
        commit_files(books, payload, JOURNAL_NAME)
    return books / base


def closed_months(history: list[Release]) -> dict[str, tuple[Release, list[str]]]:
    """Month → (the release that first closed it, its fingerprints then)."""
    out: dict[str, tuple[Release, list[str]]] = {}
    for release in history:
        for month, values in release.closed.items():
            out.setdefault(month, (release, values))
        for month in months_of(release.period.label):
            out.setdefault(month, (release, []))
    return out
