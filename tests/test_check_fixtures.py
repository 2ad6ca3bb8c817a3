"""Every check has a passing and a failing fixture; the failing one names file:line.

Each case breaks one thing in the small fund of :mod:`tests.smallbooks` and runs
``aidbooks check FILE NAME``. The clean books pass every check, strict ones too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.check import registry
from tests.helpers import invoke
from tests.smallbooks import BOOKS
from tests.smallbooks import POLICY
from tests.smallbooks import R1
from tests.smallbooks import line_of
from tests.smallbooks import write_books

#: A failing case writes broken books and returns (main file, file, line) of the finding.
Case = Callable[[Path], tuple[Path, Path, int]]


def _books_with(
    folder: Path, books: str, marker: str, **kwargs: object
) -> tuple[Path, Path, int]:
    main = write_books(folder, books=books, **kwargs)  # type: ignore[arg-type]
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


CASES: dict[str, Case] = {
    "syntax": syntax,
    "balanced": balanced,
    "assertions": assertions,
    "accounts": accounts,
    "policy": policy,
    "secrets": secrets,
    "comments": comments,
    "other": other,
    "documents": documents,
    "fresh": fresh,
}


def test_every_check_has_a_case() -> None:
    assert sorted(CASES) == sorted(c.name for c in registry())


def test_clean_books_pass_every_check(tmp_path: Path, runner: CliRunner) -> None:
    main = write_books(tmp_path / "books")
    code, out, err = invoke(runner, "check", "--strict", str(main))
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_passes_on_clean_books(name: str, tmp_path: Path, runner: CliRunner) -> None:
    main = write_books(tmp_path / "books")
    code, out, _ = invoke(runner, "check", str(main), name)
    assert (code, out) == (0, "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_fails_at_file_and_line(name: str, tmp_path: Path, runner: CliRunner) -> None:
    main, filename, line = CASES[name](tmp_path / "books")
    code, out, _ = invoke(runner, "check", str(main), name)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{filename}:{line}: {name}: "), out
    # only the check asked for reports (the accounts case also breaks an assertion)
    assert all(f": {name}: " in text for text in lines), out
