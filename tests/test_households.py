"""One family, one household: ``aid-link``, the findings about links, caps by
household, ``aidbooks code link`` / ``code show`` and the Aid page's codes to link."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from beancount import loader
from beancount.core import data
from beancount.parser.grammar import ValueType
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from aidbooks import overview
from aidbooks.cli import cli
from aidbooks.plugins import codes
from aidbooks.plugins import households
from aidbooks.plugins.policy import Policy
from tests import smallbooks
from tests.ledgers import HEADER
from tests.ledgers import R1
from tests.ledgers import R2
from tests.ledgers import declarations
from tests.ledgers import line_of
from tests.ledgers import load

R3 = codes.code_from_int("recipient", 77)
R4 = codes.code_from_int("recipient", 78)
#: The rule fixtures' header with the caps rule in place of no-pii.
CAPS_HEADER = HEADER.replace(
    'plugin "aidbooks.plugins.no_pii"', 'plugin "aidbooks.plugins.caps"'
)
assert CAPS_HEADER != HEADER


def link(code: str, to: str, date: str = "2025-02-01") -> str:
    return f'{date} custom "aid-link" "{code}" "{to}"\n'


def grant(date: str, code: str, amount: str, category: str = "Rent") -> str:
    return (
        f'{date} * "Grant"\n'
        f"  Expenses:Aid:{category}  {amount} USD\n"
        f'        recipient: "{code}"\n'
        "  Assets:Bank:Checking\n\n"
    )


# ------------------------------------------------------------------ the links


def test_well_formed_links_have_no_findings(tmp_path: Path) -> None:
    body = (
        declarations(R1, R2, R3)
        + link(R2, R1)
        + link(R3, R2)
        + grant("2025-02-02", R3, "10.00")
    )
    _, found = load(tmp_path, body)
    assert found == []


def test_each_wrong_link_is_a_finding_at_its_line(tmp_path: Path) -> None:
    body = (
        declarations(R1, R2, R3, R4)
        + link(R1, R1)  # to itself
        + link(R2, R1)
        + link(R2, R3)  # linked twice
        + link(R3, R4)
        + link(R4, R3)  # a cycle
        + '2025-02-01 custom "aid-link" "Maria Lopez" "R-00000-0005B"\n'
        + link(codes.code_from_int("recipient", 99), R1)  # undeclared
    )
    text, found = load(tmp_path, body)
    got = {(f.line, f.message.split(";")[0]) for f in found}
    assert (line_of(text, link(R1, R1).strip()), f"{R1} is linked to itself") in got
    assert any(
        line == line_of(text, link(R2, R3).strip()) and "already linked to" in message
        for line, message in got
    )
    cycle = {line for line, message in got if "cycle" in message}
    assert cycle == {
        line_of(text, link(R3, R4).strip()),
        line_of(text, link(R4, R3).strip()),
    }
    assert any("needs two quoted recipient codes" in m for _, m in got)
    assert any("not declared" in m for _, m in got)
    assert all("Maria" not in f.message for f in found)
    # the name typed for a code is the no-pii rule's finding too
    assert {f.rule for f in found} == {"recipients", "no-pii"}


def test_a_link_before_the_declaration_is_a_finding(tmp_path: Path) -> None:
    body = declarations(R1) + declarations(R2, date="2025-03-01") + link(R2, R1)
    _, found = load(tmp_path, body)
    assert [f.message for f in found if "not declared" in f.message]


@st.composite
def forests(draw: st.DrawFn) -> dict[int, int]:
    """A forest of links: node -> a node with a smaller number (never a cycle)."""
    size = draw(st.integers(min_value=1, max_value=12))
    out: dict[int, int] = {}
    for node in range(1, size):
        if draw(st.booleans()):
            out[node] = draw(st.integers(min_value=0, max_value=node - 1))
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(forests(), st.randoms(use_true_random=False))
def test_every_code_reaches_the_head_of_its_tree(
    forest: dict[int, int], rnd: object
) -> None:
    """Any order of the links gives each code its tree's root."""
    assert isinstance(rnd, random.Random)
    code = {n: codes.code_from_int("recipient", 500 + n) for n in range(13)}
    items = list(forest.items())
    rnd.shuffle(items)
    entries = [
        data.Custom(
            {"filename": "x", "lineno": i},
            dt.date(2025, 1, 1),
            households.LINK,
            [
                ValueType(code[a], str),
                ValueType(code[b], str),
            ],
        )
        for i, (a, b) in enumerate(items)
    ]
    found = households.households(entries)
    assert found.problems == []
    for node in {*forest, *forest.values()}:
        root = node
        while root in forest:
            root = forest[root]
        assert found.of(code[node]) == code[root]


# ------------------------------------------------------------------ the caps


def test_a_cap_breach_across_linked_codes_is_found(tmp_path: Path) -> None:
    """400 to the intake code and 300 to the Venmo code: two codes, one family."""
    policy = '[caps]\nper_household = "600.00"\nwindow_days = 30\n'
    body = (
        declarations(R1, R2)
        + grant("2025-03-01", R1, "400.00")
        + grant("2025-03-10", R2, "300.00")
    )
    _, found = load(tmp_path, body, policy=policy, header=CAPS_HEADER)
    assert found == []
    text, found = load(
        tmp_path, body + link(R2, R1, "2025-04-01"), policy=policy, header=CAPS_HEADER
    )
    assert [(f.rule, f.line) for f in found] == [
        ("caps", line_of(text, '2025-03-10 * "Grant"'))
    ]
    assert f"household {R1} (linked codes {R2})" in found[0].message
    assert "700.00 USD" in found[0].message


# ------------------------------------------------------------------ the command


def books(tmp_path: Path) -> Path:
    return smallbooks.write_books(tmp_path / "books")


