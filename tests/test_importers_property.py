"""Property tests: generated exports conserve money and re-importing adds nothing.

For random Venmo statements, PayPal activity downloads, Cash App histories,
Stripe balance histories and Open Collective transactions (random types, statuses, amounts in every written form,
notes with commas, quotes, newlines and emoji, zones — the generators live in
:mod:`tests.exports`, shared with the end-to-end conservation test),
the imported entries:

* change each platform account, per currency, by exactly the file's net (the sum
  of the final rows that moved the platform balance, computed here independently
  from the generated rows, not by the importer);
* balance, every one of them;
* add nothing when imported again into books that hold them (the index is built
  from the entries, as `aidbooks import` builds it from the books).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings as hsettings

from aidbooks.importers.base import ExportImporter
from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.cashapp import CashAppImporter
from aidbooks.importers.opencollective import OpenCollectiveImporter
from aidbooks.importers.paypal import PayPalImporter
from aidbooks.importers.stripe import StripeImporter
from aidbooks.importers.venmo import VenmoImporter
from tests.exports import Row
from tests.exports import cashapp_history
from tests.exports import cashapp_rows
from tests.exports import opencollective_rows
from tests.exports import opencollective_transactions
from tests.exports import paypal_activity
from tests.exports import paypal_rows
from tests.exports import stripe_balance
from tests.exports import stripe_rows
from tests.exports import venmo_rows
from tests.exports import venmo_statement
from tests.importing import settings
from tests.postings import posting_units

PROPERTY = hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def book(importer: ExportImporter, path: Path) -> tuple[list[data.Transaction], int]:
    parsed = importer.parse(str(path))
    assert parsed.problems == []
    conf = importer.settings
    assert conf is not None  # the importers here are built with settings
    session = Session(conf, BookState())
    booked = session.book(parsed, importer.source, str(path))
    assert booked.problems == []
    again = Session(conf, BookState.from_entries(booked.entries))
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
                number, currency = posting_units(posting)
                out[currency] += number
    return {k: v for k, v in out.items() if v}


def assert_balanced(entries: list[data.Transaction]) -> None:
    for entry in entries:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            number, currency = posting_units(posting)
            sums[currency] += number
        assert all(v == 0 for v in sums.values()), entry


# -- Venmo --------------------------------------------------------------------------


@PROPERTY
@given(rows=venmo_rows())
def test_venmo_statement_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    export = venmo_statement(rows)
    path = tmp_path_factory.mktemp("venmo") / "statement.csv"
    path.write_bytes(export.payload)
    importer = VenmoImporter(settings())
    entries, _ = book_allowing_nameless(importer, path)
    expected = export.platform_net.get("USD", Decimal(0))
    assert change(entries, "Assets:Platform:Venmo").get("USD", Decimal(0)) == expected
    assert_balanced(entries)


def book_allowing_nameless(
    importer: ExportImporter, path: Path
) -> tuple[list[data.Transaction], int]:
    """Like :func:`book`, but a payment to nobody is a rejected row (not a failure)."""
    parsed = importer.parse(str(path))
    assert parsed.problems == []
    conf = importer.settings
    assert conf is not None  # the importers here are built with settings
    session = Session(conf, BookState())
    booked = session.book(parsed, importer.source, str(path))
    assert all("who received" in p.what for p in booked.problems)
    again = Session(conf, BookState.from_entries(booked.entries))
    rebooked = again.book(importer.parse(str(path)), importer.source, str(path))
    assert rebooked.entries == []
    return booked.entries, len(parsed.records)


# -- Cash App -----------------------------------------------------------------------


@PROPERTY
@given(rows=cashapp_rows())
def test_cashapp_history_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    export = cashapp_history(rows)
    path = tmp_path_factory.mktemp("cashapp") / "report.csv"
    path.write_bytes(export.payload)
    entries, _ = book(CashAppImporter(settings()), path)
    expected = export.platform_net.get("USD", Decimal(0))
    assert change(entries, "Assets:Platform:CashApp").get("USD", Decimal(0)) == expected
    assert_balanced(entries)


# -- PayPal -------------------------------------------------------------------------


@PROPERTY
@given(rows=paypal_rows())
def test_paypal_activity_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    export = paypal_activity(rows)
    path = tmp_path_factory.mktemp("paypal") / "download.csv"
    path.write_bytes(export.payload)
    entries, _ = book(PayPalImporter(settings()), path)
    assert change(entries, "Assets:Platform:PayPal") == export.expected_platform_net()
    assert_balanced(entries)


# -- Stripe -------------------------------------------------------------------------


@PROPERTY
@given(rows=stripe_rows())
def test_stripe_balance_history_conserves_money(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    export = stripe_balance(rows)
    path = tmp_path_factory.mktemp("stripe") / "balance.csv"
    path.write_bytes(export.payload)
    entries, _ = book(StripeImporter(settings()), path)
    assert change(entries, "Assets:Platform:Stripe") == export.expected_platform_net()
    assert_balanced(entries)


# -- Open Collective ----------------------------------------------------------------


@PROPERTY
@given(rows=opencollective_rows())
def test_opencollective_transactions_follow_their_balance_column(
    rows: list[Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Fees on the contribution's row or as rows of their own: the platform account
    moves by the file's net, which is its ending balance less its opening one."""
    export = opencollective_transactions(rows)
    path = tmp_path_factory.mktemp("opencollective") / "transactions.csv"
    path.write_bytes(export.payload)
    importer = OpenCollectiveImporter(settings())
    entries, _ = book(importer, path)
    moved = change(entries, "Assets:Platform:OpenCollective")
    assert moved == export.expected_platform_net()
    parsed = importer.parse(str(path))
    assert parsed.discrepancies == []
    if rows:
        stated = parsed.statement_balance["USD"] - parsed.opening_balance["USD"]
        assert stated == moved.get("USD", Decimal(0))
    assert_balanced(entries)
