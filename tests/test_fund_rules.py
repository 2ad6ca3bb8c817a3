"""The fund rules (funds, approvals, caps, clearing, receivables, pending) on fixtures.

Every rule has a passing and a failing ledger under ``tests/data/fundrules/`` with the
policy beside them (``aidbooks.toml``). The failing ones assert each finding's exact
``file:line``, its check name and the gist of its message. The rules run the way
Beancount runs them (the ``plugin`` line of each fixture), and the same findings come
out of calling ``validate`` on the loaded entries, which is how ``aidbooks check
--strict`` runs the strict rules.
"""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from beancount import loader
from beancount.core import data

from aidbooks.books import load_books
from aidbooks.plugins import conventions
from aidbooks.plugins import rules
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_for_options
from aidbooks.plugins.rules import BASIC
from aidbooks.plugins.rules import STRICT
from tests.helpers import LEDGER
from tests.helpers import run
from tests.postings import posting_number

DATA = Path(__file__).parent / "data" / "fundrules"
RULES = ("funds", "approvals", "caps", "clearing", "receivables", "pending")

# fixture -> [(line, check name, words the message must contain)]
EXPECTED: dict[str, list[tuple[int, str, str]]] = {
    "funds": [
        (
            18,
            "funds",
            "fund 'legal' is overspent: its balance at the end of 2025-01-03 is -60.00 USD",
        ),
        (
            37,
            "funds",
            "fund 'legal' is overspent: its balance at the end of 2025-01-05 is -55.00 USD",
        ),
        (
            57,
            "funds",
            "fund 'legal' is restricted to Legal, Bail and cannot pay Expenses:Aid:Groceries",
        ),
        (65, "funds", "cannot pay Expenses:Fees:Venmo. Pay it from general"),
        (
            69,
            "funds",
            "names a fund that is not declared in aidbooks.toml (did you mean 'legal'?)",
        ),
        (76, "funds", "names a fund that is not declared in aidbooks.toml. Use one of"),
        (
            81,
            "funds",
            "releases money from restricted fund 'legal', which needs 2 approvers",
        ),
        (
            89,
            "funds",
            "Equity:Releases postings of this transaction add up to 5.00 USD, not zero",
        ),
    ],
    "approvals": [
        (
            9,
            "approvals",
            "grant of 300.00 USD is above the approval threshold of 250.00 USD",
        ),
        (14, "approvals", "approved-by names 1 distinct declared volunteer."),
        (21, "approvals", "grant of 300.00 USD"),
        (30, "approvals", "V-2W8KT-RGTT6 is declared only from 2025-03-01"),
        (37, "approvals", "the 1st item is not a volunteer code"),
        (44, "approvals", "nobody approves their own reimbursement"),
        (51, "approvals", "nobody approves their own reimbursement"),
        (51, "approvals", "V-9PGY6-V9EQN is reimbursed by it"),
        (64, "approvals", "grant of 450.00 USD"),
    ],
    "caps": [
        (16, "caps", "grants to R-0M88G-E8HHQ within 30 days reach 650.00 USD"),
        (28, "caps", "grants to R-HJHKC-XASPD within 30 days reach 700.00 USD"),
        (35, "caps", "its override gives no reason"),
        (43, "caps", "its override needs 2 approvers"),
        (50, "caps", "grants to R-ZNV6E-MWFZP within 30 days reach 990.00 USD"),
    ],
    "clearing": [
        (
            9,
            "clearing",
            "500.00 USD that entered Assets:Clearing:Venmo on 2025-01-03 took 17 days",
        ),
        (
            17,
            "clearing",
            "300.00 USD that entered Assets:Clearing:Venmo on 2025-02-01 took 11 days",
        ),
        (
            23,
            "clearing",
            "50.00 USD entered Assets:Clearing:Venmo on 2025-02-10 and is still open after 49 days",
        ),
        (
            32,
            "clearing",
            "150.00 USD left Assets:Clearing:Stripe on 2025-02-15 before any payout",
        ),
    ],
    "receivables": [
        (
            15,
            "receivables",
            "for R-0M88G-E8HHQ exceed what was posted for that household by 100.00 USD",
        ),
        (
            21,
            "receivables",
            "for R-HJHKC-XASPD exceed what was posted for that household by 200.00 USD",
        ),
        (27, "receivables", "2000.00 USD of Assets:Receivable:Bail for R-98BNF-Y6G91"),
        (
            33,
            "receivables",
            "100.00 USD of Assets:Receivable:Bail for R-ZNV6E-MWFZP, posted on 2025-02-01, is still owed after 393 days",
        ),
    ],
    "pending": [
        (9, "pending", "pending (!) for 70 days"),
        (15, "pending", "pending (!) for 15 days"),
    ],
}


