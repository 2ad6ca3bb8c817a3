"""``load_books(checks=False)``: the same entries as a full load, nothing checked.

``aidbooks import`` reads the books only to know what is there (ids, accounts,
codes, balances), so it loads them without Beancount's validation and without
aidbooks' rules, which only report. The entries must be exactly the ones a full
load gives (Beancount's own plugins, which add entries, still run: ``pad``).
"""

from __future__ import annotations

from pathlib import Path

from beancount.core import data
from beancount.parser import printer

from aidbooks.books import load_books
from tests.helpers import LEDGER


def _text(entries: list[data.Directive]) -> list[str]:
    return [printer.format_entry(e) for e in entries]


def test_the_example_fund_loads_to_the_same_entries() -> None:
    full, full_errors, _ = load_books(Path(LEDGER).resolve())
    light, light_errors, _ = load_books(Path(LEDGER).resolve(), checks=False)
    assert not full_errors and not light_errors
    assert _text(light) == _text(full)


def test_findings_are_not_reported_but_pad_still_runs(tmp_path: Path) -> None:
    main = tmp_path / "main.beancount"
    main.write_text(
        'plugin "aidbooks.plugins.basic"\n'
        "2025-01-01 open Assets:Bank:Checking USD\n"
        "2025-01-01 open Equity:Opening-Balances USD\n"
        "2025-01-01 pad Assets:Bank:Checking Equity:Opening-Balances\n"
        "2025-01-02 balance Assets:Bank:Checking 100.00 USD\n"
        '2025-01-05 * "Grant"\n'  # an account never opened: Beancount's validation;
        "  Expenses:Aid:Rent  10.00 USD\n"  # no recipient: an aidbooks rule
        "  Assets:Bank:Checking\n",
        encoding="utf-8",
    )
    full, full_errors, _ = load_books(main)
    light, light_errors, options = load_books(main, checks=False)
    kinds = {type(e).__name__ for e in full_errors}
    assert "ValidationError" in kinds and len(kinds) >= 2, kinds  # and a rule's finding
    assert light_errors == []
    assert _text(light) == _text(full)  # the padding transaction is there in both
    assert any(isinstance(e, data.Transaction) and e.flag == "P" for e in light)
    assert ("aidbooks.plugins.basic", None) in options["plugin"]  # left as it was
