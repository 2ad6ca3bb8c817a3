"""Fuzzing every importer: broken, mixed-up and hostile exports.

Every export fixture, with its personal data replaced by planted, recognisable
fake data (:mod:`tests.hostile`), is broken in up to three ways and written in a
random encoding. The outcome must always be one of:

* a clean refusal of the whole file (``ImportFileError``: one line, exit 2), or
* an import whose every written line loads in Beancount without an error and
  passes the privacy rules, with the unreadable rows listed as problems —

never any other exception (which ``aidbooks import`` would turn into an internal
error, exit 3), and never a planted name, e-mail, handle, phone, address, note or
card number in the summary, an error message or the text written to the books.

The in-process tests run the same stages as ``aidbooks import`` (collect,
identify, parse, book, summary, render); ``test_import_command_*`` runs the real
command on ``aidbooks init`` books and checks what it leaves on disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from aidbooks.books import load_books
from aidbooks.cmd_import import summary
from aidbooks.importers import BUILTIN
from aidbooks.importers.booking import CODES_FILE
from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.mapped import MappedImporter
from aidbooks.importers.money import MAX_PLACES
from aidbooks.importers.money import MoneyError
from aidbooks.importers.money import parse_amount
from aidbooks.importers.paypal import PayPalImporter
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Record
from aidbooks.importers.run import ACCOUNTS_FILE
from aidbooks.importers.run import ImportRun
from aidbooks.plugins.policy import MappedSource
from tests.helpers import invoke
from tests.hostile import NUMBER_FORMS
from tests.hostile import budget
from tests.hostile import hostile_export
from tests.hostile import leaks
from tests.hostile import seed_text
from tests.hostile import seeds
from tests.hostile import tree_digest
from tests.hostile import tree_text
from tests.importing import DATA
from tests.importing import settings

CONF = settings()
#: Findings about what the money did (an import into new books may overspend the
#: general fund or leave clearing open); anything else after an import is a bug:
#: Beancount's own errors (syntax, balance, currencies) and the privacy rules.
BOOKKEEPING = {"funds", "approvals", "caps", "clearing", "receivables", "pending"}
MONEY_MESSAGES = {
    "the amount is empty",
    "the amount is not a number",
    "the amount has misplaced separators",
    "the amount is too large",
    f"the amount has more than {MAX_PLACES} decimal places",
}
_PRELUDE = """\
option "operating_currency" "USD"
plugin "aidbooks.plugins.recipients"
plugin "aidbooks.plugins.no_pii"
"""


def written_text(run: ImportRun) -> str:
    """What the run would write, in the order it writes it."""
    order = [CODES_FILE, ACCOUNTS_FILE, *sorted(run.pending)]
    seen: set[str] = set()
    parts = []
    for target in order:
        if target in run.pending and target not in seen:
            seen.add(target)
            parts.append(run.pending[target])
    return "".join(parts)


def import_dry(path: Path) -> tuple[str, str]:
    """Run the stages of ``aidbooks import`` on one file into empty books.

    Returns:
      ("refused", the one-line error) or ("imported", the summary + written text).
    """
    run = ImportRun(CONF, path.parent / "main.beancount", dry_run=True)
    try:
        run.collect([path])
        run.parse()
    except ImportFileError as exc:
        line = exc.line()
        assert "\n" not in line, line
        assert not leaks(line), line
        return "refused", line
    run.book([])
    lines = summary(run, CONF.scanner)
    report = "\n".join(lines)
    assert not leaks(report), report
    text = written_text(run)
    assert not leaks(text), text
    if text:
        entries, errors, _ = loader.load_string(_PRELUDE + text)
        assert errors == [], (errors[0].message, text[:2000])
        for entry in entries:
            for posting in getattr(entry, "postings", ()):
                number = posting.units.number
                assert isinstance(number, Decimal) and number.is_finite()
    return "imported", report + "\n" + text


@pytest.mark.slow  # many generated hostile exports
@budget(120)
@given(export=hostile_export())
def test_hostile_exports_are_refused_or_imported_cleanly(
    export: tuple[str, bytes, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    suffix, payload, _done = export
    path = tmp_path_factory.mktemp("export") / f"download{suffix}"
    path.write_bytes(payload)
    import_dry(path)


@pytest.mark.parametrize("seed", seeds(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_importer_on_every_other_platforms_file(seed: Path, tmp_path: Path) -> None:
    """An importer handed another platform's export refuses it; it never crashes."""
    path = tmp_path / seed.name
    path.write_text(seed_text(seed), encoding="utf-8")
    importers = [cls(CONF) for cls in BUILTIN]
    importers.append(MappedImporter("actblue", MappedSource(preset="actblue"), CONF))
    for importer in importers:
        try:
            parsed = importer.parse(str(path))
        except ImportFileError as exc:
            assert not leaks(exc.line())
            continue
        for problem in parsed.problems:
            assert not leaks(problem.what + problem.fix)
        for skip in parsed.skipped:
            assert not leaks(skip.reason)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("empty.csv", b""),
        ("bom-only.csv", b"\xef\xbb\xbf"),
        ("nul.csv", b"ID,Datetime\x00\x00\x00"),
        ("utf16.csv", seed_text(seeds()[-1]).encode("utf-16")),
        ("binary.ofx", bytes(range(256)) * 64),
        (
            "ofx-truncated.ofx",
            b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS>",
        ),
        (
            "ofx-xml-bomb.ofx",
            b'<?xml version="1.0"?><?OFX OFXHEADER="200"?>' + b"<OFX>" * 5000,
        ),
    ],
)
def test_degenerate_files(name: str, payload: bytes, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    outcome, _ = import_dry(path)
    assert outcome == "refused"


def test_a_field_of_ten_megabytes(tmp_path: Path) -> None:
    """A 10 MB cell (a pasted note, a broken quote) is read, not choked on or echoed."""
    text = seed_text(next(s for s in seeds() if s.name == "statement-2025-05.csv"))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows[4][5] = "Quixtarr " * (10 * 1024 * 1024 // 9)  # the note of the first payment
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "huge.csv"
    path.write_text(out.getvalue())
    assert path.stat().st_size > 10 * 1024 * 1024
    outcome, report = import_dry(path)
    assert outcome == "imported"
    assert "4100000000000000011" in report
    assert "15 rows read, 11 imported" in report


# ------------------------------------------------------------------ amounts
@budget(300)
@given(text=st.one_of(st.sampled_from(NUMBER_FORMS), st.text(max_size=40)))
def test_any_cell_is_an_exact_amount_or_refused(text: str) -> None:
    for decimal in (".", ","):
        try:
            value = parse_amount(text, decimal, blank=True)
        except MoneyError as exc:
            assert str(exc) in MONEY_MESSAGES  # a fixed sentence, never the cell
            continue
        if value is None:
            continue
        assert value.is_finite()
        assert value.adjusted() < 13
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -MAX_PLACES or value == 0


@budget(200)
@given(
    cents=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    style=st.sampled_from(["us", "eu", "paren", "venmo", "code", "space"]),
)
def test_every_written_form_of_an_amount_reads_back_exactly(cents: int, style: str) -> None:
    value = Decimal(cents).scaleb(-2)
    magnitude = abs(value)
    us = f"{magnitude:,.2f}"
    text, decimal = {
        "us": (f"{'-' if value < 0 else ''}${us}", "."),
        "eu": (
            f"{'-' if value < 0 else ''}{us.replace(',', ' ').replace('.', ',').replace(' ', '.')}",
            ",",
        ),
        "paren": (f"(${us})" if value < 0 else f"${us}", "."),
        "venmo": (f"{'-' if value < 0 else '+'} ${us}", "."),
        "code": (f"{'-' if value < 0 else ''}${us} USD", "."),
        "space": (f"{'-' if value < 0 else ''}{us.replace(',', ' ')}", "."),
    }[style]
    assert parse_amount(text, decimal) == value


# ------------------------------------------------------------------ the command
@pytest.fixture(scope="module")
def init_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("books") / "books"
    key = folder.parent / "secret" / "fund.key"
    code, _out, err = invoke(CliRunner(), "init", str(folder), "--key-file", str(key))
    assert code == 0, err
    return folder


@budget(12, shrink=False)
@given(export=hostile_export())
def test_import_command_on_hostile_exports(
    export: tuple[str, bytes, list[str]],
    init_books: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The real command: exit 0/1 with valid books, or exit 2 with one line and the
    books untouched; never exit 3, never planted data on screen or in the books."""
    suffix, payload, _done = export
    work = tmp_path_factory.mktemp("run")
    books = work / "books"
    _copy(init_books, books)
    path = work / f"download{suffix}"
    path.write_bytes(payload)
    before = tree_digest(books)
    code, out, err = invoke(
        CliRunner(), "import", str(path), "--ledger", str(books / "main.beancount")
    )
    assert code in (0, 1, 2), out + err
    assert not leaks(out + err), out + err
    assert "Traceback" not in out + err
    if code == 2:
        assert out == ""
        assert len(err.strip().splitlines()) == 1, err
        assert tree_digest(books) == before
        return
    assert not leaks(tree_text(books))
    _entries, errors, _ = load_books(books / "main.beancount")
    broken = [e for e in errors if getattr(e, "rule", None) not in BOOKKEEPING]
    assert broken == [], [e.message for e in broken][:3]


def _copy(source: Path, target: Path) -> None:
    shutil.copytree(source, target)


def test_rows_dated_at_the_ends_of_the_calendar(tmp_path: Path) -> None:
    """Year 1 or 9999 stamps (a placeholder, a typo) are rejected rows, not a crash."""
    text = seed_text(next(s for s in seeds() if s.name == "statement-2025-05.csv"))
    stamps = ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1899-12-31T23:00:00"]
    lines = text.splitlines(keepends=True)
    for number, stamp in enumerate(stamps):
        cells = lines[4 + number].split(",")
        cells[2] = stamp
        lines[4 + number] = ",".join(cells)
    path = tmp_path / "edges.csv"
    path.write_text("".join(lines))
    outcome, report = import_dry(path)
    assert outcome == "imported"
    assert report.count("'Datetime': the year is out of range") == 3, report


def test_fava_import_page_logs_no_personal_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Fava's import page (``extract``) logs changed rows and rejected rows; a name
    shifted into the status column must not reach Fava's log."""
    source = next(s for s in seeds() if s.name == "activity-en.csv")
    text = seed_text(source)
    first = tmp_path / "first.csv"
    first.write_text(text)
    importer = PayPalImporter(CONF)
    existing = importer.extract(str(first), [])
    later = tmp_path / "later.csv"
    later.write_text(
        text.replace(
            '"Donation Payment","Completed"', '"Donation Payment","Quixtarr Zeb"'
        ).replace(
            '"General Payment","Completed","USD","-200.00"',
            '"General Payment","Completed","USD","x"',
        )
    )
    with caplog.at_level(logging.WARNING, logger="aidbooks.import"):
        importer.extract(str(later), existing)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "changed from" in logged  # the status change was logged ...
    assert not leaks(logged), logged  # ... without the cell


def test_an_ofx_statement_without_a_transaction_list(tmp_path: Path) -> None:
    """Found by atheris: a statement without <BANKTRANLIST> crashed the OFX importer."""
    text = next(s for s in seeds() if s.name == "checking-2025-06.ofx").read_text()
    start, end = text.index("<BANKTRANLIST>"), text.index("</BANKTRANLIST>")
    path = tmp_path / "no-list.ofx"
    path.write_text(text[:start] + text[end + len("</BANKTRANLIST>") :])
    outcome, report = import_dry(path)
    assert outcome == "imported" and "0 rows read" in report, report


def test_an_ofx_file_whose_root_is_not_ofx(tmp_path: Path) -> None:
    """Found by atheris (its input kept as a fixture): a broken <OFX> tag made
    ofxtools convert another element, which has no statements."""
    path = DATA / "bad" / "ofx-root-not-ofx.ofx"
    outcome, line = import_dry(path)
    assert outcome == "refused" and "is not a valid OFX/QFX file" in line, line


def test_a_conversion_whose_legs_do_not_convert_is_rejected() -> None:
    """Found by atheris: two credit legs (a mangled export) made an unbalanced
    conversion entry, which Beancount would reject with the whole books."""
    source = PayPalImporter(CONF).source
    day = dt.date(2025, 5, 8)
    legs = [
        Record(
            3,
            "7GH89012JK3456789",
            day,
            "",
            Kind.CONVERSION,
            Decimal("20.61"),
            "MSD",
            converted=(Decimal("20.61"), "USD"),
        ),
        Record(
            4,
            "7GH89012JK3456780",
            day,
            "",
            Kind.CONVERSION,
            Decimal("-19.07"),
            "EUR",
            converted=(Decimal("-20.61"), "USD"),
        ),
        Record(
            5,
            "7GH89012JK3456781",
            day,
            "",
            Kind.CONVERSION,
            Decimal("-19.07"),
            "USD",
            converted=(Decimal("19.07"), "USD"),
        ),
    ]
    booked = Session(CONF, BookState()).book(Parsed(records=legs), source, "x.csv")
    assert booked.entries == []
    assert [p.lineno for p in booked.problems] == [3, 4, 5]
    assert all(
        "do not convert one currency into another" in p.what for p in booked.problems
    )
