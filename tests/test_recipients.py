"""The recipients rule: declared, well-formed codes on every grant and approval."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader

from aidbooks.plugins import codes
from aidbooks.plugins import recipients
from aidbooks.plugins.policy import Policy
from tests.ledgers import D1
from tests.ledgers import R1
from tests.ledgers import R2
from tests.ledgers import V1
from tests.ledgers import V2
from tests.ledgers import Found
from tests.ledgers import declarations
from tests.ledgers import line_of
from tests.ledgers import load

RULE = "recipients"


def only(found: list[Found]) -> list[Found]:
    return [f for f in found if f.rule == RULE]


def test_clean_books_have_no_findings(tmp_path: Path) -> None:
    body = (
        declarations(R1, R2, V1, V2)
        + f"""
    2025-02-01 * "Rent assistance"
      approved-by: "{V1}, {V2}"
      Expenses:Aid:Rent  400.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-02 * "Gift cards handed out at pantry day"
      recipient: "{R2}"
      Expenses:Aid:Groceries  25.00 USD
      Expenses:Aid:Groceries  25.00 USD
      Assets:Bank:Checking

    2025-02-03 * "County Court Clerk" "Bail posted"
      Assets:Receivable:Bail  500.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-04 * "Donation"
      donor: "{D1}"
      Income:Donations:Venmo  -20.00 USD
      Assets:Bank:Checking
    """
    )
    _, found = load(
        tmp_path, body, policy='[privacy]\norganisations = ["County Court Clerk"]\n'
    )
    assert found == []


def test_a_grant_without_recipient_is_reported_at_the_posting(tmp_path: Path) -> None:
    body = (
        declarations(R1)
        + f"""
    2025-02-01 * "Rent assistance"
      Expenses:Aid:Rent  400.00 USD
        recipient: "{R1}"
      Expenses:Aid:Groceries  40.00 USD
      Assets:Receivable:Bail  100.00 USD
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, "Expenses:Aid:Groceries  40.00"), RULE),
        (line_of(text, "Assets:Receivable:Bail  100.00"), RULE),
    ]
    assert "posting to Expenses:Aid:Groceries has no recipient: code" in found[0].message
    assert "Assets:Receivable:Bail" in found[1].message


def test_transaction_recipient_applies_and_posting_recipient_wins(tmp_path: Path) -> None:
    body = (
        declarations(R1)
        + f"""
    2025-02-01 * "Groceries"
      recipient: "{R1}"
      Expenses:Aid:Groceries  40.00 USD
      Expenses:Aid:Groceries  10.00 USD
        recipient: "R-00000-0005C"
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    assert [(f.file, f.line, f.rule) for f in found] == [
        ("main.beancount", line_of(text, "Expenses:Aid:Groceries  10.00 USD"), RULE)
    ]
    assert f"did you mean {R1}? one character differs" in found[0].message


def test_a_name_typed_for_a_code_is_never_repeated(tmp_path: Path) -> None:
    body = (
        declarations(R1, V1)
        + f"""
    2025-02-01 * "Rent assistance"
      approved-by: "{V1}, Rosa Delgado"
      Expenses:Aid:Rent  400.00 USD
        recipient: "Maria Guadalupe Hernandez"
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    mine = only(found)
    assert [(f.line, f.rule) for f in mine] == [
        (line_of(text, '* "Rent assistance"'), RULE),
        (line_of(text, "Expenses:Aid:Rent  400.00 USD"), RULE),
    ]
    for f in found:
        for word in ("Maria", "Guadalupe", "Hernandez", "Rosa", "Delgado"):
            assert word not in f.message
    assert "a recipient code looks like R-XXXXX-XXXXX" in mine[1].message
    assert "a volunteer code looks like V-XXXXX-XXXXX" in mine[0].message
    # no-pii reports the names too, by kind only
    assert {f.rule for f in found} == {RULE, "no-pii"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("R-00000-000B5", "two characters are swapped"),
        ("R-00000-0005C", "one character differs"),
        ("r-00000-0005b", f"write it as {R1}"),
        ("R 00000 0005B", f"write it as {R1}"),
    ],
)
def test_mistyped_codes_get_the_declared_code(
    tmp_path: Path, typed: str, expected: str
) -> None:
    body = (
        declarations(R1)
        + f"""
    2025-02-01 * "Groceries"
      Expenses:Aid:Groceries  40.00 USD
        recipient: "{typed}"
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    mine = only(found)
    assert [(f.line, f.rule) for f in mine] == [
        (line_of(text, "Expenses:Aid:Groceries  40.00"), RULE)
    ]
    assert expected in mine[0].message
    if typed.upper() != typed or " " in typed:
        assert typed not in mine[0].message


def test_an_undeclared_code_is_named_with_its_declaration(tmp_path: Path) -> None:
    body = (
        declarations(R1)
        + f"""
    2025-02-01 * "Groceries"
      Expenses:Aid:Groceries  40.00 USD
        recipient: "{R2}"
      Assets:Bank:Checking

    2025-02-09 * "Groceries"
      Expenses:Aid:Groceries  40.00 USD
        recipient: "{R2}"
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, "Expenses:Aid:Groceries  40.00 USD"), RULE)
    ]
    assert f"recipient code {R2} is not declared" in found[0].message
    assert f'2025-02-01 custom "aid-recipient" "{R2}"' in found[0].message