def test_code_link_then_show(tmp_path: Path) -> None:
    ledger = books(tmp_path)
    codes_file = ledger.parent / "codes.beancount"
    before = codes_file.read_text()
    runner = CliRunner()
    result = runner.invoke(
        cli, ["code", "link", smallbooks.R2, "--to", smallbooks.R1, "--ledger", str(ledger)]
    )
    assert result.exit_code == 0, result.output
    assert f"linked {smallbooks.R2} to {smallbooks.R1}" in result.output
    assert f"household {smallbooks.R1}: 2 codes" in result.output
    added = codes_file.read_text()[len(before) :]
    assert added.count('custom "aid-link"') == 1
    assert f'"{smallbooks.R2}" "{smallbooks.R1}"' in added
    # the books still load clean, and the link is followed
    entries, errors, _ = loader.load_file(str(ledger))
    assert [e for e in errors if getattr(e, "rule", "") == "recipients"] == []
    assert households.households(entries).of(smallbooks.R2) == smallbooks.R1
    shown = runner.invoke(cli, ["code", "show", smallbooks.R2, "--ledger", str(ledger)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0].startswith(f"household {smallbooks.R1}: 2 codes")
    assert f"{smallbooks.R1}  head" in shown.output
    assert f"{smallbooks.R2}  linked" in shown.output
    # linking again is a no-op
    again = runner.invoke(
        cli, ["code", "link", smallbooks.R2, "--to", smallbooks.R1, "--ledger", str(ledger)]
    )
    assert again.exit_code == 0
    assert "already in household" in again.output
    assert codes_file.read_text().count('custom "aid-link"') == 1


def test_code_link_refuses_what_it_cannot_link(tmp_path: Path) -> None:
    ledger = books(tmp_path)
    codes_file = ledger.parent / "codes.beancount"
    before = codes_file.read_bytes()
    runner = CliRunner()
    cases = [
        [smallbooks.UNDECLARED, "--to", smallbooks.R1],
        ["Maria Lopez", "--to", smallbooks.R1],
        [smallbooks.R1, "--to", smallbooks.R1],
    ]
    for args in cases:
        result = runner.invoke(cli, ["code", "link", *args, "--ledger", str(ledger)])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output
        assert "Maria" not in result.output
    assert codes_file.read_bytes() == before


def test_linking_reports_the_cap_the_link_breaks(tmp_path: Path) -> None:
    ledger = books(tmp_path)
    extra = (
        f'2025-03-02 * "Grant"\n  approved-by: "{smallbooks.V1}, {smallbooks.V2}"\n'
        f'  Expenses:Aid:Rent  350.00 USD\n    recipient: "{smallbooks.R1}"\n'
        "  Assets:Bank:Checking\n\n"
        f'2025-03-03 * "Grant"\n  approved-by: "{smallbooks.V1}, {smallbooks.V2}"\n'
        f'  Expenses:Aid:Rent  300.00 USD\n    recipient: "{smallbooks.R2}"\n'
        "  Assets:Bank:Checking\n"
    )
    grants = ledger.parent / "books" / "extra.beancount"
    grants.parent.mkdir(exist_ok=True)
    grants.write_text(extra)
    with ledger.open("a") as handle:
        handle.write(f'include "{grants.relative_to(ledger.parent)}"\n')
    result = CliRunner().invoke(
        cli, ["code", "link", smallbooks.R2, "--to", smallbooks.R1, "--ledger", str(ledger)]
    )
    assert result.exit_code == 0, result.output
    assert any(
        line.startswith("caps: books/extra.beancount:")
        and "above the household cap" in line
        for line in result.output.splitlines()
    ), result.output


# ------------------------------------------------------------------ the Aid page


def test_the_aid_page_lists_derived_codes_not_yet_linked(tmp_path: Path) -> None:
    ledger = books(tmp_path)
    imports = ledger.parent / "imports"
    imports.mkdir(exist_ok=True)
    derived = codes.code_from_int("recipient", 4242)
    (imports / "codes.beancount").write_text(
        f'2025-01-01 custom "aid-recipient" "{derived}"\n'
    )
    (imports / "grants.beancount").write_text(
        f'2025-02-05 ! "Grant"\n  Expenses:Aid:Rent  75.00 USD\n    recipient: "{derived}"\n'
        "  Assets:Bank:Checking\n"
    )
    with ledger.open("a") as handle:
        handle.write(
            'include "imports/codes.beancount"\ninclude "imports/grants.beancount"\n'
        )
    policy = Policy()
    loaded = loader.load_file(str(ledger))
    page = overview.build(loaded, ledger, policy)
    assert [(u.code, u.grants, str(u.amount)) for u in page.unlinked] == [
        (derived, 1, "75.00")
    ]
    assert page.unlinked[0].place is not None
    assert page.unlinked[0].place.filename.endswith("imports/codes.beancount")
    with (ledger.parent / "codes.beancount").open("a") as handle:
        handle.write(link(derived, smallbooks.R1, "2025-02-06"))
    page = overview.build(loader.load_file(str(ledger)), ledger, policy)
    assert page.unlinked == ()


def test_the_aid_page_puts_a_linked_family_near_its_cap_once(tmp_path: Path) -> None:
    """80 + 520 in January to two codes of one family: 100% of the cap, one row."""
    ledger = books(tmp_path)
    with (ledger.parent / "codes.beancount").open("a") as handle:
        handle.write(link(smallbooks.R1, smallbooks.R2, "2025-01-21"))
    page = overview.build(loader.load_file(str(ledger)), ledger, Policy())
    assert [(n.recipient, str(n.total), n.grants) for n in page.near_cap] == [
        (smallbooks.R2, "600.00", 2)
    ]
