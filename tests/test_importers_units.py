"""Pieces of the importers: money, time, headers, codes, donors policy, de-duplication."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from click.testing import CliRunner

from aidbooks.importers import build
from aidbooks.importers import identify
from aidbooks.importers.bank import ChaseImporter
from aidbooks.importers.bank import zelle_party
from aidbooks.importers.base import ExportImporter
from aidbooks.importers.booking import Booked
from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.csvread import Header
from aidbooks.importers.csvread import find_header
from aidbooks.importers.csvread import rows
from aidbooks.importers.mapped import ACTBLUE_HEADER
from aidbooks.importers.money import MoneyError
from aidbooks.importers.money import guess_decimal
from aidbooks.importers.money import parse_amount
from aidbooks.importers.paypal import PayPalImporter
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.stripe import StripeImporter
from aidbooks.importers.timeparse import TimeError
from aidbooks.importers.timeparse import date_order
from aidbooks.importers.timeparse import local_date
from aidbooks.importers.timeparse import parse_iso
from aidbooks.importers.timeparse import zone
from aidbooks.importers.venmo import VenmoImporter
from aidbooks.plugins import codes
from aidbooks.plugins import keys
from tests.helpers import invoke
from tests.importing import DATA
from tests.importing import KEY
from tests.importing import POLICY_TEXT
from tests.importing import settings


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("- $50.00", "-50.00"),
        ("+ $1,150.00", "1150.00"),
        ("$42.50", "42.50"),
        ("-$2.90", "-2.90"),
        ("$1", "1"),
        ("$0", "0"),
        ("($370)", "-370"),
        ("($6.71)", "-6.71"),
        ("$30,248.51", "30248.51"),
        ("$1,234.56 USD", "1234.56"),
        ("-$1.75 USD", "-1.75"),
        ("1061.86", "1061.86"),
        ("1,000.00", "1000.00"),
        ("9999999999999.99999999", "9999999999999.99999999"),  # 21 digits: no float
    ],
)
def test_amounts_parse_exactly(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)
    assert str(parse_amount(text)) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("99999999999999", "too large"),  # 14 digits: sums would be rounded
        ("1" * 40, "too large"),
        ("0.10000000000000000001", "more than 8 decimal places"),
        ("1e309", "not a number"),
        ("NaN", "not a number"),
        ("4111 1111 1111 1", "misplaced separators"),  # a card's digits, not 4111111111111
        ("12 34", "misplaced separators"),
    ],
)
def test_amounts_beyond_exact_arithmetic_are_refused(text: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        parse_amount(text)


@pytest.mark.parametrize(("text", "value"), [("1.234,56", "1234.56"), ("-5,99", "-5.99")])
def test_decimal_commas(text: str, value: str) -> None:
    assert parse_amount(text, decimal=",") == Decimal(value)


@pytest.mark.parametrize(
    "text", ["abc", "1,2,3", "$", "1.2.3", "5O.00", "1e5", "NaN", "--5"]
)
def test_bad_amounts_are_errors_that_do_not_quote_the_cell(text: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_amount(text)
    assert text not in str(info.value)


def test_blank_amounts_only_where_allowed() -> None:
    assert parse_amount("(None)", blank=True) is None
    with pytest.raises(MoneyError):
        parse_amount("")


def test_guess_decimal() -> None:
    assert guess_decimal(["-5,99"]) == ","
    assert guess_decimal(["1.336,92"]) == ","
    assert guess_decimal(["1,234", "12.50"]) == "."
    assert guess_decimal(["1,234"], default=",") == ","


def test_zones_and_local_dates() -> None:
    chicago = zone("America/Chicago")
    late = parse_iso("2025-05-04T03:05:44", zone("UTC"))
    assert local_date(late, chicago) == dt.date(2025, 5, 3)
    assert local_date(parse_iso("2025-05-04 22:30:00", zone("PDT")), chicago) == dt.date(
        2025, 5, 5
    )
    assert zone("+05:30").utcoffset(None) == dt.timedelta(hours=5, minutes=30)
    with pytest.raises(TimeError):
        zone("XYZT")


def test_date_order_is_decided_by_the_file() -> None:
    assert date_order(["05/03/2025", "05/13/2025"], "DMY") == "MDY"
    assert date_order(["05/03/2025", "15/05/2025"], "MDY") == "DMY"
    assert date_order(["05/03/2025"], "DMY") == "DMY"


def test_rows_know_their_starting_line() -> None:
    text = 'a,b\n1,"two\nlines"\n3,4\n'
    assert [(r.lineno, r.cells) for r in rows(text)] == [
        (1, ["a", "b"]),
        (2, ["1", "two\nlines"]),
        (4, ["3", "4"]),
    ]


def test_duplicate_column_names_map_to_the_first() -> None:
    header = Header(1, ACTBLUE_HEADER)
    assert ACTBLUE_HEADER.count("Reserved") == 7
    assert header.find("Reserved") == ACTBLUE_HEADER.index("Reserved")
    assert header.find("lineitem id") == ACTBLUE_HEADER.index("Lineitem ID")


def test_header_after_a_preamble_is_found() -> None:
    text = (DATA / "venmo" / "statement-2025-05.csv").read_text()
    found = find_header(text, [("ID", "Datetime", "Amount (total)")])
    assert found is not None and found[0].lineno == 3


def test_zelle_names_are_cut_from_bank_descriptions() -> None:
    assert zelle_party("Zelle payment from DONOR H BACx0x0x0x0x") == ("from", "DONOR H")
    assert zelle_party("Zelle Payment To Recipient I JPM99ABC12DE") == ("to", "Recipient I")
    assert zelle_party('Zelle payment from NAME X for "rent"; Conf# abc123') == (
        "from",
        "NAME X",
    )
    assert zelle_party("STRIPE TRANSFER") is None


def test_identical_bank_rows_get_distinct_stable_ids() -> None:
    importer = ChaseImporter(settings())
    first = importer.parse(str(DATA / "bank" / "chase-activity.csv"))
    second = importer.parse(str(DATA / "bank" / "chase-activity.csv"))
    ids = [r.id for r in first.records]
    assert len(ids) == len(set(ids)) == 10
    assert ids == [r.id for r in second.records]
    other_key = ChaseImporter(type(settings())(**{**settings().__dict__, "key": bytes(32)}))
    assert (
        ids[0] != other_key.parse(str(DATA / "bank" / "chase-activity.csv")).records[0].id
    )


def book(
    importer: ExportImporter,
    path: Path,
    state: BookState | None = None,
    policy: str = POLICY_TEXT,
) -> tuple[Session, Booked]:
    conf = settings(policy)
    imp = type(importer)(conf)
    parsed = imp.parse(str(path))
    session = Session(conf, state or BookState())
    return session, session.book(parsed, imp.source, str(path))


def donors(entries: list[data.Transaction]) -> list[str]:
    return [e.meta["donor"] for e in entries if "donor" in e.meta]


def test_donor_codes_are_keyed_and_stable() -> None:
    _, booked = book(VenmoImporter(), DATA / "venmo" / "statement-2025-05.csv")
    found = donors(booked.entries)
    assert found and all(codes.is_valid(c, "donor") for c in found)
    assert found[0] == keys.derive_code(KEY, "donor", "Donor A")
    assert found[0] == found[-1]  # Donor A gave twice: one code
    assert found[0] != keys.derive_code(bytes(32), "donor", "Donor A")


def test_privacy_donors_drop_writes_nothing_about_donors() -> None:
    policy = POLICY_TEXT.replace("[privacy]\n", '[privacy]\ndonors = "drop"\n')
    _, booked = book(
        VenmoImporter(), DATA / "venmo" / "statement-2025-05.csv", policy=policy
    )
    assert booked.entries and donors(booked.entries) == []


def test_privacy_donors_keep_names_only_allowlisted_organisations(tmp_path: Path) -> None:
    policy = POLICY_TEXT.replace("[privacy]\n", '[privacy]\ndonors = "keep"\n').replace(
        '["Riverside Water Utility"]', '["Riverside Water Utility", "Community Foundation"]'
    )
    source = (DATA / "venmo" / "statement-2025-05.csv").read_text()
    path = tmp_path / "statement.csv"
    path.write_text(source.replace("Donor G", "Community Foundation"))
    _, booked = book(VenmoImporter(), path, policy=policy)
    payees = {e.payee for e in booked.entries if e.narration == "Donation"}
    assert payees == {None, "Community Foundation"}
    assert all(codes.is_valid(c, "donor") for c in donors(booked.entries))


def test_new_recipient_codes_are_declared_once_at_first_use() -> None:
    session, booked = book(VenmoImporter(), DATA / "venmo" / "statement-2025-05.csv")
    grants = [e for e in booked.entries if e.flag == "!"]
    used = {p.meta["recipient"] for e in grants for p in e.postings if p.meta}
    assert set(session.new_codes) == used
    first: dict[str, dt.date] = {}
    for entry in grants:
        for p in entry.postings:
            if p.meta:
                first.setdefault(p.meta["recipient"], entry.date)
    assert session.new_codes == first
    declared = BookState(declared={c: (d, "x") for c, d in first.items()})
    again, _ = book(VenmoImporter(), DATA / "venmo" / "statement-2025-05.csv", declared)
    assert again.new_codes == {}


def test_stripe_exports_of_the_same_money_are_recognised(tmp_path: Path) -> None:
    """A payout already imported from the balance history is a duplicate in the
    payouts export (and the other way round)."""
    _, balance = book(StripeImporter(), DATA / "stripe" / "balance-history.csv")
    payouts = (DATA / "stripe" / "payouts.csv").read_text()
    overlap = tmp_path / "payouts.csv"
    overlap.write_text(
        payouts.replace("po_000000000000000000000021", "po_000000000000000000000001")
    )
    _, booked = book(StripeImporter(), overlap, BookState.from_entries(balance.entries))
    assert booked.entries == [] and booked.duplicates == 1
    _, payout_first = book(StripeImporter(), overlap)
    _, later = book(
        StripeImporter(),
        DATA / "stripe" / "balance-history.csv",
        BookState.from_entries(payout_first.entries),
    )
    assert later.duplicates == 1 and len(later.entries) == 6


def test_a_loose_mapping_never_steals_a_builtin_export() -> None:
    policy = POLICY_TEXT + (
        '\n[imports.mapped.loose]\nchannel = "Loose"\nid = "Transaction ID"\n'
        'date = "Date"\namount = "Amount"\n'
    )
    found = identify(str(DATA / "cashapp" / "history-v1.csv"), build(settings(policy)))
    assert found is not None and found.name == "aidbooks.cashapp"


def test_paypal_policy_decides_undecidable_dates(tmp_path: Path) -> None:
    text = (
        '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",'
        '"Transaction ID"\n'
        '"05/03/2025","12:00:00","CDT","Donor A","Donation Payment","Completed","USD",'
        '"10.00","0.00","10.00","1AB00000000000001"\n'
    )
    path = tmp_path / "download.csv"
    path.write_text(text)
    us = PayPalImporter(settings()).parse(str(path)).records[0]
    assert us.date == dt.date(2025, 5, 3)
    policy = POLICY_TEXT + '\n[imports]\npaypal_date_order = "DMY"\n'
    uk = PayPalImporter(settings(policy)).parse(str(path))
    assert uk.records[0].date == dt.date(2025, 3, 5)


def test_a_broken_ofx_file_is_unusable_input(tmp_path: Path) -> None:
    from aidbooks.importers.bank import OfxImporter  # noqa: PLC0415

    path = tmp_path / "broken.ofx"
    path.write_text("OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRN>")
    importer = OfxImporter(settings())
    assert importer.identify(str(path))
    with pytest.raises(ImportFileError) as info:
        importer.parse(str(path))
    assert "is not a valid OFX/QFX file" in str(info.value)


def test_an_older_statement_moves_the_declaration_earlier(
    tmp_path: Path, runner: CliRunner
) -> None:
    books = tmp_path / "books"
    assert invoke(runner, "init", str(books), "--key-file", str(tmp_path / "k"))[0] == 0
    main = books / "main.beancount"
    start = next(
        p for p in books.joinpath("accounts.beancount").read_text().split() if p[:2] == "20"
    )
    (books / "books" / "opening.beancount").write_text(
        f'{start} * "Opening balances"\n  Assets:Bank:Checking  5000.00 USD\n'
        "  Equity:Opening-Balances\n"
    )
    may = DATA / "venmo" / "statement-2025-05.csv"
    assert invoke(runner, "import", str(may), "--ledger", str(main))[0] == 0
    april = tmp_path / "april.csv"
    april.write_text(
        may.read_text()
        .replace("4100000000000000012,2025-05-04", "4100000000000000112,2025-04-20")
        .replace("4100000000000000011,", "4100000000000000111,")
    )
    code, out, err = invoke(runner, "import", str(april), "--ledger", str(main))
    assert code == 0, out + err
    declared = (books / "imports" / "codes.beancount").read_text()
    code_for_b = keys.derive_code(
        keys.read_key_file(tmp_path / "k"), "recipient", "Recipient B"
    )
    # 03:05 UTC on April 20 is the evening of April 19 in Chicago
    assert f'2025-04-19 custom "aid-recipient" "{code_for_b}"' in declared
    assert declared.count(code_for_b) == 1
    code, out, err = invoke(runner, "check", str(main))
    assert code == 0, out + err


def test_the_stripe_balance_change_from_activity_report_is_read_as_the_balance_history() -> (
    None
):
    """Reports > Balance > "Balance change from activity" (itemized): the same
    balance transactions (``balance_transaction_id`` is the ``txn_``), with
    ``reporting_category`` for the type, ``gross``/``fee``/``net`` and
    ``created_utc``; the customer's e-mail only ever becomes a donor code."""
    from aidbooks.importers.records import Kind  # noqa: PLC0415
    from tests.importing import importer_for  # noqa: PLC0415

    path = DATA / "stripe" / "balance-change-activity.csv"
    importer = importer_for(path)
    assert importer.name == "aidbooks.stripe"
    parsed = importer.parse(str(path))
    assert parsed.problems == [] and parsed.skipped == []
    assert [r.kind for r in parsed.records] == [
        Kind.DONATION,
        Kind.DONATION,
        Kind.DONATION_REVERSAL,
        Kind.FEE,
        Kind.TRANSFER,
        Kind.DONATION_REVERSAL,
    ]
    assert sum(r.net for r in parsed.records) == Decimal("-65.00")
    assert parsed.records[0].counterparty == "donor.ah@example.org"


