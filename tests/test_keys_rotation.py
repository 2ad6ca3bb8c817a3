"""The fund's key in the books: recorded by init and import, a wrong key refused before
anything is written, rotation that keeps every code, a retired key named, a lost key.

Real books from ``aidbooks init`` on disk, the real command line (Click's runner),
the test exports of ``tests/importer_data``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner

from aidbooks.cli import cli
from aidbooks.plugins import keys
from aidbooks.plugins.recipients import RecipientError
from aidbooks.plugins.writer import LOCK_NAME
from tests.importing import DATA

STATEMENT = DATA / "venmo" / "statement-2025-05.csv"
AID_KEY = re.compile(r'^(\d{4}-\d\d-\d\d) custom "aid-key" "([0-9a-f]{16})"$', re.M)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file of the books and its SHA-256 (the writer's lock file aside)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def aid(
    runner: CliRunner, *args: str, key_file: Path | None = None
) -> tuple[int, str, str]:
    """Run ``aidbooks ARGS`` in-process, with ``key_file`` as $AIDBOOKS_KEY_FILE."""
    env = {"AIDBOOKS_KEY_FILE": str(key_file)} if key_file else None
    result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "secret" / "fund.key"


@pytest.fixture
def books(tmp_path: Path, runner: CliRunner, key_file: Path) -> Path:
    """New books from `aidbooks init`, with their own key outside them."""
    folder = tmp_path / "books"
    code, _out, err = aid(
        runner, "init", str(folder), "--key-file", str(key_file), "--start", "2025-01-01"
    )
    assert code == 0, err
    return folder / "main.beancount"


def other_key(tmp_path: Path, name: str = "other.key") -> Path:
    """Another valid key file (0600), not the books' key."""
    path = tmp_path / "elsewhere" / name
    keys.write_key_file(path)
    return path


def recorded(books: Path) -> list[tuple[str, str]]:
    """(date, fingerprint) of every aid-key line in the books' code files."""
    found: list[tuple[str, str]] = []
    for name in ("codes.beancount", "imports/codes.beancount"):
        path = books.parent / name
        if path.exists():
            found += AID_KEY.findall(path.read_text())
    return found


def import_(
    runner: CliRunner, books: Path, export: Path, key_file: Path
) -> tuple[int, str, str]:
    return aid(runner, "import", str(export), "--ledger", str(books), key_file=key_file)


def codes_in(path: Path, field: str) -> list[str]:
    """The ``field:`` codes of an imports file, in order."""
    return re.findall(rf'{field}: "([RD]-[0-9A-Z-]+)"', path.read_text())


def second_statement(tmp_path: Path) -> Path:
    """The same Venmo statement with new row ids: the same people, new payments."""
    text = STATEMENT.read_text(encoding="utf-8").replace(
        ",41000000000000000", ",42000000000000000"
    )
    path = tmp_path / "downloads" / "statement-2025-06.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_no_code_findings(runner: CliRunner, books: Path, key_file: Path) -> None:
    """``aidbooks check`` finds nothing wrong with codes or keys (the test exports
    overspend the general fund, which the funds rule reports)."""
    _code, out, err = aid(runner, "check", str(books), key_file=key_file)
    assert "recipients:" not in out + err and "no-pii:" not in out + err, out + err


# ------------------------------------------------------------------------ init
def test_init_records_the_fingerprint_of_the_key_it_creates(
    books: Path, key_file: Path
) -> None:
    fingerprint = keys.fingerprint(keys.read_key_file(key_file))
    assert recorded(books) == [("2025-01-01", fingerprint)]  # dated the day they begin
    day = "2025-01-01"
    assert (
        keys.read_key_file(key_file).hex()
        not in (books.parent / "codes.beancount").read_text()
    )
    entries, errors, _ = loader.load_file(str(books))
    assert not errors
    history = keys.recorded_keys(entries)
    assert history.current is not None and history.current.fingerprint == fingerprint
    assert history.current.date.isoformat() == day


