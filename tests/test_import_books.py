"""Every fixture into `aidbooks init` books: the books check clean and name nobody."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import run
from tests.importing import DATA
from tests.importing import GOFUNDME_MAPPING
from tests.importing import personal_strings

OPENING = """
2025-01-01 * "Opening balances"
  Assets:Bank:Checking      20000.00 USD
  Equity:Opening-Balances
"""


@pytest.mark.slow  # imports every fixture for real
def test_all_fixtures_import_check_clean_and_name_nobody(tmp_path: Path) -> None:
    books = tmp_path / "books"
    key = tmp_path / "secret" / "fund.key"
    assert run("aidbooks", "init", str(books), "--key-file", str(key)).returncode == 0
    # init opens the accounts on Jan 1 of last year; start these books in 2017 so the
    # old layouts' rows (2017, 2020, 2021) are imported rather than listed as too old
    main = books / "main.beancount"
    start = "2017-01-01"
    for path in books.rglob("*.beancount"):
        path.write_text(re.sub(r"^\d{4}-01-01 ", f"{start} ", path.read_text(), flags=re.M))
    policy = books / "aidbooks.toml"
    policy.write_text(
        policy.read_text().replace(
            "organisations = []", 'organisations = ["Riverside Water Utility"]'
        )
        + GOFUNDME_MAPPING
    )
    (books / "books" / "opening.beancount").write_text(OPENING.replace("2025-01-01", start))
    exports = tmp_path / "exports"
    shutil.copytree(DATA, exports, ignore=shutil.ignore_patterns("*.beancount", "bad"))

    first = run("aidbooks", "import", str(exports), "--ledger", str(main))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "0 rejected" in first.stdout
    assert "not recognised" not in first.stdout
    assert "before the books begin" not in first.stdout

    check = run("aidbooks", "check", str(main))
    assert check.returncode == 0, check.stdout + check.stderr
    bean = run("bean-check", str(main))
    assert bean.returncode == 0, bean.stdout + bean.stderr

    imported = sorted((books / "imports").glob("*.beancount"))
    assert {p.name for p in imported} >= {
        "venmo.beancount",
        "paypal.beancount",
        "cashapp.beancount",
        "stripe.beancount",
        "opencollective.beancount",
        "bank.beancount",
        "actblue.beancount",
        "gofundme.beancount",
        "codes.beancount",
    }

    before = {p: p.read_bytes() for p in books.rglob("*") if p.is_file()}
    again = run("aidbooks", "import", str(exports), "--ledger", str(main))
    assert again.returncode == 0, again.stdout + again.stderr
    total = next(line for line in again.stdout.splitlines() if line.startswith("total:"))
    assert " 0 imported," in total
    after = {p: p.read_bytes() for p in books.rglob("*") if p.is_file()}
    assert {p: b for p, b in after.items() if p.name != ".aidbooks-import.lock"} == {
        p: b for p, b in before.items() if p.name != ".aidbooks-import.lock"
    }

    secrets = personal_strings()
    assert len(secrets) > 60
    for path in books.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        leaked = sorted(
            s for s in secrets if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", content)
        )
        assert leaked == [], f"{path.relative_to(books)} holds {leaked}"
