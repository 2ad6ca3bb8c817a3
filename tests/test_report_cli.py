"""``aidbooks report``: the command line contract, the files, and what they never hold."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers import LEDGER
from tests.helpers import run
from tests.report_fixtures import copy_ledger
from tests.report_fixtures import make_key

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_key(tmp_path_factory.mktemp("key"))


@pytest.fixture(scope="module")
def year_report(tmp_path_factory: pytest.TempPathFactory, key: Path) -> Path:
    out = tmp_path_factory.mktemp("reports") / "2025"
    books = copy_ledger(tmp_path_factory.mktemp("books") / "books")
    result = run(
        "aidbooks",
        "report",
        str(books),
        "--period",
        "2025",
        "--out",
        str(out),
        env={"AIDBOOKS_KEY_FILE": str(key)},
    )
    assert result.returncode == 0, result.stderr
    assert "report.en.html" in result.stdout
    # what the command prints is aidbooks' own: no banner of a library it uses
    # (HiGHS 1.16 prints one when a solver is made)
    assert "HiGHS" not in result.stdout + result.stderr
    assert len(result.stdout.strip().splitlines()) == 1, result.stdout
    return out


def _report(key: Path, *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    result = run("aidbooks", "report", *args, cwd=cwd, env={"AIDBOOKS_KEY_FILE": str(key)})
    return result.returncode, result.stdout, result.stderr


def test_writes_every_format_in_every_language(year_report: Path) -> None:
    names = sorted(
        p.relative_to(year_report).as_posix() for p in year_report.rglob("*") if p.is_file()
    )
    assert names == [
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
    assert not [p for p in year_report.parent.iterdir() if p.name.startswith(".")]


def test_json_follows_the_contract(year_report: Path) -> None:
    data = json.loads((year_report / "report.json").read_text())
    assert data["schema"] == "aidbooks.report/1"
    assert data["fund"] == "Riverside Neighbors Mutual Aid"
    assert (data["period"]["start"], data["period"]["end"]) == ("2025-01-01", "2025-12-31")
    assert data["currency"] == "USD"
    for key in ("raised", "fees", "granted", "on_hand_end"):
        assert re.fullmatch(r"-?\d+", data["totals"][key]), key
    assert isinstance(data["households"]["count"], int)
    assert data["privacy"]["min_cell"] == 11
    for row in data["categories"]:
        assert set(row) >= {"name", "amount", "grants", "households", "suppressed"}
    assert data["channels"] and data["months"] and data["funds"]
    for row in data["funds"]:
        assert set(row) >= {"name", "opening", "received", "spent", "closing"}
    manifest = json.loads((year_report / "manifest.json").read_text())
    assert set(data["artifacts"]) == set(manifest["artifacts"]) - {"report.json"}


def test_nothing_that_points_at_a_person(year_report: Path) -> None:
    books_text = "".join(
        p.read_text()
        for p in LEDGER.parent.rglob("*.beancount")
        if "template" not in p.parts
    )
    codes = set(re.findall(r"\b[RVD]-[0-9A-Z]{5}-[0-9A-Z]{5}\b", books_text))
    assert len(codes) > 100
    payees = {"Riverside Water Utility", "Riverside Electric Co-op", "County Court Clerk"}
    ids = set(re.findall(r'(?:venmo|paypal|cashapp|stripe|bank)-id: "([^"]+)"', books_text))
    for path in year_report.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text()
        assert not codes & set(re.findall(r"[RVD]-[0-9A-Z]{5}-[0-9A-Z]{5}", text)), path
        assert not any(p in text for p in payees), path
        assert not any(i in text for i in list(ids)[:500]), path
        days = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
        assert days <= {"2025-01-01", "2025-12-31"}, (path, days)


def test_markdown_and_json_golden(year_report: Path) -> None:
    """The example's Markdown and JSON; rewritten only on purpose, with
    ``AIDBOOKS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report_cli.py``."""
    for name in ("report.en.md", "report.es.md", "report.json"):
        produced = (year_report / name).read_text()
        golden = GOLDEN / f"example-2025.{name}"
        if os.environ.get("AIDBOOKS_UPDATE_GOLDEN") == "1":
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(produced)
        assert golden.is_file(), (
            f"{golden} is missing: run once with AIDBOOKS_UPDATE_GOLDEN=1"
        )
        assert produced == golden.read_text(), (
            f"{name} changed; on purpose? AIDBOOKS_UPDATE_GOLDEN=1"
        )


@pytest.mark.parametrize(
    "period", ["2025-13", "2025-01-15", "2025-Q5", "Q1", "2025-03..2025-04", "25"]
)
def test_only_whole_periods(key: Path, tmp_path: Path, period: str) -> None:
    code, _, err = _report(
        key,
        str(copy_ledger(tmp_path / "books")),
        "--period",
        period,
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2
    assert err.count("\n") == 1 and "whole year, quarter or month" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "html,pdf"], "--format 'pdf'"),
        (["--lang", "en,fr"], "--lang 'fr'"),
        (["--lang", "so"], "no translation"),
    ],
)
def test_bad_options(key: Path, tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = _report(
        key,
        str(copy_ledger(tmp_path / "books")),
        "--period",
        "2025",
        "--out",
        str(tmp_path / "r"),
        *args,
    )
    assert code == 2 and message in err and "Traceback" not in err


def test_a_policy_language_without_a_catalog(key: Path, tmp_path: Path) -> None:
    main = copy_ledger(tmp_path / "books")
    policy = main.parent / "aidbooks.toml"
    policy.write_text(
        policy.read_text().replace('languages = ["en", "es"]', 'languages = ["en", "so"]')
    )
    code, _, err = _report(key, str(main), "--period", "2025", "--out", str(tmp_path / "r"))
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"aidbooks: {policy}: [report] languages 'so': no translation"), (
        err
    )
    assert not (tmp_path / "r").exists()


def test_missing_key(tmp_path: Path) -> None:
    result = run(
        "aidbooks",
        "report",
        str(copy_ledger(tmp_path / "books")),
        "--period",
        "2025",
        "--out",
        str(tmp_path / "r"),
        env={"AIDBOOKS_KEY_FILE": str(tmp_path / "nope.key")},
    )
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_period_not_over(key: Path, tmp_path: Path) -> None:
    code, _, err = _report(
        key,
        str(copy_ledger(tmp_path / "books")),
        "--period",
        "2999",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "has not ended" in err


@pytest.mark.slow  # loads and checks the whole example fund
def test_refuses_books_with_errors(key: Path, tmp_path: Path) -> None:
    ledger = copy_ledger(tmp_path / "books")
    with (ledger.parent / "books" / "2025-06.beancount").open("a") as handle:
        handle.write(
            '\n2025-06-30 * "Unbalanced"\n  Expenses:Aid:Rent  10.00 USD\n    recipient: "R-00000-00000"\n  Assets:Bank:Checking  -9.00 USD\n'
        )
    code, _, err = _report(
        key, str(ledger), "--period", "2025", "--out", str(tmp_path / "r")
    )
    assert code == 1 and "no report was written" in err
    assert not (tmp_path / "r").exists()


def test_refuses_to_replace_a_folder_that_is_not_a_report(
    key: Path, tmp_path: Path
) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "notes.txt").write_text("mine")
    code, _, err = _report(
        key,
        str(copy_ledger(tmp_path / "books")),
        "--period",
        "2025-Q1",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "other than an aidbooks report" in err
    assert (tmp_path / "r" / "notes.txt").read_text() == "mine"


@pytest.mark.slow  # publishes reports of the example fund
def test_json_only_and_publishing_again(key: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    books = str(copy_ledger(tmp_path / "books"))
    args = ("--period", "2025-Q1", "--out", str(out), "--format", "json", "--lang", "es")
    assert _report(key, books, *args)[0] == 0
    names = ["manifest.json", "report.json", "report.schema.json"]
    assert sorted(p.name for p in out.iterdir()) == names
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    # the period is recorded: publishing it again writes the release as recorded,
    # whatever is asked for now
    code, stdout, _ = _report(key, books, "--period", "2025-Q1", "--out", str(out))
    assert code == 0 and "as it was published" in stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.slow  # publishes reports of the example fund
def test_quarter_report_hides_and_marks(key: Path, tmp_path: Path) -> None:
    out = tmp_path / "2025-Q1"
    code, stdout, _ = _report(
        key, str(copy_ledger(tmp_path / "books")), "--period", "2025-Q1", "--out", str(out)
    )
    assert code == 0 and "hidden to protect households" in stdout
    data = json.loads((out / "report.json").read_text())
    assert data["privacy"]["suppressed"] > 0
    assert data["bail"]["posted"] is None  # a few bonds in a quarter: hidden
    page = (out / "report.en.html").read_text()
    assert "fewer than 11 households" in page
    assert "menos de 11 hogares" in (out / "report.es.html").read_text()
    assert "fewer than 11 households" in (out / "report.en.md").read_text()
    csv_text = (out / "csv" / "bail.csv").read_text()
    assert "posted,\n" in csv_text


@pytest.mark.slow  # publishes reports of the example fund
def test_publishing_out_of_order_keeps_the_history(key: Path, tmp_path: Path) -> None:
    books = str(copy_ledger(tmp_path / "books"))
    assert _report(key, books, "--period", "2025-Q2", "--out", str(tmp_path / "q2"))[0] == 0
    # a month inside a published quarter: audited together with it, chained after it
    assert (
        _report(key, books, "--period", "2025-04", "--out", str(tmp_path / "apr"))[0] == 0
    )
    assert (
        _report(key, books, "--period", "2025-07", "--out", str(tmp_path / "jul"))[0] == 0
    )
    manifest = json.loads((tmp_path / "jul" / "manifest.json").read_text())
    assert manifest["previous"]["period"] == "2025-04"
    assert [c["period"] for c in manifest["context"]] == ["2025-Q2", "2025-04"]
    recorded = sorted(p.name for p in (tmp_path / "books" / "published").iterdir())
    assert recorded == ["2025-04", "2025-07", "2025-Q2"]