def module(rule: str) -> ModuleType:
    return importlib.import_module({**BASIC, **STRICT}[rule])


def load(path: Path) -> tuple[list[data.Directive], list[Any], dict[str, Any]]:
    return load_books(path)


def located(errors: list[Any]) -> list[tuple[str, int, str]]:
    return sorted(
        (Path(e.source["filename"]).name, e.source["lineno"], getattr(e, "rule", "?"))
        for e in errors
    )


def test_registry_names_the_rules_and_their_tiers() -> None:
    assert {"funds", "approvals"} <= set(BASIC)
    assert {"caps", "clearing", "receivables", "pending"} <= set(STRICT)
    assert set(BASIC).isdisjoint(STRICT)  # each rule has one tier
    for rule in RULES:
        mod = module(rule)
        error_classes: list[type[RuleError]] = [
            v
            for v in vars(mod).values()
            if isinstance(v, type) and issubclass(v, RuleError) and v is not RuleError
        ]
        assert [c.rule for c in error_classes] == [rule]
        assert callable(mod.validate) and len(mod.__plugins__) == 1
        assert mod.__doc__ and "Example" in mod.__doc__ and "aidbooks.toml" in mod.__doc__


@pytest.mark.parametrize("rule", RULES)
def test_passing_fixture_has_no_finding(rule: str) -> None:
    entries, errors, options = load(DATA / f"{rule}-pass.beancount")
    assert [e.message for e in errors] == []
    assert module(rule).validate(entries, options, policy_for_options(options)) == []


@pytest.mark.parametrize("rule", RULES)
def test_failing_fixture_reports_each_finding_at_its_line(rule: str) -> None:
    path = DATA / f"{rule}-fail.beancount"
    entries, errors, options = load(path)
    expected = EXPECTED[rule]
    assert located(errors) == sorted((path.name, line, name) for line, name, _ in expected)
    for line, _name, words in expected:
        messages = [e.message for e in errors if e.source["lineno"] == line]
        assert any(words in m for m in messages), (line, words, messages)
    # every message says what is wrong, then how to fix it
    for error in errors:
        what, _, fix = error.message.partition(". ")
        assert what and fix and fix[0].isupper(), error.message
    # ``aidbooks check --strict`` calls validate on the loaded entries: same findings
    direct = module(rule).validate(entries, options, policy_for_options(options))
    assert sorted((e.source["lineno"], e.message) for e in direct) == sorted(
        (e.source["lineno"], e.message) for e in errors
    )


def test_messages_never_repeat_what_is_not_a_code() -> None:
    _, errors, _ = load(DATA / "approvals-fail.beancount")
    assert errors and not any("Maria" in e.message for e in errors)


@pytest.mark.parametrize("rule", ["funds", "approvals"])
def test_basic_rules_run_in_bean_check(rule: str) -> None:
    path = DATA / f"{rule}-fail.beancount"
    result = run("bean-check", "-C", "--json", str(path))
    assert result.returncode == 1
    found = sorted(
        (Path(e["filename"]).name, e["lineno"]) for e in json.loads(result.stdout)["errors"]
    )
    assert found == sorted((path.name, line) for line, _, _ in EXPECTED[rule])


def test_strict_rules_follow_the_policy_file(tmp_path: Path) -> None:
    """A looser policy beside the same books clears the findings it governs."""
    for name in ("common.beancount", "clearing-fail.beancount", "pending-fail.beancount"):
        (tmp_path / name).write_text((DATA / name).read_text())
    (tmp_path / "aidbooks.toml").write_text(
        "[reconcile]\nclearing_days = 60\n[pending]\nmax_age_days = 80\n"
    )
    for rule in ("clearing", "pending"):
        entries, errors, options = load(tmp_path / f"{rule}-fail.beancount")
        assert errors == []
        assert module(rule).validate(entries, options, policy_for_options(options)) == []


