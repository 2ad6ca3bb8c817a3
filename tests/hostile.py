"""Hostile input for the robustness tests: planted personal data, broken
exports, and the fuzzing budget.

* :data:`PLANTED` — recognisable, invented personal data (names, e-mails,
  handles, a phone, an address, a note, a card number). The fuzzers put it in
  every personal column of the exports and in random cells; :func:`leaks` finds
  any of it in a command's output or in the books. Nothing here names a real
  person.
* :func:`hostile_export` — a hypothesis strategy: a real export fixture with its
  personal data replaced by the planted data, then broken in up to three ways
  (truncated, CRLF, a BOM added or removed, a column dropped or added, cells
  merged, emptied, another platform's file mixed in, a huge field, numbers such as
  ``1.234,56``, ``(5)``, ``- $``, ``NaN``, ``1e309``, planted data in any cell,
  control characters) and written in a random encoding.
* :func:`budget` — hypothesis settings scaled by ``$AIDBOOKS_FUZZ_SCALE``: the
  bounded budget of ``make test`` by default, a long one under ``make fuzz``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import settings
from hypothesis import strategies as st

from tests.helpers import invoke
from tests.importing import DATA
from tests.importing import personal_strings

#: Invented personal data, one of each kind the books must never hold.
PLANTED = (
    "Zebulon Quixtarr",
    "Marisol Vantablack-Oyelaran",
    "zeb.quixtarr@planted-pii.example",
    "@zebquixtarr",
    "$MarisolVantablack",
    "(651) 555-0176",
    "4417 Quillfeather Lane, Apt 3B",
    "rent for Zebulon Quixtarr",
    "4111 1111 1111 1111",
    "Quixtarr",
)
#: Substrings that betray the planted data (case-folded), whatever got cut off.
MARKERS = (
    "quixtarr",
    "vantablack",
    "oyelaran",
    "planted-pii",
    "quillfeather",
    "555-0176",
    "5550176",
    "4111 1111 1111 1111",
    "4111111111111111",
)

#: Number forms the importers must read exactly or refuse cleanly.
NUMBER_FORMS = (
    "1.234,56",
    "1,234.56",
    "(5)",
    "($5.00)",
    "- $",
    "-",
    "$",
    "NaN",
    "nan",
    "Infinity",
    "1e309",
    "1E5",
    "-0",
    "+-5",
    "5-",
    "$-5",
    "1 234,56",
    "12.345.678,9",
    "1,2,3",
    "٣٤٥",
    "²",
    "0.000000001",
    "9" * 40,
    "99999999999999.99",
    "",
)
#: Dates and times beyond what exports hold.
TIME_FORMS = (
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31 23:59 PST",
    "12/31/9999",
    "1/1/0001",
    "²/1/2025",
    "2025-02-30",
    "2025-05-03 25:61",
    "America",
    "x" * 300,
)
ODD_TEXT = ('"', "\r", "\x00", "\n\n", ",,,", "\u2028", "\x85", "\ufeff", "\x1a", "\\")

FUZZ_SCALE = max(1, int(os.environ.get("AIDBOOKS_FUZZ_SCALE", "1") or 1))


def budget(examples: int, shrink: bool = True) -> settings:
    """Hypothesis settings: ``examples`` × ``$AIDBOOKS_FUZZ_SCALE`` examples.

    ``shrink=False`` for tests whose every example runs whole commands: shrinking
    them can take many minutes; the failing example is reported as found.
    """
    phases = list(Phase) if shrink else [p for p in Phase if p is not Phase.shrink]
    return settings(
        max_examples=examples * FUZZ_SCALE,
        deadline=None,
        phases=phases,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def leaks(text: str) -> list[str]:
    """The planted markers found in ``text`` (empty when it is clean)."""
    folded = text.casefold()
    return [marker for marker in MARKERS if marker in folded]


def tree_text(folder: Path) -> str:
    """Every text file under ``folder``, concatenated (to grep for leaks)."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def tree_digest(
    folder: Path, ignore: tuple[str, ...] = (".aidbooks-import.lock",)
) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (the lock file left out)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ignore
    }


# ------------------------------------------------------------------ the seeds
def seeds() -> list[Path]:
    """Every export fixture, good and bad."""
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".beancount")


#: Planted values that can replace text anywhere in a CSV without quoting.
_PLAIN = tuple(value for value in PLANTED if "," not in value and '"' not in value)


def _planted_text(path: Path) -> str:
    """A fixture with each of its personal strings replaced by planted data (the
    same replacement in every process: the seeds must not depend on hashing)."""
    text = path.read_bytes().decode("utf-8-sig", "replace")
    found = sorted(personal_strings(), key=lambda value: (-len(value), value))
    for number, value in enumerate(found):
        if value in text:
            text = text.replace(value, _PLAIN[number % len(_PLAIN)])
    return text


_SEEDS: dict[Path, str] = {}


def seed_text(path: Path) -> str:
    """The planted version of a fixture (cached)."""
    if path not in _SEEDS:
        _SEEDS[path] = _planted_text(path)
    return _SEEDS[path]


# ------------------------------------------------------------------ mutations
Draw = st.DrawFn


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _write(rows: list[list[str]], crlf: bool = False) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    return out.getvalue()


