"""Check a published report: unchanged, consistent, chained, and (with the books) true.

What :func:`verify_folder` checks, and who can run it:

Anyone, with the report folder alone:

1. ``manifest.json`` is exactly as aidbooks writes it, and every file it lists is
   there with the SHA-256 it records; no file is missing or added.
2. ``report.json`` is valid against the schema and lists the same fingerprints;
   its numbers add up (:mod:`aidbooks.reports.arithmetic`).
3. The pages, Markdown and CSV files are exactly what ``report.json`` renders to,
   so a page cannot say something the numbers do not.
4. The chain: when the previous report sits beside this one (or is named with
   ``--previous``), its ``manifest.json`` has the SHA-256 this one records.

An auditor with the books and the fund's key (``--ledger``):

5. The whole report is made again from the books — same earlier reports taken
   into account, same languages and formats — and every file must come out byte
   for byte the same; differing numbers are named one by one.
6. The seal: the keyed commitment to the books must match, so the books the
   auditor holds are the books the report was made from (any changed posting on
   or before the period's last day breaks it). Without the fund's key the numbers
   are still checked, and the outcome says the seal was not. A report sealed
   before a rotation is checked with the retired key the key file keeps.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from beancount.core import data
from pydantic import ValidationError

from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.plugins.policy import Policy
from aidbooks.reports import arithmetic
from aidbooks.reports.disclosure import published_values
from aidbooks.reports.i18n import LANGUAGES
from aidbooks.reports.manifest import MANIFEST
from aidbooks.reports.manifest import REPORT_JSON
from aidbooks.reports.manifest import Link
from aidbooks.reports.manifest import Manifest
from aidbooks.reports.manifest import Published
from aidbooks.reports.manifest import commit_books
from aidbooks.reports.manifest import key_id
from aidbooks.reports.manifest import read_published
from aidbooks.reports.manifest import sha256
from aidbooks.reports.manifest import siblings
from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import make_files
from aidbooks.reports.publish import render_files


@dataclass(frozen=True)
class Books:
    """What ``--ledger`` brings: the loaded books, the policy and the key."""

    entries: list[data.Directive]
    options_map: dict[str, Any]
    policy: Policy
    key: bytes | None
    #: The books' release history (``published/``), where earlier reports are found
    #: whatever folder their public copies went to.
    history: tuple[Published, ...] = ()
    #: The retired keys the key file keeps: a report sealed before a rotation is
    #: checked with the key it was sealed with.
    retired: tuple[bytes, ...] = ()


@dataclass
class Outcome:
    """What verification found.

    Attributes:
      differences: Every difference (any one fails verification).
      notes: What was checked, and what could not be.
    """

    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.differences


def _files(folder: Path) -> set[str]:
    found = set()
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            found.add(Path(root, name).relative_to(folder).as_posix())
    return found


def _find(
    link: Link,
    folder: Path,
    fund: str,
    explicit: Path | None,
    history: Sequence[Published] = (),
) -> Published | None:
    candidates = []
    if explicit is not None:
        published = read_published(explicit)
        if published is not None:
            candidates.append(published)
    candidates += [p for p in history if p.period.label == link.period]
    candidates += [p for p in siblings(folder, fund) if p.period.label == link.period]
    for candidate in candidates:
        if candidate.manifest_sha256 == link.manifest_sha256:
            return candidate
    return candidates[0] if candidates else None


def _diff_reports(mine: PublicReport, theirs: PublicReport, out: list[str]) -> None:
    a = published_values(mine)
    b = published_values(theirs)
    for key in sorted(set(a) | set(b)):
        if a.get(key, "absent") != b.get(key, "absent"):
            shown = "hidden" if a.get(key) is None else a.get(key, "absent")
            wanted = "hidden" if b.get(key) is None else b.get(key, "absent")
            out.append(
                f"{REPORT_JSON}: {key} is {shown} in the report, {wanted} from the books"
            )


def verify_folder(
    folder: Path,
    books: Books | None = None,
    previous: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Check the report in ``folder`` (see the module docstring)."""
    outcome = Outcome()
    diff = outcome.differences.append
    note = outcome.notes.append
    try:
        manifest_bytes = read_regular_bytes(folder / MANIFEST)
    except FileNotFoundError:
        diff(f"{MANIFEST}: missing; this is not a complete aidbooks report")
        return outcome
    except OSError as exc:
        diff(f"{MANIFEST}: cannot be read ({exc.strerror})")
        return outcome
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
        period = parse_period(manifest.period)
    except (ValidationError, ValueError, Exception) as exc:
        del exc
        diff(f"{MANIFEST}: damaged (not a valid aidbooks manifest)")
        return outcome
    if manifest.to_json().encode("utf-8") != manifest_bytes:
        diff(f"{MANIFEST}: changed (its bytes are not what aidbooks writes)")

    # 1. fingerprints
    present = _files(folder) - {MANIFEST}
    listed = set(manifest.artifacts)
    contents: dict[str, bytes] = {}
    for name in sorted(listed):
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:
            diff(f"{name}: listed outside the report folder")
            continue
        try:
            payload = read_regular_bytes(path)
        except FileNotFoundError:
            diff(f"{name}: listed in the manifest but missing")
            continue
        except OSError as exc:
            diff(f"{name}: cannot be read ({exc.strerror})")
            continue
        contents[name] = payload
        if sha256(payload) != manifest.artifacts[name]:
            diff(f"{name}: changed (SHA-256 differs from the manifest)")
    for name in sorted(present - listed):
        diff(f"{name}: not listed in the manifest")
    note(f"{len(contents)} file(s) checked against the manifest")

    # 2-3. report.json, its arithmetic, and the files it renders to
    report: PublicReport | None = None
    if REPORT_JSON in contents:
        try:
            report = PublicReport.model_validate_json(contents[REPORT_JSON])
        except ValidationError:
            diff(f"{REPORT_JSON}: not valid against the report schema")
    unknown = [lang for lang in manifest.languages if lang not in LANGUAGES]
    if unknown:
        diff(
            f"{MANIFEST}: lists language(s) {', '.join(unknown)} that aidbooks cannot render"
        )
        return outcome
    if report is not None:
        if report.to_json().encode("utf-8") != contents[REPORT_JSON]:
            diff(f"{REPORT_JSON}: changed (its bytes are not what aidbooks writes)")
        others = {k: v for k, v in manifest.artifacts.items() if k != REPORT_JSON}
        if report.artifacts != others:
            diff(f"{REPORT_JSON}: its list of fingerprints differs from the manifest")
        if report.period.label != manifest.period or report.fund != manifest.fund:
            diff(f"{REPORT_JSON}: fund or period differs from the manifest")
        for problem in arithmetic.problems(report):
            diff(f"{REPORT_JSON}: {problem}")
        _, rendered = render_files(
            report.model_copy(update={"artifacts": {}}),
            manifest.formats,
            manifest.languages,
        )
        for name, payload in rendered.items():
            if name not in contents:
                diff(f"{name}: missing (the report's formats and languages include it)")
            elif contents[name] != payload:
                diff(f"{name}: does not match what {REPORT_JSON} renders to")
        note("pages, Markdown and CSV match report.json")
    else:
        note("no report.json: the pages could not be checked against the numbers")

    # 4. the chain
    if manifest.previous is None:
        note("first report of its chain (no previous report)")
    else:
        found = _find(
            manifest.previous,
            folder,
            manifest.fund,
            previous,
            books.history if books is not None else (),
        )
        if found is None:
            note(
                f"previous report {manifest.previous.period} not found beside this one; "
                "the chain was not checked (use --previous DIR)"
            )
        elif found.manifest_sha256 != manifest.previous.manifest_sha256:
            diff(
                f"{MANIFEST}: the previous report {manifest.previous.period} in "
                f"{found.folder} is not the one this report was chained to"
            )
        else:
            note(f"chained to report {manifest.previous.period} in {found.folder}")

    # 5-6. against the books
    if books is None:
        note("numbers not checked against the books (use --ledger with the fund's key)")
        return outcome
    key = books.key
    if key is not None and manifest.books.key_id != key_id(key):
        key = next((k for k in books.retired if key_id(k) == manifest.books.key_id), None)
        if key is None:
            diff(f"{MANIFEST}: sealed with another key than the fund's key given here")
            return outcome
        note("sealed with a key since retired, which the key file keeps")
    context: list[Published] = []
    for link in manifest.context:
        found = _find(link, folder, manifest.fund, None, books.history)
        if found is None or found.manifest_sha256 != link.manifest_sha256:
            diff(
                f"{MANIFEST}: needs the earlier report {link.period} beside it, as it was "
                "published, to make the report again"
            )
            return outcome
        context.append(found)
    progress(f"making report {period.label} again from the books ...")
    mine, files, _ = make_files(
        books.entries,
        books.options_map,
        books.policy,
        period,
        manifest.formats,
        manifest.languages,
        context,
    )
    if key is None:
        note("the seal on the books was not checked (no key: set $AIDBOOKS_KEY_FILE)")
    else:
        seal = commit_books(books.entries, period.end, key, period.label)
        if seal != manifest.books:
            diff(
                f"{MANIFEST}: the seal on the books differs: these books are not the books "
                f"the report was made from (an entry on or before {period.end} changed)"
            )
    if report is not None:
        _diff_reports(report, mine, outcome.differences)
    for name, payload in files.items():
        if name not in contents:
            diff(f"{name}: the books give this file, the report lacks it")
        elif contents[name] != payload:
            diff(f"{name}: differs from the report made again from the books")
    for name in sorted(set(contents) - set(files)):
        diff(f"{name}: not part of the report made again from the books")
    if manifest.fund != books.policy.fund.name:
        diff(f"{MANIFEST}: fund {manifest.fund!r} is not the fund of these books")
    note("numbers checked against the books" + ("" if key is None else ", and the seal"))
    return outcome
