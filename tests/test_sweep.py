"""The walk shared by the privacy rules: reused only for the very same entries."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from beancount import loader

from aidbooks.plugins import no_pii
from aidbooks.plugins import recipients
from aidbooks.plugins import sweep
from aidbooks.plugins.policy import Policy
from tests.ledgers import R1

BOOKS = f"""\
option "operating_currency" "USD"
2025-01-01 open Assets:Bank:Checking USD
2025-01-01 open Expenses:Aid:Rent USD
2025-01-01 custom "aid-recipient" "{R1}"
2025-02-01 * "{{narration}}"
  Expenses:Aid:Rent  10.00 USD
    recipient: "{R1}"
  Assets:Bank:Checking
"""


def books(tmp_path: Path, name: str, narration: str) -> tuple[list[Any], dict[str, Any]]:
    path = tmp_path / name
    path.write_text(BOOKS.format(narration=narration), encoding="utf-8")
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    return entries, options


BOTH = {
    "plugin": [("aidbooks.plugins.recipients", None), ("aidbooks.plugins.no_pii", None)]
}


def test_the_walk_is_shared_by_the_two_rules_then_dropped(tmp_path: Path) -> None:
    entries, _options = books(tmp_path, "a.beancount", "Rent for Maria")
    policy = Policy()
    sweep.forget()
    first = sweep.sweep_for(entries, policy, "recipients", BOTH)
    assert sweep.sweep_for(entries, policy, "no-pii", BOTH) is first
    assert sweep._kept is None  # taken: nothing keeps the entries alive
    assert sweep.sweep_for(entries, policy, "no-pii", BOTH) is not first


def test_the_walk_is_not_reused_for_other_entries_or_rules(tmp_path: Path) -> None:
    entries, _options = books(tmp_path, "a.beancount", "Rent for Maria")
    policy = Policy()
    for other_entries, other_policy, rule in (
        (list(entries), policy, "no-pii"),  # another list
        (entries, Policy(), "no-pii"),  # another policy
        (entries, policy, "recipients"),  # the same rule again
    ):
        sweep.forget()
        first = sweep.sweep_for(entries, policy, "recipients", BOTH)
        assert sweep.sweep_for(other_entries, other_policy, rule, BOTH) is not first
    sweep.forget()
    first = sweep.sweep_for(entries, policy, "recipients", BOTH)
    entries[-1] = entries[0]  # the same list, changed in place by some plugin
    assert sweep.sweep_for(entries, policy, "no-pii", BOTH) is not first
    sweep.forget()
    only_one = {"plugin": [("aidbooks.plugins.no_pii", None)]}
    sweep.sweep_for(entries, policy, "no-pii", only_one)
    assert sweep._kept is None  # no partner switched on: nothing is kept


def test_other_entries_get_a_walk_of_their_own(tmp_path: Path) -> None:
    """Each rule sees the entries it is given, whatever ran before it."""
    dirty, options = books(tmp_path, "dirty.beancount", "Rent for Maria")
    clean, _ = books(tmp_path, "clean.beancount", "Rent assistance")
    policy = Policy()
    assert len(recipients.validate(dirty, options, policy)) == 0
    assert len(no_pii.validate(clean, options, policy)) == 0
    assert len(no_pii.validate(dirty, options, policy)) == 1
    # The same list changed in place (a plugin replacing an entry): walked again.
    dirty[-1] = clean[-1]
    assert no_pii.validate(dirty, options, policy) == []
    sweep.forget()


def test_garbage_collection_is_restored(tmp_path: Path) -> None:
    entries, options = books(tmp_path, "a.beancount", "Rent")
    assert gc.isenabled()
    sweep.forget()
    no_pii.validate(entries, options, Policy())
    assert gc.isenabled()
    gc.disable()
    try:
        sweep.forget()
        no_pii.validate(entries, options, Policy())
        assert not gc.isenabled()
    finally:
        gc.enable()
    sweep.forget()


SHORTCUTS = f"""\
option "operating_currency" "USD"
2025-01-01 open Assets:Bank:Checking USD
2025-01-01 open Income:Donations:Cash USD
2025-01-01 open Expenses:Aid:Rent USD
2025-01-01 custom "aid-recipient" "{R1}"
2025-02-01 * "Donation"
  Income:Donations:Cash  -10.00 USD
    fund: "general"
  Assets:Bank:Checking
    fund: "general"
2025-02-02 * "Donation"
  Income:Donations:Cash  -10.00 USD
    fund: "general"
  Assets:Bank:Checking
    fund: "general"
    note: "from Maria Garcia"
2025-02-03 * "Donation"
  Income:Donations:Cash  -10.00 USD
  Assets:Bank:Checking
    note: "call 612-555-0147"
2025-02-04 * "Rent"
  Expenses:Aid:Rent  10.00 USD
    recipient: "{R1}"
  Assets:Bank:Checking
2025-02-05 * "Rent"
  Expenses:Aid:Rent  10.00 USD
    recipient: "{R1}"
    note: "for Maria Garcia"
  Assets:Bank:Checking
"""


def test_the_walks_shortcuts_still_see_every_posting_meta_value(tmp_path: Path) -> None:
    # Postings with a known clean fund, money postings and postings of a recipient
    # already seen take shortcuts; personal data beside them is still found.
    path = tmp_path / "shortcuts.beancount"
    path.write_text(SHORTCUTS, encoding="utf-8")
    entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    walked = sweep.walk(entries, Policy())
    assert [str(txn.date) for txn in walked.suspects] == [
        "2025-02-02",
        "2025-02-03",
        "2025-02-05",
    ]
    assert walked.grant_postings == []
