"""``aidbooks verify``: a fresh report passes; one changed byte or posting fails.

The tampering tests (at the end) add: a changed amount and a deleted
grant in the books, artifacts swapped within a report and from another report, a
forged link to the previous report, and damaged files that must not crash verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core import data as bdata
from beancount.core.amount import Amount

from aidbooks.reports.manifest import Link
from aidbooks.reports.manifest import Manifest
from aidbooks.reports.manifest import sha256
from aidbooks.reports.model import PublicReport
from aidbooks.reports.publish import render_files
from aidbooks.reports.verify import Books
from aidbooks.reports.verify import verify_folder
from tests.helpers import LEDGER
from tests.helpers import run
from tests.report_fixtures import copy_ledger
from tests.report_fixtures import example_books
from tests.report_fixtures import make_key
from tests.report_fixtures import publish

FILES = [
    "csv/bail.csv",
    "csv/categories.csv",
    "csv/channels.csv",
    "csv/funds.csv",
    "csv/gift_cards.csv",
    "csv/months.csv",
    "csv/on_hand.csv",
    "csv/operations.csv",
    "csv/totals.csv",
    "index.html",
    "manifest.json",
    "report.en.html",
    "report.en.md",
    "report.es.html",
    "report.es.md",
    "report.json",
    "report.schema.json",
]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_key(tmp_path_factory.mktemp("key"))


@pytest.fixture(scope="module")
def books(key: Path) -> Books:
    return example_books(key)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, books: Books) -> Path:
    """Q1, Q2 and the year, published in order side by side."""
    root = tmp_path_factory.mktemp("reports")
    for label in ("2025-Q1", "2025-Q2"):
        publish(books, root / label, label)
    # the year through the command line, so the chain and context are found beside it
    return root


def _flip(path: Path) -> None:
    payload = bytearray(path.read_bytes())
    index = len(payload) // 2
    payload[index] = payload[index] ^ 0x01
    path.write_bytes(bytes(payload))


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_fresh_report_verifies_with_and_without_books(
    tmp_path: Path, books: Books, key: Path
) -> None:
    ledger = copy_ledger(tmp_path / "books")
    for label in ("2025-Q1", "2025-Q2", "2025"):
        result = run(
            "aidbooks",
            "report",
            str(ledger),
            "--period",
            label,
            "--out",
            str(tmp_path / "reports" / label),
            env={"AIDBOOKS_KEY_FILE": str(key)},
        )
        assert result.returncode == 0, result.stderr
    out = tmp_path / "reports" / "2025"
    full = run(
        "aidbooks",
        "verify",
        str(out),
        "--ledger",
        str(ledger),
        env={"AIDBOOKS_KEY_FILE": str(key)},
    )
    assert full.returncode == 0, full.stdout + full.stderr
    assert (
        "chained to report 2025-Q2" in full.stdout
        and "checked against the books" in full.stdout
    )
    alone = run("aidbooks", "verify", str(out))
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "not checked against the books" in alone.stdout
    outcome = verify_folder(out, books)
    assert outcome.ok, outcome.differences


@pytest.mark.parametrize("name", FILES)
@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_one_changed_byte_fails(
    reports: Path, books: Books, tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "2025-Q2"
    shutil.copytree(reports / "2025-Q2", folder)
    shutil.copytree(reports / "2025-Q1", tmp_path / "2025-Q1")
    assert verify_folder(folder, books).ok
    _flip(folder / name)
    with_books = verify_folder(folder, books)
    assert not with_books.ok
    if name != "manifest.json":  # the difference names the file
        assert any(d.startswith(name) for d in with_books.differences), (
            with_books.differences
        )
    if name != "manifest.json":  # a donor without the books catches it too
        assert not verify_folder(folder).ok


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_changed_byte_through_the_command_line(reports: Path, tmp_path: Path) -> None:
    folder = tmp_path / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    _flip(folder / "report.es.html")
    result = run("aidbooks", "verify", str(folder))
    assert result.returncode == 1
    assert "report.es.html: changed" in result.stdout
    assert "NOT verified" in result.stderr


def test_added_or_removed_file_fails(reports: Path, tmp_path: Path) -> None:
    folder = tmp_path / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    (folder / "extra.html").write_text("<p>hi</p>")
    assert any("extra.html: not listed" in d for d in verify_folder(folder).differences)
    (folder / "extra.html").unlink()
    (folder / "csv" / "funds.csv").unlink()
    assert any(
        "funds.csv: listed in the manifest but missing" in d
        for d in verify_folder(folder).differences
    )


def test_edited_page_with_a_fixed_up_manifest_still_fails(
    reports: Path, tmp_path: Path
) -> None:
    """Changing a page and its fingerprint is caught: pages must render from report.json."""
    folder = tmp_path / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    page = folder / "report.en.html"
    page.write_text(page.read_text().replace("Raised", "Collected"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["artifacts"]["report.en.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    differences = verify_folder(folder).differences
    assert any(
        "report.en.html: does not match what report.json renders to" in d
        for d in differences
    )


def _publish_from(ledger: Path, key: Path, out: Path, label: str) -> None:
    result = run(
        "aidbooks",
        "report",
        str(ledger),
        "--period",
        label,
        "--out",
        str(out),
        env={"AIDBOOKS_KEY_FILE": str(key)},
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_changed_posting_fails(tmp_path: Path, key: Path) -> None:
    ledger = copy_ledger(tmp_path / "books")
    out = tmp_path / "reports" / "2025-Q3"
    _publish_from(ledger, key, out, "2025-Q3")
    env = {"AIDBOOKS_KEY_FILE": str(key)}
    assert (
        run("aidbooks", "verify", str(out), "--ledger", str(ledger), env=env).returncode
        == 0
    )

    month = ledger.parent / "books" / "2025-08.beancount"
    original = month.read_text()
    # 1. another household for one grant: same numbers, different books
    codes = re.findall(r'recipient: "(R-[^"]+)"', original)
    changed = original.replace(f'recipient: "{codes[0]}"', f'recipient: "{codes[1]}"', 1)
    assert changed != original
    month.write_text(changed)
    result = run("aidbooks", "verify", str(out), "--ledger", str(ledger), env=env)
    assert result.returncode == 1
    assert "seal on the books differs" in result.stdout

    # 2. a grant moved to another category: the numbers differ too
    month.write_text(original.replace("Expenses:Aid:Rides", "Expenses:Aid:Phone", 1))
    result = run("aidbooks", "verify", str(out), "--ledger", str(ledger), env=env)
    assert result.returncode == 1
    assert "seal on the books differs" in result.stdout
    assert "report.json:" in result.stdout

    # 3. a change after the period leaves the report valid
    month.write_text(original)
    later = ledger.parent / "books" / "2025-11.beancount"
    later.write_text(
        later.read_text().replace("Expenses:Aid:Rides", "Expenses:Aid:Phone", 1)
    )
    assert (
        run("aidbooks", "verify", str(out), "--ledger", str(ledger), env=env).returncode
        == 0
    )


def test_wrong_key(reports: Path, books: Books, tmp_path: Path) -> None:
    other = make_key(tmp_path)
    wrong = Books(
        books.entries,
        books.options_map,
        books.policy,
        bytes.fromhex(other.read_text().strip()),
    )
    differences = verify_folder(reports / "2025-Q1", wrong).differences
    assert differences == [
        "manifest.json: sealed with another key than the fund's key given here"
    ]


def test_chain(reports: Path, tmp_path: Path) -> None:
    shutil.copytree(reports / "2025-Q1", tmp_path / "2025-Q1")
    shutil.copytree(reports / "2025-Q2", tmp_path / "2025-Q2")
    assert any(
        "chained to report 2025-Q1" in n for n in verify_folder(tmp_path / "2025-Q2").notes
    )
    # the previous report was replaced: Q2's link no longer holds
    manifest = tmp_path / "2025-Q1" / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace('"period": "2025-Q1"', '"period": "2025-Q1" ')
    )
    differences = verify_folder(tmp_path / "2025-Q2").differences
    assert any("is not the one this report was chained to" in d for d in differences)
    # without its neighbour the chain is reported as unchecked, not as a failure
    shutil.rmtree(tmp_path / "2025-Q1")
    outcome = verify_folder(tmp_path / "2025-Q2")
    assert outcome.ok and any("not found beside this one" in n for n in outcome.notes)


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_not_a_report(tmp_path: Path) -> None:
    result = run("aidbooks", "verify", str(tmp_path))
    assert result.returncode == 1 and "manifest.json: missing" in result.stdout
    assert run("aidbooks", "verify", str(tmp_path / "nope")).returncode == 2


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_books_without_the_key_check_the_numbers_only(
    reports: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    env = {"AIDBOOKS_KEY_FILE": str(tmp_path / "no.key")}
    result = run("aidbooks", "verify", str(folder), "--ledger", str(LEDGER), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seal on the books was not checked" in result.stdout
    data = json.loads((folder / "report.json").read_text())
    data["totals"]["raised"] = str(int(data["totals"]["raised"]) + 1)
    (folder / "report.json").write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    result = run("aidbooks", "verify", str(folder), "--ledger", str(LEDGER), env=env)
    assert result.returncode == 1
    assert "totals/raised is" in result.stdout


# ------------------------------------------------------------------ tampering ---------
def _tampered(books: Books, change: Callable[[list[Any]], list[Any]]) -> Books:
    return Books(change(list(books.entries)), books.options_map, books.policy, books.key)


def _is_grant(entry: Any, before: dt.date) -> bool:
    return (
        isinstance(entry, bdata.Transaction)
        and entry.flag == "*"
        and entry.date <= before
        and any(p.account.startswith("Expenses:Aid:") for p in entry.postings)
    )


def test_a_changed_amount_in_the_books_is_detected(reports: Path, books: Books) -> None:
    """One grant of Q1 paid a dollar more (still balanced): the seal breaks and the
    numbers that changed are named."""
    end = dt.date(2025, 3, 31)

    def richer(entries: list[Any]) -> list[Any]:
        index = next(i for i, e in enumerate(entries) if _is_grant(e, end))
        entry = entries[index]
        aid = next(p for p in entry.postings if p.account.startswith("Expenses:Aid:"))
        other = next(p for p in entry.postings if p is not aid)
        postings = [
            p._replace(units=Amount(p.units.number + step, p.units.currency)) if step else p
            for p, step in (
                (p, Decimal(1) if p is aid else Decimal(-1) if p is other else 0)
                for p in entry.postings
            )
        ]
        entries[index] = entry._replace(postings=postings)
        return entries

    outcome = verify_folder(reports / "2025-Q1", _tampered(books, richer))
    assert not outcome.ok
    assert any("the seal on the books differs" in d for d in outcome.differences)
    assert any(d.startswith("report.json: totals/granted") for d in outcome.differences), (
        outcome.differences
    )


def test_a_deleted_grant_is_detected(reports: Path, books: Books) -> None:
    end = dt.date(2025, 3, 31)

    def without_one(entries: list[Any]) -> list[Any]:
        index = next(i for i, e in enumerate(entries) if _is_grant(e, end))
        return entries[:index] + entries[index + 1 :]

    outcome = verify_folder(reports / "2025-Q1", _tampered(books, without_one))
    assert not outcome.ok
    assert any("the seal on the books differs" in d for d in outcome.differences)
    assert any("totals/grants" in d for d in outcome.differences), outcome.differences


def test_swapped_artifacts_are_detected(
    reports: Path, books: Books, tmp_path: Path
) -> None:
    # two files of one report swapped
    folder = tmp_path / "swap" / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    english, spanish = folder / "report.en.md", folder / "report.es.md"
    a, b = english.read_bytes(), spanish.read_bytes()
    english.write_bytes(b)
    spanish.write_bytes(a)
    differences = verify_folder(folder).differences
    assert any(d.startswith("report.en.md: changed") for d in differences)
    assert any(d.startswith("report.es.md: changed") for d in differences)
    # another period's report.json swapped in, its fingerprint fixed up in the manifest
    folder = tmp_path / "other" / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    other = (reports / "2025-Q2" / "report.json").read_bytes()
    (folder / "report.json").write_bytes(other)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["artifacts"]["report.json"] = hashlib.sha256(other).hexdigest()
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    alone = verify_folder(folder).differences
    assert any("fund or period differs from the manifest" in d for d in alone), alone
    assert any("does not match what report.json renders to" in d for d in alone)
    assert not verify_folder(folder, books).ok


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_a_broken_link_to_the_previous_report_is_detected(
    reports: Path, tmp_path: Path
) -> None:
    """Q2's manifest rewritten (in aidbooks' own format) to name another previous
    manifest: the report beside it is not the one it claims to follow."""
    shutil.copytree(reports / "2025-Q1", tmp_path / "2025-Q1")
    shutil.copytree(reports / "2025-Q2", tmp_path / "2025-Q2")
    path = tmp_path / "2025-Q2" / "manifest.json"
    manifest = Manifest.model_validate_json(path.read_bytes())
    assert manifest.previous is not None
    forged = manifest.model_copy(
        update={"previous": Link(period="2025-Q1", manifest_sha256="0" * 64)}
    )
    path.write_text(forged.to_json())
    result = run("aidbooks", "verify", str(tmp_path / "2025-Q2"))
    assert result.returncode == 1
    assert "is not the one this report was chained to" in result.stdout
    # the same report with its true link verifies
    path.write_text(manifest.to_json())
    assert run("aidbooks", "verify", str(tmp_path / "2025-Q2")).returncode == 0


@pytest.mark.slow  # publishes or verifies reports of the example fund
def test_a_damaged_report_folder_never_crashes_verify(
    reports: Path, tmp_path: Path
) -> None:
    """Truncated, emptied, garbage or pipe files in a report folder: exit 1 with the
    differences, or 2 — never an internal error."""
    for number, damage in enumerate(("truncate", "empty", "garbage", "pipe", "folder")):
        for name in ("manifest.json", "report.json", "csv/totals.csv"):
            folder = tmp_path / f"{damage}{number}-{name.replace('/', '-')}" / "2025-Q1"
            shutil.copytree(reports / "2025-Q1", folder)
            target = folder / name
            payload = target.read_bytes()
            target.unlink()
            if damage == "truncate":
                target.write_bytes(payload[: len(payload) // 2])
            elif damage == "empty":
                target.write_bytes(b"")
            elif damage == "garbage":
                target.write_bytes(bytes(range(256)) * 10)
            elif damage == "pipe":
                os.mkfifo(target)
            else:
                target.mkdir()
            result = run("aidbooks", "verify", str(folder), timeout=120)
            assert result.returncode in (1, 2), (damage, name, result.stderr)
            assert (
                "internal error" not in result.stderr and "Traceback" not in result.stderr
            )
            assert result.returncode == 1 or len(result.stderr.strip().splitlines()) == 1


def test_a_consistent_forgery_is_caught_only_with_the_books(
    reports: Path, books: Books, tmp_path: Path
) -> None:
    """What a donor's ``verify`` cannot catch (the threat model says so): someone who
    rewrites report.json consistently (two channels' names swapped: every sum still
    holds), renders the pages again and fixes up the manifest. The chain link of the
    *next* report, or an auditor with the books and key, catches it."""
    folder = tmp_path / "2025-Q1"
    shutil.copytree(reports / "2025-Q1", folder)
    report = PublicReport.model_validate_json((folder / "report.json").read_bytes())
    manifest = Manifest.model_validate_json((folder / "manifest.json").read_bytes())
    first, second, *rest = report.channels
    swapped = [
        first.model_copy(update={"name": second.name}),
        second.model_copy(update={"name": first.name}),
        *rest,
    ]
    forged, files = render_files(
        report.model_copy(update={"channels": swapped, "artifacts": {}}),
        manifest.formats,
        manifest.languages,
    )
    assert forged.channels != report.channels
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
    fixed = manifest.model_copy(
        update={"artifacts": {name: sha256(payload) for name, payload in files.items()}}
    )
    (folder / "manifest.json").write_text(fixed.to_json())
    assert verify_folder(folder).ok  # alone, the folder is self-consistent
    caught = verify_folder(folder, books)
    assert not caught.ok
    assert any("report.json: channels/" in d for d in caught.differences), (
        caught.differences
    )
    # Q2, published after, chained the genuine Q1: with it beside, the forgery shows
    shutil.copytree(reports / "2025-Q2", tmp_path / "2025-Q2")
    assert not verify_folder(tmp_path / "2025-Q2").ok


@pytest.mark.slow  # publishes two reports with the CLI
def test_the_chain_and_context_are_found_in_the_books_history(
    tmp_path: Path, key: Path
) -> None:
    """Public copies in unrelated folders: the release history in the books holds them."""
    ledger = copy_ledger(tmp_path / "books")
    env = {"AIDBOOKS_KEY_FILE": str(key)}
    for label, out in (("2025-Q1", "site-a/q1"), ("2025-Q2", "elsewhere/b/q2")):
        result = run(
            "aidbooks", "report", str(ledger), "--period", label,
            "--out", str(tmp_path / out), "--format", "json", env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    alone = run("aidbooks", "verify", str(tmp_path / "elsewhere/b/q2"), env=env)
    assert alone.returncode == 0 and "not found beside this one" in alone.stdout
    full = run(
        "aidbooks", "verify", str(tmp_path / "elsewhere/b/q2"), "--ledger", str(ledger),
        env=env,
    )  # fmt: skip
    assert full.returncode == 0, full.stdout + full.stderr
    assert "chained to report 2025-Q1" in full.stdout
    assert str(tmp_path / "books" / "published" / "2025-Q1") in full.stdout