def test_init_with_an_existing_key_records_that_key(
    tmp_path: Path, runner: CliRunner
) -> None:
    existing = other_key(tmp_path)
    code, out, err = aid(runner, "init", str(tmp_path / "b"), "--key-file", str(existing))
    assert code == 0, err
    assert "already there, kept" in out
    [(_day, value)] = recorded(tmp_path / "b" / "main.beancount")
    assert value == keys.fingerprint(keys.read_key_file(existing))


# ------------------------------------------------------------- a wrong key
def test_a_wrong_key_is_refused_by_import_before_anything_is_written(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    wrong = other_key(tmp_path)
    before = tree_digest(books.parent)
    for extra in ((), ("--dry-run",)):
        code, out, err = aid(
            runner, "import", str(STATEMENT), "--ledger", str(books), *extra, key_file=wrong
        )
        assert code == 2, out + err
        assert out == ""
        [line] = err.splitlines()
        assert line == (
            f"aidbooks: {wrong}: this key is not the key of these books (fingerprint "
            f"{keys.fingerprint(keys.read_key_file(wrong))}, the books record "
            f"{keys.fingerprint(keys.read_key_file(key_file))}). Use the key file these "
            "books were made with; see docs/keys.md."
        )
        assert keys.read_key_file(wrong).hex() not in err
        assert tree_digest(books.parent) == before  # byte for byte, nothing written
    code, out, err = import_(runner, books, STATEMENT, key_file)  # the right key imports
    assert code == 0, out + err


def test_a_wrong_key_is_refused_by_report_and_nothing_is_written(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    wrong = other_key(tmp_path)
    before = tree_digest(books.parent)
    out_dir = tmp_path / "report"
    code, out, err = aid(
        runner,
        "report",
        str(books),
        "--period",
        "2025-03",
        "--out",
        str(out_dir),
        key_file=wrong,
    )
    assert code == 2, out + err
    assert "this key is not the key of these books" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out_dir.exists()
    assert tree_digest(books.parent) == before  # no release recorded in published/


def test_fava_extract_refuses_a_wrong_key(books: Path, tmp_path: Path) -> None:
    from aidbooks.importers import build  # noqa: PLC0415
    from aidbooks.importers import identify  # noqa: PLC0415
    from aidbooks.importers.settings import Settings  # noqa: PLC0415
    from aidbooks.plugins.errors import WrongKeyError  # noqa: PLC0415

    wrong = other_key(tmp_path)
    settings = Settings.for_folder(books.parent, keys.read_key_file(wrong))
    importer = identify(str(STATEMENT), build(settings))
    assert importer is not None
    entries, _errors, _ = loader.load_file(str(books))
    with pytest.raises(WrongKeyError, match="not the key of these books"):
        importer.extract(str(STATEMENT), entries)


# ---------------------------------------------- old books, no fingerprint yet
def test_old_books_get_the_fingerprint_recorded_on_their_first_import(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    codes_file = books.parent / "codes.beancount"
    codes_file.write_text(AID_KEY.sub("", codes_file.read_text()))  # books made before
    assert recorded(books) == []
    fingerprint = keys.fingerprint(keys.read_key_file(key_file))
    code, out, err = aid(
        runner,
        "import",
        str(STATEMENT),
        "--ledger",
        str(books),
        "--dry-run",
        key_file=key_file,
    )
    assert code == 0, err
    assert f"would record this key's fingerprint {fingerprint}" in out
    assert recorded(books) == []
    code, out, err = import_(runner, books, STATEMENT, key_file)
    assert code == 0, err
    assert (
        f"the books recorded no key yet: recorded this key's fingerprint {fingerprint} in "
        "imports/codes.beancount; from now on another key is refused (see docs/keys.md)"
    ) in out.splitlines()
    # dated the day the books begin: the key has been theirs from the start
    assert recorded(books) == [("2025-01-01", fingerprint)]
    assert "recorded no key" not in import_(runner, books, STATEMENT, key_file)[1]
    assert_no_code_findings(runner, books, key_file)
    code, _out, err = import_(
        runner, books, second_statement(tmp_path), other_key(tmp_path)
    )
    assert code == 2 and "this key is not the key of these books" in err


# --------------------------------------------------------------- rotation
def test_rotation_keeps_every_recipient_and_donor_code(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    code, out, err = import_(runner, books, STATEMENT, key_file)
    assert code == 0, err
    assert "new recipient codes (4)" in out
    venmo = books.parent / "imports" / "venmo.beancount"
    first_recipients = codes_in(venmo, "recipient")
    first_donors = codes_in(venmo, "donor")
    assert len(set(first_recipients)) == 4 and len(set(first_donors)) == 3
    declared = (books.parent / "imports" / "codes.beancount").read_text()
    old = keys.read_key_file(key_file)

    code, out, err = aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)
    assert code == 0, err
    ring = keys.read_key_ring(key_file)
    assert ring.retired == (old,) and ring.current != old
    assert key_file.stat().st_mode & 0o777 == 0o600
    new_fingerprint = keys.fingerprint(ring.current)
    assert f"new fingerprint {new_fingerprint}" in out
    assert "Back up the key file again now" in out
    assert [value for _day, value in recorded(books)] == [
        keys.fingerprint(old),
        new_fingerprint,
    ]
    assert old.hex() not in out + err and ring.current.hex() not in out + err
    for name in tree_digest(books.parent):  # the key file is never in the books
        assert old.hex() not in (books.parent / name).read_text(errors="replace")

    code, out, err = import_(runner, books, second_statement(tmp_path), key_file)
    assert code == 0, err
    assert "11 imported" in out
    assert "new recipient codes" not in out  # no new declarations
    assert (books.parent / "imports" / "codes.beancount").read_text() == declared
    assert codes_in(venmo, "recipient") == first_recipients * 2
    assert codes_in(venmo, "donor") == first_donors * 2
    # the test can fail: under the new key alone, every code would be new
    assert (
        keys.derive_code(ring.current, "recipient", "Recipient B") not in first_recipients
    )
    assert keys.derive_code(ring.current, "donor", "Donor A") not in first_donors
    assert_no_code_findings(runner, books, key_file)


def test_a_family_first_seen_after_the_rotation_gets_a_code_of_the_new_key(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    assert aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)[0] == 0
    code, _out, err = import_(runner, books, STATEMENT, key_file)
    assert code == 0, err
    current = keys.read_key_file(key_file)
    venmo = books.parent / "imports" / "venmo.beancount"
    assert keys.derive_code(current, "recipient", "Recipient B") in codes_in(
        venmo, "recipient"
    )


def test_a_retired_key_is_named_as_retired(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    old = tmp_path / "backup" / "fund.key"
    keys.write_key_file(old, keys.read_key_file(key_file))  # last month's backup
    assert aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)[0] == 0
    day = recorded(books)[-1][0]
    before = tree_digest(books.parent)
    code, out, err = import_(runner, books, STATEMENT, old)
    assert code == 2, out + err
    [line] = err.splitlines()
    assert f"{old}: this key was retired on {day}" in line
    assert "Use the current key file" in line
    assert tree_digest(books.parent) == before
    code, out, _err = aid(runner, "key", "show", "--ledger", str(books), key_file=old)
    assert code == 1
    assert f"this key was retired on {day}" in out


def test_key_show_tells_the_fingerprint_the_books_and_the_retired_keys(
    books: Path, runner: CliRunner, key_file: Path
) -> None:
    code, out, err = aid(runner, "key", "show", "--ledger", str(books), key_file=key_file)
    assert code == 0, err
    fingerprint = keys.fingerprint(keys.read_key_file(key_file))
    assert f"fingerprint: {fingerprint}" in out
    assert "no key kept in the key file" in out
    assert "this is their key, recorded on 2025-01-01 (codes.beancount:" in out
    aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)
    aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)
    code, out, err = aid(runner, "key", "show", "--ledger", str(books), key_file=key_file)
    assert code == 0, err
    assert "2 keys kept in the key file" in out
    assert "they record 2 retired keys before it" in out
    dates = [dt.date.fromisoformat(day) for day, _value in recorded(books)]
    assert dates == sorted(dates) and len(set(dates)) == 3  # the latest is current


def test_rotating_a_wrong_key_file_changes_nothing(
    books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    wrong = other_key(tmp_path)
    text = wrong.read_text()
    before = tree_digest(books.parent)
    code, _out, err = aid(runner, "key", "rotate", "--ledger", str(books), key_file=wrong)
    assert code == 2
    assert "this key is not the key of these books" in err
    assert wrong.read_text() == text and tree_digest(books.parent) == before


def test_a_passphrase_key_cannot_be_rotated(
    books: Path, runner: CliRunner, key_file: Path
) -> None:
    text = key_file.read_text()
    result = runner.invoke(
        cli,
        ["key", "rotate", "--ledger", str(books)],
        env={"AIDBOOKS_KEY_FILE": str(key_file), "AIDBOOKS_PASSPHRASE": "correct horse"},
    )
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "$AIDBOOKS_PASSPHRASE" in line and "cannot be rotated" in line
    assert key_file.read_text() == text


def test_a_rotation_that_did_not_reach_the_books_is_finished_not_repeated(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    codes_file = books.parent / "codes.beancount"
    original = codes_file.read_text()
    assert aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)[0] == 0
    codes_file.write_text(original)  # the books restored from before the rotation
    ring = keys.read_key_ring(key_file)
    code, _out, err = import_(runner, books, STATEMENT, key_file)
    assert code == 2 and "a rotation did not reach these books" in err
    code, out, err = aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)
    assert code == 0, err
    assert "was not rotated again" in out
    assert keys.read_key_ring(key_file) == ring
    assert recorded(books)[-1][1] == keys.fingerprint(ring.current)
    assert import_(runner, books, STATEMENT, key_file)[0] == 0


def test_a_lost_key_gets_a_new_key_and_the_books_record_it(
    books: Path, runner: CliRunner, key_file: Path
) -> None:
    code, _out, err = aid(
        runner, "key", "rotate", "--lost", "--ledger", str(books), key_file=key_file
    )
    assert code == 2 and "is still there" in err  # --lost never replaces a key file
    key_file.unlink()
    code, out, err = aid(
        runner, "key", "rotate", "--lost", "--ledger", str(books), key_file=key_file
    )
    assert code == 0, err
    assert "aidbooks code link NEW --to OLD" in out
    ring = keys.read_key_ring(key_file)
    assert ring.retired == () and key_file.stat().st_mode & 0o777 == 0o600
    assert recorded(books)[-1][1] == keys.fingerprint(ring.current)
    assert (
        "the key before this one was lost" in (books.parent / "codes.beancount").read_text()
    )
    assert import_(runner, books, STATEMENT, key_file)[0] == 0
    assert_no_code_findings(runner, books, key_file)


# ------------------------------------------------------------------- verify
def test_verify_checks_a_seal_made_before_the_rotation_with_the_retired_key(
    books: Path, runner: CliRunner, tmp_path: Path, key_file: Path
) -> None:
    report = tmp_path / "report-2025-03"
    code, out, err = aid(
        runner,
        "report",
        str(books),
        "--period",
        "2025-03",
        "--out",
        str(report),
        key_file=key_file,
    )
    assert code == 0, err
    assert aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)[0] == 0
    code, out, err = aid(
        runner, "verify", str(report), "--ledger", str(books), key_file=key_file
    )
    assert code == 0, out + err
    assert "sealed with a key since retired, which the key file keeps" in out
    assert "and the seal" in out
    only_new = tmp_path / "new-only.key"
    keys.write_key_file(only_new, keys.read_key_file(key_file))
    code, out, err = aid(
        runner, "verify", str(report), "--ledger", str(books), key_file=only_new
    )
    assert code == 1
    assert "sealed with another key than the fund's key given here" in out


