"""Corrections: a late grant is booked in an open period and shown as its own line.

A published period is closed: the same late grant dated in March stops the next
report; dated in April with ``corrects: "2025-03"`` it is part of April's aid and
of the line "corrections to periods already published", which follows the same
disclosure rules as every number about grants (hidden while it is about fewer
than ``min_cell`` households).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import run
from tests.report_fixtures import copy_ledger
from tests.report_fixtures import make_key

pytestmark = pytest.mark.slow


def _codes(ledger: Path, n: int) -> list[str]:
    text = (ledger.parent / "codes.beancount").read_text(encoding="utf-8")
    found = re.findall(r'(\d{4}-\d\d-\d\d) custom "aid-recipient" "(R-[0-9A-Z-]+)"', text)
    return [code for day, code in found if day <= "2025-04-01"][:n]


def _grant(day: str, code: str, corrects: str | None) -> str:
    meta = f'  corrects: "{corrects}"\n' if corrects else ""
    return (
        f'\n{day} * "Grocery support (recorded late)"\n{meta}'
        "  Expenses:Aid:Groceries  40.00 USD\n"
        f'    recipient: "{code}"\n'
        "  Liabilities:Reimbursements:V-8C2PT-QYWDB  -40.00 USD\n"
    )


def _report(ledger: Path, key: Path, period: str, out: Path) -> tuple[int, str]:
    result = run(
        "aidbooks", "report", str(ledger), "--period", period, "--out", str(out),
        "--format", "json,md", "--lang", "en", env={"AIDBOOKS_KEY_FILE": str(key)},
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def test_a_late_grant_is_a_correction_in_an_open_period(tmp_path: Path) -> None:
    ledger = copy_ledger(tmp_path / "books")
    key = make_key(tmp_path)
    assert _report(ledger, key, "2025-03", tmp_path / "march")[0] == 0
    late = ledger.parent / "books" / "late.beancount"
    (code,) = _codes(ledger, 1)
    late.write_text(_grant("2025-03-28", code, None), encoding="utf-8")
    status, text = _report(ledger, key, "2025-04", tmp_path / "april")
    assert status == 1 and "late.beancount:2:" in text and "corrects" in text
    assert not (tmp_path / "april").exists()
    late.write_text(_grant("2025-04-02", code, "2025-03"), encoding="utf-8")
    status, text = _report(ledger, key, "2025-04", tmp_path / "april")
    assert status == 0, text
    report = json.loads((tmp_path / "april" / "report.json").read_text())
    assert report["totals"]["corrections"] is None  # one household: held back
    md = (tmp_path / "april" / "report.en.md").read_text()
    assert "corrections to periods already published" in md


def test_corrections_over_enough_households_are_shown(tmp_path: Path) -> None:
    ledger = copy_ledger(tmp_path / "books")
    key = make_key(tmp_path)
    codes = _codes(ledger, 14)
    assert len(codes) == 14
    text = "".join(
        _grant(f"2025-04-{2 + i:02d}", c, "2025-03") for i, c in enumerate(codes)
    )
    (ledger.parent / "books" / "late.beancount").write_text(text, encoding="utf-8")
    status, out = _report(ledger, key, "2025-04", tmp_path / "april")
    assert status == 0, out
    report = json.loads((tmp_path / "april" / "report.json").read_text())
    assert report["totals"]["corrections"] == "560"
    assert report["privacy"]["rounding"] == "1"


def test_no_corrections_is_zero_and_not_shown(tmp_path: Path) -> None:
    ledger = copy_ledger(tmp_path / "books")
    key = make_key(tmp_path)
    assert _report(ledger, key, "2025-04", tmp_path / "april")[0] == 0
    report = json.loads((tmp_path / "april" / "report.json").read_text())
    assert report["totals"]["corrections"] == "0"
    md = (tmp_path / "april" / "report.en.md").read_text()
    assert "corrections to periods already published" not in md