def test_an_invalid_policy_is_one_finding_not_a_traceback(tmp_path: Path) -> None:
    for name in ("common.beancount", "funds-pass.beancount"):
        (tmp_path / name).write_text((DATA / name).read_text())
    (tmp_path / "aidbooks.toml").write_text('[approvals]\nthreshold = "-5"\n')
    _, errors, _ = load(tmp_path / "funds-pass.beancount")
    assert len(errors) == 1
    assert errors[0].rule == "policy" and "approvals.threshold" in errors[0].message


# ------------------------------------------------------------ the example fund


@pytest.fixture(scope="module")
def example() -> tuple[list[data.Directive], dict[str, Any], Policy]:
    entries, errors, options = load_books(LEDGER)
    assert [e.message for e in errors] == []
    return entries, options, load_policy(LEDGER.parent / "aidbooks.toml")


def test_example_switches_on_the_basic_rules() -> None:
    _entries, _errors, options = loader.load_file(str(LEDGER))
    on = rules.switched_on(options)
    for name in ("funds", "approvals"):
        assert f"aidbooks.plugins.{name}" in on


def test_example_passes_every_fund_rule_without_changing_entries(
    example: tuple[list[data.Directive], dict[str, Any], Policy],
) -> None:
    entries, options, policy = example
    before = copy.deepcopy(entries)
    for rule in RULES:
        assert module(rule).validate(entries, options, policy) == [], rule
    assert entries == before


def _replace_meta(entry: data.Transaction, **changes: Any) -> data.Transaction:
    meta = {k: v for k, v in entry.meta.items() if k not in changes}
    meta.update({k: v for k, v in changes.items() if v is not None})
    return entry._replace(meta=meta)


def _txns(entries: list[data.Directive]) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)]


def _findings(rule: str, entries: list[data.Directive], example: Any) -> list[RuleError]:
    _, options, policy = example
    result: list[RuleError] = module(rule).validate(entries, options, policy)
    return result


def test_example_exercises_each_happy_path(
    example: tuple[list[data.Directive], dict[str, Any], Policy],
) -> None:
    """Take away what makes each happy path pass, and its rule finds the gap."""
    entries = example[0]
    txns = _txns(entries)

    def without(target: data.Transaction, **changes: Any) -> list[data.Directive]:
        return [_replace_meta(e, **changes) if e is target else e for e in entries]

    # restricted funds pay their own categories
    restricted = [
        t
        for t in txns
        if t.meta.get("fund") in ("legal", "rent")
        and any(p.account.startswith("Expenses:Aid:") for p in t.postings)
    ]
    assert len(restricted) >= 20
    moved = [
        e._replace(meta={**e.meta, "fund": "lgeal"}) if e is restricted[0] else e
        for e in entries
    ]
    assert [f.rule for f in _findings("funds", moved, example)] == ["funds"]

    # a release from restriction, approved
    release = next(
        t for t in txns if (t.narration or "").startswith("Release from restriction")
    )
    found = _findings("funds", without(release, **{"approved-by": None}), example)
    assert len(found) == 1 and "releases money from restricted fund" in found[0].message

    # approvals present on grants above the threshold
    threshold = example[2].approvals.threshold
    large = [
        t
        for t in txns
        if t.flag == "*"
        and sum(
            posting_number(p) for p in t.postings if p.account.startswith("Expenses:Aid:")
        )
        > threshold
    ]
    assert len(large) >= 20 and all("approved-by" in t.meta for t in large)
    found = _findings("approvals", without(large[0], **{"approved-by": None}), example)
    assert len(found) == 1 and found[0].source is not None

    # reimbursements approved by somebody else
    reimbursed = [
        t
        for t in txns
        if any(p.account.startswith("Liabilities:Reimbursements:") for p in t.postings)
        and "approved-by" in t.meta
    ]
    assert reimbursed
    own = reimbursed[0].postings[-1].account.rsplit(":", 1)[-1]
    found = _findings("approvals", without(reimbursed[0], **{"approved-by": own}), example)
    assert any("own reimbursement" in f.message for f in found)

    # overrides above the household cap
    overrides = [t for t in txns if "override" in t.meta]
    assert len(overrides) >= 2
    found = _findings("caps", without(overrides[0], override=None), example)
    assert [f.source["lineno"] for f in found][:1] == [overrides[0].meta["lineno"]]

    # bail posted and returned
    returns = [t for t in txns if t.narration == "Bail returned"]
    assert len(returns) >= 3
    doubled = [
        e._replace(
            postings=[
                *e.postings,
                *[p for p in e.postings if p.account.startswith("Assets:Receivable:")],
            ]
        )
        if e is returns[0]
        else e
        for e in entries
    ]
    found = _findings("receivables", doubled, example)
    assert len(found) == 1 and "exceed what was posted" in found[0].message

    # payouts clear through Assets:Clearing:* within the limit (1 to 3 days)
    clearing = [
        t for t in txns if any(p.account.startswith("Assets:Clearing:") for p in t.postings)
    ]
    assert len(clearing) >= 100
    policy = example[2]
    strict = policy.model_copy(
        update={"reconcile": policy.reconcile.model_copy(update={"clearing_days": 1})}
    )
    found = module("clearing").validate(entries, example[1], strict)
    assert len(found) >= 10 and all(f.rule == "clearing" for f in found)

    # pending grants, recent
    pending = [t for t in txns if t.flag == "!"]
    assert pending
    late = [
        e._replace(date=e.date.replace(month=1)) if e is pending[0] else e for e in entries
    ]
    late.sort(key=data.entry_sortkey)
    assert [f.rule for f in _findings("pending", late, example)] == ["pending"]


