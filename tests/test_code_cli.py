"""aidbooks code new / code check."""

from __future__ import annotations

from pathlib import Path

import pytest

from aidbooks.plugins import codes
from tests.helpers import run


def test_code_new_prints_only_the_code() -> None:
    result = run("aidbooks", "code", "new", "--kind", "volunteer")
    assert result.returncode == 0
    assert codes.kind_of(result.stdout.strip()) == "volunteer"
    assert result.stdout.count("\n") == 1


@pytest.mark.slow  # runs aidbooks code for real
def test_code_new_declares_it_in_the_books(tmp_path: Path) -> None:
    books = tmp_path / "books"
    assert (
        run(
            "aidbooks", "init", str(books), "--key-file", str(tmp_path / "k.key")
        ).returncode
        == 0
    )
    ledger = str(books / "main.beancount")
    first = run("aidbooks", "code", "new", "--ledger", ledger).stdout.strip()
    second = run(
        "aidbooks", "code", "new", "--kind", "volunteer", "--ledger", ledger
    ).stdout.strip()
    declared = (books / "codes.beancount").read_text()
    assert f'custom "aid-recipient" "{first}"' in declared
    assert f'custom "aid-volunteer" "{second}"' in declared
    check = run("bean-check", ledger)
    assert check.returncode == 0, check.stdout + check.stderr


def test_code_new_with_missing_ledger_is_exit_2(tmp_path: Path) -> None:
    result = run("aidbooks", "code", "new", "--ledger", str(tmp_path / "nope.beancount"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no such ledger file" in result.stderr


def test_code_check() -> None:
    good = codes.new_code("recipient")
    assert run("aidbooks", "code", "check", good).returncode == 0
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    result = run("aidbooks", "code", "check", bad)
    assert result.returncode == 1
    assert "check character" in result.stderr
