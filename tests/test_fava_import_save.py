"""Saving on Fava's Import page goes through ``aidbooks import``'s pipeline.

Fava's own JSON API in-process (Flask's test client): the entries the Import page
extracts are sent back as its *Save* button sends them (``PUT /api/add_entries``).
The browser test of the same is ``tests/test_fava_import_browser.py``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fava.application import create_app
from flask.testing import FlaskClient

from aidbooks.cmd_import import import_files
from aidbooks.cmd_import import summary
from aidbooks.fava_import import notification
from aidbooks.plugins import codes
from tests.helpers import invoke
from tests.importing import DATA
from tests.importing import personal_strings

STATEMENT = "venmo/statement-2025-05.csv"
#: What the fund holds when the books begin (no grant overspends it).
OPENING = """
{start} * "Opening balances"
  Assets:Bank:Checking      20000.00 USD
  Equity:Opening-Balances
"""


def make_books(folder: Path, key: Path, runner: CliRunner, *exports: str) -> Path:
    """New books in ``folder`` with ``exports`` (paths under the importer data) in
    ``downloads/``; returns the main file."""
    code, _, err = invoke(runner, "init", str(folder), "--key-file", str(key))
    assert code == 0, err
    start = re.search(
        r"^\d{4}-\d{2}-\d{2}", (folder / "accounts.beancount").read_text(), re.M
    )
    assert start is not None
    (folder / "books" / "opening.beancount").write_text(OPENING.format(start=start[0]))
    for name in exports:
        shutil.copy(DATA / name, folder / "downloads")
    return folder / "main.beancount"


class Fava:
    """Fava's app on some books, and the two calls its Import page makes."""

    def __init__(self, main: Path, *, read_only: bool = False) -> None:
        app = create_app([main], load=True, read_only=read_only)
        self.client: FlaskClient = app.test_client()
        self.slug = app.config["LEDGERS"].first_slug()
        self.main = main

    def extract(self, export: str, importer: str) -> list[dict[str, Any]]:
        path = self.main.parent / "downloads" / Path(export).name
        answer = self.client.get(
            f"/{self.slug}/api/extract",
            query_string={"filename": str(path), "importer": importer},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        found: list[dict[str, Any]] = answer.get_json()["data"]
        return found

    def save(self, entries: list[dict[str, Any]]) -> tuple[int, str]:
        """(status, the notification's text) of the Save button."""
        answer = self.client.put(f"/{self.slug}/api/add_entries", json={"entries": entries})
        body = answer.get_json()
        assert isinstance(body, dict), answer.get_data(as_text=True)
        return answer.status_code, str(body.get("data", body.get("error")))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the books but the downloads (journal and lock excluded)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and "downloads" not in p.relative_to(folder).parts
        and not p.name.startswith(".")
    }


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return tmp_path / "key" / "fund.key"


def test_save_writes_what_aidbooks_import_writes(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    fava_books = make_books(tmp_path / "fava", key, runner, STATEMENT)
    cli_books = make_books(tmp_path / "cli", key, runner, STATEMENT)
    before = snapshot(fava_books.parent)

    fava = Fava(fava_books)
    entries = fava.extract(STATEMENT, "aidbooks.venmo")
    assert {e["t"] for e in entries} == {"Transaction"}  # nothing Fava cannot save
    status, message = fava.save(entries)
    assert status == 200, message
    assert "11 imported" in message
    assert "new recipient codes (4), declared in imports/codes.beancount" in message

    code, out, err = invoke(
        runner,
        "import",
        str(cli_books.parent / "downloads" / "statement-2025-05.csv"),
        "--ledger",
        str(cli_books),
    )
    assert code == 0, err
    assert "11 imported" in out
    after = snapshot(fava_books.parent)
    assert after == snapshot(cli_books.parent)  # byte for byte what the CLI writes
    assert after["main.beancount"] == before["main.beancount"]
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"imports/codes.beancount", "imports/venmo.beancount"}
    assert after["imports/codes.beancount"].count(b'custom "aid-recipient"') == 4

    code, out, err = invoke(runner, "check", str(fava_books))
    assert code == 0, out + err
    personal = personal_strings()
    assert "Donor A" in personal
    assert "groceries for Maria's family" in personal
    for name, text in after.items():
        for value in personal:
            assert value.encode() not in text, name
    assert not {value for value in personal if value in message}


