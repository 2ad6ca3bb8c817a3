"""The check runner: registry order, selection, one load, rule attribution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from beancount.core.interpolate import BalanceError
from beancount.loader import LoadError
from beancount.ops import validation
from beancount.ops.documents import DocumentError
from beancount.ops.pad import PadError
from beancount.ops.validation import ValidationError
from beancount.parser.booking import BookingError
from beancount.parser.grammar import ParserSyntaxError
from beancount.parser.lexer import LexerError

from aidbooks import check as ck
from aidbooks import classify
from aidbooks.plugins import rules
from aidbooks.plugins.errors import AidbooksError
from tests.fakerules import flagged
from tests.smallbooks import BOOKS
from tests.smallbooks import line_of
from tests.smallbooks import main_text
from tests.smallbooks import write_books

FLAGGED_BOOKS = BOOKS.replace('* "Grocery assistance"', '* "Grocery assistance" #flagged')


@pytest.fixture
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the stand-in rules as if they were aidbooks rules."""
    monkeypatch.setattr(rules, "BASIC", {"funds": "tests.fakerules.flagged"})
    monkeypatch.setattr(rules, "STRICT", {"caps": "tests.fakerules.crashing"})
    flagged.CALLS.clear()


def names(checks: list[ck.Check] | tuple[ck.Check, ...]) -> list[str]:
    return [c.name for c in checks]


# ----------------------------------------------------------------- registry


def test_registry_is_in_fixed_order_basic_first(fake_rules: None) -> None:
    checks = ck.registry()
    assert names(checks) == [
        "syntax",
        "balanced",
        "assertions",
        "accounts",
        "policy",
        "secrets",
        "comments",
        "published",
        "funds",
        "other",
        "caps",
    ]
    assert [c.tier for c in checks] == ["basic"] * 10 + ["strict"]
    assert all(c.name == c.name.lower() and c.description for c in checks)
    assert checks[8].module == "tests.fakerules.flagged"


def test_unknown_registered_rules_join_the_end_of_their_tier() -> None:
    checks = ck.registry(
        {"newrule": "tests.fakerules.flagged"}, {"later": "tests.fakerules.crashing"}
    )
    order = names(checks)
    assert order.index("newrule") == order.index("other") - 1
    assert order[-1] == "later"
    newrule = next(c for c in checks if c.name == "newrule")
    assert (
        newrule.description == "transactions tagged ``#flagged`` break the ``funds`` check"
    )


def test_rule_modules_resolve_under_aidbooks_plugins() -> None:
    assert ck.rule_module("receipts") == "aidbooks.plugins.receipts"
    assert ck.rule_module("tests.fakerules.flagged") == "tests.fakerules.flagged"
    assert ck.rule_module("aidbooks.plugins.funds") == "aidbooks.plugins.funds"
    checks = {c.name: c for c in ck.registry()}
    for name, module in {**rules.BASIC, **rules.STRICT}.items():
        assert checks[name].module.startswith("aidbooks.plugins.")
        assert checks[name].module.endswith(module.rsplit(".", 1)[-1])


# ---------------------------------------------------------------- selection


def test_select_defaults_to_basic_and_strict_adds_the_strict_tier(fake_rules: None) -> None:
    assert names(ck.select([])) == names(ck.registry())[:-1]
    assert names(ck.select([], strict=True)) == names(ck.registry())


def test_select_by_prefix_first_in_order_wins(fake_rules: None) -> None:
    assert names(ck.select(["a"])) == ["assertions"]
    assert names(ck.select(["ac"])) == ["accounts"]
    assert names(ck.select(["S"])) == ["syntax"]
    assert names(ck.select(["se", "c"])) == ["secrets", "comments"]
    # names select exactly, a strict check included, in registry order
    assert names(ck.select(["caps", "syntax"])) == ["syntax", "caps"]


def test_select_unknown_names_lists_the_valid_ones(fake_rules: None) -> None:
    with pytest.raises(AidbooksError) as caught:
        ck.select(["syntax", "frobnicate", "zz"])
    line = caught.value.line()
    assert line.startswith("unknown checks: frobnicate, zz.")
    assert "syntax, balanced, assertions" in line and "caps" in line
    assert caught.value.exit_code == 2


