"""``manifest.json``: fingerprints of a report, the chain of reports, a seal on the books.

Every report folder holds a manifest (schema ``aidbooks.manifest/1``) with

* ``artifacts`` — the SHA-256 of every other file of the report. One changed byte
  anywhere changes a fingerprint.
* ``previous`` — the period and the SHA-256 of the ``manifest.json`` of the fund's
  report published just before this one, so reports form a chain: a published
  report cannot be swapped or quietly dropped without breaking the next link.
  *How the previous report is found:* ``aidbooks report --previous DIR`` names it;
  otherwise it is the report in a sibling folder of ``--out`` (reports of one fund
  are kept side by side, e.g. ``reports/2025-Q1``, ``reports/2025-Q2``) whose
  period comes last before this one in publication order (by last day; on the same
  last day, shorter periods first: the months, then the quarter, then the year).
  The first report of a fund has ``previous: null``.
* ``context`` — the earlier reports the disclosure control took into account (all
  reports beside this one published before it), with their manifests' SHA-256,
  so ``aidbooks verify --ledger`` can redo exactly the same computation.
* ``books`` — a keyed commitment to the state of the books: HMAC-SHA256, under a
  key derived from the fund's secret key, of every entry dated on or before the
  period's last day in a canonical form (independent of file layout, line numbers
  and entry order within a day). A plain hash would let anyone test a guess of
  low-entropy books (was household R-… paid $400 on 3 March?); the keyed one can
  only be checked by someone holding the key — the treasurer or an auditor.
  ``key_id`` fingerprints the key (not the books) so a verifier can tell "wrong
  key" from "changed books".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from typing import Literal

from beancount.core import data
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError

from aidbooks.plugins import keys
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period

MANIFEST = "manifest.json"
REPORT_JSON = "report.json"
MANIFEST_SCHEMA: Literal["aidbooks.manifest/1"] = "aidbooks.manifest/1"
_SHA256 = r"^[0-9a-f]{64}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Model):
    """Another report, by period and the SHA-256 of its ``manifest.json``."""

    period: str
    manifest_sha256: str = Field(pattern=_SHA256)


class BooksSeal(_Model):
    """The keyed commitment to the books."""

    algorithm: Literal["HMAC-SHA256"] = "HMAC-SHA256"
    through: dt.date = Field(description="Entries dated on or before this day.")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    commitment: str = Field(pattern=_SHA256)


class Manifest(_Model):
    """The contents of ``manifest.json``."""

    schema_: Literal["aidbooks.manifest/1"] = Field(default=MANIFEST_SCHEMA, alias="schema")
    fund: str
    period: str
    formats: list[Literal["html", "md", "csv", "json"]]
    languages: list[str]
    artifacts: dict[str, str]
    previous: Link | None
    context: list[Link] = Field(default_factory=list)
    books: BooksSeal

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self) -> str:
        """Canonical bytes of ``manifest.json``."""
        payload = self.model_dump(mode="json", by_alias=True)
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sha256(payload: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------ the books seal
def key_id(key: bytes) -> str:
    """A public fingerprint of the fund's key (says which key, reveals nothing): the
    one the books record (:func:`aidbooks.plugins.keys.fingerprint`)."""
    return keys.fingerprint(key)


_HIDDEN_META = frozenset({"filename", "lineno", "__tolerances__", "__automatic__"})


def _meta(meta: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    if not meta or (len(meta) == 2 and "lineno" in meta and "filename" in meta):
        return ()
    return tuple(
        sorted((k, v) for k, v in meta.items() if k not in _HIDDEN_META and k[:2] != "__")
    )


def canonical(entry: data.Directive) -> str:
    """A canonical one-line form of an entry (no file names or line numbers)."""
    if type(entry) is data.Transaction:
        return repr(
            (
                "T",
                entry.date.toordinal(),
                entry.flag,
                entry.payee,
                entry.narration,
                sorted(entry.tags) if entry.tags else (),
                sorted(entry.links) if entry.links else (),
                _meta(entry.meta),
                [
                    (
                        p.account,
                        p.units.number if p.units else None,
                        p.units.currency if p.units else None,
                        p.cost,
                        p.price,
                        p.flag,
                        _meta(p.meta),
                    )
                    for p in entry.postings
                ],
            )
        )
    fields = tuple(getattr(entry, f) for f in entry._fields[2:])
    return repr((type(entry).__name__, entry.date.toordinal(), fields, _meta(entry.meta)))


def commit_books(
    entries: Iterable[data.Directive], through: dt.date, key: bytes, period: str
) -> BooksSeal:
    """The keyed commitment to every entry dated on or before ``through``.

    Entries are put in canonical form and sorted, so moving entries between files
    or reordering a day changes nothing, while any change to a posting does.
    Documents (file paths on the treasurer's disk) are left out.
    """
    lines = []
    for entry in entries:
        if entry.date > through:
            break
        if type(entry) is data.Document:
            continue
        lines.append(canonical(entry))
    lines.sort()
    subkey = hmac.new(key, b"aidbooks/v1/report-commitment", hashlib.sha256).digest()
    mac = hmac.new(subkey, f"{period}\n{through.isoformat()}\n".encode(), hashlib.sha256)
    mac.update("\n".join(lines).encode("utf-8"))
    return BooksSeal(through=through, key_id=key_id(key), commitment=mac.hexdigest())


# ----------------------------------------------------------------- other reports
class Published:
    """A report folder already on disk."""

    def __init__(self, folder: Path, manifest: Manifest, manifest_bytes: bytes) -> None:
        self.folder = folder
        self.manifest = manifest
        self.manifest_sha256 = sha256(manifest_bytes)
        self.period: Period = parse_period(manifest.period)
        self._report: PublicReport | None = None

    def link(self) -> Link:
        """The link to this report."""
        return Link(period=self.period.label, manifest_sha256=self.manifest_sha256)

    def report(self) -> PublicReport:
        """Its ``report.json``.

        Raises:
          AidbooksError: it has none, or it is not a valid report (exit 2).
        """
        if self._report is None:
            path = self.folder / REPORT_JSON
            try:
                self._report = PublicReport.model_validate_json(read_regular_bytes(path))
            except (OSError, ValidationError):
                raise AidbooksError(
                    "has no valid report.json, which the disclosure control needs",
                    "publish every report with --format including json, or move this "
                    "folder away",
                    str(self.folder),
                ) from None
        return self._report


def read_published(folder: Path) -> Published | None:
    """The report in ``folder``, or None when the folder holds no manifest.

    Raises:
      AidbooksError: the manifest is unreadable or invalid (exit 2).
    """
    path = folder / MANIFEST
    try:
        payload = read_regular_bytes(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AidbooksError(
            f"cannot be read ({exc.strerror})", "check it", str(path)
        ) from None
    try:
        manifest = Manifest.model_validate_json(payload)
        parse_period(manifest.period)
    except (ValidationError, AidbooksError):
        raise AidbooksError(
            "is not an aidbooks manifest", "restore it from the published copy", str(path)
        ) from None
    return Published(folder, manifest, payload)


def reports_in(parent: Path, fund: str) -> list[Published]:
    """Reports of ``fund`` in the folders inside ``parent`` (none if it is missing).

    Raises:
      AidbooksError: ``parent`` cannot be listed, or a manifest there is unreadable
        or invalid (exit 2).
    """
    found: list[Published] = []
    if not parent.is_dir():
        return found
    try:
        folders = sorted(parent.iterdir())
    except OSError as exc:
        raise AidbooksError(
            f"cannot be listed ({exc.strerror})", "check the folder", str(parent)
        ) from None
    for folder in folders:
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        published = read_published(folder)
        if published is not None and published.manifest.fund == fund:
            found.append(published)
    return found


def siblings(out: Path, fund: str) -> list[Published]:
    """Reports of ``fund`` in folders beside ``out`` (``out`` itself left out)."""
    here = out.resolve()
    return [p for p in reports_in(here.parent, fund) if p.folder.resolve() != here]


def previous_of(period: Period, candidates: list[Published]) -> Published | None:
    """The report published just before ``period`` among ``candidates``."""
    before = [p for p in candidates if p.period.order_key() < period.order_key()]
    if not before:
        return None
    return max(before, key=lambda p: (p.period.order_key(), p.folder.name))


def context_of(period: Period, candidates: list[Published]) -> list[Published]:
    """Every report published before ``period`` (the disclosure control's context).

    Not only nested periods: consecutive reports share balances (this quarter's
    opening is the last one's closing), so a number hidden in one report could be
    worked out from the next. Each new report therefore keeps every earlier one's
    hidden numbers hidden. One report per period (the last in the folder order).
    """
    chosen: dict[str, Published] = {}
    for p in sorted(candidates, key=lambda p: (p.period.order_key(), p.folder.name)):
        if p.period == period or p.period.order_key() >= period.order_key():
            continue
        chosen[p.period.label] = p
    return sorted(chosen.values(), key=lambda p: p.period.order_key())


def neighbours(
    out: Path, fund: str, period: Period, explicit: Published | None = None
) -> tuple[Published | None, list[Published]]:
    """The previous report (the chain) and the earlier reports (the context).

    Both come from the folders beside ``out``; ``explicit`` (``--previous DIR``)
    overrides the previous one and joins the context when it lives elsewhere.
    """
    beside = siblings(out, fund)
    previous = explicit or previous_of(period, beside)
    known = {p.folder.resolve() for p in beside}
    if explicit is not None and explicit.folder.resolve() not in known:
        beside.append(explicit)
    return previous, context_of(period, beside)


def later_than(period: Period, candidates: list[Published]) -> list[Published]:
    """Reports beside this one that come after ``period`` in publication order."""
    return [p for p in candidates if p.period.order_key() > period.order_key()]
