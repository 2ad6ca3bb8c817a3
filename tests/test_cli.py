"""The command line's shared contract: FILE defaults, one-line errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import LEDGER
from tests.helpers import ROOT
from tests.helpers import run


def test_help_lists_commands() -> None:
    result = run("aidbooks", "--help")
    assert result.returncode == 0
    for name in ("init", "code", "check"):
        assert name in result.stdout


@pytest.mark.slow  # checks the example fund for real
def test_file_defaults_to_ledger_under_cwd() -> None:
    result = run("aidbooks", "check", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # checks the example fund for real
def test_file_defaults_to_env(tmp_path: Path) -> None:
    result = run("aidbooks", "check", cwd=tmp_path, env={"AIDBOOKS_LEDGER": str(LEDGER)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_ledger_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run("aidbooks", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no such ledger file" in result.stderr
    assert "Traceback" not in result.stderr


def test_folder_instead_of_file(tmp_path: Path) -> None:
    result = run("aidbooks", "check", str(tmp_path))
    assert result.returncode == 2
    assert "is a folder" in result.stderr


def test_unknown_command_is_usage_error() -> None:
    assert run("aidbooks", "frobnicate").returncode == 2


@pytest.mark.parametrize("odd", ["\x1e", "\x1c", "a\u2028b", "x\ny"])
def test_a_usage_error_quoting_a_control_character_is_one_line(odd: str) -> None:
    """Click quotes the extra argument; \\x1e, \\x1c and U+2028 break str.splitlines."""
    result = run("aidbooks", "init", "books", odd)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, repr(result.stderr)
    assert "unexpected extra argument" in result.stderr
