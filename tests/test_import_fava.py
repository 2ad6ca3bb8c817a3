"""Fava's import page runs the books' import_config.py and extracts with our importers."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from beancount.core import data
from click.testing import CliRunner
from fava.application import create_app
from fava.core import FavaLedger

from tests.helpers import invoke
from tests.importing import DATA


@pytest.fixture
def books(tmp_path: Path, runner: CliRunner) -> Path:
    folder = tmp_path / "books"
    code, _, err = invoke(
        runner, "init", str(folder), "--key-file", str(tmp_path / "k" / "f.key")
    )
    assert code == 0, err
    main = folder / "main.beancount"
    assert 'custom "fava-option" "import-config" "import_config.py"' in main.read_text()
    assert 'custom "fava-option" "import-dirs" "downloads"' in main.read_text()
    for name in (
        "venmo/statement-2025-05.csv",
        "paypal/activity-en.csv",
        "bank/checking-2025-06.ofx",
    ):
        shutil.copy(DATA / name, folder / "downloads")
    (folder / "downloads" / "notes.txt").write_text("not an export")
    return main


def test_fava_identifies_and_extracts(books: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fava must not need the books folder on sys.path or as the working directory
    monkeypatch.chdir(books.parent.parent)
    ledger = FavaLedger(str(books))
    assert ledger.ingest.errors == ()
    files = {Path(f.name).name: f for f in ledger.ingest.import_data()}
    assert [i.importer_name for i in files["statement-2025-05.csv"].importers] == [
        "aidbooks.venmo"
    ]
    assert [i.importer_name for i in files["activity-en.csv"].importers] == [
        "aidbooks.paypal"
    ]
    assert [i.importer_name for i in files["checking-2025-06.ofx"].importers] == [
        "aidbooks.ofx"
    ]
    assert files["notes.txt"].importers == []
    info = files["statement-2025-05.csv"].importers[0]
    assert info.account == "Assets:Platform:Venmo"

    # Fava types them as its own abstract directives; they are Beancount's tuples
    entries: Sequence[object] = ledger.ingest.extract(
        files["statement-2025-05.csv"].name, "aidbooks.venmo"
    )
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    assert len(txns) == 11
    assert all("venmo-id" in t.meta for t in txns)
    # only what Fava's Import page can show and send back: the save declares the
    # four new codes (the water utility is not allowlisted in these books)
    assert len(txns) == len(entries)


def test_fava_leaves_out_what_the_books_already_hold(
    books: Path, runner: CliRunner
) -> None:
    statement = books.parent / "downloads" / "statement-2025-05.csv"
    code, _, err = invoke(runner, "import", str(statement), "--ledger", str(books))
    assert code == 0, err
    ledger = FavaLedger(str(books))
    assert ledger.ingest.extract(str(statement), "aidbooks.venmo") == []


def test_fava_http_import_api(books: Path) -> None:
    app = create_app([books], load=True)
    client = app.test_client()
    slug = app.config["LEDGERS"].first_slug()
    imports = client.get(f"/{slug}/api/imports")
    assert imports.status_code == 200
    names = {Path(f["name"]).name for f in imports.get_json()["data"]}
    assert "activity-en.csv" in names
    target = str(books.parent / "downloads" / "activity-en.csv")
    extracted = client.get(
        f"/{slug}/api/extract",
        query_string={"filename": target, "importer": "aidbooks.paypal"},
    )
    assert extracted.status_code == 200
    found = extracted.get_json()["data"]
    ids = {e["meta"].get("paypal-id") for e in found if e.get("t") == "Transaction"}
    assert "1AB23456CD7890123" in ids
    assert "Donor A" not in extracted.get_data(as_text=True)
    assert "donor.a@example.org" not in extracted.get_data(as_text=True)


def test_fava_lists_files_over_8_mib(books: Path) -> None:
    big = books.parent / "downloads" / "big-statement.csv"
    head = (
        (DATA / "venmo" / "statement-2025-05.csv").read_text().splitlines(keepends=True)[:3]
    )
    row = ',4100000000000000099,2025-05-03T12:00:00,Payment,Complete,"{}",Donor Z,Fund Account,+ $1.00,,0,,0,,,Venmo balance,,,,Venmo,,\n'
    big.write_text("".join(head) + row.format("x" * (9 * 1024 * 1024)))
    ledger = FavaLedger(str(books))
    files = {Path(f.name).name: f for f in ledger.ingest.import_data()}
    assert [i.importer_name for i in files["big-statement.csv"].importers] == [
        "aidbooks.venmo"
    ]