# -------------------------------------------------------------- conventions


def test_parse_approvers_keeps_codes_and_hides_the_rest() -> None:
    codes, bad = conventions.parse_approvers(
        "V-9PGY6-V9EQN, someone, V-9PGY6-V9EQN,,V-Q2GD6-J5P70"
    )
    assert codes == ("V-9PGY6-V9EQN", "V-Q2GD6-J5P70")
    assert bad == (2,)
    assert conventions.parse_approvers(42) == ((), (1,))
    assert conventions.parse_approvers("R-0M88G-E8HHQ") == ((), (1,))


def test_ordinals() -> None:
    assert [conventions.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]


SAME_DAY = """
2025-01-01 open Assets:Bank:Checking USD
2025-01-01 open Expenses:Aid:Rent USD
2025-01-01 open Equity:Opening-Balances USD
2025-01-01 custom "aid-volunteer" "V-9PGY6-V9EQN"

2025-03-01 * "Rent assistance"
  approved-by: "V-9PGY6-V9EQN, V-Q2GD6-J5P70"
  Expenses:Aid:Rent   450.00 USD
    recipient: "R-0M88G-E8HHQ"
  Equity:Opening-Balances

{date} custom "aid-volunteer" "V-Q2GD6-J5P70"
"""


@pytest.mark.parametrize(("date", "counts"), [("2025-03-01", True), ("2025-03-02", False)])
def test_a_declaration_counts_from_its_date_not_its_place(date: str, counts: bool) -> None:
    """Written after the grant, but dated the same day: it counts (and sorts after it)."""
    entries, errors, options = loader.load_string(SAME_DAY.format(date=date))
    assert errors == []
    txn = next(e for e in entries if isinstance(e, data.Transaction))
    custom = [e for e in entries if isinstance(e, data.Custom)][-1]
    assert entries.index(txn) < entries.index(custom)
    found = module("approvals").validate(entries, options, Policy())
    if counts:
        assert found == []
    else:
        assert len(found) == 1
        assert "V-Q2GD6-J5P70 is declared only from 2025-03-02" in found[0].message


LEAKY = """
2025-01-01 open Assets:Bank:Checking USD
2025-01-01 open Assets:Receivable:Bail USD
2025-01-01 open Expenses:Aid:Rent USD
2025-01-01 open Equity:Opening-Balances USD

2025-03-01 * "Rent assistance"
  fund: "Maria Example"
  approved-by: "Maria Example, 555-0100"
  Expenses:Aid:Rent   900.00 USD
    recipient: "Maria Example"
  Equity:Opening-Balances

2025-03-02 * "Bail returned"
  Assets:Bank:Checking   500.00 USD
  Assets:Receivable:Bail  -500.00 USD
    recipient: "Maria Example"
"""


def test_what_someone_wrote_in_place_of_a_code_is_never_repeated() -> None:
    entries, errors, options = loader.load_string(LEAKY)
    assert errors == []
    found = [f for rule in RULES for f in module(rule).validate(entries, options, Policy())]
    assert {f.rule for f in found} >= {"funds", "approvals", "caps", "receivables"}
    for finding in found:
        assert "Maria" not in finding.message and "555" not in finding.message
