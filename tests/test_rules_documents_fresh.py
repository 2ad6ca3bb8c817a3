"""The strict rules ``documents`` (plugins/receipts.py) and ``fresh`` (plugins/fresh.py)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from beancount import loader

from aidbooks.plugins import fresh
from aidbooks.plugins import receipts
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import parse_policy
from tests.smallbooks import BOOKS
from tests.smallbooks import R1
from tests.smallbooks import V1
from tests.smallbooks import V2
from tests.smallbooks import line_of
from tests.smallbooks import main_text
from tests.smallbooks import write_books


def run_rule(
    module: ModuleType, main: Path, policy: Policy | None = None
) -> list[tuple[int, str]]:
    entries, errors, options = loader._load([(str(main), True)], None, None, None)
    assert errors == []
    found = module.validate(entries, options, policy or Policy())
    check_name = {receipts: "documents", fresh: "fresh"}[module]
    assert all(e.rule == check_name for e in found)
    return [(e.source["lineno"], e.message) for e in found]


# ---------------------------------------------------------------- documents


def test_big_grant_with_its_receipt_passes(tmp_path: Path) -> None:
    assert run_rule(receipts, write_books(tmp_path / "b")) == []


def test_big_grant_without_receipt(tmp_path: Path) -> None:
    main = write_books(tmp_path / "b", books=BOOKS.replace("  receipt: ", "  note-x: "))
    books = main.parent / "books.beancount"
    [(line, message)] = run_rule(receipts, main)
    assert line == line_of(books, '"Rent assistance"')
    assert "grant of 520.00 needs a receipt" in message
    # a higher limit: no longer needed
    limit = parse_policy('[documents]\nrequired_above = "520.00"\n')
    assert run_rule(receipts, main, limit) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("documents/receipts/missing.pdf", "does not exist"),
        ("/etc/passwd", "must be relative"),
        ("../outside.txt", "inside the books folder"),
        ("", "is empty"),
    ],
)
def test_receipt_links_that_lead_nowhere(tmp_path: Path, path: str, expected: str) -> None:
    (tmp_path / "outside.txt").write_text("x")
    books = BOOKS.replace("documents/receipts/2025-01-20-rent.txt", path)
    main = write_books(tmp_path / "b", books=books)
    [(line, message)] = run_rule(receipts, main)
    # a transaction's metadata has the transaction's line
    assert line == line_of(main.parent / "books.beancount", '"Rent assistance"')
    assert expected in message


def test_receipt_on_a_posting_counts_and_is_checked(tmp_path: Path) -> None:
    books = BOOKS.replace(
        '  receipt: "documents/receipts/2025-01-20-rent.txt"\n', ""
    ).replace(
        "  Expenses:Aid:Rent               520.00 USD\n",
        "  Expenses:Aid:Rent               520.00 USD\n"
        '    receipt: "documents/receipts/2025-01-20-rent.txt"\n',
    )
    assert books.count("receipt:") == 1
    main = write_books(tmp_path / "b", books=books)
    assert run_rule(receipts, main) == []
    (main.parent / "documents/receipts/2025-01-20-rent.txt").unlink()
    [(line, _)] = run_rule(receipts, main)
    # a posting's metadata has the posting's line
    assert line == line_of(main.parent / "books.beancount", "Expenses:Aid:Rent")


def test_pending_grants_need_no_receipt_yet_bail_does(tmp_path: Path) -> None:
    books = BOOKS.replace("4400.00 USD", "3700.00 USD") + (
        '\n2025-01-28 ! "Rent assistance (waiting)"\n'
        "  Expenses:Aid:Rent  700.00 USD\n"
        f'    recipient: "{R1}"\n'
        "  Assets:Bank:Checking  -700.00 USD\n"
        '\n2025-01-29 * "Bail posted"\n'
        f'  approved-by: "{V1}, {V2}"\n'
        "  Assets:Receivable:Bail  900.00 USD\n"
        f'    recipient: "{R1}"\n'
        "  Assets:Bank:Checking  -900.00 USD\n"
        '\n2025-01-30 * "Bail returned"\n'
        "  Assets:Receivable:Bail  -900.00 USD\n"
        f'    recipient: "{R1}"\n'
        "  Assets:Bank:Checking  900.00 USD\n"
    )
    main = write_books(tmp_path / "b", books=books)
    books_file = main.parent / "books.beancount"
    assert [line for line, _ in run_rule(receipts, main)] == [
        line_of(books_file, '"Bail posted"')
    ]


# -------------------------------------------------------------------- fresh


def _with_last_date(date: str) -> str:
    return BOOKS + (
        f'\n{date} * "Donation"\n'
        "  Income:Donations:Venmo  -50.00 USD\n"
        "  Assets:Platform:Venmo  50.00 USD\n"
    )


def test_recent_assertions_pass(tmp_path: Path) -> None:
    main = write_books(tmp_path / "b", books=_with_last_date("2025-03-18"))  # 45 days
    assert run_rule(fresh, main) == []


def test_old_assertion_is_a_finding_at_that_assertion(tmp_path: Path) -> None:
    main = write_books(tmp_path / "b", books=_with_last_date("2025-03-19"))  # 46 days
    books = main.parent / "books.beancount"
    found = run_rule(fresh, main)
    assert [line for line, _ in found] == [
        line_of(books, "balance Assets:Bank:Checking"),
        line_of(books, "balance Assets:Platform:Venmo"),
    ]
    assert "last reconciled on 2025-02-01, 46 days before the books end" in found[0][1]
    assert run_rule(fresh, main, parse_policy("[reconcile]\nfresh_days = 46\n")) == []


def test_account_never_reconciled_points_at_its_open(tmp_path: Path) -> None:
    books = _with_last_date("2025-03-01").replace(
        "2025-02-01 balance Assets:Platform:Venmo     97.00 USD\n", ""
    )
    main = write_books(tmp_path / "b", books=books)
    accounts = main.parent / "accounts.beancount"
    [(line, message)] = run_rule(fresh, main)
    assert line == line_of(accounts, "Assets:Platform:Venmo")
    assert message.startswith("Assets:Platform:Venmo has no balance assertion")


def test_new_and_closed_accounts_are_not_due(tmp_path: Path) -> None:
    books = _with_last_date("2025-03-01").replace(
        "2025-02-01 balance Assets:Platform:Venmo     97.00 USD\n",
        "2025-02-01 balance Assets:Platform:Venmo     97.00 USD\n"
        "2025-02-20 open Assets:Platform:Stripe USD\n"
        "2025-01-01 open Assets:Platform:PayPal USD\n"
        "2025-01-15 close Assets:Platform:PayPal\n",
    )
    main = write_books(tmp_path / "b", books=books)
    assert run_rule(fresh, main) == []


def test_books_without_activity_are_fresh(tmp_path: Path) -> None:
    main = write_books(tmp_path / "b", books="")
    assert run_rule(fresh, main) == []


def test_both_rules_run_as_plugin_lines(tmp_path: Path) -> None:
    books = _with_last_date("2025-06-01").replace("  receipt: ", "  note-x: ")
    main = write_books(
        tmp_path / "b",
        books=books,
        main=main_text(plugins=("aidbooks.plugins.receipts", "aidbooks.plugins.fresh")),
    )
    _, errors, _ = loader._load([(str(main), True)], None, None, None)
    found = [e for e in errors if isinstance(e, RuleError)]
    assert len(found) == len(errors), errors
    assert sorted(e.rule for e in found) == ["documents", "fresh", "fresh"]