# ------------------------------------------------------- the aid-key finding
def test_a_malformed_aid_key_directive_is_a_finding_at_its_line() -> None:
    whole_key = bytes(range(32)).hex()
    text = f"""plugin "aidbooks.plugins.recipients"
2025-01-01 custom "aid-key" "7868c5b929f77edb"
2025-02-01 custom "aid-key" "not hex at all"
2025-03-01 custom "aid-key" "7868C5B929F77EDB"
2025-04-01 custom "aid-key" "{whole_key}"
2025-05-01 custom "aid-key" "7868c5b929f77edb" "0123456789abcdef"
2025-06-01 custom "aid-key" 12
2025-07-01 custom "aid-key" "0123456789abcdef"
2025-07-01 custom "aid-key" "fedcba9876543210"
"""
    entries, errors, _ = loader.load_string(text)
    found = [
        (e.source["lineno"], e.message) for e in errors if isinstance(e, RecipientError)
    ]
    assert [line for line, _message in found] == [3, 4, 5, 6, 7, 9]
    for line, message in found:
        assert "not hex at all" not in message and whole_key not in message
        if line == 5:
            assert "looks like a whole key" in message and "rotate it" in message
        elif line == 9:
            assert "another key is recorded on 2025-07-01" in message
        else:
            assert (
                "needs exactly one quoted fingerprint of 16 lower-case hex digits"
                in message
            )
    # the reader leaves them out: the well-formed records only, the last one current
    history = keys.recorded_keys(entries)
    assert [r.fingerprint for r in history.records] == [
        "7868c5b929f77edb",
        "0123456789abcdef",
        "fedcba9876543210",
    ]