# ------------------------------------------------------------ classification


def _meta(line: int = 3) -> dict[str, object]:
    return data.new_metadata("/books/x.beancount", line)


#: Beancount's loader makes many of its errors without an entry (None), yet its types
#: require one (a Balance, a Transaction...); the table below passes None as this.
NO_ENTRY: Any = None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (LexerError(_meta(), "Invalid token: 'x'", NO_ENTRY), "syntax"),
        (ParserSyntaxError(_meta(), "syntax error, unexpected EOL", NO_ENTRY), "syntax"),
        (LoadError(_meta(0), 'File glob "x" does not match any files', NO_ENTRY), "syntax"),
        (LoadError(_meta(0), 'Error importing "nope": Traceback', NO_ENTRY), "syntax"),
        (LoadError(_meta(0), 'Error applying plugin "nope": Traceback', NO_ENTRY), "other"),
        (ValidationError(_meta(), "Invalid data types: oops", NO_ENTRY), "syntax"),
        (BookingError(_meta(), "No position matches", NO_ENTRY), "balanced"),
        (
            ValidationError(_meta(), "Transaction does not balance: (1 USD)", NO_ENTRY),
            "balanced",
        ),
        (BalanceError(_meta(), "Balance failed for 'Assets:X'", NO_ENTRY), "assertions"),
        (PadError(_meta(), "Unused Pad entry", NO_ENTRY), "assertions"),
        (
            ValidationError(
                _meta(), "Duplicate balance assertion with different amounts", NO_ENTRY
            ),
            "assertions",
        ),
        (
            ValidationError(
                _meta(), "Invalid reference to unknown account 'A:B'", NO_ENTRY
            ),
            "accounts",
        ),
        (
            ValidationError(_meta(), "Duplicate open directive for A:B", NO_ENTRY),
            "accounts",
        ),
        (
            ValidationError(_meta(), "Invalid currency EUR for account 'A:B'", NO_ENTRY),
            "accounts",
        ),
        (
            ValidationError(_meta(), "Duplicate commodity directives for 'X'", NO_ENTRY),
            "accounts",
        ),
        (
            ValidationError(_meta(), "Something Beancount says one day", NO_ENTRY),
            "accounts",
        ),
        (
            BalanceError(_meta(), "Invalid reference to unknown account 'A:B'", NO_ENTRY),
            "accounts",
        ),
        (DocumentError(_meta(), 'File does not exist: "x"', NO_ENTRY), "other"),
        (ValidationError(_meta(), "Invalid relative path for entry", NO_ENTRY), "other"),
    ],
)
def test_beancount_errors_are_sorted_into_checks(error: object, expected: str) -> None:
    known = {c.name for c in ck.registry()}
    assert classify.check_of(error, {}, known) == expected


def test_rule_errors_go_by_their_rule_and_crashes_by_their_module() -> None:
    known = {"funds", "other"}
    flagged_error = flagged.FlaggedError(_meta(), "x", None)
    assert classify.check_of(flagged_error, {}, known) == "funds"
    assert classify.check_of(flagged_error, {}, {"other"}) == "other"
    crash = LoadError(
        _meta(0), 'Error applying plugin "tests.fakerules.flagged": ...', None
    )
    assert classify.check_of(crash, {"tests.fakerules.flagged": "funds"}, known) == "funds"


def test_messages_never_quote_tokens_or_tracebacks() -> None:
    lexer = LexerError(_meta(), "Invalid token: 'Maria'", None)
    assert "Maria" not in classify.clean_message(lexer)
    trace = (
        'Error applying plugin "p": Traceback (most recent call last):\n'
        '    File "p.py", line 3, in f\n      raise ValueError(name)\n'
        "  ValueError: Maria Lopez\n"
    )
    assert classify.clean_message(LoadError(_meta(0), trace, None)) == (
        'Error applying plugin "p": ValueError'
    )


# ------------------------------------------------------------------ the runner


