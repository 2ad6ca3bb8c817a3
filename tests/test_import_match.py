"""A row the treasurer already wrote by hand is matched, not imported twice.

Real books from ``aidbooks init``, a grant written by hand in
``books/grants.beancount`` (no platform id, the bank leg left for Beancount to
fill in, as the README writes grants), and a bank export in the Chase CSV layout
(``importers/bank.py``: ``Details,Posting Date,Description,Amount,Type,Balance,
Check or Slip #`` and one empty field more per row), written here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from click.testing import CliRunner

from aidbooks.books import load_books
from aidbooks.cmd_import import import_files
from aidbooks.importers.matching import AttachError
from aidbooks.importers.matching import Candidate
from aidbooks.importers.matching import attach_lines
from aidbooks.importers.run import ImportRun
from aidbooks.importers.settings import Settings
from aidbooks.plugins import codes
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.writer import JOURNAL_NAME
from tests.helpers import BIN
from tests.helpers import invoke
from tests.hostile import tree_digest
from tests.importing import DATA
from tests.importing import importer_for

CHECKING = "Assets:Bank:Checking"
HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
#: The bank's names for the people: they only ever become codes, never text.
PEOPLE = ("RECIPIENT QUILLON", "DONOR PELLAMY", "RECIPIENT ORSOLYA")
OPENING = """
2025-01-01 * "Opening balances"
  Assets:Bank:Checking      20000.00 USD
  Equity:Opening-Balances
"""


def grant(day: str, code: str, amount: str = "250.00", account: str = CHECKING) -> str:
    """A grant as the treasurer writes it (the money leg without an amount)."""
    return (
        f'\n{day} * "Rent assistance"\n'
        f"  Expenses:Aid:Rent          {amount} USD\n"
        f'    recipient: "{code}"\n'
        f"  {account}\n"
    )


def chase(path: Path, *rows: tuple[str, str, str, str]) -> Path:
    """A Chase-layout CSV, newest row first as Chase writes it: (MM/DD/YYYY,
    description, amount, type) per row; row n is on line n + 1."""
    lines = [HEADER]
    for day, description, amount, kind in rows:
        side = "DEBIT" if amount.startswith("-") else "CREDIT"
        lines.append(f'{side},{day},"{description}",{amount},{kind}, ,,\n')
    path.write_text("".join(lines))
    return path


def zelle_out(day: str, amount: str = "-250.00", who: int = 0) -> tuple[str, str, str, str]:
    name = PEOPLE[2] if who else PEOPLE[0]
    return (day, f"Zelle payment to {name} JPM99A1B2C3{who}", amount, "QUICKPAY_DEBIT")


DONATION = (
    "05/03/2025",
    f"Zelle payment from {PEOPLE[1]} WFCT0ZZZ9999",
    "75.00",
    "QUICKPAY_CREDIT",
)


@pytest.fixture
def main(tmp_path: Path, runner: CliRunner) -> Path:
    """New books that begin on 2025-01-01, with money in the bank."""
    folder = tmp_path / "books"
    code, _out, err = invoke(
        runner,
        "init",
        str(folder),
        "--start",
        "2025-01-01",
        "--key-file",
        str(tmp_path / "secret" / "fund.key"),
    )
    assert code == 0, err
    (folder / "books" / "opening.beancount").write_text(OPENING)
    return folder / "main.beancount"


def declare(main: Path) -> str:
    """A fresh recipient code, declared in the books' codes file."""
    code = codes.new_code("recipient")
    with (main.parent / "codes.beancount").open("a") as handle:
        handle.write(f'\n2025-01-01 custom "aid-recipient" "{code}"\n')
    return code


def hand(main: Path, *entries: str) -> list[int]:
    """Append entries to books/grants.beancount; the line numbers of their headers."""
    path = main.parent / "books" / "grants.beancount"
    before = path.read_text().count("\n")
    with path.open("a") as handle:
        handle.write("".join(entries))
    lines = path.read_text().split("\n")
    return [
        n for n in range(before + 1, len(lines) + 1) if re.match(r"\d{4}-", lines[n - 1])
    ]


