"""Helpers for rule tests: write a small ledger to disk, load it, list the findings."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import NamedTuple

from beancount import loader

#: Accounts and codes most fixtures need (valid codes, declared on 2025-01-01).
R1 = "R-00000-0005B"
R2 = "R-00000-0006D"
V1 = "V-00000-0007S"
V2 = "V-00000-00087"
D1 = "D-00000-0009H"

HEADER = """\
option "operating_currency" "USD"
plugin "aidbooks.plugins.recipients"
plugin "aidbooks.plugins.no_pii"

2025-01-01 open Assets:Bank:Checking USD
2025-01-01 open Assets:Receivable:Bail USD
2025-01-01 open Expenses:Aid:Rent USD
2025-01-01 open Expenses:Aid:Groceries USD
2025-01-01 open Income:Donations:Venmo USD
2025-01-01 open Income:Grants USD
2025-01-01 open Expenses:Operations:Supplies USD
"""


class Found(NamedTuple):
    """One finding: where, which rule, what it says."""

    file: str
    line: int
    rule: str
    message: str


def line_of(text: str, snippet: str, nth: int = 1) -> int:
    """The 1-based line number of the ``nth`` line of ``text`` that contains ``snippet``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{snippet!r} not in the ledger")


def load(
    folder: Path,
    body: str,
    policy: str = "",
    header: str = HEADER,
    name: str = "main.beancount",
) -> tuple[str, list[Found]]:
    """Write ``header + body`` (and ``aidbooks.toml``) into ``folder``, load it.

    Lines of ``body`` lose four leading spaces (the test's indentation).
    Returns the ledger text and the findings of aidbooks rules, in file order.
    Beancount's own errors fail the test: fixtures must be valid ledgers.
    """
    text = header + re.sub(r"(?m)^    ", "", body)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if policy:
        (folder / "aidbooks.toml").write_text(textwrap.dedent(policy), encoding="utf-8")
    _entries, errors, _options = loader.load_file(str(path))
    found = []
    for error in errors:
        rule = getattr(error, "rule", None)
        assert rule is not None, f"not an aidbooks finding: {error.message}"
        found.append(
            Found(
                Path(error.source["filename"]).name,
                int(error.source["lineno"]),
                rule,
                error.message,
            )
        )
        assert error.entry is None, "findings never carry the entry (it would be printed)"
    return text, sorted(found, key=lambda f: (f.file, f.line, f.rule, f.message))


def declarations(*codes: str, date: str = "2025-01-01") -> str:
    """``custom`` lines declaring recipient (R-) and volunteer (V-) codes."""
    kinds = {"R": "aid-recipient", "V": "aid-volunteer"}
    return "".join(f'{date} custom "{kinds[c[0]]}" "{c}"\n' for c in codes)
