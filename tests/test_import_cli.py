"""aidbooks import: summary, re-import, --dry-run, exit codes, lock, big files, changes."""

from __future__ import annotations

import hashlib
import os
import pty
import re
import shutil
import subprocess
from pathlib import Path

import filelock
import pytest
from click.testing import CliRunner

from aidbooks.plugins.writer import LOCK_NAME
from tests.helpers import BIN
from tests.helpers import invoke
from tests.helpers import run
from tests.importing import DATA
from tests.importing import personal_strings


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


@pytest.fixture
def books(tmp_path: Path, runner: CliRunner) -> Path:
    """New books from `aidbooks init`, with the test fund's organisation allowlisted."""
    folder = tmp_path / "books"
    code, _out, err = invoke(
        runner, "init", str(folder), "--key-file", str(tmp_path / "secret" / "fund.key")
    )
    assert code == 0, err
    policy = folder / "aidbooks.toml"
    policy.write_text(
        policy.read_text().replace(
            "organisations = []", 'organisations = ["Riverside Water Utility"]'
        )
    )
    return folder / "main.beancount"


def test_summary_then_reimport_adds_nothing(books: Path, runner: CliRunner) -> None:
    statement = DATA / "venmo" / "statement-2025-05.csv"
    code, out, err = invoke(runner, "import", str(statement), "--ledger", str(books))
    assert code == 0, out + err
    assert "15 rows read, 11 imported, 0 duplicates, 4 skipped" in out
    assert "skipped (1): status 'Pending' is not final — line 9" in out
    assert "skipped (1): statement beginning balance — line 4" in out
    assert "new recipient codes (3), declared in imports/codes.beancount" in out
    # the hint to link a derived code to the family's intake code, with its command
    assert re.search(r"link it with `aidbooks code link R-[0-9A-Z-]{11} --to R-…`", out)
    assert "to categorise: 5 entries flagged !" in out
    # not every ! entry is a grant: the allowlisted utility and the purchase are not
    assert "(3 grants on Expenses:Aid:Uncategorized: set the category" in out
    assert "2 other entries on Expenses:Uncategorized or Income:Uncategorized" in out
    assert "wrote 11 entries to imports/venmo.beancount" in out
    assert "the statement's ending balance: 1288.30 USD" in out
    written = (books.parent / "imports" / "venmo.beancount").read_text()
    assert written.count('venmo-id: "') == 11
    before = tree_digest(books.parent)
    code, out, _ = invoke(runner, "import", str(statement), "--ledger", str(books))
    assert code == 0
    assert "15 rows read, 0 imported, 11 duplicates, 4 skipped" in out
    assert "wrote" not in out
    assert tree_digest(books.parent) == before


