"""Every check has a passing and a failing fixture; the failing one names file:line.

Each case breaks one thing in the small fund of :mod:`tests.smallbooks` and runs
``aidbooks check FILE NAME``; the fund rules (funds, approvals, caps, clearing,
receivables, pending) use their own ``tests/data/fundrules/<rule>-pass/-fail``
fixtures and the findings their tests expect. The clean books pass every check,
strict ones too. Every check of this version must have a case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.books import load_books
from aidbooks.check import KNOWN
from aidbooks.check import registry
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.releases import closed_text
from aidbooks.reports.history import record
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import build
from tests.helpers import ROOT
from tests.helpers import invoke
from tests.smallbooks import BOOKS
from tests.smallbooks import POLICY
from tests.smallbooks import R1
from tests.smallbooks import UNDECLARED
from tests.smallbooks import line_of
from tests.smallbooks import write_books

FUNDRULES = ROOT / "tests" / "data" / "fundrules"
FUND_RULES = ("funds", "approvals", "caps", "clearing", "receivables", "pending")

#: A failing case writes broken books and returns (main file, file, line) of the finding.
Case = Callable[[Path], tuple[Path, Path, int]]


def _books_with(folder: Path, books: str, marker: str) -> tuple[Path, Path, int]:
    main = write_books(folder, books=books)
    return main, folder / "books.beancount", line_of(folder / "books.beancount", marker)


def syntax(folder: Path) -> tuple[Path, Path, int]:
    books = (
        BOOKS
        + '\n2025-01-25 * "Donation" Maria\n  Income:Donations:Venmo  -5 USD\n  Assets:Platform:Venmo  5 USD\n'
    )
    return _books_with(folder, books, "Maria")


def balanced(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS.replace("-80.00 USD", "-79.00 USD")
    return _books_with(folder, books, '"Grocery assistance"')


def assertions(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS.replace("4400.00 USD", "4300.00 USD")
    return _books_with(folder, books, "balance Assets:Bank:Checking")


def accounts(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS + (
        '\n2025-01-25 * "Ride to court"\n'
        "  Expenses:Aid:Rides  20.00 USD\n"
        f'    recipient: "{R1}"\n'
        "  Assets:Bank:Checking  -20.00 USD\n"
    )
    return _books_with(folder, books, '"Ride to court"')


def policy(folder: Path) -> tuple[Path, Path, int]:
    main = write_books(folder, policy=POLICY.replace('["Legal"]', '["Lawyers"]'))
    toml = folder / "aidbooks.toml"
    return main, toml, line_of(toml, "categories")


def secrets(folder: Path) -> tuple[Path, Path, int]:
    main = write_books(folder)
    key = folder / "old" / "fund.key"
    key.parent.mkdir()
    key.write_text("ab" * 32 + "\n")
    return main, key, 0


def recipients(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS.replace(f'recipient: "{R1}"', f'recipient: "{UNDECLARED}"')
    assert books != BOOKS
    return _books_with(folder, books, "Expenses:Aid:Groceries")


def no_pii(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS.replace('"Grocery assistance"', '"Groceries for jo.doe@example.org"')
    assert books != BOOKS
    return _books_with(folder, books, "jo.doe@example.org")


def comments(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS.replace(
        "  Expenses:Aid:Rent  ",
        "  ; paid to maria.lopez@example.org\n  Expenses:Aid:Rent  ",
    )
    assert books != BOOKS
    return _books_with(folder, books, "; paid to")


def other(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS + '\n2025-01-26 document Assets:Bank:Checking "documents/statement.pdf"\n'
    return _books_with(folder, books, "document Assets:Bank:Checking")


def documents(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS.replace('  receipt: "documents/receipts/2025-01-20-rent.txt"\n', "")
    assert books != BOOKS
    return _books_with(folder, books, '"Rent assistance"')


def fresh(folder: Path) -> tuple[Path, Path, int]:
    books = BOOKS + (
        '\n2025-04-01 * "Donation"\n'
        "  Income:Donations:Venmo  -50.00 USD\n"
        "  Assets:Platform:Venmo  50.00 USD\n"
    )
    return _books_with(folder, books, "balance Assets:Bank:Checking")


def published(folder: Path) -> tuple[Path, Path, int]:
    """January is published; then a grant dated in January is added."""
    main = write_books(folder)
    entries, errors, options = load_books(main)
    assert not errors
    period = parse_period("2025-01")
    built = build(
        entries, options, load_policy(folder / "aidbooks.toml"), period, b"k" * 32
    )
    record(main, period, built.files, closed_text(entries, period.label))
    books = BOOKS + (
        '\n2025-01-28 * "Late grocery grant"\n'
        "  Expenses:Aid:Groceries  30.00 USD\n"
        f'    recipient: "{R1}"\n'
        "  Assets:Bank:Checking  -30.00 USD\n"
    )
    (folder / "books.beancount").write_text(books, encoding="utf-8")
    return (
        main,
        folder / "books.beancount",
        line_of(folder / "books.beancount", "Late grocery"),
    )


def from_fixtures(folder: Path, name: str) -> Case:
    """A failing case from a rule's own fixtures (``<name>-fail.beancount`` in
    ``folder``, with the findings its tests expect in ``EXPECTED``)."""

    def case(_: Path) -> tuple[Path, Path, int]:
        fixture = folder / f"{name}-fail.beancount"
        from tests.test_fund_rules import EXPECTED  # noqa: PLC0415 (lands with the rules)

        return fixture, fixture, min(line for line, _, _ in EXPECTED[name])

    return case


def passing_fixture(folder: Path, name: str) -> Callable[[Path], Path]:
    return lambda _: folder / f"{name}-pass.beancount"


CASES: dict[str, Case] = {
    "syntax": syntax,
    "balanced": balanced,
    "assertions": assertions,
    "accounts": accounts,
    "policy": policy,
    "secrets": secrets,
    "recipients": recipients,
    "no-pii": no_pii,
    "comments": comments,
    "published": published,
    "other": other,
    "documents": documents,
    "fresh": fresh,
    **{name: from_fixtures(FUNDRULES, name) for name in FUND_RULES},
}

#: Checks whose passing fixture is not the clean small fund (their own "-pass" file).
PASSING: dict[str, Callable[[Path], Path]] = {
    name: passing_fixture(FUNDRULES, name) for name in FUND_RULES
}


#: The checks of this version (a rule's check exists once its module is registered).
AVAILABLE = [c.name for c in registry()]


def test_every_check_has_a_case() -> None:
    assert set(AVAILABLE) <= set(CASES)
    assert sorted(CASES) == sorted(KNOWN)


def test_clean_books_pass_every_check(tmp_path: Path, runner: CliRunner) -> None:
    main = write_books(tmp_path / "books")
    code, out, err = invoke(runner, "check", "--strict", str(main))
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize("name", AVAILABLE)
def test_check_passes_on_clean_books(name: str, tmp_path: Path, runner: CliRunner) -> None:
    main = write_books(tmp_path / "books")
    code, out, _ = invoke(runner, "check", str(main), name)
    assert (code, out) == (0, "")
    if name not in PASSING:
        return
    main = PASSING[name](tmp_path)
    code, out, _ = invoke(runner, "check", str(main), name)
    assert (code, out) == (0, "")


@pytest.mark.parametrize("name", AVAILABLE)
def test_check_fails_at_file_and_line(name: str, tmp_path: Path, runner: CliRunner) -> None:
    main, filename, line = CASES[name](tmp_path / "books")
    code, out, _ = invoke(runner, "check", str(main), name)
    assert code == 1
    lines = out.splitlines()
    shown = (
        filename.relative_to(Path.cwd())
        if filename.is_relative_to(Path.cwd())
        else filename
    )
    assert lines[0].startswith(f"{shown}:{line}: {name}: "), out
    # only the check asked for reports (the accounts case also breaks an assertion)
    assert all(f": {name}: " in text for text in lines), out
