"""The privacy rules are registered, switched on in new books, and importable as plugins."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from aidbooks.cmd_init import PLUGINS
from aidbooks.plugins import rules
from aidbooks.plugins.errors import RuleError
from tests.helpers import LEDGER
from tests.helpers import run


@pytest.mark.parametrize(
    ("name", "module"), [("recipients", "recipients"), ("no-pii", "no_pii")]
)
def test_rule_is_registered_and_switched_on(name: str, module: str) -> None:
    assert rules.BASIC[name] == f"aidbooks.plugins.{module}"
    mod = importlib.import_module(f"aidbooks.plugins.{module}")
    assert callable(mod.validate)
    assert len(mod.__plugins__) == 1
    errors: list[type[RuleError]] = [
        obj
        for obj in vars(mod).values()
        if isinstance(obj, type) and issubclass(obj, RuleError) and obj is not RuleError
    ]
    assert [e.rule for e in errors if e.__module__ == mod.__name__] == [name]
    assert f"aidbooks.plugins.{module}" in rules.switched_on(
        {"plugin": [(plugin, None) for plugin in PLUGINS]}
    )
    assert PLUGINS == ("aidbooks.plugins.basic",)
    assert 'plugin "aidbooks.plugins.basic"' in LEDGER.read_text(encoding="utf-8")
    assert len((mod.__doc__ or "").splitlines()) > 20


def test_new_books_switch_the_rules_on_and_pass_them(tmp_path: Path) -> None:
    books = tmp_path / "books"
    result = run(
        "aidbooks", "init", str(books), "--key-file", str(tmp_path / "k" / "fund.key")
    )
    assert result.returncode == 0, result.stderr
    main = (books / "main.beancount").read_text(encoding="utf-8")
    assert 'plugin "aidbooks.plugins.basic"' in main
    (books / "books" / "grants.beancount").write_text(
        '2025-03-01 * "Rent for Maria"\n'
        "  Expenses:Aid:Rent  10.00 USD\n"
        "  Assets:Bank:Checking\n",
        encoding="utf-8",
    )
    check = run("bean-check", str(books / "main.beancount"))
    assert check.returncode == 1
    assert "grants.beancount:1: narration holds a personal name" in check.stderr
    assert (
        "grants.beancount:2: posting to Expenses:Aid:Rent has no recipient" in check.stderr
    )
    assert "Maria" not in check.stderr