def test_overlapping_statements_add_only_the_new_rows(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    full = (DATA / "cashapp" / "history-v1.csv").read_text().splitlines(keepends=True)
    first = tmp_path / "first.csv"
    first.write_text("".join(full[:1] + full[4:]))  # the older rows
    invoke(runner, "import", str(first), "--ledger", str(books))
    code, out, _ = invoke(runner, "import", str(DATA / "cashapp"), "--ledger", str(books))
    assert code == 0
    assert "history-v1.csv (Cash App history): 8 rows read, 3 imported, 3 duplicates" in out
    text = (books.parent / "imports" / "cashapp.beancount").read_text()
    ids = re.findall(r'cashapp-id: "([^"]+)"', text)
    assert len(ids) == len(set(ids))


def test_dry_run_touches_nothing(books: Path, runner: CliRunner) -> None:
    before = tree_digest(books.parent)
    code, out, _ = invoke(
        runner, "import", str(DATA / "paypal"), "--ledger", str(books), "--dry-run"
    )
    assert code == 0
    assert "dry run: nothing was written" in out
    assert "imported" in out and "wrote" not in out
    assert tree_digest(books.parent) == before


def test_rejected_row_exits_1_and_the_rest_is_imported(
    books: Path, runner: CliRunner
) -> None:
    bad = DATA / "bad" / "venmo-bad-amount.csv"
    code, out, _ = invoke(runner, "import", str(bad), "--ledger", str(books))
    assert code == 1
    assert re.search(
        r"rejected: \S*venmo-bad-amount.csv:4: 'Amount \(total\)' is not a number\. "
        r"Check the 'Amount \(total\)' column\.",
        out,
    )
    assert "2 rows read, 1 imported" in out
    assert (
        "4100000000000000092" in (books.parent / "imports" / "venmo.beancount").read_text()
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("unknown-header.csv", "is not an export aidbooks recognises"),
        ("opencollective-truncated.csv", ":4: the export is truncated (1500 transactions"),
    ],
)
def test_unusable_input_exits_2_with_one_line(books: Path, name: str, message: str) -> None:
    before = tree_digest(books.parent)
    good = DATA / "venmo" / "statement-2025-05.csv"
    result = run(
        "aidbooks", "import", str(good), str(DATA / "bad" / name), "--ledger", str(books)
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert tree_digest(books.parent) == before  # the good file was not written either


def test_missing_file_exits_2(books: Path, tmp_path: Path) -> None:
    result = run("aidbooks", "import", str(tmp_path / "nope.csv"), "--ledger", str(books))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr


def test_folder_leaves_unknown_files_alone(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(DATA / "stripe" / "balance-history.csv", folder)
    (folder / "receipt.txt").write_text("a scanned receipt")
    (folder / ".hidden.csv").write_text("x")
    code, out, _ = invoke(runner, "import", str(folder), "--ledger", str(books))
    assert code == 0
    assert "receipt.txt: not recognised, left alone" in out
    assert ".hidden" not in out
    assert "7 rows read, 7 imported" in out


def test_a_folder_imports_what_it_can_and_lists_what_it_refuses(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """One refused file does not block the folder: the Venmo statement beside a
    truncated Open Collective export and an OFX file without a body is imported,
    each refused file is listed with its reason, and the exit code is 1."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(DATA / "venmo" / "statement-2025-05.csv", folder)
    shutil.copy(DATA / "bad" / "opencollective-truncated.csv", folder)
    (folder / "statement.qfx").write_text("OFXHEADER:100\nDATA:OFXSGML\n\n<html></html>\n")
    code, out, err = invoke(runner, "import", str(folder), "--ledger", str(books))
    assert code == 1, out + err
    assert "15 rows read, 11 imported" in out
    refused = [line for line in out.splitlines() if line.startswith("refused")]
    assert len(refused) == 2, out
    assert "opencollective-truncated.csv:4: the export is truncated" in refused[0]
    assert "statement.qfx: is not a valid OFX/QFX file" in refused[1]
    assert "wrote 11 entries to imports/venmo.beancount" in out
    assert (books.parent / "imports" / "venmo.beancount").exists()


def test_a_folder_of_nothing_readable_exits_2_and_writes_nothing(
    books: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(DATA / "bad" / "opencollective-truncated.csv", folder)
    shutil.copy(DATA / "bad" / "ofx-root-not-ofx.ofx", folder)
    before = tree_digest(books.parent)
    result = run("aidbooks", "import", str(folder), "--ledger", str(books))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert all(line.startswith("aidbooks: ") for line in lines)
    assert "Traceback" not in result.stderr
    assert tree_digest(books.parent) == before


def test_a_held_lock_stops_a_second_import(
    books: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIDBOOKS_LOCK_TIMEOUT", "0.2")
    before = tree_digest(books.parent)
    with filelock.FileLock(str(books.parent / LOCK_NAME)):
        result = run("aidbooks", "import", str(DATA / "venmo"), "--ledger", str(books))
    assert result.returncode == 2
    assert "another import is running on these books" in result.stderr
    assert tree_digest(books.parent) == before


def test_a_file_over_8_mib_is_imported(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    head = (
        (DATA / "venmo" / "statement-2025-05.csv").read_text().splitlines(keepends=True)[:3]
    )
    note = "x" * 2000
    rows = [
        f',41000000000{n:08d},2025-05-{1 + n % 28:02d}T12:00:00,Payment,Complete,"{note}",'
        f"Donor {n % 7},Fund Account,+ $1.00,,0,,0,,,Venmo balance,,,,Venmo,,\n"
        for n in range(4300)
    ]
    big = tmp_path / "big.csv"
    big.write_text("".join(head + rows))
    assert big.stat().st_size > 8 * 1024 * 1024
    code, out, err = invoke(runner, "import", str(big), "--ledger", str(books))
    assert code == 0, out + err
    assert "4300 rows read, 4300 imported" in out


def test_status_changes_are_reported(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    source = DATA / "paypal" / "activity-en.csv"
    invoke(runner, "import", str(source), "--ledger", str(books))
    text = source.read_bytes().decode("utf-8-sig")
    changed = tmp_path / "activity-later.csv"
    changed.write_text(
        text.replace(
            '"Donor A","Donation Payment","Completed"',
            '"Donor A","Donation Payment","Refunded"',
        ).replace(
            '"Recipient B","General Payment","Completed"',
            '"Recipient B","General Payment","Canceled"',
        )
    )
    code, out, _ = invoke(runner, "import", str(changed), "--ledger", str(books))
    assert code == 1
    assert (
        "changed since imported: line 2: 1AB23456CD7890123 Completed -> Refunded (noted)"
        in out
    )
    assert (
        "changed since imported: line 4: 2BC34567DE8901234 Completed -> Canceled "
        "(check it and correct the books by hand)" in out
    )
    assert "0 imported" in out


def test_personal_data_in_what_would_be_written_rejects_the_row(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """A malformed download whose reference column holds an e-mail is refused, not written."""
    text = (DATA / "paypal" / "activity-en.csv").read_bytes().decode("utf-8-sig")
    broken = tmp_path / "download.csv"
    broken.write_text(
        text.replace(
            '"9ZY87654XW3210987","1AB23456CD7890123"',
            '"9ZY87654XW3210987","donor.a@example.org"',
        )
    )
    code, out, _ = invoke(runner, "import", str(broken), "--ledger", str(books))
    assert code == 1
    assert "download.csv:3: would write an e-mail address in 'paypal-ref'" in out
    assert "donor.a@example.org" not in out
    written = (books.parent / "imports" / "paypal.beancount").read_text()
    assert "9ZY87654XW3210987" not in written and "donor.a@example.org" not in written
    assert "1AB23456CD7890123" in written  # the other rows were imported


def test_output_never_holds_personal_data(books: Path, runner: CliRunner) -> None:
    folders = [str(p) for p in sorted(DATA.iterdir()) if p.is_dir() and p.name != "bad"]
    bad = str(DATA / "bad" / "venmo-bad-amount.csv")
    code, out, err = invoke(
        runner, "import", *folders, bad, "--ledger", str(books), "--dry-run"
    )
    assert code == 1, out + err
    assert "rejected" in out
    for value in personal_strings():
        assert value not in out + err, value


def test_ledger_without_the_imports_include_is_refused(books: Path) -> None:
    main = books.read_text().replace('include "imports/*.beancount"\n', "")
    books.write_text(main)
    result = run("aidbooks", "import", str(DATA / "venmo"), "--ledger", str(books))
    assert result.returncode == 2
    assert 'does not include "imports/*.beancount"' in result.stderr


def _statement(path: Path, rows: int) -> None:
    head = (
        (DATA / "venmo" / "statement-2025-05.csv").read_text().splitlines(keepends=True)[:3]
    )
    body = [
        f",42000000000{n:08d},2025-05-{1 + n % 28:02d}T12:00:00,Payment,Complete,,"
        f"Donor {n % 9},Fund Account,+ $2.00,,0,,0,,,Venmo balance,,,,Venmo,,\n"
        for n in range(rows)
    ]
    path.write_text("".join(head + body))


@pytest.mark.slow  # a 6000-row dry-run import, twice, for real
def test_progress_shows_on_a_terminal_only(books: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    _statement(big, 6000)
    piped = run("aidbooks", "import", str(big), "--ledger", str(books), "--dry-run")
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    primary, secondary = pty.openpty()
    try:
        with subprocess.Popen(
            [
                str(BIN / "aidbooks"),
                "import",
                str(big),
                "--ledger",
                str(books),
                "--dry-run",
            ],
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
        ) as process:  # leaving the block closes its stdout and waits for it
            os.close(secondary)
            chunks = []
            while True:
                try:
                    chunk = os.read(primary, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(primary)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0
    assert "Loading the books" in terminal
    assert "Booking rows" in terminal
    assert "6000 imported" in stdout


def test_a_missing_key_is_unusable_input(books: Path, tmp_path: Path) -> None:
    result = run(
        "aidbooks",
        "import",
        str(DATA / "venmo"),
        "--ledger",
        str(books),
        env={"AIDBOOKS_KEY_FILE": str(tmp_path / "no.key")},
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr


def test_books_that_begin_later_skip_older_rows_and_say_how_to_begin_earlier(
    tmp_path: Path, runner: CliRunner
) -> None:
    """`init --start` sets the day the books begin; an import of older rows lists
    them as skipped and says how to begin earlier."""
    folder = tmp_path / "books"
    key = str(tmp_path / "secret" / "fund.key")
    code, out, err = invoke(
        runner, "init", str(folder), "--key-file", key, "--start", "2025-05-10"
    )
    assert code == 0, err
    assert "books begin: 2025-05-10" in out
    assert (
        "2025-05-10 open Assets:Platform:Venmo"
        in (folder / "accounts.beancount").read_text()
    )
    statement = DATA / "venmo" / "statement-2025-05.csv"
    code, out, err = invoke(
        runner, "import", str(statement), "--ledger", str(folder / "main.beancount")
    )
    assert code == 0, out + err
    assert "dated before the books begin (2025-05-10)" in out
    assert "aidbooks init DIR --start DATE" in out
    early = tmp_path / "early"
    code, out, err = invoke(
        runner, "init", str(early), "--key-file", key, "--start", "2021-01-01"
    )
    assert code == 0, err
    code, out, err = invoke(
        runner, "import", str(statement), "--ledger", str(early / "main.beancount")
    )
    assert code == 0 and "dated before the books begin" not in out, out + err


def test_init_refuses_a_start_that_is_not_a_date(tmp_path: Path, runner: CliRunner) -> None:
    code, _out, err = invoke(runner, "init", str(tmp_path / "b"), "--start", "last year")
    assert code == 2
    assert "--start is not a date" in err
    assert not (tmp_path / "b").exists()


def test_since_leaves_earlier_rows_out(books: Path, runner: CliRunner) -> None:
    statement = DATA / "venmo" / "statement-2025-05.csv"
    code, out, err = invoke(
        runner, "import", str(statement), "--ledger", str(books), "--since", "2025-05-10"
    )
    assert code == 0, out + err
    match = re.search(
        r"skipped \((\d+)\): dated before --since 2025-05-10 — line ([\d, ]+)", out
    )
    assert match, out
    imported = (books.parent / "imports" / "venmo.beancount").read_text()
    assert "2025-05-0" not in imported.replace("2025-05-10", "")
    code, out, err = invoke(runner, "import", str(statement), "--ledger", str(books))
    assert code == 0, out + err
    assert f"{match.group(1)} imported" in out  # the rest comes in without --since


def test_since_must_be_a_date(books: Path, runner: CliRunner) -> None:
    code, _out, err = invoke(
        runner, "import", "x.csv", "--ledger", str(books), "--since", "May"
    )
    assert code == 2 and "--since is not a date" in err
