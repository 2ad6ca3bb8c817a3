"""The publish preview takes the fund's earlier reports into account (``[report] published``).

The real report keeps hidden what earlier reports hid and what differencing against
them would give away; the Aid page's preview must hide exactly what the report will.
On the example fund the year 2025 hides nothing on its own, and 10 numbers once its
four quarterly reports are published — the case this file is built on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.books import load_books
from aidbooks.overview import build
from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import parse_policy
from aidbooks.preview import earlier_reports
from aidbooks.preview import preview
from aidbooks.reports import parse_period
from aidbooks.reports.disclosure import published_values
from aidbooks.reports.model import PublicReport
from tests.helpers import invoke
from tests.report_fixtures import copy_ledger
from tests.report_fixtures import make_key

QUARTERS = ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")


def _publish(
    main: Path, key: Path, period: str, monkeypatch: pytest.MonkeyPatch, *flags: str
) -> Path:
    out = main.parent.parent / "reports" / period
    monkeypatch.setenv("AIDBOOKS_KEY_FILE", str(key))
    code, _out, err = invoke(
        CliRunner(),
        "report",
        str(main),
        "--period",
        period,
        "--format",
        "json",
        "--out",
        str(out),
        *flags,
    )
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example fund with its four quarterly reports of 2025 recorded."""
    folder = tmp_path_factory.mktemp("preview")
    main = copy_ledger(folder / "books")
    key = make_key(folder)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for period in QUARTERS:
            _publish(main, key, period, monkeypatch)
    return main, key


@pytest.mark.slow  # publishes reports of the example fund
def test_the_year_preview_hides_what_the_year_report_hides(
    books: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, key = books
    entries, _errors, options = load_books(main)
    policy = load_policy(main.parent / "aidbooks.toml")
    earlier = earlier_reports(policy, main)
    assert earlier is not None and sorted(p.period.label for p in earlier) == list(QUARTERS)
    year = parse_period("2025")
    alone = preview(entries, options, policy, year)
    shown = preview(entries, options, policy, year, None, earlier)
    assert alone.earlier is None and alone.hidden == 0
    assert shown.earlier == QUARTERS
    assert shown.hidden > 0  # the quarters make the year's numbers differenceable
    out = _publish(main, key, "2025", monkeypatch, "--draft")  # the same numbers
    try:
        report = PublicReport.model_validate_json((out / "report.json").read_bytes())
        assert shown.hidden == report.privacy.suppressed
        published = published_values(report)
        cells = [c for t in shown.tables for _row, line in t.rows for c in line if c]
        compared = 0
        for cell in cells:
            if cell.id in published:
                assert cell.hidden == (published[cell.id] is None), cell.id
                compared += 1
        assert compared > 50
    finally:
        for file in out.iterdir():
            file.unlink()
        out.rmdir()


@pytest.mark.slow  # publishes reports of the example fund
def test_the_page_names_the_reports_it_took_into_account(books: tuple[Path, Path]) -> None:
    main, _key = books
    loaded = load_books(main)
    overview = build(loaded, main, load_policy(main.parent / "aidbooks.toml"))
    assert overview.problems == {}
    assert overview.preview is not None and overview.preview.period == "2025-Q4"
    assert overview.preview.earlier == ("2025-Q1", "2025-Q2", "2025-Q3")


@pytest.mark.slow  # its books fixture publishes reports of the example fund
def test_a_damaged_earlier_report_is_one_problem_of_the_preview(
    books: tuple[Path, Path], tmp_path: Path
) -> None:
    main, _key = books
    shutil.copytree(main.parent, tmp_path / "books")
    copy = tmp_path / "books" / main.name
    assert sorted(p.name for p in (copy.parent / "published").iterdir()) == list(QUARTERS)
    damaged = copy.parent / "published" / "2025-Q2" / "report.json"
    damaged.write_text(json.dumps({"not": "a report"}))
    overview = build(load_books(copy), copy, load_policy(copy.parent / "aidbooks.toml"))
    assert overview.preview is None
    problem = overview.problems["preview"]
    assert "report.json" in problem and "2025-Q2" in problem and "\n" not in problem


def test_books_without_a_release_history_have_no_earlier_releases(tmp_path: Path) -> None:
    main = copy_ledger(tmp_path / "books")
    assert earlier_reports(parse_policy(""), main) == []


def test_a_nul_in_the_folder_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy('[report]\npublished = "rep\\u0000orts"\n')
    assert "report.published" in str(caught.value) or "published" in str(caught.value)
