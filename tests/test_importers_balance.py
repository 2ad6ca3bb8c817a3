"""An import conserves money against the export's own balance column.

The numbers expected here are read off the fixtures' own columns (``balance``,
``amount``, ``netAmount``, the fee columns), not computed by aidbooks: the books'
change of the platform account must be the statement's ending balance minus its
opening balance, to the cent, and the fees and donations must be the file's.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from click.testing import CliRunner

from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from tests.helpers import invoke
from tests.importing import DATA
from tests.importing import importer_for
from tests.importing import settings

OC = DATA / "opencollective"
PLATFORM = "Assets:Platform:OpenCollective"
FEES = "Expenses:Fees:OpenCollective"
DONATIONS = "Income:Donations:OpenCollective"

#: fixture -> (opening, ending, fees, donations), from the file's own columns:
#: opening = the oldest row's balance - its netAmount; ending = the newest row's
#: balance; fees = processor and host fees (on the rows and as rows of their own,
#: less those given back); donations = the gross of contributions less refunds.
OWN_TOTALS = {
    "fees-on-row.csv": ("1200.00", "1561.38", "18.62", "630.00"),
    "flattened-labels.csv": ("140.00", "93.43", "11.57", "85.00"),
    "transactions.csv": ("1000.00", "743.25", "6.75", "50.00"),
    "labels.csv": ("743.25", "767.22", "1.03", "25.00"),
}


def _sums(path: Path) -> dict[str, Decimal]:
    conf = settings()
    importer = importer_for(path, conf)
    parsed = importer.parse(str(path))
    booked = Session(conf, BookState()).book(parsed, importer.source, str(path))
    assert booked.problems == []
    assert parsed.discrepancies == []
    sums: dict[str, Decimal] = {}
    for entry in booked.entries:
        assert isinstance(entry, data.Transaction)
        for posting in entry.postings:
            assert posting.units is not None and posting.units.number is not None
            sums[posting.account] = sums.get(posting.account, Decimal(0)) + (
                posting.units.number
            )
    return sums


@pytest.mark.parametrize("name", sorted(OWN_TOTALS))
def test_open_collective_books_follow_the_balance_column(name: str) -> None:
    opening, ending, fees, donations = (Decimal(v) for v in OWN_TOTALS[name])
    path = OC / name
    sums = _sums(path)
    assert sums[PLATFORM] == ending - opening
    assert sums[FEES] == fees
    assert -sums[DONATIONS] == donations
    parsed = importer_for(path).parse(str(path))
    assert parsed.opening_balance == {"USD": opening}
    assert parsed.statement_balance == {"USD": ending}


def test_fees_on_the_row_are_booked_apart_from_the_gross() -> None:
    """A contribution of 100 with a 3.20 processor fee on its row: 96.80 reaches
    the platform balance, 3.20 is a fee, 100 is the donation (the importer used to
    book 100 on the platform and no fee)."""
    conf = settings()
    path = OC / "fees-on-row.csv"
    importer = importer_for(path, conf)
    parsed = importer.parse(str(path))
    record = next(r for r in parsed.records if r.id == "3f9a2b61")
    assert (record.net, record.fee, record.counter) == (
        Decimal("96.8"),
        Decimal("3.2"),
        Decimal("-100"),
    )
    payout = next(r for r in parsed.records if r.id == "e2d4c6b8")
    assert (payout.net, payout.fee, payout.counter) == (
        Decimal("-251.25"),
        Decimal("1.25"),
        Decimal("250"),
    )


def _broken(tmp_path: Path) -> Path:
    """fees-on-row.csv with one row's net amount changed (its balance left alone)."""
    lines = (OC / "fees-on-row.csv").read_text(encoding="utf-8").splitlines()
    assert ",100,-3.2,96.8,1286.8," in lines[9]
    lines[9] = lines[9].replace(",100,-3.2,96.8,1286.8,", ",100,-3.2,97.8,1286.8,")
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_row_that_breaks_the_balance_chain_is_reported(tmp_path: Path) -> None:
    path = _broken(tmp_path)
    parsed = importer_for(path).parse(str(path))
    assert [(p.lineno, p.what) for p in parsed.discrepancies] == [
        (
            10,
            "the file's balance column moves by -1.0 USD more than the row's net amount",
        )
    ]


@pytest.fixture
def books(tmp_path: Path, runner: CliRunner) -> Path:
    folder = tmp_path / "books"
    code, _out, err = invoke(
        runner, "init", str(folder), "--key-file", str(tmp_path / "secret" / "fund.key")
    )
    assert code == 0, err
    return folder / "main.beancount"


def test_the_summary_sets_the_books_balance_beside_the_statements(
    books: Path, runner: CliRunner
) -> None:
    path = OC / "fees-on-row.csv"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 0, out + err
    assert (
        "the statement's ending balance: 1561.38 USD on 2025-03-31; the books: "
        "361.38 USD on Assets:Platform:OpenCollective; they differ by -1200.00 USD "
        "(the statement opens at 1200 USD: the books need that opening balance or "
        "the earlier rows)"
    ) in out
    assert "not reconciled: the books hold 335.55 USD on Assets:Platform:Open" in out
    assert (
        " balance "
        not in (books.parent / "imports" / "opencollective.beancount").read_text()
    )
    books.parent.joinpath("books", "opening.beancount").write_text(
        '2025-01-01 * "Opening balance"\n'
        "  Assets:Platform:OpenCollective  1200.00 USD\n"
        "  Equity:Opening-Balances\n",
        encoding="utf-8",
    )
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 0, out + err
    assert "0 imported, 10 duplicates" in out
    assert (
        "the statement's ending balance: 1561.38 USD on 2025-03-31; the books: "
        "1561.38 USD on Assets:Platform:OpenCollective\n"
    ) in out
    # the books now agree: the balance at the start of the newest row's day (a later
    # export may add rows to that day) is asserted, and holds
    assert (
        "reconciled: 2025-03-31 balance Assets:Platform:OpenCollective  1535.55 USD "
        "(written: the books agree with the statement)"
    ) in out
    code, out, err = invoke(runner, "check", str(books), "assertions")
    assert code == 0, out + err
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 0 and "reconciled: the books already assert the USD balance" in out
    assert "wrote" not in out
    text = (books.parent / "imports" / "opencollective.beancount").read_text()
    assert text.count(" balance ") == 1