def test_declaration_on_the_day_of_first_use_counts_wherever_it_is(
    tmp_path: Path,
) -> None:
    body = f"""
    2025-02-01 * "Groceries"
      Expenses:Aid:Groceries  40.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-01 custom "aid-recipient" "{R1}"
    """
    _, found = load(tmp_path, body)
    assert found == []


def test_a_declaration_after_the_first_use_is_reported(tmp_path: Path) -> None:
    body = f"""
    2025-03-01 custom "aid-recipient" "{R1}"

    2025-02-01 * "Groceries"
      Expenses:Aid:Groceries  40.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking
    """
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, "Expenses:Aid:Groceries  40.00 USD"), RULE)
    ]
    assert "used on 2025-02-01" in found[0].message
    assert "before its declaration on 2025-03-01" in found[0].message
    assert f"main.beancount:{line_of(text, 'custom')}" in found[0].message


def test_codes_declared_twice_or_in_both_roles(tmp_path: Path) -> None:
    r_as_v = codes.code_from_int("recipient", 77)
    body = (
        declarations(R1, V1)
        + declarations(R1, date="2025-01-05")
        + f'2025-01-06 custom "aid-volunteer" "{r_as_v}"\n'
        + f'2025-01-07 custom "aid-recipient" "{V1}"\n'
    )
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, f'"{R1}"', nth=2), RULE),
        (line_of(text, f'"{r_as_v}"'), RULE),
        (line_of(text, "2025-01-07"), RULE),
    ]
    assert "declared twice" in found[0].message
    assert "is a recipient code where a volunteer code is needed" in found[1].message
    assert "is a volunteer code where a recipient code is needed" in found[2].message


def test_malformed_declarations(tmp_path: Path) -> None:
    body = """
    2025-01-02 custom "aid-recipient" "R-00000-0005B" "R-00000-0006D"
    2025-01-03 custom "aid-volunteer" 12
    2025-01-04 custom "aid-recipient" "Abdi Hassan"
    2025-01-05 custom "aid-recipient" "R-00000-0005C"
    """
    text, found = load(tmp_path, body)
    mine = only(found)
    assert [(f.line, f.rule) for f in mine] == [
        (line_of(text, "2025-01-02 custom"), RULE),
        (line_of(text, "2025-01-03 custom"), RULE),
        (line_of(text, "2025-01-04 custom"), RULE),
        (line_of(text, "2025-01-05 custom"), RULE),
    ]
    assert "needs exactly one quoted code" in mine[0].message
    assert "needs exactly one quoted code" in mine[1].message
    assert "is not shaped like a code" in mine[2].message
    assert "Abdi" not in mine[2].message and "Hassan" not in mine[2].message
    assert "fails its check character" in mine[3].message
    assert "R-00000-0005C" not in mine[3].message


