"""The Aid page in Fava (aidbooks.fava_ext), through Fava's own WSGI app.

The numbers the page shows are checked against the rules' public functions and
plain recomputations from the postings; the page is computed once per load of the
books and follows Fava's time and account filters.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import lxml.html
import pytest
from beancount.core import data
from fava.application import create_app
from flask.testing import FlaskClient

import aidbooks.fava_ext
import aidbooks.overview
from aidbooks.books import load_books
from aidbooks.plugins import fundflows
from aidbooks.plugins.policy import load_policy
from tests.helpers import LEDGER
from tests.report_fixtures import copy_ledger
from tests.report_fixtures import make_key
from tests.smallbooks import ACCOUNTS
from tests.smallbooks import BOOKS
from tests.smallbooks import R1
from tests.smallbooks import R2
from tests.smallbooks import V1
from tests.smallbooks import V2
from tests.smallbooks import line_of
from tests.smallbooks import main_text
from tests.smallbooks import write_books

EXAMPLE_SLUG = "riverside-neighbors-mutual-aid"
EXTENSION = '2025-01-01 custom "fava-extension" "aidbooks.fava_ext"\n'


def page(client: FlaskClient, slug: str, query: str = "") -> Any:
    response = client.get(f"/{slug}/extension/Aid/{query}")
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


def rows(tree: Any, path: str) -> list[list[str]]:
    return [[text(td) for td in tr.xpath("./td")] for tr in tree.xpath(path)]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, Any]]:
    """Fava on a copy of the example fund (with a key, so its import config loads)."""
    folder = tmp_path_factory.mktemp("example")
    main = copy_ledger(folder / "books")
    key = make_key(tmp_path_factory.mktemp("key"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIDBOOKS_KEY_FILE", str(key))
        app = create_app([str(main)], load=True, poll_watcher=True)
        app.config["TESTING"] = True
        yield app.test_client(), app.config["LEDGERS"].ledgers[0]


def test_example_page_has_every_section_and_the_funds_numbers(
    example: tuple[FlaskClient, Any],
) -> None:
    client, ledger = example
    assert ledger.errors == []
    tree = page(client, EXAMPLE_SLUG)
    for section in (
        "funds",
        "reconciliation",
        "waiting",
        "caps",
        "links",
        "bail",
        "checks",
        "preview",
    ):
        assert tree.xpath(f"//section[@id='aid-{section}']"), section
    # every code the example's imports derived is linked by the year's end (read from
    # the books); the page then lists none
    customs = [e for e in ledger.all_entries if isinstance(e, data.Custom)]
    linked = {v.value for e in customs if e.type == "aid-link" for v in e.values}
    derived = {
        e.values[0].value
        for e in customs
        if e.type == "aid-recipient"
        and e.meta["filename"].endswith("imports/codes.beancount")
    }
    to_link = [
        tr.get("data-recipient")
        for tr in tree.xpath("//*[@id='aid-links']//tr[@data-recipient]")
    ]
    assert derived and sorted(to_link) == sorted(derived - linked) == []
    assert "Every code the imports derived is linked" in text(
        tree.xpath("//*[@id='aid-links']")[0]
    )
    assert "The books end on 2025-12-31" in text(tree.xpath("//*[@id='aid-scope']")[0])
    policy = load_policy(LEDGER.parent / "aidbooks.toml")
    expected = fundflows.flows(list(ledger.all_entries), policy, dt.date(2025, 1, 1))
    shown = {tr.get("data-fund"): tr for tr in tree.xpath("//tr[@data-fund]")}
    assert list(shown) == ["legal", "rent", "general"]  # restricted first
    for name, flow in expected.items():
        cells = [text(td) for td in shown[name].xpath("./td")]
        assert cells[1:5] == [
            f"{flow.opening:,.2f}",
            f"{flow.received:,.2f}",
            f"{flow.spent:,.2f}",
            f"{flow.closing:,.2f}",
        ]
    # every open bank and platform account, with its last assertion (2026-01-01)
    accounts = rows(tree, "//*[@id='aid-accounts']/tbody/tr")
    assert [r[0] for r in accounts] == [
        "Assets:Bank:Checking",
        *(
            f"Assets:Platform:{p}"
            for p in ("Venmo", "PayPal", "CashApp", "Stripe", "GoFundMe", "OpenCollective")
        ),
    ]
    assert all(r[1] == "2026-01-01" and r[2] == "0" and r[3] == "ok" for r in accounts)
    # the example passes every check; the preview is of the quarter the books end in
    assert not tree.xpath("//div[@class='check']")
    assert "Passed: syntax, balanced" in text(tree.xpath("//*[@id='aid-passed']")[0])
    assert "Publish preview: 2025-Q4" in text(tree.xpath("//*[@id='aid-preview']//h3")[0])


def test_time_filter_sets_the_period_and_the_day(example: tuple[FlaskClient, Any]) -> None:
    client, ledger = example
    tree = page(client, EXAMPLE_SLUG, "?time=2025-Q2")
    assert "Funds over 2025-04-01 to 2025-06-30" in text(
        tree.xpath("//*[@id='aid-scope']")[0]
    )
    policy = load_policy(LEDGER.parent / "aidbooks.toml")
    expected = fundflows.flows(
        list(ledger.all_entries), policy, dt.date(2025, 4, 1), dt.date(2025, 7, 1)
    )
    for tr in tree.xpath("//tr[@data-fund]"):
        assert tr.get("data-closing") == str(expected[tr.get("data-fund")].closing)
    # reconciliation as the books stood on 2025-06-30: the assertions of 06-01
    accounts = rows(tree, "//*[@id='aid-accounts']/tbody/tr")
    assert {r[1] for r in accounts} == {"2025-06-01"}
    assert "Publish preview: 2025-Q2" in text(tree.xpath("//*[@id='aid-preview']//h3")[0])
    # the two pending grants of December are outside the period
    assert not tree.xpath("//*[@id='aid-waiting']//tr[@data-status]")


def test_account_filter_narrows_reconciliation_bail_and_grants(
    example: tuple[FlaskClient, Any],
) -> None:
    client, _ledger = example
    whole = page(client, EXAMPLE_SLUG)
    assert len(whole.xpath("//*[@id='aid-waiting']//tr[@data-status]")) == 2
    assert whole.xpath("//*[@id='aid-bail-list']//tr[@data-recipient]")
    tree = page(client, EXAMPLE_SLUG, "?account=Assets:Platform")
    assert [r[0] for r in rows(tree, "//*[@id='aid-accounts']/tbody/tr")] == [
        f"Assets:Platform:{p}"
        for p in ("Venmo", "PayPal", "CashApp", "Stripe", "GoFundMe", "OpenCollective")
    ]
    assert not tree.xpath("//*[@id='aid-bail-list']//tr[@data-recipient]")
    assert not tree.xpath("//*[@id='aid-waiting']//tr[@data-status]")
    # funds are not about accounts: unchanged
    assert [tr.get("data-closing") for tr in tree.xpath("//tr[@data-fund]")] == [
        tr.get("data-closing") for tr in whole.xpath("//tr[@data-fund]")
    ]
    rent = page(client, EXAMPLE_SLUG, "?account=Expenses:Aid:Rent")
    assert len(rent.xpath("//*[@id='aid-waiting']//tr[@data-status]")) == 2


# ------------------------------------------------------------- the faulty books
FAULTS = f"""
2025-01-25 ! "Grant narration marker"
  approved-by: "{V1}"
  Expenses:Aid:Rent               300.00 USD
    recipient: "{R1}"
  Assets:Bank:Checking