def test_the_stripe_activity_report_needs_its_utc_time(tmp_path: Path) -> None:
    text = (DATA / "stripe" / "balance-change-activity.csv").read_text(encoding="utf-8")
    path = tmp_path / "activity.csv"
    path.write_text(text.replace("created_utc,", "created_at,", 1), encoding="utf-8")
    from aidbooks.importers.stripe import StripeImporter  # noqa: PLC0415

    with pytest.raises(ImportFileError) as info:
        StripeImporter(settings()).parse(str(path))
    assert "has no column for created" in str(info.value)


def _accounted(path: Path, state: object = None) -> tuple[int, int, int]:
    """(rows read, rows the booking accounts for, folded rows rejected) of a fixture."""
    from aidbooks.importers.booking import BookState  # noqa: PLC0415
    from aidbooks.importers.booking import Session  # noqa: PLC0415
    from tests.importing import importer_for  # noqa: PLC0415

    conf = settings()
    importer = importer_for(path, conf)
    parsed = importer.parse(str(path))
    books = state if isinstance(state, BookState) else BookState()
    booked = Session(conf, books).book(parsed, importer.source, str(path))
    rejected = len(booked.problems) + booked.legs_rejected
    accounted = (
        len(booked.entries)
        + booked.legs_imported
        + booked.duplicates
        + len(booked.skipped)
        + booked.legs_skipped
        + rejected
        + len(booked.changed)
    )
    return parsed.rows, accounted, booked.legs_rejected


