"""OFX/QFX as real banks write them: every layout is read, nothing crashes.

The fixtures are invented files in the layouts of real downloads (public importer
test suites hold such files; their shapes, not their rows, are what these copy):
a QFX without any header, SGML with unclosed data elements, an empty ``<MEMO>``, a
10-digit ``BANKID``, a credit-card statement beside the bank one
(``credit-union-headerless.qfx``); an ``<?OFX OFXHEADER="200"?>`` line without
``<?xml``, two ``BANKTRANLIST``s in one statement, an empty ``FITID``, a second
account and an investment statement (``savings-and-checking-v2.ofx``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.importers import ofx
from aidbooks.importers.bank import OfxImporter
from aidbooks.importers.records import ImportFileError
from tests.helpers import invoke
from tests.importing import DATA
from tests.importing import importer_for
from tests.importing import settings

BANK = DATA / "bank"


@pytest.mark.parametrize(
    "name",
    [
        "credit-union-headerless.qfx",
        "savings-and-checking-v2.ofx",
        "checking-2025-06.ofx",
        "checking-2025-07.qfx",
    ],
)
def test_every_layout_is_recognised_as_ofx(name: str) -> None:
    assert importer_for(BANK / name).name == "aidbooks.ofx"


def test_a_headerless_sgml_qfx_with_a_card_statement() -> None:
    path = BANK / "credit-union-headerless.qfx"
    parsed = OfxImporter(settings()).parse(str(path))
    assert parsed.rows == 7
    assert [r.id for r in parsed.records] == [
        f"20250{n}"
        for n in (
            "8040000001",
            "8110000002",
            "8150000003",
            "8290000004",
            "8300000005",
        )
    ]
    assert [str(r.net) for r in parsed.records] == [
        "75.00",
        "-150.00",
        "212.40",
        "-4.00",
        "-60.00",
    ]
    assert [s.lineno for s in parsed.skipped] == [100, 107]
    assert all("a credit-card statement" in s.reason for s in parsed.skipped)
    assert parsed.problems == []
    assert {k: str(v) for k, v in parsed.statement_balance.items()} == {"USD": "1258.82"}


def test_two_transaction_lists_another_account_and_an_investment_statement() -> None:
    path = BANK / "savings-and-checking-v2.ofx"
    parsed = OfxImporter(settings()).parse(str(path))
    assert parsed.rows == 5
    assert [str(r.net) for r in parsed.records] == ["40.00", "-25.00", "300.00"]
    reasons = [s.reason for s in parsed.skipped]
    assert reasons[0].startswith("another account (savings, statement 2 of the file)")
    assert reasons[1].startswith("an investment statement (statement 3 of the file)")
    assert {k: str(v) for k, v in parsed.statement_balance.items()} == {"USD": "2315.00"}


def test_a_row_without_a_fitid_gets_a_keyed_id_that_is_stable() -> None:
    path = BANK / "savings-and-checking-v2.ofx"
    first = OfxImporter(settings()).parse(str(path)).records[1].id
    again = OfxImporter(settings()).parse(str(path)).records[1].id
    assert first == again and first.startswith("ofxrow-")
    other = OfxImporter(settings()).parse(str(BANK / "credit-union-headerless.qfx"))
    assert first not in {r.id for r in other.records}


def test_the_tree_forgives_what_banks_get_wrong() -> None:
    text = (
        "OFXHEADER:100\nDATA:OFXSGML\n\n<ofx><BANKMSGSRSV1><STMTTRNRS><STMTRS>"
        "<BANKACCTFROM><BANKID>0000000001<ACCTID>1</BANKACCTFROM>\n"
        "<BANKTRANLIST>\n"
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20250101<TRNAMT>-1,50<FITID>A1<MEMO>\n"
        "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20250102<TRNAMT>2.00<FITID>A2<NAME>X &amp; Y"
        "</STMTTRN>\n</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    root = ofx.parse(text)
    statement = ofx.statements(root)[0]
    rows = ofx.transactions(statement)
    assert [r.value("FITID") for r in rows] == ["A1", "A2"]  # an unclosed STMTTRN
    assert rows[0].value("MEMO") == ""  # an empty <MEMO> swallows nothing
    assert rows[0].value("TRNAMT") == "-1,50"
    assert rows[1].value("NAME") == "X & Y"
    assert [r.line for r in rows] == [6, 7]


def test_a_bad_amount_or_date_is_a_problem_of_its_row_only(tmp_path: Path) -> None:
    text = (BANK / "credit-union-headerless.qfx").read_text(encoding="utf-8")
    text = text.replace("<TRNAMT>-150.00", "<TRNAMT>x150", 1)
    text = text.replace("<DTPOSTED>20250815120000.000[-5:CDT]", "<DTPOSTED>", 1)
    path = tmp_path / "odd.qfx"
    path.write_text(text, encoding="utf-8")
    parsed = OfxImporter(settings()).parse(str(path))
    assert [(p.lineno, p.what.split(" (")[0]) for p in parsed.problems] == [
        (43, "'TRNAMT' is not a number"),
        (51, "the transaction has no posting date"),
    ]
    assert len(parsed.records) == 3


def test_a_cut_download_is_refused_and_says_so(tmp_path: Path) -> None:
    text = (BANK / "credit-union-headerless.qfx").read_text(encoding="utf-8")
    path = tmp_path / "cut.qfx"
    path.write_text(text[: text.index("</BANKTRANLIST>")], encoding="utf-8")
    with pytest.raises(ImportFileError) as info:
        OfxImporter(settings()).parse(str(path))
    assert "ends before </OFX>" in str(info.value)


def test_a_file_without_a_body_is_refused_without_download_it_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "page.ofx"
    path.write_text("OFXHEADER:100\nDATA:OFXSGML\n\n<html>sign in</html>\n")
    with pytest.raises(ImportFileError) as info:
        OfxImporter(settings()).parse(str(path))
    message = str(info.value)
    assert "holds no <OFX> element" in message
    assert "download it again" not in message.casefold()


def test_a_file_of_no_statement_is_read_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "signon.ofx"
    path.write_text(
        "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0"
        "<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1></OFX>\n"
    )
    parsed = OfxImporter(settings()).parse(str(path))
    assert parsed.records == []
    assert [s.reason for s in parsed.skipped] == [
        "the file holds no statement (a sign-on or profile reply)"
    ]


def test_a_card_statement_imports_the_bank_part_with_exit_0(
    tmp_path: Path, runner: CliRunner
) -> None:
    folder = tmp_path / "books"
    code, _out, err = invoke(
        runner, "init", str(folder), "--key-file", str(tmp_path / "secret" / "fund.key")
    )
    assert code == 0, err
    ledger = folder / "main.beancount"
    path = BANK / "credit-union-headerless.qfx"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(ledger))
    assert code == 0, out + err
    assert "7 rows read, 5 imported, 0 duplicates, 2 skipped" in out
    assert "skipped (2): a credit-card statement (statement 2 of the file)" in out
    assert "line 100, 107" in out
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(ledger))
    assert code == 0 and "0 imported, 5 duplicates" in out, out + err