def test_a_broken_chain_exits_1_and_names_the_line(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    path = _broken(tmp_path)
    code, out, _err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 1
    assert "  balance: " in out and "transactions.csv:10: the file's balance column" in out


def test_an_ofx_ledger_balance_reconciles_the_bank_account(
    books: Path, runner: CliRunner
) -> None:
    """LEDGERBAL as of 2025-08-31 is asserted on 2025-09-01 once the books agree, so
    the strict ``fresh`` check is satisfied by the import alone."""
    books.parent.joinpath("books", "opening.beancount").write_text(
        '2025-07-31 * "Opening balance"\n'
        "  Assets:Bank:Checking  1185.42 USD\n"
        "  Equity:Opening-Balances\n",
        encoding="utf-8",
    )
    path = DATA / "bank" / "credit-union-headerless.qfx"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 0, out + err
    assert (
        "reconciled: 2025-09-01 balance Assets:Bank:Checking  1258.82 USD (written"
    ) in out
    code, out, err = invoke(runner, "check", str(books), "assertions")
    assert code == 0, out + err
    _code, out, err = invoke(runner, "check", str(books), "fresh")
    assert "fresh:" in out + err  # the template's other accounts have none ...
    assert "Assets:Bank:Checking" not in out + err  # ... the bank account has one


def test_a_venmo_footer_reconciles_the_start_of_its_last_day(
    books: Path, runner: CliRunner
) -> None:
    """The May statement opens at 1020.00 and ends at 1288.30; its last row is on
    2025-05-15 (local), so the start of that day is asserted: 1368.30."""
    books.parent.joinpath("books", "opening.beancount").write_text(
        '2025-04-30 * "Opening balance"\n'
        "  Assets:Platform:Venmo  1020.00 USD\n"
        "  Equity:Opening-Balances\n",
        encoding="utf-8",
    )
    path = DATA / "venmo" / "statement-2025-05.csv"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 0, out + err
    assert "reconciled: 2025-05-15 balance Assets:Platform:Venmo  1368.30 USD" in out
    code, out, err = invoke(runner, "check", str(books), "assertions")
    assert code == 0, out + err


def test_a_paypal_balance_column_reconciles_the_start_of_its_last_day(
    books: Path, runner: CliRunner
) -> None:
    """The personal download's last row (1,200.00 received) is on 2025-05-13; the
    Balance column says 0.00 before it, which the books agree with (the pending
    deposit is not booked, and PayPal's balance does not count it either)."""
    path = DATA / "paypal" / "personal.csv"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code == 0, out + err
    assert "the statement's ending balance: 1200.00 USD on 2025-05-13" in out
    assert "reconciled: 2025-05-13 balance Assets:Platform:PayPal  0.00 USD" in out
    code, out, err = invoke(runner, "check", str(books), "assertions")
    assert code == 0, out + err


def test_a_paypal_balance_the_books_disagree_with_is_not_asserted(
    books: Path, runner: CliRunner
) -> None:
    """The business download opens at 1,000.00 (its first row's balance less its
    net): without that opening balance the books disagree, and nothing is asserted."""
    path = DATA / "paypal" / "activity-en.csv"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(books))
    assert code in (0, 1), out + err
    assert "not reconciled: the books hold" in out
    assert " balance " not in (books.parent / "imports" / "paypal.beancount").read_text()


def test_a_venmo_purchase_paid_from_the_bank_never_touches_the_venmo_balance(
    tmp_path: Path,
) -> None:
    """A Merchant Transaction funded by a linked bank account goes through
    Assets:Clearing:Venmo (the bank's statement shows the money leave), so the
    books' Venmo balance follows the statement's (it drifted by the purchase)."""
    lines = (DATA / "venmo" / "statement-2025-05.csv").read_text(encoding="utf-8")
    row = ",Merchant Transaction,Complete,,Fund Account,Corner Grocery,- $64.20,,0,,0,,"
    assert row + "Venmo balance," in lines
    path = tmp_path / "statement.csv"
    path.write_text(
        lines.replace(row + "Venmo balance,", row + "Example Bank *0000,"), encoding="utf-8"
    )
    conf = settings()
    importer = importer_for(path, conf)
    parsed = importer.parse(str(path))
    booked = Session(conf, BookState()).book(parsed, importer.source, str(path))
    purchase = next(
        e for e in booked.entries if e.meta["venmo-id"] == "4100000000000000020"
    )
    assert [p.account for p in purchase.postings] == [
        "Assets:Clearing:Venmo",
        "Expenses:Uncategorized",
    ]
    before = _sums(DATA / "venmo" / "statement-2025-05.csv")["Assets:Platform:Venmo"]
    after = _sums(path)["Assets:Platform:Venmo"]
    assert after - before == Decimal("64.20")
