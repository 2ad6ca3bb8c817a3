"""``aidbooks check`` on the command line: output, exit codes, --json, --list."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.check import registry
from tests.helpers import BIN
from tests.helpers import LEDGER
from tests.helpers import ROOT
from tests.helpers import invoke
from tests.helpers import run
from tests.smallbooks import BOOKS
from tests.smallbooks import POLICY
from tests.smallbooks import line_of
from tests.smallbooks import write_books


@pytest.mark.slow  # runs aidbooks check for real
def test_example_fund_passes_basic_and_strict_silently() -> None:
    for args in ((), ("--strict",)):
        result = run("aidbooks", "check", *args, str(LEDGER), cwd=ROOT)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), result


@pytest.mark.slow  # runs aidbooks check for real
def test_example_fund_json_lists_every_check_passed() -> None:
    result = run(
        "aidbooks", "check", "--strict", "--json", "ledger/main.beancount", cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "aidbooks.check/1"
    assert report["ledger"] == "ledger/main.beancount"
    assert (report["strict"], report["status"]) == (True, "passed")
    assert [c["name"] for c in report["checks"]] == [c.name for c in registry()]
    assert {c["status"] for c in report["checks"]} == {"passed"}
    assert all(c["findings"] == [] for c in report["checks"])


@pytest.mark.slow  # runs aidbooks check for real
def test_findings_are_printed_relative_and_exit_1(tmp_path: Path) -> None:
    books = BOOKS.replace("4400.00 USD", "4300.00 USD").replace("-80.00 USD", "-79.00 USD")
    main = write_books(tmp_path / "books", books=books)
    result = run("aidbooks", "check", "books/main.beancount", cwd=tmp_path)
    ledger = tmp_path / "books" / "books.beancount"
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"books/books.beancount:{line_of(ledger, 'Grocery assistance')}: balanced: "
        "Transaction does not balance: (1.00 USD)",
        f"books/books.beancount:{line_of(ledger, 'balance Assets:Bank')}: assertions: "
        "Balance failed for 'Assets:Bank:Checking': expected 4300.00 USD != "
        "accumulated 4401.00 USD (101.00 too much)",
    ]
    assert main.is_file()


def test_json_has_each_check_with_status_and_findings(
    tmp_path: Path, runner: CliRunner
) -> None:
    books = BOOKS.replace("4400.00 USD", "4300.00 USD")
    main = write_books(tmp_path / "books", books=books)
    code, out, _ = invoke(runner, "check", str(main), "--json", "syntax", "assert")
    assert code == 1
    report = json.loads(out)
    assert report["status"] == "failed" and report["strict"] is False
    ledger = tmp_path / "books" / "books.beancount"
    assert report["checks"] == [
        {
            "name": "syntax",
            "tier": "basic",
            "description": next(c.description for c in registry() if c.name == "syntax"),
            "status": "passed",
            "findings": [],
        },
        {
            "name": "assertions",
            "tier": "basic",
            "description": next(
                c.description for c in registry() if c.name == "assertions"
            ),
            "status": "failed",
            "findings": [
                {
                    "filename": str(ledger),
                    "lineno": line_of(ledger, "balance Assets:Bank"),
                    "message": "Balance failed for 'Assets:Bank:Checking': expected "
                    "4300.00 USD != accumulated 4400.00 USD (100.00 too much)",
                }
            ],
        },
    ]


def test_names_run_only_those_checks(tmp_path: Path, runner: CliRunner) -> None:
    books = BOOKS.replace("4400.00 USD", "4300.00 USD")
    main = write_books(tmp_path / "books", books=books)
    assert invoke(runner, "check", str(main), "bal", "acc")[:2] == (0, "")
    code, out, _ = invoke(runner, "check", str(main), "as")
    assert code == 1 and ": assertions: " in out


@pytest.mark.slow  # runs aidbooks check for real
def test_file_defaults_when_only_names_are_given(tmp_path: Path) -> None:
    main = write_books(tmp_path / "books", books=BOOKS.replace("4400.00", "4300.00"))
    result = run("aidbooks", "check", "assertions", env={"AIDBOOKS_LEDGER": str(main)})
    assert result.returncode == 1 and ": assertions: " in result.stdout
    result = run("aidbooks", "check", "syntax", env={"AIDBOOKS_LEDGER": str(main)})
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.slow  # runs aidbooks check for real
def test_unknown_check_is_exit_2_listing_valid_names(tmp_path: Path) -> None:
    main = write_books(tmp_path / "books")
    result = run("aidbooks", "check", str(main), "syntax", "frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "aidbooks: unknown check: frobnicate. Valid checks are "
    )
    assert ", ".join(c.name for c in registry()) in result.stderr


@pytest.mark.slow  # runs aidbooks check for real
def test_bad_policy_is_one_line_naming_the_key_exit_2(tmp_path: Path) -> None:
    main = write_books(
        tmp_path / "books", policy=POLICY + '\n[approvals]\nthreshold = "lots"\n'
    )
    result = run("aidbooks", "check", str(main))
    toml = tmp_path / "books" / "aidbooks.toml"
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"aidbooks: {toml}:{line_of(toml, 'threshold')}: ")
    assert "approvals.threshold" in result.stderr


@pytest.mark.slow  # runs aidbooks check for real
def test_missing_ledger_and_folder_are_exit_2(tmp_path: Path) -> None:
    result = run("aidbooks", "check", str(tmp_path / "nope.beancount"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "no such ledger file" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run("aidbooks", "check", str(tmp_path / "empty"), "syntax")
    assert result.returncode == 2 and "is a folder" in result.stderr
    result = run("aidbooks", "check", "a.beancount", "b.beancount")
    assert result.returncode == 2 and "more than one ledger file" in result.stderr


def test_list_prints_every_check_in_order_with_tier(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "check", "--list")
    assert code == 0
    rows = [line.split(None, 2) for line in out.splitlines()]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (c.name, c.tier, c.description) for c in registry()
    ]


def _run_on_a_terminal(*args: str) -> tuple[int, str]:
    """Run ``aidbooks`` with stdout on a pseudo-terminal; returns (exit code, output)."""
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        [str(BIN / "aidbooks"), *args], stdout=secondary, stderr=subprocess.PIPE
    ) as process:
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        os.close(primary)
        process.communicate(timeout=120)
        return process.wait(timeout=120), output.decode()


@pytest.mark.slow  # runs aidbooks check for real
def test_terminal_gets_a_one_line_summary(tmp_path: Path) -> None:
    main = write_books(tmp_path / "books")
    code, out = _run_on_a_terminal("check", str(main))
    basic = sum(1 for c in registry() if c.tier == "basic")
    assert code == 0
    assert out.strip() == f"{main}: {basic} checks passed."
    (tmp_path / "books" / "books.beancount").write_text(BOOKS.replace("4400.00", "4300.00"))
    code, out = _run_on_a_terminal("check", str(main), "syntax", "assertions")
    assert code == 1
    assert out.strip().splitlines()[-1] == (
        f"{main}: 1 finding in assertions (1 of 2 checks passed)."
    )
