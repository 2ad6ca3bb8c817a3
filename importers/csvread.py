"""Reading CSV exports: encodings, preambles, footers, headers found by name.

* Text is read as UTF-8 with an optional BOM (PayPal writes one), falling back to
  Windows-1252 for bank files saved by older tools. CRLF and LF both work.
* A real CSV reader is used (Venmo's disclaimer footer is one quoted cell over
  several lines; notes and amounts contain commas). Each row knows the line it
  starts on, so problems are reported as ``file:line``.
* The header is **found**, not assumed on line 1: Venmo puts two preamble lines
  first. An importer says which column names identify its layout.
* Columns are looked up **by name** (:class:`Header`), with aliases for renamed or
  localized columns; a name that appears twice (ActBlue's ``Reserved``) maps to
  its first occurrence; surrounding spaces and quotes in names are ignored
  (Venmo's 2017 export starts with ``" ID"``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aidbooks.importers.records import ImportFileError
from aidbooks.plugins.fsutil import read_regular_bytes

#: How much of a file identify() reads: enough for any preamble and header.
HEAD_BYTES = 64 * 1024
#: How many rows may come before the header.
MAX_PREAMBLE = 30

csv.field_size_limit(16 * 1024 * 1024)


def read_text(path: str | Path, limit: int | None = None) -> str:
    """Read a file as text: UTF-8 (BOM stripped), else Windows-1252.

    Args:
      path: The file.
      limit: Read at most this many bytes (for identify()).
    Raises:
      ImportFileError: The file cannot be read.
    """
    try:
        raw = read_regular_bytes(path, limit)
    except OSError as exc:
        raise ImportFileError(
            f"cannot be read ({exc.strerror})",
            "check the path and its permissions",
            str(path),
        ) from None
    if b"\x00" in raw[:4096]:
        raise ImportFileError(
            "is not a text file", "pass the CSV or OFX file as downloaded", str(path)
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if limit is not None and exc.start >= len(raw) - 4:
            text = raw[: exc.start].decode("utf-8-sig")  # cut inside a character
        else:
            text = raw.decode("cp1252", errors="replace")
    return text


def norm(name: str) -> str:
    """Normalize a column name for matching: strip spaces and quotes, case-fold."""
    return " ".join(name.strip().strip('"').strip().split()).casefold()


@dataclass(frozen=True, slots=True)
class Row:
    """One CSV record and the line it starts on."""

    lineno: int
    cells: list[str]


def rows(text: str) -> Iterator[Row]:
    """Yield every CSV record of ``text`` with its starting line number."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for cells in reader:
        yield Row(start, cells)
        start = reader.line_num + 1


class Header:
    """A header row: column name -> index, looked up by name or alias."""

    def __init__(self, lineno: int, cells: Sequence[str]) -> None:
        self.lineno = lineno
        self.names = [c.strip().strip('"').strip() for c in cells]
        self.index: dict[str, int] = {}
        for i, cell in enumerate(cells):
            self.index.setdefault(norm(cell), i)

    def find(self, *aliases: str) -> int | None:
        """The index of the first alias present, or None."""
        for alias in aliases:
            found = self.index.get(norm(alias))
            if found is not None:
                return found
        return None

    def has(self, *names: str) -> bool:
        """True if every name is a column."""
        return all(norm(n) in self.index for n in names)


class Columns:
    """Column indexes an importer needs, resolved once per file from aliases.

    ``get(row, "amount")`` returns the cell (stripped), or "" when the column is
    absent or the row is short.
    """

    def __init__(self, header: Header, aliases: Mapping[str, Sequence[str]]) -> None:
        self.header = header
        self.at: dict[str, int | None] = {
            key: header.find(*names) for key, names in aliases.items()
        }

    def present(self, key: str) -> bool:
        """True if the file has this column."""
        return self.at.get(key) is not None

    def get(self, cells: Sequence[str], key: str) -> str:
        """The stripped cell of column ``key`` in a row ("" if absent)."""
        index = self.at.get(key)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def require(self, path: str, *keys: str) -> None:
        """Raise if a column the importer cannot do without is missing."""
        missing = [k for k in keys if self.at.get(k) is None]
        if missing:
            raise ImportFileError(
                f"has no column for {', '.join(missing)}",
                "download the export with its default columns",
                path,
                self.header.lineno,
            )


def find_header(
    text: str, matches: Iterable[Sequence[str]], limit: int = MAX_PREAMBLE
) -> tuple[Header, int] | None:
    """Find the header row: the first of the first ``limit`` rows that has every
    column of one of the ``matches`` name sets.

    Returns:
      (header, which match) or None.
    """
    candidates = [list(m) for m in matches]
    for count, row in enumerate(rows(text)):
        if count >= limit:
            break
        header = Header(row.lineno, row.cells)
        for which, names in enumerate(candidates):
            if header.has(*names):
                return header, which
    return None


def data_rows(text: str, header: Header) -> Iterator[Row]:
    """Yield the rows after the header, skipping entirely blank lines."""
    for row in rows(text):
        if row.lineno <= header.lineno:
            continue
        if not any(cell.strip() for cell in row.cells):
            continue
        yield row