def test_the_finding_is_printed_by_aidbooks_check_as_file_and_line(
    books: Path, runner: CliRunner, key_file: Path
) -> None:
    codes_file = books.parent / "codes.beancount"
    codes_file.write_text(codes_file.read_text() + '2025-02-01 custom "aid-key" "oops"\n')
    line = len(codes_file.read_text().splitlines())
    code, out, err = aid(runner, "check", str(books), key_file=key_file)
    assert code == 1
    assert (
        f'{codes_file}:{line}: recipients: custom "aid-key" needs exactly one' in out + err
    )


def test_a_fingerprint_of_digits_is_not_taken_for_a_card_number() -> None:
    # 4111111111111111 passes the Luhn check: the no-pii rule would call it a card
    text = """plugin "aidbooks.plugins.no_pii"
2025-01-01 custom "aid-key" "4111111111111111"
2025-01-02 custom "aid-note" "4111111111111111"
"""
    _entries, errors, _ = loader.load_string(text)
    assert [e.source["lineno"] for e in errors] == [3]


def test_a_rotated_key_file_copied_into_the_books_is_found(
    books: Path, runner: CliRunner, key_file: Path
) -> None:
    assert aid(runner, "key", "rotate", "--ledger", str(books), key_file=key_file)[0] == 0
    assert "retired " in key_file.read_text()
    copy = books.parent / "documents" / "old-laptop.txt"
    copy.write_bytes(key_file.read_bytes())
    _code, out, err = aid(runner, "check", str(books), key_file=key_file)
    assert f"{copy}:0: secrets: a key file lies inside the books folder" in out + err


def test_fava_save_refuses_a_wrong_key_and_writes_nothing(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_fava_import_save import STATEMENT as EXPORT  # noqa: PLC0415
    from tests.test_fava_import_save import Fava  # noqa: PLC0415
    from tests.test_fava_import_save import make_books  # noqa: PLC0415
    from tests.test_fava_import_save import snapshot  # noqa: PLC0415

    right = tmp_path / "key" / "fund.key"
    main = make_books(tmp_path / "books", right, runner, EXPORT)
    monkeypatch.setenv("AIDBOOKS_KEY_FILE", str(right))
    fava = Fava(main)
    entries = fava.extract(EXPORT, "aidbooks.venmo")
    before = snapshot(main.parent)
    monkeypatch.setenv("AIDBOOKS_KEY_FILE", str(other_key(tmp_path)))
    status, message = fava.save(entries)
    assert status == 400
    assert "this key is not the key of these books" in message
    assert "\n" not in message and "Traceback" not in message
    assert snapshot(main.parent) == before
