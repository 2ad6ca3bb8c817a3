"""The example fund in ledger/: seeded, byte-identical, complete and clean."""

from __future__ import annotations

import filecmp
import re
from collections import Counter
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from aidbooks.example import write_books
from aidbooks.plugins import accounts
from aidbooks.plugins import codes
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.policy import load_policy
from tests.helpers import LEDGER
from tests.helpers import ROOT
from tests.helpers import run


def tree(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "template" not in p.parts
    )


def assert_same_tree(a: Path, b: Path) -> None:
    assert tree(a) == tree(b)
    for name in tree(a):
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_same_seed_gives_byte_identical_books(tmp_path: Path) -> None:
    write_books(tmp_path / "one", seed=7)
    write_books(tmp_path / "two", seed=7)
    assert_same_tree(tmp_path / "one", tmp_path / "two")
    write_books(tmp_path / "three", seed=8)
    assert (tmp_path / "one" / "codes.beancount").read_text() != (
        tmp_path / "three" / "codes.beancount"
    ).read_text()


def test_committed_example_is_the_generator_output(tmp_path: Path) -> None:
    """ledger/ is exactly what `make example` writes (regenerate it on purpose)."""
    write_books(tmp_path / "fresh")
    assert_same_tree(tmp_path / "fresh", ROOT / "ledger")


def test_bean_check_reports_no_error() -> None:
    result = run("bean-check", str(LEDGER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""


@pytest.fixture(scope="module")
def books() -> list[data.Directive]:
    entries, errors, _ = loader.load_file(str(LEDGER))
    assert not errors
    return entries


def test_the_year_is_complete(books: list[data.Directive]) -> None:
    txns = [e for e in books if isinstance(e, data.Transaction)]
    declared = [
        e.values[0].value
        for e in books
        if isinstance(e, data.Custom) and e.type == "aid-recipient"
    ]
    volunteers = [
        e.values[0].value
        for e in books
        if isinstance(e, data.Custom) and e.type == "aid-volunteer"
    ]
    assert len(declared) >= 150 and len(set(declared)) == len(declared)
    assert all(codes.kind_of(c) == "recipient" for c in declared)
    assert len(volunteers) >= 10
    donations = Counter(
        p.account.split(":")[-1]
        for t in txns
        for p in t.postings
        if p.account.startswith(accounts.DONATIONS)
    )
    assert sum(donations.values()) >= 1500
    assert set(donations) >= {
        "Venmo",
        "PayPal",
        "CashApp",
        "GoFundMe",
        "Stripe",
        "Cash",
        "Check",
    }
    grants = [p for t in txns for p in t.postings if accounts.is_aid(p.account)]
    assert len(grants) >= 800
    categories = {accounts.category(p.account) for p in grants}
    assert categories >= {
        "Groceries",
        "Rent",
        "Utilities",
        "Legal",
        "Bail",
        "Rides",
        "Phone",
        "Medicine",
        "Childcare",
    }
    assert all("recipient" in (p.meta or {}) for p in grants)
    fees = {
        p.account for t in txns for p in t.postings if p.account.startswith(accounts.FEES)
    }
    assert len(fees) >= 4
    narrations = Counter(t.narration or "" for t in txns)
    assert narrations["Grocery gift cards bought in bulk"] >= 10
    assert narrations["Gift cards handed out at pantry day"] >= 10
    assert narrations["Bail posted"] >= 5 and narrations["Bail returned"] >= 3
    assert narrations["Reimbursement paid"] >= 3
    assert any(n.startswith("Release from restriction") for n in narrations)
    funds = {t.meta.get("fund") for t in txns} | {
        p.meta.get("fund") for t in txns for p in t.postings if p.meta
    }
    assert {"legal", "rent"} <= funds
    clearing = [
        t for t in txns if any(p.account.startswith(accounts.CLEARING) for p in t.postings)
    ]
    assert len(clearing) >= 100
    balances = [e for e in books if isinstance(e, data.Balance)]
    months = {
        (b.date.year, b.date.month) for b in balances if b.account == "Assets:Bank:Checking"
    }
    assert len(months) >= 12


def test_no_real_looking_names_or_contacts(books: list[data.Directive]) -> None:
    """Every narration, payee and metadata string of the example, through the
    personal-data detectors (which find a name or a contact where one is)."""
    policy = load_policy(LEDGER.parent / "aidbooks.toml")
    scanner = Scanner(policy.privacy.allow, policy.privacy.organisations)
    # the detectors find what this test looks for
    assert scanner.kinds("rent for Maria Garcia, call (612) 555-0142")
    assert scanner.kinds("paid @maria-g on Venmo")
    strings: set[str] = set()
    ids: set[str] = set()
    for entry in books:
        if isinstance(entry, data.Transaction):
            strings.update(s for s in (entry.narration, entry.payee) if s)
            metas = [entry.meta, *(p.meta for p in entry.postings if p.meta)]
        else:
            metas = [entry.meta]
        for meta in metas:
            for key, value in meta.items():
                if not isinstance(value, str) or key == "filename":
                    continue
                # a platform's id is a machine token (digits a card number's length
                # are ids there): only an e-mail or a handle in it is personal data
                (ids if key.endswith(("-id", "-source")) else strings).add(value)
    assert len(strings) > 100 and len(ids) > 100
    found = {text: scanner.kinds(text) for text in strings if scanner.kinds(text)}
    found |= {
        text: kinds
        for text in ids
        if (kinds := tuple(k for k in scanner.kinds(text) if k in ("email", "handle")))
    }
    assert found == {}
    text = "\n".join(
        p.read_text()
        for p in (ROOT / "ledger").rglob("*.beancount")
        if "template" not in p.parts
    )
    assert not re.search(r"@[a-z]", text)
    assert not re.search(r"\(\d{3}\) ?\d{3}-\d{4}", text)


@pytest.mark.slow  # generates and checks big books
def test_big_books_scale(tmp_path: Path) -> None:
    count = write_books(tmp_path / "big", transactions=10_000)
    assert 9_000 <= count <= 11_000
    result = run("bean-check", str(tmp_path / "big" / "main.beancount"))
    assert result.returncode == 0, result.stdout[:2000]