def test_saving_again_adds_nothing(tmp_path: Path, key: Path, runner: CliRunner) -> None:
    main = make_books(tmp_path / "books", key, runner, STATEMENT)
    fava = Fava(main)
    entries = fava.extract(STATEMENT, "aidbooks.venmo")
    assert fava.save(entries)[0] == 200
    saved = snapshot(main.parent)
    status, message = fava.save(entries)  # the same dialog sent twice
    assert status == 200, message
    assert "0 imported, 11 duplicates" in message
    assert snapshot(main.parent) == saved
    assert fava.extract(STATEMENT, "aidbooks.venmo") == []


def test_entries_left_out_in_the_dialog_are_not_imported(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    main = make_books(tmp_path / "books", key, runner, STATEMENT)
    fava = Fava(main)
    entries = fava.extract(STATEMENT, "aidbooks.venmo")
    left_out = entries.pop(0)
    status, message = fava.save(entries)
    assert status == 200, message
    assert "10 imported, 0 duplicates, 5 skipped" in message
    books = (main.parent / "imports" / "venmo.beancount").read_text()
    assert left_out["meta"]["venmo-id"] not in books
    assert [e["meta"]["venmo-id"] for e in fava.extract(STATEMENT, "aidbooks.venmo")] == [
        left_out["meta"]["venmo-id"]
    ]


@pytest.mark.parametrize(
    "change",
    [
        ("account", "Expenses:Aid:Rent"),
        ("flag", "*"),
        ("narration", "rent for Maria"),
        ("amount", "81.00 USD"),
        ("meta", "approved-by"),
    ],
)
def test_an_entry_changed_in_the_dialog_is_refused(
    tmp_path: Path, key: Path, runner: CliRunner, change: tuple[str, str]
) -> None:
    main = make_books(tmp_path / "books", key, runner, STATEMENT)
    before = snapshot(main.parent)
    fava = Fava(main)
    entries = fava.extract(STATEMENT, "aidbooks.venmo")
    grant = next(
        e
        for e in entries
        if any(p["account"] == "Expenses:Aid:Uncategorized" for p in e["postings"])
    )
    field, value = change
    aid = next(p for p in grant["postings"] if p["account"] == "Expenses:Aid:Uncategorized")
    if field in ("account", "amount"):
        aid[field] = value
    elif field == "meta":
        grant["meta"][value] = "V-ABCDE-FGHJK"
    else:
        grant[field] = value
    status, message = fava.save(entries)
    assert status == 400
    assert message == (
        f"{main.parent / 'downloads' / 'statement-2025-05.csv'}:{grant['meta']['lineno']}: "
        "this entry was changed on the Import page, and the books keep what the "
        "export says. Save it as extracted (extract the file again), then change it "
        "in the books, in Fava's editor; nothing was written."
    )
    assert snapshot(main.parent) == before
    assert "Maria" not in message


def test_read_only_fava_saves_nothing(tmp_path: Path, key: Path, runner: CliRunner) -> None:
    main = make_books(tmp_path / "books", key, runner, STATEMENT)
    before = snapshot(main.parent)
    fava = Fava(main, read_only=True)
    entries = fava.extract(STATEMENT, "aidbooks.venmo")
    answer = fava.client.put(f"/{fava.slug}/api/add_entries", json={"entries": entries})
    assert answer.status_code == 401
    assert snapshot(main.parent) == before


def test_other_entries_still_go_to_fava(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    main = make_books(tmp_path / "books", key, runner)
    fava = Fava(main)
    note = {
        "t": "Note",
        "meta": {},
        "date": "2025-02-01",
        "account": "Assets:Platform:Venmo",
        "comment": "statement checked",
    }
    status, message = fava.save([note])
    assert (status, message) == (200, "Stored 1 entries.")
    assert "statement checked" in main.read_text()


def test_an_export_outside_the_import_folder_goes_to_fava(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    """Only files in Fava's import folders are imported by a save: a sent filename
    elsewhere is no export of these books (Fava inserts it as any other entry)."""
    main = make_books(tmp_path / "books", key, runner, STATEMENT)
    fava = Fava(main)
    entries = fava.extract(STATEMENT, "aidbooks.venmo")[:1]
    elsewhere = tmp_path / "statement-2025-05.csv"
    shutil.copy(DATA / STATEMENT, elsewhere)
    entries[0]["meta"]["filename"] = str(elsewhere)
    status, message = fava.save(entries)
    assert (status, message) == (200, "Stored 1 entries.")
    assert not (main.parent / "imports" / "venmo.beancount").exists()


@pytest.mark.parametrize(
    ("export", "importer"),
    [
        ("paypal/activity-en.csv", "aidbooks.paypal"),
        ("bank/checking-2025-06.ofx", "aidbooks.ofx"),
        ("cashapp/history-v2.csv", "aidbooks.cashapp"),
        ("stripe/balance-history.csv", "aidbooks.stripe"),
        ("opencollective/transactions.csv", "aidbooks.opencollective"),
    ],
)
def test_every_platform_saves_as_extracted(
    tmp_path: Path, key: Path, runner: CliRunner, export: str, importer: str
) -> None:
    """What Fava sends back unchanged is never taken for a change (amounts,
    prices, metadata survive its JSON)."""
    main = make_books(tmp_path / "books", key, runner, export)
    twin = make_books(tmp_path / "twin", key, runner, export)
    fava = Fava(main)
    entries = fava.extract(export, importer)
    assert entries
    status, message = fava.save(entries)
    assert status == 200, message
    assert "0 rejected" in message
    assert fava.extract(export, importer) == []
    code, out, err = invoke(
        runner,
        "import",
        str(twin.parent / "downloads" / Path(export).name),
        "--ledger",
        str(twin),
    )
    assert code == 0, err
    assert snapshot(main.parent) == snapshot(twin.parent)
    code, out, err = invoke(runner, "check", str(main))
    assert code == 0, out + err


def test_rows_left_out_are_listed_by_the_pipeline(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    main = make_books(tmp_path / "books", key, runner, STATEMENT)
    export = main.parent / "downloads" / "statement-2025-05.csv"
    only = {export: frozenset({"4100000000000000011"})}
    run = import_files(main, [export], dry_run=True, only=only)
    lines = summary(run, run.settings.scanner)
    assert (
        "  skipped (10): left out on Fava's Import page — line 6, 7, 8, 11, 12, 13, 14, 15, 16, 17"
        in lines
    )
    assert any(line.startswith("total: 15 rows read, 1 imported,") for line in lines)
    assert notification(lines).startswith(
        "total: 15 rows read, 1 imported, 0 duplicates, 14 skipped"
    )


#: A bank export in the Chase CSV layout: a Zelle grant the treasurer also wrote
#: by hand (line 2), and a Zelle donation (line 3).
BANK_CSV = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    'DEBIT,05/06/2025,"Zelle payment to RECIPIENT QUILLON JPM99A1B2C30",-250.00,'
    "QUICKPAY_DEBIT, ,,\n"
    'CREDIT,05/03/2025,"Zelle payment from DONOR PELLAMY WFCT0ZZZ9999",75.00,'
    "QUICKPAY_CREDIT, ,,\n"
)
#: The code on the family's card (declared in the books' codes file).
CARD = codes.code_from_int("recipient", 20250505)
HAND_GRANT = f"""
2025-05-05 * "Rent assistance"
  Expenses:Aid:Rent          250.00 USD
    recipient: "{CARD}"
  Assets:Bank:Checking
"""


def books_with_a_hand_grant(folder: Path, key: Path, runner: CliRunner) -> tuple[Path, int]:
    """Books whose books/grants.beancount holds :data:`HAND_GRANT`, with
    :data:`BANK_CSV` in downloads/; (the main file, the grant's header line)."""
    main = make_books(folder, key, runner)
    with (folder / "codes.beancount").open("a") as handle:
        handle.write(f'\n2025-01-01 custom "aid-recipient" "{CARD}"\n')
    grants = folder / "books" / "grants.beancount"
    line = grants.read_text().count("\n") + 2
    with grants.open("a") as handle:
        handle.write(HAND_GRANT)
    assert grants.read_text().split("\n")[line - 1].startswith("2025-05-05 *")
    (folder / "downloads" / "activity.csv").write_text(BANK_CSV)
    return main, line


def test_a_row_written_by_hand_shows_as_its_duplicate_and_saving_adds_nothing_for_it(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    main, line = books_with_a_hand_grant(tmp_path / "books", key, runner)
    grants = main.parent / "books" / "grants.beancount"
    hand_written = grants.read_bytes()
    fava = Fava(main)
    entries = fava.extract("activity.csv", "aidbooks.bank")
    marked = [e for e in entries if e["meta"].get("__duplicate__")]
    assert [e["meta"]["__duplicate__"] for e in marked] == [
        f"books/grants.beancount:{line}"
    ]
    assert marked[0]["postings"][0]["amount"] == "-250.00 USD"

    # Save as the page does: entries marked as duplicates are not sent
    status, message = fava.save([e for e in entries if not e["meta"].get("__duplicate__")])
    assert status == 200, message
    assert message.startswith(
        "total: 2 rows read, 1 imported, 0 duplicates, 1 matched, 0 skipped, 0 rejected"
    )
    assert f"line 2: matches books/grants.beancount:{line}" in message
    assert 'untick "duplicate" on the entry, then save' in message
    assert "left out" not in message  # the page showed it as in the books already
    assert grants.read_bytes() == hand_written
    imported = (main.parent / "imports" / "bank.beancount").read_text()
    assert "75.00 USD" in imported and "250.00" not in imported
    # the row is still shown as the hand entry's duplicate, nothing else is left
    again = fava.extract("activity.csv", "aidbooks.bank")
    assert [e["meta"].get("__duplicate__") for e in again] == [
        f"books/grants.beancount:{line}"
    ]


def test_saving_a_matched_entry_attaches_its_id_as_the_cli_does(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    main, line = books_with_a_hand_grant(tmp_path / "fava", key, runner)
    twin, _ = books_with_a_hand_grant(tmp_path / "cli", key, runner)
    fava = Fava(main)
    entries = fava.extract("activity.csv", "aidbooks.bank")
    for entry in entries:  # the treasurer unticks "duplicate": the entry is sent
        entry["meta"]["__duplicate__"] = False
    status, message = fava.save(entries)
    assert status == 200, message
    assert f"line 2: attached bank-id to books/grants.beancount:{line}" in message
    assert "1 imported, 0 duplicates, 1 matched" in message
    grants = (main.parent / "books" / "grants.beancount").read_text().split("\n")
    assert grants[line].startswith('  bank-id: "chase-')
    assert fava.extract("activity.csv", "aidbooks.bank") == []  # a duplicate now

    code, out, err = invoke(
        runner,
        "import",
        str(twin.parent / "downloads" / "activity.csv"),
        "--ledger",
        str(twin),
        "--attach",
    )
    assert code == 0, out + err
    assert snapshot(main.parent) == snapshot(twin.parent)  # what --attach writes
    code, out, err = invoke(runner, "check", str(main))
    assert code == 0, out + err
    for name in ("QUILLON", "PELLAMY"):
        assert name not in message
        assert all(name.encode() not in text for text in snapshot(main.parent).values())


def test_a_matched_entry_changed_in_the_dialog_is_refused(
    tmp_path: Path, key: Path, runner: CliRunner
) -> None:
    main, _line = books_with_a_hand_grant(tmp_path / "books", key, runner)
    before = snapshot(main.parent)
    fava = Fava(main)
    entries = fava.extract("activity.csv", "aidbooks.bank")
    matched = next(e for e in entries if e["meta"].get("__duplicate__"))
    matched["meta"]["__duplicate__"] = False
    matched["narration"] = "rent, May"
    status, message = fava.save(entries)
    assert status == 400
    assert "this entry was changed on the Import page" in message
    assert snapshot(main.parent) == before