def test_books_are_loaded_once_and_the_loader_list_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_rules: None
) -> None:
    main = write_books(tmp_path / "books")
    calls: list[object] = []
    real = loader._load

    def counting(
        sources: list[tuple[str, bool]],
        log_timings: object,
        extra_validations: list[Any] | None,
        encoding: str | None,
    ) -> tuple[list[data.Directive], list[data.BeancountError], Any]:
        args = (sources, log_timings, extra_validations, encoding)
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(loader, "_load", counting)
    before = list(validation.VALIDATIONS)
    for _ in range(2):
        report = ck.check_ledger(main, ck.select([], strict=True))
        assert names([r.check for r in report.results]) == names(ck.registry())
    assert len(calls) == 2
    assert validation.VALIDATIONS == before


def test_rule_not_in_the_ledger_runs_once_through_validate(
    tmp_path: Path, fake_rules: None
) -> None:
    main = write_books(tmp_path / "books", books=FLAGGED_BOOKS, main=main_text(plugins=()))
    report = ck.check_ledger(main, ck.select(["funds"]))
    assert len(flagged.CALLS) == 1
    [finding] = report.findings
    books = tmp_path / "books" / "books.beancount"
    assert (finding.check, finding.filename, finding.lineno) == (
        "funds",
        str(books),
        line_of(books, "#flagged"),
    )
    assert isinstance(finding.entry, data.Transaction)


def test_rule_switched_on_in_the_ledger_is_not_run_again(
    tmp_path: Path, fake_rules: None
) -> None:
    main = write_books(
        tmp_path / "books",
        books=FLAGGED_BOOKS,
        main=main_text(plugins=("tests.fakerules.flagged",)),
    )
    report = ck.check_ledger(main, ck.select([]))
    assert len(flagged.CALLS) == 1  # the loader's call, none from the runner
    assert [(f.check, f.message) for f in report.findings] == [
        ("funds", "this transaction is flagged")
    ]
    # not selected: its findings are left out although the loader produced them
    assert ck.check_ledger(main, ck.select(["syntax"])).ok
    assert len(flagged.CALLS) == 2


def test_a_crashing_rule_fails_its_check_without_leaking(
    tmp_path: Path, fake_rules: None
) -> None:
    main = write_books(tmp_path / "books")
    [finding] = ck.check_ledger(main, ck.select(["caps"])).findings
    assert (finding.check, finding.filename, finding.lineno) == ("caps", str(main), 0)
    assert "ValueError" in finding.message and "Maria" not in finding.message
    # the same rule crashing as a plugin line of the ledger
    main.write_text(main_text(plugins=("tests.fakerules.crashing",)))
    [finding] = ck.check_ledger(main, ck.select(["caps"])).findings
    assert finding.check == "caps"
    assert finding.lineno == line_of(main, "tests.fakerules.crashing")
    assert finding.message.endswith("ValueError") and "Maria" not in finding.message


def test_other_plugins_findings_are_never_dropped(tmp_path: Path, fake_rules: None) -> None:
    books = BOOKS.replace('* "Donation"', '* "Donation" #foreign')
    main = write_books(
        tmp_path / "books",
        books=books,
        main=main_text(plugins=("tests.fakerules.foreign",)),
    )
    report = ck.check_ledger(main, ck.select([]))
    found = sorted((f.check, f.filename, f.lineno, f.message) for f in report.findings)
    ledger = tmp_path / "books" / "books.beancount"
    assert found == [
        ("other", str(ledger), line_of(ledger, "#foreign"), "a foreign plugin's finding"),
        ("other", str(main), 0, "a finding without a place"),
    ]


def test_findings_sort_by_file_then_line(tmp_path: Path) -> None:
    books = BOOKS.replace("4400.00 USD", "4300.00 USD").replace("-80.00 USD", "-79.00 USD")
    main = write_books(tmp_path / "books", books=books)
    main.write_text(main_text() + 'include "missing.beancount"\n')
    report = ck.check_ledger(main, ck.select([]))
    places = [(Path(f.filename).name, f.lineno, f.check) for f in report.findings]
    assert places == sorted(places, key=lambda p: (str(tmp_path / "books" / p[0]), p[1]))
    assert [p[2] for p in places] == ["balanced", "assertions", "syntax"]
    assert places[-1] == ("main.beancount", line_of(main, "missing.beancount"), "syntax")
    by_check = {r.check.name: r.status for r in report.results}
    assert by_check["balanced"] == by_check["assertions"] == by_check["syntax"] == "failed"
    assert by_check["accounts"] == "passed"