def _cell(draw: Draw, rows: list[list[str]]) -> tuple[int, int] | None:
    filled = [(r, c) for r, row in enumerate(rows) for c in range(len(row))]
    if not filled:
        return None
    return filled[draw(st.integers(0, len(filled) - 1))]


def _set_cell(draw: Draw, text: str, values: st.SearchStrategy[str]) -> str:
    rows = _rows(text)
    where = _cell(draw, rows)
    if where is None:
        return text
    r, c = where
    rows[r][c] = draw(values)
    return _write(rows)


def m_truncate(draw: Draw, text: str) -> str:
    return text[: draw(st.integers(0, len(text)))]


def m_crlf(draw: Draw, text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def m_bom(draw: Draw, text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else "\ufeff" + text


def m_drop_column(draw: Draw, text: str) -> str:
    rows = _rows(text)
    width = max((len(r) for r in rows), default=0)
    if not width:
        return text
    c = draw(st.integers(0, width - 1))
    return _write([row[:c] + row[c + 1 :] for row in rows])


def m_extra_column(draw: Draw, text: str) -> str:
    rows = _rows(text)
    extra = draw(st.sampled_from(["Extra", "Note", "ID", "Amount", "Status", ""]))
    return _write(
        [
            [*row, extra if i == 0 else draw(st.sampled_from(PLANTED))]
            for i, row in enumerate(rows)
        ]
    )


def m_merge_cells(draw: Draw, text: str) -> str:
    """Two neighbouring cells of one row become one (the rest shifts left)."""
    rows = _rows(text)
    candidates = [i for i, row in enumerate(rows) if len(row) >= 2]
    if not candidates:
        return text
    r = candidates[draw(st.integers(0, len(candidates) - 1))]
    row = rows[r]
    c = draw(st.integers(0, len(row) - 2))
    rows[r] = [*row[:c], row[c] + row[c + 1], *row[c + 2 :]]
    return _write(rows)


def m_empty(draw: Draw, text: str) -> str:
    return draw(st.sampled_from(["", "\n", "\r\n", "\ufeff", ",,,\n"]))


def m_other_platform(draw: Draw, text: str) -> str:
    other = seed_text(draw(st.sampled_from(seeds())))
    how = draw(st.sampled_from(["prepend", "append", "header"]))
    if how == "prepend":
        return other[:2000] + text
    if how == "append":
        return text + other
    _head, _, body = text.partition("\n")
    other_head = other.partition("\n")[0]
    return other_head + "\n" + body


def m_huge_field(draw: Draw, text: str) -> str:
    size = draw(st.sampled_from([1_000, 70_000, 400_000]))
    filler = draw(st.sampled_from(["x", "9", ",", '"', "Quixtarr "]))
    return _set_cell(draw, text, st.just((filler * size)[:size]))


def m_number(draw: Draw, text: str) -> str:
    return _set_cell(draw, text, st.sampled_from(NUMBER_FORMS))


def m_time(draw: Draw, text: str) -> str:
    return _set_cell(draw, text, st.sampled_from(TIME_FORMS))


def m_plant(draw: Draw, text: str) -> str:
    return _set_cell(draw, text, st.sampled_from(PLANTED))


def m_odd_text(draw: Draw, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.sampled_from(ODD_TEXT)) + text[at:]


def m_shuffle_lines(draw: Draw, text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(draw(st.permutations(lines)))


MUTATIONS: tuple[Callable[[Draw, str], str], ...] = (
    m_truncate,
    m_crlf,
    m_bom,
    m_drop_column,
    m_extra_column,
    m_merge_cells,
    m_empty,
    m_other_platform,
    m_huge_field,
    m_number,
    m_time,
    m_plant,
    m_odd_text,
    m_shuffle_lines,
)
ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "broken-utf-8")


def encode(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding`` (``broken-utf-8``: UTF-8 with a stray byte)."""
    if encoding == "broken-utf-8":
        raw = text.encode("utf-8")
        middle = len(raw) // 2
        return raw[:middle] + b"\xff\xfe\x80" + raw[middle:]
    return text.encode(encoding, errors="replace")


@st.composite
def hostile_export(draw: Draw) -> tuple[str, bytes, list[str]]:
    """(suffix, file bytes, what was done) — a broken, planted export."""
    seed = draw(st.sampled_from(seeds()))
    text = seed_text(seed)
    done = [f"{seed.parent.name}/{seed.name}"]
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        text = mutation(draw, text)
        done.append(mutation.__name__)
    encoding = draw(st.sampled_from(ENCODINGS))
    done.append(encoding)
    return seed.suffix, encode(text, encoding), done


#: An opening balance that covers the grants in the fixtures' exports.
OPENING = """
2025-01-01 * "Opening balances"
  Assets:Bank:Checking      20000.00 USD
  Equity:Opening-Balances
"""


def funded_books(books: Path, key: Path) -> Path:
    """``aidbooks init`` books at ``books`` (key at ``key``) with :data:`OPENING`."""
    code, _out, err = invoke(CliRunner(), "init", str(books), "--key-file", str(key))
    assert code == 0, err
    (books / "books" / "opening.beancount").write_text(OPENING)
    return books