2025-01-26 * "Rent assistance"
  Expenses:Aid:Rent               300.00 USD
    recipient: "{R2}"
  Assets:Bank:Checking

2025-01-27 * "Transfer to bank"
  Assets:Clearing:Venmo            50.00 USD
  Assets:Platform:Venmo

2025-01-28 * "Bail posted"
  approved-by: "{V1}, {V2}"
  Assets:Receivable:Bail          400.00 USD
    recipient: "{R1}"
  Assets:Bank:Checking
"""


@pytest.fixture
def faulty(tmp_path: Path) -> tuple[Path, FlaskClient, Any]:
    books = BOOKS.replace(
        "2025-02-01 balance Assets:Bank:Checking    4400.00 USD",
        "2025-02-01 balance Assets:Bank:Checking    3400.00 USD",
    ).replace(
        "2025-02-01 balance Assets:Platform:Venmo     97.00 USD",
        "2025-02-01 balance Assets:Platform:Venmo     47.00 USD",
    )
    main = write_books(
        tmp_path / "books",
        books=books + FAULTS,
        main=main_text(extra=EXTENSION),
        accounts=ACCOUNTS + "2025-01-01 open Assets:Clearing:Venmo        USD\n",
    )
    app = create_app([str(main)], load=True, poll_watcher=True)
    app.config["TESTING"] = True
    return main, app.test_client(), app.config["LEDGERS"].ledgers[0]


def test_findings_grouped_by_check_link_to_the_editor(
    faulty: tuple[Path, FlaskClient, Any],
) -> None:
    main, client, _ledger = faulty
    books = main.parent / "books.beancount"
    tree = page(client, "test-fund")
    groups = {div.get("data-check"): div for div in tree.xpath("//div[@class='check']")}
    assert set(groups) == {"approvals", "caps"}
    line = line_of(books, "2025-01-26 *")
    for name in ("approvals", "caps"):
        [link] = groups[name].xpath(".//a")
        assert text(link) == f"books.beancount:{line}"
        href = urlsplit(link.get("href"))
        assert href.path == "/test-fund/editor/"
        assert parse_qs(href.query) == {"file_path": [str(books)], "line": [str(line)]}
        assert client.get(link.get("href")).status_code == 200
    assert "above the approval threshold" in text(groups["approvals"])
    assert "Passed: syntax" in text(tree.xpath("//*[@id='aid-passed']")[0])


def test_faulty_books_sections(faulty: tuple[Path, FlaskClient, Any]) -> None:
    main, client, _ledger = faulty
    books = main.parent / "books.beancount"
    tree = page(client, "test-fund")
    waiting = tree.xpath("//*[@id='aid-waiting']//tr[@data-status]")
    assert [(tr.get("data-date"), tr.get("data-status")) for tr in waiting] == [
        ("2025-01-25", "pending"),
        ("2025-01-26", "unapproved"),
    ]
    first = [text(td) for td in waiting[0].xpath("./td")]
    assert first == [
        "2025-01-25",
        "3",
        "approval (!)",
        "Rent",
        R1,
        "300.00",
        "pending for 3 days",
    ]
    hrefs = [tr.xpath(".//a")[0].get("href") for tr in waiting]
    assert [parse_qs(urlsplit(h).query)["line"] for h in hrefs] == [
        [str(line_of(books, "2025-01-25 !"))],
        [str(line_of(books, "2025-01-26 *"))],
    ]
    assert rows(tree, "//*[@id='aid-caps']//tr[@data-recipient]") == [
        [R2, "820.00", "600.00", "136", "2", "2025-01-20"]
    ]
    assert rows(tree, "//*[@id='aid-clearing']/tbody/tr") == [
        ["Assets:Clearing:Venmo", "50.00", "1", "2025-01-27", "1", ""]
    ]
    assert rows(tree, "//*[@id='aid-bail-list']//tr[@data-recipient]") == [
        ["2025-01-28", "0", R1, "Assets:Receivable:Bail", "400.00", ""]
    ]
    assert rows(tree, "//*[@id='aid-bail-ages']/tbody/tr")[0] == [
        "up to 3 months",
        "1",
        "400.00",
    ]
    # no narration or payee ever appears on the page
    assert "narration marker" not in lxml.html.tostring(tree, encoding="unicode")


def test_computed_once_per_load_and_again_after_a_change(
    faulty: tuple[Path, FlaskClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, client, ledger = faulty
    calls: list[Any] = []
    real_build = aidbooks.overview.build  # what aidbooks.fava_ext imports as build

    def counting_build(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[3])
        return real_build(*args, **kwargs)

    monkeypatch.setattr(aidbooks.fava_ext, "build", counting_build)
    extension = ledger.extensions.get_extension("Aid")
    assert extension.loads == 1
    for _ in range(3):
        page(client, "test-fund")
    assert calls == []  # the unfiltered page was built when the books loaded
    page(client, "test-fund", "?time=2025-01")
    page(client, "test-fund", "?time=2025-01")
    assert len(calls) == 1  # a filtered view: built once, on its first request
    assert extension.loads == 1
    # a change on disk: Fava reloads on the next request, and the page follows
    books = main.parent / "books.beancount"
    time.sleep(0.01)
    with books.open("a") as out:
        out.write(
            f'\n2025-01-28 ! "Groceries"\n  Expenses:Aid:Groceries  20.00 USD\n'
            f'    recipient: "{R2}"\n  Assets:Bank:Checking\n'
        )
    tree = page(client, "test-fund")
    assert extension.loads == 2
    assert len(calls) == 2  # the reload built the unfiltered page again
    assert len(tree.xpath("//*[@id='aid-waiting']//tr[@data-status]")) == 3
    page(client, "test-fund", "?time=2025-01")
    assert len(calls) == 3  # filtered views of the old books were dropped


def test_an_invalid_policy_is_shown_and_fava_keeps_working(tmp_path: Path) -> None:
    main = write_books(
        tmp_path / "books",
        main=main_text(extra=EXTENSION),
        policy='[approvals]\nthreshold = "-5"\n',
    )
    app = create_app([str(main)], load=True)
    client = app.test_client()
    tree = page(client, "test-fund")
    problem = text(tree.xpath("//*[@id='aid-problem']")[0])
    assert "aidbooks.toml:2: approvals.threshold" in problem
    assert not tree.xpath("//section")
    assert client.get("/test-fund/income_statement/").status_code == 200
    assert client.get("/test-fund/api/income_statement").status_code == 200
    # fixing aidbooks.toml reloads the books on the next page (Fava does not watch it)
    extension = app.config["LEDGERS"].ledgers[0].extensions.get_extension("Aid")
    loads = extension.loads
    (main.parent / "aidbooks.toml").write_text('[caps]\nper_household = "100.00"\n')
    tree = page(client, "test-fund")
    assert extension.loads == loads + 1
    assert not tree.xpath("//*[@id='aid-problem']")
    # the new cap: 520.00 (R2) is over it, 80.00 (R1) at 80% of it
    near = rows(tree, "//*[@id='aid-caps']//tr[@data-recipient]")
    assert [(r[0], r[3]) for r in near] == [(R2, "520"), (R1, "80")]
    assert {d.get("data-check") for d in tree.xpath("//div[@class='check']")} == {"caps"}
    page(client, "test-fund")
    assert extension.loads == loads + 1  # unchanged since: no more reloads


def test_the_page_matches_the_library(tmp_path: Path) -> None:
    """What Fava shows is what aidbooks.overview computes on aidbooks' own load."""
    from aidbooks.overview import build  # noqa: PLC0415

    entries, errors, options = load_books(LEDGER)
    overview = build(
        (entries, errors, options), LEDGER, load_policy(LEDGER.parent / "aidbooks.toml")
    )
    assert overview.books_end == dt.date(2025, 12, 31)
    assert overview.problems == {}
    assert overview.findings == 0
    assert overview.preview is not None and overview.preview.period == "2025-Q4"
    assert [w.status for w in overview.waiting] == ["pending", "pending"]