def test_volunteer_and_recipient_codes_in_the_wrong_place(tmp_path: Path) -> None:
    body = (
        declarations(R1, V1, V2)
        + f"""
    2025-02-01 * "Rent assistance"
      approved-by: "{V1}, {R1}"
      Expenses:Aid:Rent  400.00 USD
        recipient: "{V2}"
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, '* "Rent assistance"'), RULE),
        (line_of(text, "Expenses:Aid:Rent  400.00"), RULE),
    ]
    assert "is a recipient code where a volunteer code is needed" in found[0].message
    assert "is a volunteer code where a recipient code is needed" in found[1].message


def test_approvers_must_be_declared_and_listed_properly(tmp_path: Path) -> None:
    body = (
        declarations(R1, V1)
        + f"""
    2025-02-01 * "Rent assistance"
      approved-by: "{V1}, {V2}"
      Expenses:Aid:Rent  300.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-02 * "Rent assistance"
      approved-by: "{V1},"
      Expenses:Aid:Rent  300.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-03 * "Rent assistance"
      approved-by: 7
      Expenses:Aid:Rent  300.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking
    """
    )
    text, found = load(tmp_path, body)
    mine = only(found)
    assert [(f.line, f.rule) for f in mine] == [
        (line_of(text, '* "Rent assistance"', 1), RULE),
        (line_of(text, '* "Rent assistance"', 2), RULE),
        (line_of(text, '* "Rent assistance"', 3), RULE),
    ]
    assert f"volunteer code {V2} is not declared" in mine[0].message
    assert "has an empty entry" in mine[1].message
    assert "must be a quoted code" in mine[2].message


def test_reimbursement_accounts_end_in_a_declared_volunteer_code(tmp_path: Path) -> None:
    body = declarations(V1) + (
        f"2025-01-01 open Liabilities:Reimbursements:{V1} USD\n"
        f"2025-01-01 open Liabilities:Reimbursements:{V2} USD\n"
        f"2025-01-01 open Liabilities:Reimbursements:{R1} USD\n"
    )
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, f"Reimbursements:{V2}"), RULE),
        (line_of(text, f"Reimbursements:{R1}"), RULE),
    ]
    assert f"volunteer code {V2} is not declared" in found[0].message
    assert "is a recipient code where a volunteer code is needed" in found[1].message


@pytest.mark.parametrize(
    ("donors", "value", "finding"),
    [
        ("pseudonymize", D1, None),
        ("pseudonymize", "D-00000-0009G", "fails its check character"),
        ("pseudonymize", R1, "is a recipient code where a donor code is needed"),
        ("drop", D1, "the policy drops donors"),
        ("keep", "anything at all", None),
    ],
)
def test_donor_codes_follow_the_policy(
    tmp_path: Path, donors: str, value: str, finding: str | None
) -> None:
    body = f"""
    2025-02-04 * "Donation"
      donor: "{value}"
      Income:Donations:Venmo  -20.00 USD
      Assets:Bank:Checking
    """
    text, found = load(tmp_path, body, policy=f'[privacy]\ndonors = "{donors}"\n')
    mine = only(found)
    if finding is None:
        assert mine == []
    else:
        assert [(f.line, f.rule) for f in mine] == [(line_of(text, '* "Donation"'), RULE)]
        assert finding in mine[0].message


def test_every_occurrence_of_a_malformed_code_is_reported(tmp_path: Path) -> None:
    body = declarations(R1) + "".join(
        f"""
    2025-02-0{day} * "Groceries"
      Expenses:Aid:Groceries  40.00 USD
        recipient: "R-00000-0005C"
      Assets:Bank:Checking
    """
        for day in (1, 2, 3)
    )
    text, found = load(tmp_path, body)
    assert [f.line for f in found] == [
        line_of(text, "Expenses:Aid:Groceries  40.00", n) for n in (1, 2, 3)
    ]


def test_validate_runs_without_the_plugin_lines(tmp_path: Path) -> None:
    """aidbooks check calls validate on entries it loaded itself."""
    path = tmp_path / "books.beancount"
    path.write_text(
        'option "operating_currency" "USD"\n'
        "2025-01-01 open Expenses:Aid:Rent USD\n"
        "2025-01-01 open Assets:Bank:Checking USD\n"
        '2025-02-01 * "Rent"\n'
        "  Expenses:Aid:Rent  10.00 USD\n"
        "  Assets:Bank:Checking\n",
        encoding="utf-8",
    )
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    found = recipients.validate(entries, options, Policy())
    assert [(e.source["lineno"], e.rule) for e in found] == [(5, RULE)]
