"""aidbooks.toml: defaults, validation, and one clear line naming the key."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import parse_policy
from tests.helpers import LEDGER
from tests.helpers import ROOT
from tests.helpers import run


def test_empty_policy_has_livable_defaults() -> None:
    policy = parse_policy("")
    assert policy.privacy.min_cell == 11
    assert policy.approvals.threshold == Decimal("250.00")
    assert policy.caps.window_days == 30
    assert policy.fund_names() == {"general"}


def test_example_policy_loads() -> None:
    policy = load_policy(LEDGER.parent / "aidbooks.toml")
    assert policy.fund.name == "Riverside Neighbors Mutual Aid"
    assert policy.funds["legal"].categories == ("Legal", "Bail")
    assert isinstance(policy.caps.per_household, Decimal)


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_policy(tmp_path / "aidbooks.toml") == Policy()


def test_money_stays_exact() -> None:
    policy = parse_policy(
        '[approvals]\nthreshold = "250.10"\n[caps]\nper_household = 600\n'
    )
    assert policy.approvals.threshold == Decimal("250.10")
    assert policy.caps.per_household == Decimal("600")


BAD = [
    ("[fund]\nname = 'x'\ncolour = 'red'\n", 3, "fund.colour", "is not a known key"),
    (
        '[approvals]\nthreshold = "-5"\n',
        2,
        "approvals.threshold",
        "greater than or equal to 0",
    ),
    ("[fund]\ncurrency = 'DOLLARS'\n", 2, "fund.currency", "ISO 4217"),
    ("[fund]\ntimezone = 'Mars/Olympus'\n", 2, "fund.timezone", "IANA time zone"),
    ("[privacy]\ndonors = 'publish'\n", 2, "privacy.donors", "'pseudonymize'"),
    ("[caps]\nwindow_days = 0\n", 2, "caps.window_days", "greater than or equal to 1"),
    ("[surprise]\nx = 1\n", 1, "surprise", "is not a known key"),
    (
        "[funds.legal]\nrestricted = true\ncategorys = ['Legal']\n",
        3,
        "funds.legal.categorys",
        "is not a known key",
    ),
    ("[approvals\nthreshold = 1\n", 1, "", "is not valid TOML"),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), BAD)
def test_bad_policy_names_file_line_and_key(
    text: str, line: int, key: str, words: str
) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "books/aidbooks.toml")
    message = info.value.line()
    assert message.startswith(f"books/aidbooks.toml:{line}: {key}")
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "line", "key", "words"), BAD[:4])
def test_bad_policy_is_exit_2_with_one_line(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    books = tmp_path / "books"
    shutil.copytree(ROOT / "ledger", books, ignore=shutil.ignore_patterns("template"))
    (books / "aidbooks.toml").write_text(text)
    result = run("aidbooks", "check", str(books / "main.beancount"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"aidbooks.toml:{line}: {key}" in lines[0]
    assert "Traceback" not in result.stderr
