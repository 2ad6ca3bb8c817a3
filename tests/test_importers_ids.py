"""Real ids are kept whatever their letters-and-digits shape; only an id that could
carry personal data or cannot be a stable key is refused.

Real exports hold ids with no digit: Cash App's six-character ids (``tkrhwq``), an
Open Collective ``shortId`` that is all hex letters (``beadfeed``), PayPal
subscription references (``I-`` + 12 characters, ``B-`` + 17). The shared
detectors decide the rest: a name shifted into the id column (``MariaGarcia``,
``maria.garcia``) is refused, and so is a cell with spaces or an ``@``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.booking import Source
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Record
from tests.helpers import invoke
from tests.importing import DATA
from tests.importing import settings

SOURCE = Source("paypal", "PayPal", "Assets:Platform:PayPal", "PayPal", "paypal")


def _book(ident: str, ref: str = "") -> tuple[int, list[str]]:
    record = Record(
        7,
        ident,
        dt.date(2025, 6, 1),
        "",
        Kind.DONATION,
        Decimal("10.00"),
        "USD",
        counterparty="donor-x",
    )
    if ref:
        record.meta["paypal-ref"] = ref
    booked = Session(settings(), BookState()).book(Parsed([record]), SOURCE, "x.csv")
    return len(booked.entries), [p.what for p in booked.problems]


@pytest.mark.parametrize(
    "ident",
    [
        "tkrhwq",  # Cash App, no digit
        "m11cax",  # Cash App
        "beadfeed",  # an Open Collective shortId of hex letters only
        "I-8XKQ0P3L9F2M",  # a PayPal subscription profile
        "B-3JX71022KW5478431",  # a PayPal billing agreement
        "I-ABCDEFGHJKLM",
        "4100000000000000009",  # Venmo: digits, never scanned
        "txn_1NxYzAbCdEfGhIj",  # Stripe
    ],
)
def test_a_real_id_is_kept_whatever_its_shape(ident: str) -> None:
    assert _book(ident) == (1, [])
    assert _book("5TY05013RG002845M", ref=ident) == (1, [])


@pytest.mark.parametrize(
    ("ident", "what"),
    [
        ("MariaGarcia", "the id column holds a personal name, not a platform id"),
        ("maria.garcia", "the id column holds a personal name, not a platform id"),
        ("Quixtarr", "the id column holds a capitalised word"),  # no list knows it
        ("ZebulonQuixtarr", "the id column holds a capitalised word"),
        ("Maria Garcia", "the id column holds no platform id"),
        ("donor@example.org", "the id column holds no platform id"),
        ("", "the id column holds no platform id"),
        ("x" * 129, "the id column holds no platform id"),
    ],
)
def test_an_id_that_could_carry_personal_data_is_refused(ident: str, what: str) -> None:
    written, problems = _book(ident)
    assert written == 0
    assert len(problems) == 1 and problems[0].startswith(what), problems
    assert ident not in problems[0] or not ident


def test_a_reference_is_judged_the_same_way() -> None:
    written, problems = _book("5TY05013RG002845M", ref="JoseLopez1985")
    assert written == 0
    assert problems == ["the 'paypal-ref' column holds a personal name, not a platform id"]


def test_cash_app_ids_without_a_digit_import_and_reimport_as_no_op(
    tmp_path: Path, runner: CliRunner
) -> None:
    folder = tmp_path / "books"
    code, _out, err = invoke(
        runner, "init", str(folder), "--key-file", str(tmp_path / "secret" / "fund.key")
    )
    assert code == 0, err
    ledger = folder / "main.beancount"
    path = DATA / "cashapp" / "history-letter-ids.csv"
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(ledger))
    assert code == 0, out + err
    assert "3 rows read, 3 imported" in out
    text = (folder / "imports" / "cashapp.beancount").read_text(encoding="utf-8")
    assert 'cashapp-id: "tkrhwq"' in text and 'cashapp-id: "zbqpvd"' in text
    code, out, err = invoke(runner, "import", str(path), "--ledger", str(ledger))
    assert code == 0, out + err
    assert "0 imported, 3 duplicates" in out


def test_an_open_collective_id_without_a_digit_is_imported(tmp_path: Path) -> None:
    from tests.importing import importer_for  # noqa: PLC0415

    source = DATA / "opencollective" / "fees-on-row.csv"
    text = source.read_text(encoding="utf-8").replace('"be4dfeed"', '"beadfeed"')
    path = tmp_path / "transactions.csv"
    path.write_text(text, encoding="utf-8")
    conf = settings()
    importer = importer_for(path, conf)
    parsed = importer.parse(str(path))
    booked = Session(conf, BookState()).book(parsed, importer.source, str(path))
    assert booked.problems == []
    assert "beadfeed" in {e.meta["opencollective-id"] for e in booked.entries}
