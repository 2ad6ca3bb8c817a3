"""Fuzzing ``aidbooks.toml``.

Generated policy files — every section and key the model knows plus unknown ones,
values of every TOML type and every wrong shape (huge numbers, ``nan``, ``inf``,
``"1e-30"``, NUL characters, empty strings, a zone database folder such as
``"America"``, nested tables where a number belongs), then broken as text
(truncated, a character flipped, a table repeated) — must either load or stop with
one :class:`PolicyError` line naming the file (exit 2 on the command line). A
policy that loads must then work for everything that reads it: the importers'
settings, the key path, ``aidbooks check``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from aidbooks.importers import build
from aidbooks.importers import identify
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.settings import Settings
from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import parse_policy
from tests.helpers import LEDGER
from tests.helpers import invoke
from tests.hostile import budget
from tests.importing import DATA
from tests.importing import KEY

SECTIONS = {
    name: list(field.annotation.model_fields)
    for name, field in Policy.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
}
SECTIONS["funds.legal"] = ["restricted", "categories", "description"]
SECTIONS["funds.general"] = ["restricted", "categories"]
SECTIONS["imports.mapped.gofundme"] = [
    "channel",
    "id",
    "date",
    "date_format",
    "timezone",
    "amount",
    "fee",
    "net",
    "donor",
    "status",
    "final",
    "preset",
    "identify",
    "decimal",
    "account",
]
SECTIONS["bogus"] = ["anything"]

ODD_VALUES = (
    '"1e-30"',
    '"1e30"',
    '"1e400"',
    '"NaN"',
    '"-1"',
    '"0"',
    '""',
    '"America"',
    '"Etc"',
    '"../../etc/passwd"',
    '"\\u0000"',
    '"/tmp/\\u0000key"',
    '"' + "x" * 400 + '"',
    '"%Y-%m-%d %Q"',
    '"actblue"',
    '"Assets:Platform:GoFundMe"',
    '"Expenses:Aid:Rent"',
    '"America/Chicago"',
    '"pseudonymize"',
    '"ZZZ"',
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "0",
    "1",
    "99999999999999999999999999999",
    "true",
    "[]",
    '["en", "xx"]',
    '["Legal", "Legal"]',
    "[[1, 2], [3]]",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "07:32:00",
)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


values = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=30).map(_string),
    st.lists(st.text(max_size=8).map(_string), max_size=4).map(
        lambda items: "[" + ", ".join(items) + "]"
    ),
)


@st.composite
def policy_text(draw: st.DrawFn) -> str:
    tables: dict[str, list[str]] = {}
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=6)):
        keys = SECTIONS[section] + ["bogus_key"]
        for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
            tables.setdefault(section, []).append(f"{key} = {draw(values)}")
    text = "".join(
        f"[{name}]\n" + "".join(f"{line}\n" for line in lines)
        for name, lines in tables.items()
    )
    for _ in range(draw(st.integers(0, 2))):
        how = draw(st.sampled_from(["truncate", "flip", "repeat", "bom", "garbage"]))
        if how == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif how == "flip" and text:
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + draw(st.sampled_from("[]=\"'#\n\\{}.,")) + text[at + 1 :]
        elif how == "repeat":
            text += text
        elif how == "bom":
            text = "\ufeff" + text
        else:
            text += draw(st.text(max_size=20))
    return text


def _one_line(exc: PolicyError) -> str:
    line = exc.line()
    assert "\n" not in line and line.startswith("aidbooks.toml"), line
    assert "Traceback" not in line
    return line


@pytest.mark.slow  # many generated policies
@budget(300)
@given(text=policy_text())
def test_any_policy_loads_or_is_one_clear_error(text: str) -> None:
    try:
        policy = parse_policy(text)
    except PolicyError as exc:
        _one_line(exc)
        return
    # everything that reads the policy works with it
    conf = Settings.from_policy(policy, DATA, KEY)
    assert isinstance(conf.scanner, Scanner)
    importers = build(conf)
    assert importers
    try:
        identify(str(DATA / "venmo" / "statement-2025-05.csv"), importers)
    except ImportFileError as exc:  # two mapped sources may claim a file: clean error
        assert "more than one importer" in exc.line()
    policy.key_path()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[privacy]\nrounding = "1e-30"\n', "privacy.rounding: must be 0"),
        ('[privacy]\nrounding = "1e30"\n', "privacy.rounding: must be 0"),
        ('[fund]\ntimezone = "America"\n', "fund.timezone: must be an IANA time zone"),
        (f'[fund]\ntimezone = "{"x" * 300}"\n', "fund.timezone: must be an IANA time zone"),
        ('[imports]\nvenmo_timezone = "Etc"\n', "imports.venmo_timezone: must be an IANA"),
        ("[report]\nlanguages = []\n", "report.languages: must have at least 1 item"),
        ("[privacy]\nmin_cell = 1e309\n", "privacy.min_cell"),
        ("[approvals]\nthreshold = nan\n", "approvals.threshold"),
        ('[privacy]\nkey_file = "/tmp/\\u0000x"\n', "privacy.key_file: must be the path"),
        ('[privacy]\nkey_file = ""\n', "privacy.key_file: must be the path"),
        ("[fund\nname = 1\n", "is not valid TOML"),
        ("\x00", "is not valid TOML"),
    ],
)
def test_values_that_used_to_crash(text: str, message: str) -> None:
    """Each of these escaped as an internal error (exit 3) once."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert message in _one_line(caught.value)


def test_policy_that_is_not_a_file(tmp_path: Path) -> None:
    """A folder or a named pipe named aidbooks.toml is a clean error, not a hang."""
    folder = tmp_path / "dir" / "aidbooks.toml"
    folder.mkdir(parents=True)
    with pytest.raises(PolicyError, match="Is a directory"):
        load_policy(folder)
    pipe = tmp_path / "aidbooks.toml"
    os.mkfifo(pipe)
    with pytest.raises(PolicyError, match="not a regular file"):
        load_policy(pipe)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[fund]")
    with pytest.raises(PolicyError, match="is not UTF-8 text"):
        load_policy(binary)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("books") / "books"
    code, _out, err = invoke(
        CliRunner(),
        "init",
        str(folder),
        "--key-file",
        str(folder.parent / "k" / "fund.key"),
    )
    assert code == 0, err
    return folder


@budget(10)
@given(text=policy_text())
def test_check_with_a_generated_policy(
    text: str, books: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``aidbooks check`` with any policy: 0/1, or 2 with one line naming the file."""
    folder = tmp_path_factory.mktemp("run") / "books"
    shutil.copytree(books, folder)
    (folder / "aidbooks.toml").write_text(text, encoding="utf-8")
    code, out, err = invoke(CliRunner(), "check", str(folder / "main.beancount"))
    assert code in (0, 1, 2), out + err
    assert "Traceback" not in out + err and "internal error" not in out + err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "aidbooks.toml" in lines[0], err


def test_report_with_an_impossible_rounding_exits_2(tmp_path: Path) -> None:
    """It crashed inside the rounding (exit 3) once; now the policy says why."""
    folder = tmp_path / "books"
    shutil.copytree(LEDGER.parent, folder, ignore=shutil.ignore_patterns("template", ".*"))
    policy = folder / "aidbooks.toml"
    policy.write_text(
        policy.read_text().replace("[privacy]", '[privacy]\nrounding = "1e-30"')
    )
    code, out, err = invoke(
        CliRunner(),
        "report",
        str(folder / "main.beancount"),
        "--period",
        "2025-Q1",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2, out + err
    assert "privacy.rounding: must be 0" in err
    assert not (tmp_path / "out").exists()
