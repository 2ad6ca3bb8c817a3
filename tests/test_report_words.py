"""Every word a report publishes from the books or the policy passes the PII scan.

The fund's name, aid categories (every one of the vocabulary, with grants or
not), channels, kinds of operating costs and fund names: one that looks like it
holds personal data stops the report with one line that says which name to fix,
never the text found.
"""

from __future__ import annotations

import pytest

from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.policy import Policy
from tests import report_small as small

BASE = small.spread(range(1, 13), "Groceries", range(8), "40")
FOUND = ("garcia", "lopez", "maria")


def _refused(text: str, the_policy: Policy | None = None) -> str:
    with pytest.raises(AidbooksError) as caught:
        small.report(text, the_policy or small.policy(), "2025-Q1", ("en",))
    line = caught.value.line()
    assert "\n" not in line and line.startswith("refusing to publish: ")
    assert not any(word in line.lower() for word in FOUND), line
    return line


@pytest.mark.parametrize("category", ["Garcia", "MariaGarcia"])
def test_an_aid_category_named_for_a_person(category: str) -> None:
    grants = [*BASE, *small.spread([2], category, range(8), "25")]
    line = _refused(small.books_text(grants))
    assert (
        "an aid category (an Expenses:Aid account) looks like it holds a personal name"
        in line
    )
    assert "Rename the Expenses:Aid account" in line


def test_a_category_without_grants_is_published_and_scanned() -> None:
    line = _refused(small.books_text(BASE, extra_accounts=["Expenses:Aid:Lopez"]))
    assert "Expenses:Aid account" in line


def test_the_fund_s_name() -> None:
    for name in ("Mutual aid of Maria Lopez", "maria.lopez@example.org"):
        line = _refused(small.books_text(BASE), small.policy(name=name))
        assert "the fund's name (fund.name in aidbooks.toml)" in line
        assert "Change fund.name in aidbooks.toml" in line


def test_a_fund_named_for_a_person() -> None:
    grants = [*BASE, small.Grant(3, "Groceries", 1, "10", fund="garcia")]
    line = _refused(small.books_text(grants))
    assert "a fund's name (fund: in the books or [funds.<name>] in aidbooks.toml)" in line


@pytest.mark.parametrize(
    ("account", "what"),
    [
        ("Income:Donations:MariaGarcia", "a channel"),
        ("Expenses:Operations:JoseGarcia", "a kind of operating cost"),
    ],
)
def test_channels_and_costs(account: str, what: str) -> None:
    lines = [
        '2025-02-10 * "x"',
        f"  {account}  {'-' if account.startswith('Income') else ''}20.00 USD",
        "  Assets:Bank:Checking",
    ]
    text = small.books_text(BASE, extra_accounts=[account], extra_lines=lines)
    assert what in _refused(text)


def test_allowed_words_pass() -> None:
    grants = [*BASE, *small.spread([2], "Garcia", range(8), "25")]
    built = small.report(
        small.books_text(grants), small.policy(allow=["Garcia"]), "2025-Q1", ("en",)
    )
    assert b"Garcia" in built.files["report.json"]
