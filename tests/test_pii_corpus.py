"""The planted and the clean corpus: recall 100%, no false positives, no echo.

``tests/data/pii/planted.tsv`` holds personal data of every kind placed in every
field a ledger has; ``tests/data/pii/clean.txt`` holds realistic strings of a fund's
books that hold none. Run with ``-s`` to see the recall and false-positive numbers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest
from beancount import loader

from aidbooks.plugins.pii import KIND_NAMES
from aidbooks.plugins.pii import Scanner

DATA = Path(__file__).parent / "data" / "pii"
IDENTIFIER_FIELDS = {"tag", "link", "document", "account"}
FIELDS = {"payee", "narration", "meta", "posting-meta", *IDENTIFIER_FIELDS, "custom"}


class Planted(NamedTuple):
    field: str
    kind: str
    value: str


def planted() -> list[Planted]:
    items = []
    for line in (DATA / "planted.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            field, kind, value = line.split("\t")
            items.append(Planted(field, kind, value))
    return items


def clean() -> list[tuple[str, str]]:
    """(section, text) for every line of the clean corpus."""
    items = []
    section = ""
    for line in (DATA / "clean.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line and not line.startswith("#"):
            items.append((section, line))
    return items


PLANTED = planted()
CLEAN = clean()


def kinds_of(scanner: Scanner, field: str, value: str) -> tuple[str, ...]:
    """Scan as the no-pii rule does: identifiers, and values without a space, as words."""
    if field in IDENTIFIER_FIELDS or field == "identifiers":
        return scanner.identifier_kinds(value)
    if field in {"meta", "posting-meta", "custom"} and " " not in value:
        return scanner.identifier_kinds(value)
    return scanner.kinds(value)


def test_the_corpora_are_big_and_varied() -> None:
    assert len(PLANTED) >= 60
    assert {p.kind for p in PLANTED} == set(KIND_NAMES)
    assert {p.field for p in PLANTED} == FIELDS
    by_field = Counter(p.field for p in PLANTED)
    assert min(by_field.values()) >= 8, by_field
    assert len(CLEAN) >= 300
    assert {s for s, _ in CLEAN} == {
        "narrations",
        "vendors",
        "organisations",
        "identifiers",
    }


def test_recall_and_false_positives() -> None:
    scanner = Scanner()
    missed = [p for p in PLANTED if p.kind not in kinds_of(scanner, p.field, p.value)]
    flagged = [(s, t) for s, t in CLEAN if kinds_of(scanner, s, t)]
    recall = 1 - len(missed) / len(PLANTED)
    false_positive_rate = len(flagged) / len(CLEAN)
    print(
        f"\npii corpus: recall {recall:.1%} ({len(PLANTED) - len(missed)}/{len(PLANTED)}"
        f" planted items), false positives {false_positive_rate:.1%}"
        f" ({len(flagged)}/{len(CLEAN)} clean strings)"
    )
    assert missed == []
    assert flagged == []


#: Identifiers are found as a whole (see the ledger test below), not by position.
IN_TEXT = [p for p in PLANTED if p.field not in IDENTIFIER_FIELDS]


@pytest.mark.parametrize("item", IN_TEXT, ids=lambda p: f"{p.field}-{p.kind}")
def test_findings_cover_the_planted_value(item: Planted) -> None:
    """Each finding is a span of the text, and the spans cover the personal data:
    with them blanked out, nothing of that kind is found any more."""
    scanner = Scanner()
    found = [f for f in scanner.findings(item.value) if f.kind == item.kind]
    assert found, item
    rest = item.value
    for finding in found:
        assert 0 <= finding.start < finding.end <= len(item.value)
        assert item.value[finding.start : finding.end].strip()
        rest = (
            rest[: finding.start]
            + " " * (finding.end - finding.start)
            + rest[finding.end :]
        )
    assert item.kind not in Scanner().kinds(rest), (item, rest)


def ledger_for(items: list[Planted], folder: Path) -> tuple[str, dict[int, list[Planted]]]:
    """A ledger with each planted item in its field; the line each must be found at."""
    lines = [
        'option "operating_currency" "USD"',
        'plugin "aidbooks.plugins.no_pii"',
        "2025-01-01 open Assets:Bank:Checking USD",
        "2025-01-01 open Expenses:Operations:Supplies USD",
    ]
    expected: dict[int, list[Planted]] = {}
    (folder / "documents").mkdir(exist_ok=True)

    def at(item: Planted) -> None:
        expected.setdefault(len(lines) + 1, []).append(item)

    for item in items:
        field, value = item.field, item.value
        if field == "account":
            at(item)
            lines.append(f"2025-01-01 open {value} USD")
            continue
        if field == "custom":
            at(item)
            lines.append(f'2025-02-01 custom "intake-note" "{value}"')
            continue
        if field == "document":
            (folder / "documents" / value).write_text("x", encoding="utf-8")
            at(item)
            lines.append(f'2025-02-01 document Assets:Bank:Checking "documents/{value}"')
            continue
        payee = f'"{value}" ' if field == "payee" else ""
        narration = value if field == "narration" else "Supplies"
        tags = f" #{value}" if field == "tag" else f" ^{value}" if field == "link" else ""
        if field != "posting-meta":
            at(item)
        lines.append(f'2025-02-01 * {payee}"{narration}"{tags}')
        if field == "meta":
            lines.append(f'  note: "{value}"')
        if field == "posting-meta":
            at(item)
        lines.append("  Expenses:Operations:Supplies  10.00 USD")
        if field == "posting-meta":
            lines.append(f'    memo: "{value}"')
        lines.append("  Assets:Bank:Checking")
    text = "\n".join(lines) + "\n"
    (folder / "main.beancount").write_text(text, encoding="utf-8")
    return text, expected


def test_every_planted_item_is_found_in_its_field_of_a_real_ledger(tmp_path: Path) -> None:
    _, expected = ledger_for(PLANTED, tmp_path)
    _entries, errors, _ = loader.load_file(str(tmp_path / "main.beancount"))
    assert all(getattr(e, "rule", None) == "no-pii" for e in errors), [
        e.message for e in errors if getattr(e, "rule", None) != "no-pii"
    ]
    by_line: dict[int, list[str]] = {}
    for error in errors:
        assert error.source["filename"].endswith("main.beancount")
        by_line.setdefault(error.source["lineno"], []).append(error.message)
    caught = 0
    for line, items in expected.items():
        messages = " | ".join(by_line.get(line, []))
        for item in items:
            assert KIND_NAMES[item.kind] in messages, (item, messages)
            caught += 1
    assert caught == len(PLANTED)
    # Nothing is found where nothing was planted.
    assert set(by_line) <= set(expected)
    print(
        f"\nno-pii rule on the planted ledger: {caught}/{len(PLANTED)} found at their line"
    )


def test_no_message_contains_what_it_found(tmp_path: Path) -> None:
    """For the whole corpus: neither the planted value nor any detected span is echoed."""
    scanner = Scanner()
    _, _ = ledger_for(PLANTED, tmp_path)
    _, errors, _ = loader.load_file(str(tmp_path / "main.beancount"))
    messages = [e.message for e in errors]
    assert len(messages) >= len(PLANTED) - 10  # items on one line share a message
    spans = set()
    for item in PLANTED:
        spans.add(item.value)
        for finding in scanner.findings(item.value):
            spans.add(item.value[finding.start : finding.end])
    for value in spans:
        for message in messages:
            assert value not in message, (value, message)
