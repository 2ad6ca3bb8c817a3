"""The Aid page in a real browser: ``aidbooks serve`` on the example fund, headless Chromium.

Debian's ``/usr/bin/chromium`` driven by Playwright. The server is a real
``aidbooks serve`` process on a free port, stopped by its PID. The numbers checked
on the page are recomputed here from the postings, not written down.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypedDict

import pytest
from beancount.core import data
from playwright.sync_api import sync_playwright

from aidbooks.books import load_books
from tests.postings import posting_number
from tests.report_fixtures import copy_ledger
from tests.report_fixtures import make_key
from tests.serving import Server
from tests.serving import serving

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FUND_ACCOUNTS = ("Income:", "Expenses:", "Equity:", "Assets:Receivable:")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"
    ),
]


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_ledger(tmp_path_factory.mktemp("example") / "books")


@pytest.fixture(scope="module")
def server(books: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    key = make_key(tmp_path_factory.mktemp("key"))
    with serving(books, env={"AIDBOOKS_KEY_FILE": str(key)}) as running:
        yield running


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


class Expected(TypedDict):
    """The numbers the aid page must show."""

    closing: dict[str, Decimal]
    bail: Decimal
    pending: int
    accounts: int


def expected_numbers(books: Path) -> Expected:
    """What the page must show, recomputed from the postings of the example fund."""
    entries, errors, _options = load_books(books)
    assert errors == []
    closing = {"legal": Decimal(0), "rent": Decimal(0)}
    bail = Decimal(0)
    pending = 0
    accounts = set()
    for entry in entries:
        if isinstance(entry, data.Open) and entry.account.startswith(
            ("Assets:Bank:", "Assets:Platform:")
        ):
            accounts.add(entry.account)
        if not isinstance(entry, data.Transaction):
            continue
        if entry.flag == "!" and any(
            p.account.startswith("Expenses:Aid:") for p in entry.postings
        ):
            pending += 1
        for posting in entry.postings:
            fund = (posting.meta or {}).get("fund") or entry.meta.get("fund") or "general"
            if fund in closing and posting.account.startswith(FUND_ACCOUNTS):
                closing[fund] -= posting_number(posting)
            if posting.account.startswith("Assets:Receivable:"):
                bail += posting_number(posting)
    return {"closing": closing, "bail": bail, "pending": pending, "accounts": len(accounts)}


@pytest.mark.slow  # starts aidbooks serve and Chromium
def test_aid_page_in_chromium(server: Server, books: Path, tmp_path: Path) -> None:
    expected = expected_numbers(books)
    messages: list[tuple[str, str]] = []
    failed: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("console", lambda m: messages.append((m.type, m.text)))
            page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
            page.on(
                "response",
                lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            page.goto(server.aid)
            page.wait_for_load_state("networkidle")
            shot = tmp_path / "aid-page.png"
            page.screenshot(path=str(shot), full_page=True)

            headings = page.locator(".aidbooks h3").all_inner_texts()
            assert headings == [
                "Restricted funds",
                "Reconciliation",
                "Grants waiting",
                "Households near their cap",
                "Derived codes to link",
                "Bail and bonds",
                "Checks",
                "Publish preview: 2025-Q4",
            ]
            assert page.title().startswith("Aid - Riverside Neighbors Mutual Aid")
            closing = expected["closing"]
            assert isinstance(closing, dict)
            for fund, value in closing.items():
                row = page.locator(f"tr[data-fund='{fund}'] td")
                assert row.nth(4).inner_text() == money(value)
            assert page.locator("#aid-accounts tbody tr").count() == expected["accounts"]
            waiting = page.locator("#aid-waiting tr[data-status='pending']")
            assert waiting.count() == expected["pending"]
            owed = sum(
                (
                    Decimal(t.replace(",", ""))
                    for t in page.locator(
                        "#aid-bail-ages tbody td:nth-child(3)"
                    ).all_inner_texts()
                ),
                Decimal(0),
            )
            assert owed == expected["bail"] > 0
            assert page.locator("#aid-passed").inner_text().startswith("Passed: syntax")
            assert page.locator("#aid-preview table.preview").count() >= 8

            # a grant waiting opens in Fava's editor at its line
            link = waiting.first.locator("a")
            href = link.get_attribute("href")
            assert href is not None
            line = href.rsplit("line=", 1)[1]
            link.click()
            page.wait_for_url(
                lambda url: "/editor/?" in url and url.endswith(f"line={line}")
            )
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(tmp_path / "editor.png"))
        finally:
            browser.close()
    assert [m for m in messages if m[0] in ("error", "pageerror")] == []
    assert failed == []
    assert shot.stat().st_size > 50_000
