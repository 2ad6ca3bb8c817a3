"""Property tests: generated exports conserve money and re-importing adds nothing.

For random Venmo statements, PayPal activity downloads, Cash App histories and
Stripe balance histories (random types, statuses, amounts in every written form,
notes with commas, quotes, newlines and emoji, zones), the imported entries:

* change each platform account, per currency, by exactly the file's net (the sum
  of the final rows that moved the platform balance, computed here independently
  from the generated rows, not by the importer);
* balance, every one of them;
* add nothing when imported again into books that hold them (the index is built
  from the entries, as `aidbooks import` builds it from the books).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core import data
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from aidbooks.importers.base import ExportImporter
from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.cashapp import CashAppImporter
from aidbooks.importers.paypal import PayPalImporter
from aidbooks.importers.stripe import StripeImporter
from aidbooks.importers.venmo import VenmoImporter
from tests.importing import settings

CENT = Decimal("0.01")
Row = tuple[Any, ...]
PROPERTY = hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

names = st.sampled_from(
    ["Donor A", "Donor B", "Recipient C", "Recipient D", "Ana María", ""]
)
notes = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    | st.sampled_from([",", '"', "\n", "🏠", "$"]),
    max_size=30,
)
cents = st.integers(min_value=1, max_value=250_000)
moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31)
)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def book(importer: ExportImporter, path: Path) -> tuple[list[data.Transaction], int]:
    parsed = importer.parse(str(path))
    assert parsed.problems == []
    session = Session(importer.settings, BookState())
    booked = session.book(parsed, importer.source, str(path))
    assert booked.problems == []
    again = Session(importer.settings, BookState.from_entries(booked.entries))
    rebooked = again.book(importer.parse(str(path)), importer.source, str(path))
    assert rebooked.entries == []
    assert rebooked.problems == []
    assert rebooked.duplicates == len(parsed.records) - count_zero(parsed)
    return booked.entries, len(parsed.records)


def count_zero(parsed: object) -> int:
    records = getattr(parsed, "records", [])
    return sum(1 for r in records if not r.net and not r.fee)


def change(entries: list[data.Transaction], account: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        for posting in entry.postings:
            if posting.account == account:
                out[posting.units.currency] += posting.units.number
    return {k: v for k, v in out.items() if v}


def assert_balanced(entries: list[data.Transaction]) -> None:
    for entry in entries:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            sums[posting.units.currency] += posting.units.number
        assert all(v == 0 for v in sums.values()), entry


# -- Venmo --------------------------------------------------------------------------

venmo_rows = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Payment",
                "Charge",
                "Standard Transfer",
                "Instant Transfer",
                "Merchant Transaction",
            ]
        ),
        st.booleans(),  # incoming
        st.sampled_from(
            ["Complete", "Complete", "Complete", "Issued", "Pending", "Failed"]
        ),
        cents,
        st.integers(min_value=0, max_value=900),  # instant transfer fee
        st.booleans(),  # funded from the bank
        names,
        notes,
        moments,
    ),
    max_size=25,
)


@PROPERTY
@given(rows=venmo_rows)
def test_venmo_statement_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    header = [
        "",
        *(
            "ID,Datetime,Type,Status,Note,From,To,Amount (total),Amount (tip),Amount (tax),"
            "Amount (fee),Tax Rate,Tax Exempt,Funding Source,Destination,Beginning Balance,"
            "Ending Balance,Statement Period Venmo Fees,Terminal Location,Year to Date Venmo Fees,"
            "Disclaimer"
        ).split(","),
    ]
    out = io.StringIO()
    out.write(
        "Account Statement - (@fund) " + "," * 21 + "\nAccount Activity" + "," * 21 + "\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow([""] * 16 + ["$0.00"] + [""] * 5)
    expected = Decimal(0)
    for n, (kind, incoming, status, amount, fee, bank, name, note, when) in enumerate(rows):
        value = Decimal(amount) * CENT
        if kind in ("Standard Transfer", "Instant Transfer", "Merchant Transaction"):
            incoming = False
        if kind != "Instant Transfer":
            fee = 0
        sign = "+" if incoming else "-"
        funding = (
            "Bank Checking *0000"
            if bank and not incoming and kind in ("Payment", "Charge")
            else "Venmo balance"
        )
        row = [""] * 22
        row[1] = str(4_100_000_000_000_000_000 + n)
        row[2] = when.strftime("%Y-%m-%dT%H:%M:%S")
        row[3], row[4], row[5] = kind, status, note
        # Payment: From pays To. Charge: From requested, To was charged.
        payer_first = incoming == (kind != "Charge")
        row[6], row[7] = (name, "Fund") if payer_first else ("Fund", name)
        row[8] = f"{sign} ${money(value)}"
        row[11] = f"- ${money(Decimal(fee) * CENT)}" if fee else ""
        row[14] = funding if not incoming else ""
        row[15] = "Venmo balance" if incoming else ""
        writer.writerow(row)
        final = status in ("Complete", "Issued")
        grant_without_name = kind in ("Payment", "Charge") and not incoming and not name
        if final and funding == "Venmo balance" and not grant_without_name:
            expected += value if incoming else -value
    writer.writerow([""] * 17 + ["$0.00", "$0.00", "", "$0.00", "Disclaimer\nline two"])
    path = tmp_path_factory.mktemp("venmo") / "statement.csv"
    path.write_text(out.getvalue())
    importer = VenmoImporter(settings())
    entries, _ = book_allowing_nameless(importer, path)
    assert change(entries, "Assets:Platform:Venmo").get("USD", Decimal(0)) == expected
    assert_balanced(entries)


def book_allowing_nameless(
    importer: ExportImporter, path: Path
) -> tuple[list[data.Transaction], int]:
    """Like :func:`book`, but a payment to nobody is a rejected row (not a failure)."""
    parsed = importer.parse(str(path))
    assert parsed.problems == []
    session = Session(importer.settings, BookState())
    booked = session.book(parsed, importer.source, str(path))
    assert all("who received" in p.what for p in booked.problems)
    again = Session(importer.settings, BookState.from_entries(booked.entries))
    rebooked = again.book(importer.parse(str(path)), importer.source, str(path))
    assert rebooked.entries == []
    return booked.entries, len(parsed.records)


# -- Cash App -----------------------------------------------------------------------


def cash(value: Decimal, style: int) -> str:
    text = f"{abs(value):,.2f}".removesuffix(".00") if style else f"{abs(value):,.2f}"
    if value < 0:
        return f"(${text})" if style == 2 else f"-${text}"
    return f"${text}"


cash_rows = st.lists(
    st.tuples(
        st.sampled_from(
            ["Received P2P", "Sent P2P", "Cash out", "Cash in", "Cash Card Debit"]
        ),
        st.sampled_from(
            ["COMPLETE", "PAYMENT SENT", "PAYMENT DEPOSITED", "FAILED", "PENDING"]
        ),
        cents,
        st.integers(min_value=0, max_value=2000),
        st.integers(min_value=0, max_value=2),
        st.sampled_from(["EDT", "EST", "PDT", "CDT", "UTC"]),
        st.sampled_from(["Donor A", "Recipient C", "Ana María"]),
        notes,
        moments,
    ),
    max_size=25,
)


@PROPERTY
@given(rows=cash_rows)
def test_cashapp_history_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(
        "Transaction ID,Date,Transaction Type,Currency,Amount,Fee,Net Amount,Asset Type,"
        "Asset Price,Asset Amount,Status,Notes,Name of sender/receiver,Account".split(",")
    )
    expected = Decimal(0)
    for n, (kind, status, amount, fee, style, zone, name, note, when) in enumerate(rows):
        value = Decimal(amount) * CENT
        fee_value = -Decimal(fee) * CENT if kind == "Cash out" else Decimal(0)
        if kind in ("Sent P2P", "Cash out", "Cash Card Debit"):
            value = -value
        net = value + fee_value
        writer.writerow(
            [
                f"id{n:05d}",
                when.strftime("%Y-%m-%d %H:%M:%S ") + zone,
                kind,
                "USD",
                cash(value, style),
                cash(fee_value, style) if fee_value else "$0",
                cash(net, style),
                "",
                "",
                "",
                status,
                note,
                name if "P2P" in kind else "",
                "Your Cash",
            ]
        )
        if status in ("COMPLETE", "PAYMENT SENT", "PAYMENT DEPOSITED"):
            expected += net
    path = tmp_path_factory.mktemp("cashapp") / "report.csv"
    path.write_text(out.getvalue())
    entries, _ = book(CashAppImporter(settings()), path)
    assert change(entries, "Assets:Platform:CashApp").get("USD", Decimal(0)) == expected
    assert_balanced(entries)


# -- PayPal -------------------------------------------------------------------------

paypal_rows = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Donation Payment",
                "General Payment",
                "Payment Refund",
                "General Withdrawal - Bank Account",
                "Bank Deposit to PP Account ",
                "Payment Hold",
                "Chargeback Fee",
                "Express Checkout Payment",
            ]
        ),
        st.booleans(),
        st.sampled_from(["Completed", "Completed", "Pending", "Denied", "Refunded"]),
        st.sampled_from(["USD", "USD", "EUR"]),
        cents,
        st.integers(min_value=0, max_value=999),
        st.sampled_from(["Donor A", "Recipient C", "Ana María"]),
        notes,
        moments,
    ),
    max_size=25,
)


@PROPERTY
@given(rows=paypal_rows)
def test_paypal_activity_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(
        "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,"
        "To Email Address,Transaction ID,Balance,Note,Balance Impact".split(",")
    )
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for n, (kind, incoming, status, currency, amount, fee, name, note, when) in enumerate(
        rows
    ):
        gross = Decimal(amount) * CENT
        if kind in ("Donation Payment",):
            incoming = True
        if kind in (
            "General Withdrawal - Bank Account",
            "Chargeback Fee",
            "Payment Refund",
            "Express Checkout Payment",
            "Payment Hold",
        ):
            incoming = False
        if kind == "Bank Deposit to PP Account ":
            incoming = True
        gross = gross if incoming else -gross
        fee_value = Decimal(0)
        if kind == "Donation Payment":
            fee_value = -Decimal(fee) * CENT
        elif kind == "Payment Refund":
            fee_value = Decimal(fee) * CENT
        net = gross + fee_value
        impact = "Memo" if kind == "Payment Hold" else ("Credit" if gross > 0 else "Debit")
        writer.writerow(
            [
                when.strftime("%m/%d/%Y"),
                when.strftime("%H:%M:%S"),
                "PDT",
                name,
                kind,
                status,
                currency,
                f"{gross:,.2f}",
                f"{fee_value:.2f}",
                f"{net:,.2f}",
                "someone@example.org" if incoming else "fund@example.org",
                "fund@example.org" if incoming else "someone@example.org",
                f"{n:017d}",
                "0.00",
                note,
                impact,
            ]
        )
        if status in ("Completed", "Refunded") and impact != "Memo":
            expected[currency] += net
    path = tmp_path_factory.mktemp("paypal") / "download.csv"
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    entries, _ = book(PayPalImporter(settings()), path)
    assert change(entries, "Assets:Platform:PayPal") == {
        k: v for k, v in expected.items() if v
    }
    assert_balanced(entries)


# -- Stripe -------------------------------------------------------------------------

stripe_rows = st.lists(
    st.tuples(
        st.sampled_from(
            ["charge", "refund", "payout", "stripe_fee", "adjustment", "transfer"]
        ),
        cents,
        st.integers(min_value=0, max_value=3000),
        st.sampled_from(["usd", "usd", "eur"]),
        moments,
    ),
    max_size=25,
)


@PROPERTY
@given(rows=stripe_rows)
def test_stripe_balance_history_conserves_money(
    rows: list[tuple], tmp_path_factory
) -> None:  # type: ignore[type-arg,no-untyped-def]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Description".split(",")
    )
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for n, (kind, amount, fee, currency, when) in enumerate(rows):
        gross = Decimal(amount) * CENT
        if kind != "charge":
            gross = -gross
        fee_value = Decimal(fee) * CENT if kind in ("charge", "adjustment") else Decimal(0)
        net = gross - fee_value
        writer.writerow(
            [
                f"txn_{n:024d}",
                kind,
                f"src_{n:024d}",
                f"{gross:,.2f}",
                f"{fee_value:.2f}",
                f"{net:,.2f}",
                currency,
                when.strftime("%Y-%m-%d %H:%M"),
                "Donation from somebody, with a note",
            ]
        )
        expected[currency.upper()] += net
    path = tmp_path_factory.mktemp("stripe") / "balance.csv"
    path.write_text(out.getvalue())
    entries, _ = book(StripeImporter(settings()), path)
    assert change(entries, "Assets:Platform:Stripe") == {
        k: v for k, v in expected.items() if v
    }
    assert_balanced(entries)