@pytest.mark.parametrize(
    "label",
    # the fourth quarter previews a year of books
    ["2025-Q1", pytest.param("2025-Q4", marks=pytest.mark.slow)],
)
def test_the_preview_is_what_the_report_publishes(label: str) -> None:
    """Every number of the preview is the report's, and hidden exactly when it is."""
    from aidbooks.preview import preview  # noqa: PLC0415
    from aidbooks.reports import aggregate  # noqa: PLC0415
    from aidbooks.reports import disclose  # noqa: PLC0415
    from aidbooks.reports import parse_period  # noqa: PLC0415
    from aidbooks.reports.disclosure import published_values  # noqa: PLC0415

    entries, _errors, options = load_books(LEDGER)
    policy = load_policy(LEDGER.parent / "aidbooks.toml")
    period = parse_period(label)
    shown = preview(entries, options, policy, period, dt.date(2025, 12, 31))
    report = disclose(aggregate(entries, options, policy, period), policy)
    published = published_values(report)
    cells = [c for t in shown.tables for _row, line in t.rows for c in line if c]
    assert len(cells) == shown.total
    assert sum(c.hidden for c in cells) == shown.hidden == report.privacy.suppressed
    assert not shown.partial
    compared = 0
    for cell in cells:
        if cell.id not in published:
            continue  # medians and household counts are not in published_values
        value = published[cell.id]
        assert cell.hidden == (value is None), cell.id
        if value is not None:
            assert cell.text.replace(",", "") == str(value), cell.id
            compared += 1
    assert compared > 50
    if label == "2025-Q1":
        assert any(c.hidden for c in cells)


def test_the_preview_says_why_each_number_is_hidden() -> None:
    """Four households (enough for min_cell 3) where one got nearly everything:
    the p% rule hides the amounts, and the preview says so, not "too few"."""
    from beancount import loader  # noqa: PLC0415

    from aidbooks.preview import preview  # noqa: PLC0415
    from aidbooks.reports import parse_period  # noqa: PLC0415
    from tests import report_small  # noqa: PLC0415

    grants = [
        report_small.Grant(3, "Rent", 1, "900.00"),
        *(report_small.Grant(3, "Rent", h, "20.00") for h in range(2, 5)),
    ]
    entries, errors, options = loader.load_string(report_small.books_text(grants))
    assert not errors
    shown = preview(
        entries, options, report_small.policy(min_cell=3), parse_period("2025-03")
    )
    reasons = {
        c.id: c.reason for t in shown.tables for _r, line in t.rows for c in line if c
    }
    hidden = {i: r for i, r in reasons.items() if r}
    assert hidden, "nothing hidden"
    assert any("p% rule" in r for r in hidden.values()), hidden
    assert not any("fewer than" in r for r in hidden.values()), hidden
    assert shown.hidden == len(hidden)