def row_ids(main: Path, export: Path) -> dict[int, str]:
    """line -> the id the bank importer gives the row, under these books' key."""
    conf = Settings.for_folder(main.parent)
    parsed = importer_for(export, conf).parse(str(export))
    return {record.lineno: record.id for record in parsed.records}


def on_checking(main: Path, number: str) -> list[data.Transaction]:
    """The books' transactions moving ``number`` USD on the checking account."""
    entries, errors, _ = load_books(main, checks=False)
    assert not errors, errors
    return [
        entry
        for entry in entries
        if isinstance(entry, data.Transaction)
        and any(
            p.account == CHECKING
            and p.units is not None
            and p.units.number == Decimal(number)
            for p in entry.postings
        )
    ]


def import_(runner: CliRunner, main: Path, export: Path, *extra: str) -> tuple[int, str]:
    code, out, err = invoke(runner, "import", str(export), "--ledger", str(main), *extra)
    assert "Traceback" not in out + err
    return code, out + err


def test_a_hand_written_zelle_grant_and_the_bank_export_make_one_entry(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    [line] = hand(main, grant("2025-05-05", declare(main)))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"), DONATION)
    grants = main.parent / "books" / "grants.beancount"
    written = grants.read_bytes()

    code, out = import_(runner, main, export)
    assert code == 0, out
    assert f"  line 2: matches books/grants.beancount:{line}" in out
    assert "2 rows read, 1 imported, 0 duplicates, 1 matched, 0 skipped" in out
    assert "import with --attach" in out
    assert "wrote 1 entries to imports/bank.beancount" in out
    assert len(on_checking(main, "-250.00")) == 1  # not two: the grant is counted once
    assert len(on_checking(main, "75.00")) == 1  # the other row is imported
    assert grants.read_bytes() == written  # without --attach the hand file is left alone
    assert "-250.00" not in (main.parent / "imports" / "bank.beancount").read_text()
    code, out, err = invoke(runner, "check", str(main))
    assert code == 0, out + err
    for person in PEOPLE:
        assert person.casefold() not in (out + err).casefold()

    before = tree_digest(main.parent)
    code, out = import_(runner, main, export)  # again: the same, nothing written
    assert code == 0, out
    assert "0 imported, 1 duplicates, 1 matched" in out
    assert tree_digest(main.parent) == before


def test_attach_writes_the_id_onto_the_hand_entry_and_the_next_import_is_a_no_op(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    [line] = hand(main, grant("2025-05-05", declare(main)))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"), DONATION)
    ident = row_ids(main, export)[2]

    code, out = import_(runner, main, export, "--attach")
    assert code == 0, out
    assert f"  line 2: attached bank-id to books/grants.beancount:{line}" in out
    assert "import with --attach" not in out
    lines = (main.parent / "books" / "grants.beancount").read_text().split("\n")
    assert lines[line - 1] == '2025-05-05 * "Rent assistance"'
    assert lines[line] == f'  bank-id: "{ident}"'  # right after the header, indented
    assert lines[line + 1] == "  Expenses:Aid:Rent          250.00 USD"
    [entry] = on_checking(main, "-250.00")
    assert entry.meta["bank-id"] == ident
    assert entry.meta["filename"].endswith("grants.beancount")
    code, out, err = invoke(runner, "check", str(main))
    assert code == 0, out + err

    before = tree_digest(main.parent)
    code, out = import_(runner, main, export, "--attach")
    assert code == 0, out
    assert "2 rows read, 0 imported, 2 duplicates, 0 skipped" in out
    assert "matches" not in out and "attached" not in out and "wrote" not in out
    assert tree_digest(main.parent) == before  # byte for byte


def test_two_candidates_nothing_is_added_and_both_are_listed(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    code_a, code_b = declare(main), declare(main)
    first, second = hand(main, grant("2025-05-05", code_a), grant("2025-05-07", code_b))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"), DONATION)
    ident = row_ids(main, export)[2]
    before = (main.parent / "books" / "grants.beancount").read_bytes()

    code, out = import_(runner, main, export, "--attach")
    assert code == 1, out  # a row that needs the treasurer
    assert (
        f"  line 2: not imported: 2 entries written by hand match it "
        f"(books/grants.beancount:{first}, books/grants.beancount:{second}), and "
        f'nothing is guessed. Add bank-id: "{ident}" to the one that records this row'
    ) in out
    assert "1 imported, 0 duplicates, 0 skipped" in out
    assert "total: 2 rows read, 1 imported, 0 duplicates, 0 skipped, 1 rejected" in out
    assert len(on_checking(main, "-250.00")) == 2  # the two hand entries, nothing more
    assert (main.parent / "books" / "grants.beancount").read_bytes() == before


def test_one_hand_entry_two_rows_neither_is_guessed(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """A candidate matched by one row cannot match another row of the same import:
    with two rows for it, nothing is guessed either."""
    [line] = hand(main, grant("2025-05-05", declare(main)))
    export = chase(
        tmp_path / "activity.csv", zelle_out("05/07/2025", who=1), zelle_out("05/04/2025")
    )
    before = (main.parent / "books" / "grants.beancount").read_bytes()
    code, out = import_(runner, main, export, "--attach")
    assert code == 1, out
    for row in (2, 3):
        assert (
            f"  line {row}: not imported: the entry written by hand at "
            f"books/grants.beancount:{line} matches another row of this import too"
        ) in out
    assert "0 imported" in out and "attached" not in out
    assert len(on_checking(main, "-250.00")) == 1
    assert (main.parent / "books" / "grants.beancount").read_bytes() == before

    # the treasurer writes the right row's id on the hand entry: the other row is new
    ident = row_ids(main, export)[3]
    grants = main.parent / "books" / "grants.beancount"
    lines = grants.read_text().split("\n")
    lines.insert(line, f'  bank-id: "{ident}"')
    grants.write_text("\n".join(lines))
    code, out = import_(runner, main, export)
    assert code == 0, out
    assert "2 rows read, 1 imported, 1 duplicates, 0 skipped" in out
    assert len(on_checking(main, "-250.00")) == 2


@pytest.mark.parametrize(("days", "matched"), [(3, False), (5, True)])
def test_a_date_outside_match_days_is_imported_as_a_new_entry(
    main: Path, runner: CliRunner, tmp_path: Path, days: int, matched: bool
) -> None:
    policy = main.parent / "aidbooks.toml"
    text = policy.read_text()
    assert "match_days = 3" in text  # the template documents the key
    policy.write_text(text.replace("match_days = 3", f"match_days = {days}"))
    [line] = hand(main, grant("2025-05-01", declare(main)))  # five days before the row
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"))
    code, out = import_(runner, main, export)
    assert code == 0, out
    assert (f"line 2: matches books/grants.beancount:{line}" in out) is matched
    assert ("1 imported" in out) is not matched
    assert len(on_checking(main, "-250.00")) == (1 if matched else 2)


@pytest.mark.parametrize(
    "other",
    [
        ("250.00", "Assets:Cash:Box"),  # the same amount, paid from another account
        ("249.99", CHECKING),  # the same account, another amount
    ],
)
def test_another_account_or_amount_does_not_match(
    main: Path, runner: CliRunner, tmp_path: Path, other: tuple[str, str]
) -> None:
    amount, account = other
    hand(main, grant("2025-05-06", declare(main), amount, account))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"))
    code, out = import_(runner, main, export, "--attach")
    assert code == 0, out
    assert "1 imported" in out and "matched" not in out and "attached" not in out
    assert len(on_checking(main, "-250.00")) == 1  # the imported row


def test_an_entry_with_a_platform_id_is_never_a_candidate(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    entry = grant("2025-05-06", declare(main)).replace(
        '"Rent assistance"\n', '"Rent assistance"\n  venmo-id: "4100000000000000999"\n'
    )
    hand(main, entry)
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"))
    code, out = import_(runner, main, export)
    assert code == 0, out
    assert "1 imported" in out and "matched" not in out


def test_a_hand_entry_outside_the_books_folder_is_listed_not_written(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.beancount"
    elsewhere.write_text(grant("2025-05-05", declare(main)))
    with main.open("a") as handle:
        handle.write(f'include "{elsewhere}"\n')
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"))
    ident = row_ids(main, export)[2]
    before = elsewhere.read_bytes()
    code, out = import_(runner, main, export, "--attach")
    assert code == 0, out
    assert (
        f"  line 2: matches {elsewhere}:2 (a file outside the books' folder: add "
        f'bank-id: "{ident}" to that entry by hand)'
    ) in out
    assert elsewhere.read_bytes() == before
    assert len(on_checking(main, "-250.00")) == 1


def test_a_dry_run_with_attach_writes_nothing(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    [line] = hand(main, grant("2025-05-05", declare(main)))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"), DONATION)
    before = tree_digest(main.parent)
    code, out = import_(runner, main, export, "--attach", "--dry-run")
    assert code == 0, out
    assert f"  line 2: would attach bank-id to books/grants.beancount:{line}" in out
    assert "dry run: nothing was written" in out
    assert tree_digest(main.parent) == before


def test_attach_writes_the_status_the_importer_writes(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """PayPal rows carry ``paypal-status``: it is attached with the id, so a later
    change of the row's status is noticed on the hand entry too."""
    [line] = hand(
        main, grant("2025-05-05", declare(main), "200.00", "Assets:Platform:PayPal")
    )
    export = DATA / "paypal" / "activity-en.csv"
    _code, out = import_(runner, main, export, "--attach")
    assert f"attached paypal-id to books/grants.beancount:{line}" in out, out
    lines = (main.parent / "books" / "grants.beancount").read_text().split("\n")
    assert lines[line : line + 2] == [
        '  paypal-id: "2BC34567DE8901234"',
        '  paypal-status: "Completed"',
    ]
    text = (main.parent / "imports" / "paypal.beancount").read_text()
    assert "2BC34567DE8901234" not in text  # not imported a second time
    _code, out = import_(runner, main, export, "--attach")
    assert "matches" not in out and "attached" not in out


def test_attach_refuses_a_hand_file_changed_since_the_books_were_loaded(
    main: Path, tmp_path: Path
) -> None:
    hand(main, grant("2025-05-05", declare(main)))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"), DONATION)
    grants = main.parent / "books" / "grants.beancount"

    def edit(run: ImportRun) -> None:  # the treasurer saves the file meanwhile
        with grants.open("a") as handle:
            handle.write("\n; checked the May grants\n")

    before = tree_digest(main.parent)
    with pytest.raises(AidbooksError) as refused:
        import_files(main, [export], attach=True, before_write=edit)
    assert refused.value.line() == (
        f"{grants}: changed since the books were loaded, so no id was attached to "
        "it. Import again; nothing was written."
    )
    after = tree_digest(main.parent)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"books/grants.beancount"}  # the edit only: nothing imported
    assert "bank-id" not in grants.read_text()


def test_attach_refuses_when_the_entry_is_no_longer_at_its_line(
    main: Path, tmp_path: Path
) -> None:
    """Even when the file's size and time could not tell (a run given no snapshot
    before the load), the header at the matched line is checked."""
    hand(main, grant("2025-05-05", declare(main)))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"))
    grants = main.parent / "books" / "grants.beancount"

    def shift(run: ImportRun) -> None:
        grants.write_text("; a new first line\n" + grants.read_text())
        run.note_books()  # as if noted after the change: only the line check is left

    with pytest.raises(AidbooksError, match="changed since the books were loaded"):
        import_files(main, [export], attach=True, before_write=shift)
    assert "bank-id" not in grants.read_text()


def _pause_and_kill(args: list[str], step: str) -> None:
    """Run ``args`` until it announces ``step`` on stderr, then SIGKILL it."""
    with subprocess.Popen(
        args,
        env={**os.environ, "AIDBOOKS_PAUSE_AT": step},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stderr is not None
        seen = b""
        deadline = time.monotonic() + 120
        try:
            while f"paused at {step}".encode() not in seen:
                assert time.monotonic() < deadline, seen
                chunk = os.read(process.stderr.fileno(), 4096)
                assert chunk, f"ended before {step}: {seen!r}"
                seen += chunk
        finally:
            process.send_signal(signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("step", "outcome"), [("commit:staged", "before"), ("commit:journal", "after")]
)
def test_the_attach_is_in_the_import_s_one_commit(
    main: Path, runner: CliRunner, tmp_path: Path, step: str, outcome: str
) -> None:
    """Killed in the middle of the write, the hand file and the imported entries
    are both old or both new once aidbooks opens the books again."""
    hand(main, grant("2025-05-05", declare(main)))
    export = chase(tmp_path / "activity.csv", zelle_out("05/06/2025"), DONATION)
    before = tree_digest(main.parent)
    args = [str(BIN / "aidbooks"), "import", str(export), "--ledger", str(main), "--attach"]
    _pause_and_kill(args, step)
    code, out, err = invoke(runner, "check", str(main))  # finishes a started commit
    assert code == 0, out + err
    assert not (main.parent / JOURNAL_NAME).exists()
    staged = [p.name for p in main.parent.rglob("*.tmp")]
    assert staged == []  # nothing staged is left behind, in books/ either
    state = tree_digest(main.parent)
    grants = (main.parent / "books" / "grants.beancount").read_text()
    imported = main.parent / "imports" / "bank.beancount"
    if outcome == "before":
        assert state == before
    else:
        assert "bank-id" in grants and "75.00" in imported.read_text()
        assert len(on_checking(main, "-250.00")) == 1
    code, out = import_(runner, main, export, "--attach")  # and then the import again
    assert code == 0, out
    assert (main.parent / "books" / "grants.beancount").read_text().count("bank-id") == 1
    assert len(on_checking(main, "-250.00")) == 1


def test_nothing_personal_is_printed_or_written(
    main: Path, runner: CliRunner, tmp_path: Path
) -> None:
    hand(main, grant("2025-05-05", declare(main)), grant("2025-05-20", declare(main)))
    export = chase(
        tmp_path / "activity.csv",
        zelle_out("05/21/2025", who=1),
        zelle_out("05/19/2025"),
        zelle_out("05/06/2025"),
        DONATION,
    )
    _code, out = import_(runner, main, export, "--attach")
    assert "not imported" in out and "attached" in out
    books = b"".join(p.read_bytes() for p in main.parent.rglob("*.beancount"))
    for person in PEOPLE:
        for word in person.split():
            if word not in ("RECIPIENT", "DONOR"):
                assert word.casefold() not in out.casefold()
                assert word.encode() not in books


def test_attach_lines_keeps_the_file_s_indentation_and_line_ends() -> None:
    text = (
        '2025-05-05 * "Rent"\r\n'
        "\tExpenses:Aid:Rent  10.00 USD\r\n"
        "\tAssets:Bank:Checking\r\n"
        "\r\n"
        '2025-05-09 ! "Food"\r\n'
        '    approved-by: "V-0N2CE-7RPW1"\r\n'
        "    Expenses:Aid:Groceries  20.00 USD\r\n"
        "    Assets:Bank:Checking\r\n"
    )
    day = Candidate(dt.date(2025, 5, 5), "f", 1)
    later = Candidate(dt.date(2025, 5, 9), "f", 5)
    new, moved = attach_lines(
        text,
        [
            (later, [("bank-id", "chase-2"), ("bank-status", "posted")]),
            (day, [("bank-id", "chase-1")]),
        ],
    )
    assert new.split("\n")[:3] == [
        '2025-05-05 * "Rent"\r',
        '\tbank-id: "chase-1"\r',
        "\tExpenses:Aid:Rent  10.00 USD\r",
    ]
    assert new.split("\n")[5:8] == [
        '2025-05-09 ! "Food"\r',
        '    bank-id: "chase-2"\r',
        '    bank-status: "posted"\r',
    ]
    assert moved == {("f", 1): 1, ("f", 5): 6}
    with pytest.raises(AttachError):
        attach_lines(text, [(Candidate(day.date, "f", 2), [("bank-id", "x")])])
    with pytest.raises(AttachError):  # the header is there, but of another day
        attach_lines(text, [(Candidate(later.date, "f", 1), [("bank-id", "x")])])
