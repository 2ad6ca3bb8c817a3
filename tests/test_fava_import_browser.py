"""Fava's Import page in a real browser saves an export as ``aidbooks import`` does.

``aidbooks serve`` on new books with a Venmo statement (that pays four new
recipients) in ``downloads/``, headless Debian Chromium driven by Playwright: the
treasurer extracts the file, steps to the last entry and clicks *Save*. Then the
disk is checked: the entries are in ``imports/venmo.beancount`` (not in
``main.beancount``), the new codes are declared in ``imports/codes.beancount``,
``aidbooks check`` and ``bean-check`` pass, no personal string of the export is in
any file of the books, and extracting or importing the file again adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from tests.helpers import invoke
from tests.helpers import run
from tests.importing import personal_strings
from tests.serving import Server
from tests.serving import serving
from tests.test_fava_browser import ARGS
from tests.test_fava_browser import CHROMIUM
from tests.test_fava_import_save import STATEMENT
from tests.test_fava_import_save import make_books
from tests.test_fava_import_save import snapshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"
    ),
]
EXPORT = "statement-2025-05.csv"
#: How long the page may take to answer a click (the save loads the books once).
WAIT_MS = 30_000


@pytest.fixture
def books(tmp_path: Path, runner: CliRunner) -> Path:
    return make_books(tmp_path / "books", tmp_path / "key" / "fund.key", runner, STATEMENT)


@pytest.fixture
def server(books: Path) -> Iterator[Server]:
    with serving(books) as running:
        yield running


def extract(page: Page) -> None:
    """Click the file's Extract button (the aidbooks Venmo importer)."""
    page.get_by_title("Extract with importer aidbooks.venmo").click()


@pytest.mark.slow  # starts aidbooks serve and Chromium
def test_import_page_saves_into_imports_as_aidbooks_import(
    server: Server, books: Path, runner: CliRunner, tmp_path: Path
) -> None:
    folder = books.parent
    before = snapshot(folder)
    messages: list[tuple[str, str]] = []
    failed: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.set_default_timeout(WAIT_MS)
            page.on("console", lambda m: messages.append((m.type, m.text)))
            page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
            page.on(
                "response",
                lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            page.goto(server.aid.removesuffix("extension/Aid/") + "import/")
            expect(page.get_by_text(EXPORT)).to_be_visible()

            extract(page)
            expect(page.get_by_text("Entry 1 of 11 (11 to import):")).to_be_visible()
            expect(page.get_by_text("is not supported for editing")).to_have_count(0)
            page.get_by_role("button", name="⏭").click()
            expect(page.get_by_text("Entry 11 of 11")).to_be_visible()
            page.screenshot(path=str(tmp_path / "extract.png"))
            page.get_by_role("button", name="Save", exact=True).click()
            notice = page.get_by_text(re.compile(r"11 imported, 0 duplicates"))
            expect(notice.first).to_be_visible()
            shown = notice.first.inner_text()
            page.screenshot(path=str(tmp_path / "saved.png"))

            saved = snapshot(folder)
            # extracting the file again finds nothing left to import
            extract(page)
            expect(page.get_by_text("No entries to import from this file.")).to_be_visible()
        finally:
            browser.close()

    assert "new recipient codes (4), declared in imports/codes.beancount" in shown
    changed = {name for name in saved if saved[name] != before.get(name)}
    assert changed == {"imports/codes.beancount", "imports/venmo.beancount"}
    assert saved["main.beancount"] == before["main.beancount"]
    venmo = saved["imports/venmo.beancount"].decode()
    assert venmo.count("venmo-id:") == 11
    codes = saved["imports/codes.beancount"].decode()
    recipients = set(re.findall(r'recipient: "(R-[0-9A-Z-]+)"', venmo))
    assert len(recipients) == 4
    for code in recipients:
        assert f'custom "aid-recipient" "{code}"' in codes

    code, out, err = invoke(runner, "check", str(books))
    assert code == 0, out + err
    bean = run("bean-check", str(books))
    assert bean.returncode == 0, bean.stdout + bean.stderr
    personal = personal_strings()
    assert "Donor A" in personal
    for name, text in saved.items():
        assert not {value for value in personal if value.encode() in text}, name
    assert not {value for value in personal if value in shown}

    # the command line agrees that the file is in the books
    code, out, err = invoke(
        runner, "import", str(folder / "downloads" / EXPORT), "--ledger", str(books)
    )
    assert code == 0, err
    assert "0 imported, 11 duplicates" in out
    assert snapshot(folder) == saved

    assert [m for m in messages if m[0] in ("error", "pageerror")] == []
    assert failed == []
