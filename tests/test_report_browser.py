"""The published page in a real browser (Debian's chromium through Playwright).

Opened from disk in both languages, on a desktop and a phone-sized screen: no
console message of level error or warning, and no request beyond the file
itself — a donor's browser tells nobody that the report was read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.report_fixtures import example_books
from tests.report_fixtures import make_key
from tests.report_fixtures import publish

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    books = example_books(make_key(tmp_path_factory.mktemp("key")))
    root = tmp_path_factory.mktemp("reports")
    publish(books, root / "2025-Q1", "2025-Q1")  # a quarter: it has hidden cells to show
    return publish(books, root / "2025", "2025")


@pytest.mark.parametrize("name", ["report.en.html", "report.es.html", "index.html"])
@pytest.mark.parametrize("width", [1200, 380])
@pytest.mark.slow  # opens every page in Chromium
def test_page_makes_no_request_and_no_error(
    report: Path, tmp_path: Path, name: str, width: int
) -> None:
    page_file = report / name
    url = page_file.as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            messages: list[tuple[str, str]] = []
            requests: list[str] = []
            page.on("console", lambda m: messages.append((m.type, m.text)))
            page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("networkidle")
            shot = tmp_path / f"{page_file.stem}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            if name != "index.html":
                assert (
                    page.locator("h1")
                    .inner_text()
                    .startswith("Riverside Neighbors Mutual Aid")
                )
                assert page.locator("svg[role=img]").count() == 2  # charts drawn inline
                assert page.locator("table").count() >= 8  # and the same numbers as tables
                # nothing spills sideways on a phone except inside the scrolling tables
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 1
        finally:
            browser.close()
    assert [m for m in messages if m[0] in ("error", "warning", "pageerror")] == []
    assert requests == [url]
    assert shot.stat().st_size > 10_000


def test_quarter_page_marks_hidden_values(report: Path) -> None:
    quarter = report.parent / "2025-Q1" / "report.es.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(quarter.as_uri())
            hidden = page.locator("td.hid")
            assert hidden.count() > 0
            assert "menos de 11 hogares" in hidden.first.inner_text()
            assert page.locator("html").get_attribute("lang") == "es"
        finally:
            browser.close()