def test_every_row_read_is_accounted_for_conversion_legs_included() -> None:
    """A PayPal payment in euros and its two conversion rows are one entry: the
    summary counts three rows imported, so its counts add up to the rows read."""
    for name in ("paypal/activity-en.csv", "venmo/statement-2025-05.csv"):
        rows, accounted, _ = _accounted(DATA / name)
        assert rows == accounted, name


def test_conversion_rows_of_a_rejected_payment_are_counted_as_rejected() -> None:
    from aidbooks.importers.booking import BookState  # noqa: PLC0415

    state = BookState()
    state.currencies["Income:Donations:PayPal"] = frozenset({"EUR"})  # refuses USD
    rows, accounted, legs = _accounted(DATA / "paypal" / "activity-en.csv", state)
    assert rows == accounted
    assert legs == 2  # the euro payment's two conversion rows, rejected with it


def test_the_spanish_paypal_statement_is_recognised() -> None:
    """The statement CSV in Spanish (the layout of a public importer's fixture):
    ``Descripción`` for the type, day-first dates, decimal commas, ``Saldo``."""
    from tests.importing import importer_for  # noqa: PLC0415

    path = DATA / "paypal" / "statement-es.csv"
    importer = importer_for(path)
    assert importer.name == "aidbooks.paypal"
    parsed = importer.parse(str(path))
    assert parsed.problems == [] and parsed.skipped == []
    assert [str(r.net) for r in parsed.records] == ["38.54", "-120.00", "-300.00", "970.70"]
    assert parsed.records[0].date.isoformat() == "2025-06-03"  # 3/6: day first
    assert parsed.statement_balance == {"USD": Decimal("1089.24")}
