"""A small fund's books, written to a folder, that pass every check.

Tests start from :func:`write_books` and break one thing to see one check fail. The
books follow the conventions every rule enforces (declared codes, approvals above
the threshold, a receipt for the big grant, fresh balance assertions), and switch
on the same rule plugins as ``aidbooks init`` books.
"""

from __future__ import annotations

from pathlib import Path

from aidbooks.cmd_init import PLUGINS
from aidbooks.plugins import codes

R1 = codes.code_from_int("recipient", 1001)
R2 = codes.code_from_int("recipient", 1002)
V1 = codes.code_from_int("volunteer", 2001)
V2 = codes.code_from_int("volunteer", 2002)
UNDECLARED = codes.code_from_int("recipient", 1003)  # well-formed, never declared

ACCOUNTS = """\
; The chart of accounts of a small test fund.
2025-01-01 open Assets:Bank:Checking          USD
2025-01-01 open Assets:Platform:Venmo         USD
2025-01-01 open Assets:Receivable:Bail        USD
2025-01-01 open Income:Donations:Venmo        USD
2025-01-01 open Expenses:Fees:Venmo           USD
2025-01-01 open Expenses:Aid:Groceries        USD
2025-01-01 open Expenses:Aid:Rent             USD
2025-01-01 open Expenses:Aid:Legal            USD
2025-01-01 open Equity:Opening-Balances       USD
"""

CODES = f"""\
2025-01-01 custom "aid-recipient" "{R1}"
2025-01-01 custom "aid-recipient" "{R2}"
2025-01-01 custom "aid-volunteer" "{V1}"
2025-01-01 custom "aid-volunteer" "{V2}"
"""

BOOKS = f"""\
; Entries of January.
2025-01-02 * "Opening balance"
  Assets:Bank:Checking           5000.00 USD
  Equity:Opening-Balances       -5000.00 USD

2025-01-05 * "Donation"
  Income:Donations:Venmo         -100.00 USD
  Assets:Platform:Venmo            97.00 USD
  Expenses:Fees:Venmo               3.00 USD

2025-01-10 * "Grocery assistance"
  Expenses:Aid:Groceries           80.00 USD
    recipient: "{R1}"
  Assets:Bank:Checking            -80.00 USD

2025-01-20 * "Rent assistance"
  approved-by: "{V1}, {V2}"
  receipt: "documents/receipts/2025-01-20-rent.txt"
  Expenses:Aid:Rent               520.00 USD
    recipient: "{R2}"
  Assets:Bank:Checking           -520.00 USD

2025-02-01 balance Assets:Bank:Checking    4400.00 USD
2025-02-01 balance Assets:Platform:Venmo     97.00 USD
"""

POLICY = """\
[fund]
name = "Test Fund"
currency = "USD"

[privacy]
key_file = "{key_file}"

[funds.legal]
restricted = true
categories = ["Legal"]
"""


def main_text(plugins: tuple[str, ...] = PLUGINS, extra: str = "") -> str:
    """The main ledger file: options, plugins, includes."""
    lines = [
        'option "title" "Test Fund"',
        'option "operating_currency" "USD"',
        *(f'plugin "{p}"' for p in plugins),
        'include "accounts.beancount"',
        'include "codes.beancount"',
        'include "books.beancount"',
    ]
    return "\n".join(lines) + "\n" + extra


def write_books(
    folder: Path,
    books: str = BOOKS,
    policy: str | None = POLICY,
    main: str | None = None,
    accounts: str = ACCOUNTS,
    key_file: Path | None = None,
) -> Path:
    """Write the books into ``folder``; returns the main ledger file.

    The key file path in the policy defaults to ``<folder>/../secret/fund.key``
    (outside the books); no key file is created.
    """
    folder.mkdir(parents=True, exist_ok=True)
    key = key_file or folder.parent / "secret" / "fund.key"
    (folder / "main.beancount").write_text(main if main is not None else main_text())
    (folder / "accounts.beancount").write_text(accounts)
    (folder / "codes.beancount").write_text(CODES)
    (folder / "books.beancount").write_text(books)
    if policy is not None:
        (folder / "aidbooks.toml").write_text(policy.format(key_file=key))
    receipt = folder / "documents" / "receipts" / "2025-01-20-rent.txt"
    receipt.parent.mkdir(parents=True, exist_ok=True)
    receipt.write_text("Receipt (test fund)\n")
    return folder / "main.beancount"


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """The line number of the ``occurrence``-th line of ``path`` containing ``text``."""
    seen = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{text!r} not in {path}")
