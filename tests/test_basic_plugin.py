"""``plugin "aidbooks.plugins.basic"``: the basic rules in one line, same findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from click.testing import CliRunner

from aidbooks.plugins import approvals
from aidbooks.plugins import basic
from aidbooks.plugins import funds
from aidbooks.plugins import rules
from tests import smallbooks
from tests.helpers import invoke

DATA = Path(__file__).parent / "data" / "fundrules"
ONE_LINE_EACH = "\n".join(f'plugin "{module}"' for module in rules.BASIC.values())
BASIC = 'plugin "aidbooks.plugins.basic"'


def findings(path: Path) -> list[tuple[str, str, int, str]]:
    """(rule, file, line, message) of every finding of a load, in the loader's order."""
    _entries, errors, _options = loader.load_file(str(path))
    return [
        (
            getattr(e, "rule", "?"),
            Path(e.source["filename"]).name,
            e.source["lineno"],
            e.message,
        )
        for e in errors
    ]


def fixture(folder: Path, name: str, plugins: str) -> Path:
    """A fund-rule fixture whose plugin lines are replaced by ``plugins``."""
    for file in ("common.beancount", "aidbooks.toml"):
        shutil.copy(DATA / file, folder / file)
    # Comments pad the plugin lines to four, so that both variants have the same
    # line numbers.
    plugins += "\n;" * (len(rules.BASIC) - 1 - plugins.count("\n"))
    lines = (DATA / name).read_text().splitlines()
    text = "\n".join(plugins if line.startswith("plugin ") else line for line in lines)
    path = folder / name
    path.write_text(text + "\n")
    return path


@pytest.mark.parametrize("name", ["funds-fail.beancount", "approvals-fail.beancount"])
def test_one_line_finds_what_one_line_per_rule_finds(tmp_path: Path, name: str) -> None:
    each = findings(fixture(tmp_path, name, ONE_LINE_EACH))
    one = findings(fixture(tmp_path, name, BASIC))
    assert one == each  # the same findings, in the same order, with the same rule
    assert {rule for rule, *_ in one} >= {name.split("-", maxsplit=1)[0]}
    assert all(rule in rules.BASIC for rule, *_ in one)


def test_every_basic_rule_runs_and_keeps_its_check_name(tmp_path: Path) -> None:
    found = {
        rule
        for name in ("funds-fail.beancount", "approvals-fail.beancount")
        for rule, *_ in findings(fixture(tmp_path, name, BASIC))
    }
    assert found == set(rules.BASIC)  # recipients, no-pii, funds, approvals


def test_a_rule_with_its_own_line_runs_once(tmp_path: Path) -> None:
    alone = findings(
        fixture(tmp_path, "funds-fail.beancount", 'plugin "aidbooks.plugins.funds"')
    )
    both = findings(
        fixture(
            tmp_path, "funds-fail.beancount", f'{BASIC}\nplugin "aidbooks.plugins.funds"'
        )
    )
    funds_alone = [f for f in alone if f[0] == "funds"]
    assert funds_alone
    assert [f for f in both if f[0] == "funds"] == funds_alone


def test_a_crashing_rule_fails_its_own_check_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> list[Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(funds, "from_sweep", broken)
    found = findings(fixture(tmp_path, "approvals-fail.beancount", BASIC))
    crashed = [f for f in found if f[0] == "funds"]
    assert len(crashed) == 1
    assert "could not run (RuntimeError)" in crashed[0][3]
    assert "a bug" not in crashed[0][3]
    assert any(f[0] == "approvals" for f in found)


def test_check_reports_basic_findings_once_under_their_checks(tmp_path: Path) -> None:
    approval = f'  approved-by: "{smallbooks.V1}, {smallbooks.V2}"\n'
    assert approval in smallbooks.BOOKS
    books = smallbooks.BOOKS.replace(approval, "")
    main = smallbooks.write_books(tmp_path / "books", books=books)
    assert BASIC in main.read_text()
    code, out, _err = invoke(CliRunner(), "check", str(main), "--json")
    assert code == 1
    report = json.loads(out)
    failed = {c["name"]: c["findings"] for c in report["checks"] if c["findings"]}
    assert list(failed) == ["approvals"]
    assert len(failed["approvals"]) == 1


def test_the_rule_modules_stay_plugins_of_their_own() -> None:
    for module in (funds, approvals):
        assert len(module.__plugins__) == 1
    on = rules.switched_on({"plugin": [(rules.BASIC_PLUGIN, None)]})
    assert on == set(rules.BASIC.values())
    assert len((basic.__doc__ or "").splitlines()) > 20
