"""Rows the treasurer already wrote by hand: matched, not imported twice.

A grant paid by Zelle or check is often written in ``books/`` by hand (a
transaction without a platform id) before the bank's export comes in. Imported
as it is, the row would be a second entry for the same money. So an imported row
**matches** a hand entry when, on the row's money account (the platform or bank
account of its export, e.g. ``Assets:Bank:Checking``):

* the hand entry moves the same amount in the same currency (its postings on that
  account added up; an amount the treasurer left for Beancount to fill in counts,
  as booked),
* it is dated at most ``imports.match_days`` days (default 3) before or after the
  row, and
* the hand entry has no platform id (``<prefix>-id``) — an entry with one is some
  row's already and de-duplicated by it.

The decision is never a guess: a row is taken for a hand entry only when it has
exactly one candidate **and** that candidate is no other row's candidate in the
same import. A row with several candidates, or whose candidate another row of the
import matches too, is not imported and is listed with the entries' ``file:line``;
the treasurer settles it by writing the row's id onto the right entry.

:class:`HandIndex` is built in :class:`~.booking.BookState`'s one pass over the
books (a dict keyed by account, amount and currency, so matching a row is one
lookup: linear in the books plus the rows, never books × rows). Only the money
accounts of the exports being imported are indexed.

**Attaching** (``aidbooks import --attach``, or a matched entry saved on Fava's
Import page) writes the row's ``<prefix>-id`` — and its ``<prefix>-status``, when
the importer writes one — onto the hand entry, on new lines right after its
header, indented as its body is (:func:`attach_lines`). The next import of the same
file finds the id: the row is a duplicate, and nothing changes.

beangulp's own similarity test (``beangulp.similar.heuristic_comparator``) was
considered for confirming a candidate and does not fit: it skips postings whose
amount Beancount filled in (``Assets:Bank:Checking`` with no amount, the usual way
a hand entry is written, as in the README's grant), and it needs one entry's
accounts to be a subset of the other's (a categorised ``Expenses:Aid:Rent``
against the import's ``Expenses:Aid:Uncategorized`` never is). Its date window is
the rule kept here: inclusive, before or after.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.core import flags
from beancount.core.amount import Amount

#: A transaction's header line: its date, then ``txn`` or a flag.
_HEADER = re.compile(r"(\d{4}-\d{2}-\d{2})\s+(?:txn\b|[*!&#?%PSTCURM])")
#: The indentation of a line of a transaction's body.
_INDENT = re.compile(r"[ \t]+(?=\S)")


@dataclass(frozen=True)
class Candidate:
    """A hand entry a row may be: where it is written.

    Attributes:
      date: The entry's date.
      filename: The file it is written in, as the loader names it.
      lineno: The line of its header.
      keys: The metadata keys it already has (an attached status never repeats one).
    """

    date: dt.date
    filename: str
    lineno: int
    keys: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass
class Match:
    """A row of an export that hand entries of the books match (not imported).

    Attributes:
      lineno: The row's line in its export.
      prefix: The importer's metadata prefix (``bank``: ``bank-id``).
      id: The row's platform id; it passed the importer's id checks.
      status: The ``<prefix>-status`` the row would carry (None: the importer
        writes none).
      candidates: The hand entries it matches.
      entry: The entry the row would have become (Fava's Import page shows it).
      sent: False for a row the Import page did not send (it showed the row as
        a duplicate of the hand entry): listed, never attached.
      found: Set once the whole import is booked: the one hand entry the row is,
        or None when the match is not unique either way (several candidates, or
        a candidate another row matches too).
      rivals: Rows of the import (other than this one) that match its candidates.
    """

    lineno: int
    prefix: str
    id: str
    status: str | None
    candidates: tuple[Candidate, ...]
    entry: data.Transaction
    sent: bool = True
    found: Candidate | None = None
    rivals: int = 0

    def metadata(self) -> list[tuple[str, str]]:
        """The lines attaching writes: ``(key, value)``."""
        out = [(f"{self.prefix}-id", self.id)]
        found = self.found
        status_key = f"{self.prefix}-status"
        if self.status is not None and (found is None or status_key not in found.keys):
            out.append((status_key, self.status))
        return out


class HandIndex:
    """Transactions without a platform id, by (account, amount, currency).

    Args:
      accounts: The money accounts to index (those of the exports imported).
    """

    def __init__(self, accounts: Collection[str] = ()) -> None:
        self.accounts = frozenset(accounts)
        self._by_key: dict[tuple[str, Decimal, str], list[Candidate]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def note(self, entry: data.Transaction) -> None:
        """Index a transaction of the books that carries no platform id."""
        accounts = self.accounts
        if not accounts or entry.flag == flags.FLAG_PADDING:
            return
        sums: dict[tuple[str, str], Decimal] | None = None
        for posting in entry.postings:
            if posting.account not in accounts:
                continue
            units = posting.units
            if not isinstance(units, Amount) or not isinstance(units.number, Decimal):
                continue
            if sums is None:
                sums = {}
            key = (posting.account, str(units.currency))
            sums[key] = sums.get(key, Decimal(0)) + units.number
        if not sums:
            return
        meta = entry.meta or {}
        filename, lineno = meta.get("filename"), meta.get("lineno")
        if not isinstance(filename, str) or filename.startswith("<"):
            return  # made by a plugin, not written by anyone
        if not isinstance(lineno, int) or lineno <= 0:
            return
        keys = frozenset(k for k in meta if isinstance(k, str))
        for (account, currency), number in sums.items():
            if not number:
                continue
            found = self._by_key.setdefault((account, number, currency), [])
            candidate = Candidate(entry.date, filename, lineno, keys)
            if candidate not in found:  # a plugin's copy at the same place
                found.append(candidate)

    def near(
        self, account: str, number: Decimal, currency: str, date: dt.date, days: int
    ) -> list[Candidate]:
        """The hand entries moving ``number currency`` on ``account`` within
        ``days`` days of ``date`` (inclusive, either side)."""
        found = self._by_key.get((account, number, currency))
        if not found:
            return []
        return [c for c in found if abs((c.date - date).days) <= days]


class AttachError(ValueError):
    """The file no longer holds the matched entry where the books were loaded."""


def attach_lines(
    text: str, places: list[tuple[Candidate, list[tuple[str, str]]]]
) -> tuple[str, dict[tuple[str, int], int]]:
    """``text`` with metadata lines added right after the headers at ``places``.

    Each line is indented as the entry's body (its first indented line; two
    spaces when it has none) and ends as the header's line does (``\\n`` or
    ``\\r\\n``). Values are platform ids and status words, which hold no quote
    or backslash (:data:`~.booking._SAFE_ID`), so they are written as they are.

    Args:
      text: The file's text as it is now.
      places: (the hand entry, its ``(key, value)`` lines), several per file.

    Returns:
      The new text, and each entry's header line number in it
      (``(filename, old line) -> new line``).

    Raises:
      AttachError: a line is not the header of a transaction of that date.
    """
    lines = text.split("\n")
    moved: dict[tuple[str, int], int] = {}
    order = sorted(places, key=lambda p: p[0].lineno)
    shift = 0
    for candidate, _meta in order:
        moved[candidate.filename, candidate.lineno] = candidate.lineno + shift
        shift += len(_meta)
    for candidate, meta in reversed(order):  # from the bottom: line numbers hold
        index = candidate.lineno - 1
        header = lines[index] if 0 <= index < len(lines) else ""
        found = _HEADER.match(header)
        if found is None or found.group(1) != candidate.date.isoformat():
            raise AttachError(f"line {candidate.lineno} is no longer the matched entry")
        end = "\r" if header.endswith("\r") else ""
        following = lines[index + 1] if index + 1 < len(lines) else ""
        body = _INDENT.match(following)
        indent = body.group(0) if body else "  "
        added = [f'{indent}{key}: "{value}"{end}' for key, value in meta]
        lines[index + 1 : index + 1] = added
    return "\n".join(lines), moved


def where(candidate: Candidate, books_dir: Path) -> str:
    """``file:line`` of a hand entry, the file relative to the books' folder."""
    return f"{shown_path(candidate.filename, books_dir)}:{candidate.lineno}"


def shown_path(filename: str, books_dir: Path) -> str:
    """A file of the books as the summary names it: relative to the books' folder
    (``books/grants.beancount``), else as the loader named it."""
    try:
        return Path(filename).resolve().relative_to(books_dir.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return filename
