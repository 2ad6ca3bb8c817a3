"""The no-pii rule: personal data in any field of the books is found, never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run
from tests.ledgers import D1
from tests.ledgers import R1
from tests.ledgers import line_of
from tests.ledgers import load

RULE = "no-pii"
CODES = f'2025-01-01 custom "aid-recipient" "{R1}"\n'


def test_clean_books_have_no_findings(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "2025-02-rent-receipt.pdf").write_text("receipt")
    body = (
        CODES
        + f"""
    2025-02-01 * "Riverside Water Utility" "Water bill, 2 months"
      bank-id: "chase-00ab34cd56ef7890"
      receipt: "documents/2025-02-rent-receipt.pdf"
      Expenses:Aid:Rent  120.00 USD
        recipient: "{R1}"
        fund: "rent"
      Assets:Bank:Checking

    2025-02-02 * "Donation" #winter-drive ^gofundme-2025
      gofundme-id: "gfm-6125550147"
      venmo-id: "4100123456789012345"
      donor: "{D1}"
      Income:Donations:Venmo  -25.00 USD
      Assets:Bank:Checking

    2025-02-03 * "Mega Mart" "Pantry day supplies, 12 boxes"
      Expenses:Operations:Supplies  64.50 USD
      Assets:Bank:Checking

    2025-02-04 document Assets:Bank:Checking "documents/2025-02-rent-receipt.pdf"
    2025-02-05 note Assets:Bank:Checking "Called the bank about the fee"
    2025-02-06 event "location" "Pantry moved to the church basement"
    2025-02-07 custom "budget" "Groceries" 500.00 USD
    """
    )
    _, found = load(
        tmp_path,
        body,
        policy='[privacy]\norganisations = ["Riverside Water Utility"]\n',
    )
    assert found == []


def test_every_field_is_scanned_and_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "lease-maria-garcia.pdf").write_text("x")
    body = (
        CODES
        + """
    2025-01-01 open Assets:Receivable:Bail:AbdiHassan USD
      opened-by: "call 651-555-0123"

    2025-02-01 * "Mega Mart" "Rent for Maria"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-02 * "Joseph Nguyen" "Supplies"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-03 * "Supplies"
      note: "mom's cell (651) 555-0188"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-04 * "Supplies"
      Expenses:Operations:Supplies  10.00 USD
        memo: "1234 N. Maple Grove Ave, Apt 4B"
      Assets:Bank:Checking

    2025-02-05 * "Supplies" #familia-hernandez
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-06 * "Supplies" ^A123456789
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-07 custom "intake-note" "DOB 03/14/1988"
    2025-02-08 document Assets:Bank:Checking "documents/lease-maria-garcia.pdf"
    2025-02-09 note Assets:Bank:Checking "Asked Sra. Luz to bring the receipt"
    2025-02-10 event "contact" "maria.garcia@example.org"
    2025-02-11 balance Assets:Bank:Checking  -60.00 USD
      checked-by: "Abdi Hassan"
    """
    )
    text, found = load(tmp_path, body)
    assert [(f.file, f.line, f.rule) for f in found] == [
        ("main.beancount", line_of(text, "open Assets:Receivable:Bail:AbdiHassan"), RULE),
        ("main.beancount", line_of(text, "open Assets:Receivable:Bail:AbdiHassan"), RULE),
        ("main.beancount", line_of(text, '"Rent for Maria"'), RULE),
        ("main.beancount", line_of(text, '"Joseph Nguyen"'), RULE),
        ("main.beancount", line_of(text, "2025-02-03 *"), RULE),
        ("main.beancount", line_of(text, "Supplies  10.00 USD", 4), RULE),
        ("main.beancount", line_of(text, "#familia-hernandez"), RULE),
        ("main.beancount", line_of(text, "^A123456789"), RULE),
        ("main.beancount", line_of(text, '"intake-note"'), RULE),
        ("main.beancount", line_of(text, "document Assets"), RULE),
        ("main.beancount", line_of(text, "note Assets"), RULE),
        ("main.beancount", line_of(text, "event "), RULE),
        ("main.beancount", line_of(text, "balance Assets"), RULE),
    ]
    messages = [f.message for f in found]
    assert sorted(messages[:2]) == sorted(
        [
            'metadata "opened-by" holds a phone number; remove it — notes about'
            " families stay off the books",
            "the account name holds a personal name; remove it and let the code"
            " (recipient:, approved-by:, donor:) stand for the person — names stay off"
            " the books; if it is an organisation or a place, add its exact text to"
            " [privacy] allow in aidbooks.toml",
        ]
    )
    assert messages[2].startswith("narration holds a personal name;")
    assert messages[3].startswith("payee holds a personal name;")
    assert messages[4].startswith('metadata "note" holds a phone number;')
    assert messages[5].startswith('posting metadata "memo" holds a street address;')
    assert messages[6].startswith("a tag holds a personal name;")
    assert messages[7].startswith("a link holds an A-number;")
    assert messages[8].startswith(
        'the value of custom "intake-note" holds a date of birth;'
    )
    assert messages[9].startswith("the document's file name holds a personal name;")
    assert messages[10].startswith("the note holds a personal name;")
    assert messages[11].startswith("the event holds an e-mail address;")
    assert messages[12].startswith('metadata "checked-by" holds a personal name;')
    for message in messages:
        for value in ("Maria", "Nguyen", "555", "Maple", "hernandez", "123456789", "1988"):
            assert value.lower() not in message.lower()


def test_payees_of_grants_and_donations_are_organisations_or_empty(
    tmp_path: Path,
) -> None:
    body = (
        CODES
        + f"""
    2025-02-01 * "Riverside Water Utility" "Water bill"
      Expenses:Aid:Rent  100.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-02 * "riverside water utility" "Water bill"
      Expenses:Aid:Rent  100.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-03 * "Oakwood Apartments" "Rent"
      Expenses:Aid:Rent  100.00 USD
        recipient: "{R1}"
      Assets:Bank:Checking

    2025-02-04 * "Venmo" "Donation"
      Income:Donations:Venmo  -10.00 USD
      Assets:Bank:Checking

    2025-02-05 * "Lakeside Foundation" "Community grant"
      Income:Grants  -1000.00 USD
      Assets:Bank:Checking

    2025-02-06 * "Oakwood Apartments" "Shelves for the pantry"
      Expenses:Operations:Supplies  100.00 USD
      Assets:Bank:Checking
    """
    )
    text, found = load(
        tmp_path, body, policy='[privacy]\norganisations = ["Riverside Water Utility"]\n'
    )
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, '"Oakwood Apartments" "Rent"'), RULE),
        (line_of(text, '"Venmo" "Donation"'), RULE),
        (line_of(text, '"Lakeside Foundation"'), RULE),
    ]
    assert found[0].message.startswith("payee of a grant must be empty or one of")
    assert found[1].message.startswith("payee of a donation must be empty or one of")
    assert "[privacy] organisations" in found[2].message
    assert all("Oakwood" not in f.message and "Venmo" not in f.message for f in found)


def test_allowed_strings_are_never_findings(tmp_path: Path) -> None:
    body = """
    2025-02-01 * "Supplies for the Rosa Parks Elementary fair"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-02 * "Rosa Parks"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-03 * "Snacks for Maria"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking
    """
    text, found = load(
        tmp_path, body, policy='[privacy]\nallow = ["Rosa Parks", "Jose Marti Academy"]\n'
    )
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, '"Snacks for Maria"'), RULE)
    ]


def test_platform_ids_are_opaque_but_not_for_contacts(tmp_path: Path) -> None:
    body = """
    2025-02-01 * "Supplies"
      gofundme-id: "gfm-6125550147"
      stripe-id: "txn_3PqAbCdEfGhIjKlMnOp"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-02 * "Supplies"
      zelle-id: "maria.garcia@example.org"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-03 * "Supplies"
      venmo-id: "@Rosa-Hdz-88"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking
    """
    text, found = load(tmp_path, body)
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, "2025-02-02 *"), RULE),
        (line_of(text, "2025-02-03 *"), RULE),
    ]
    assert found[0].message.startswith('metadata "zelle-id" holds an e-mail address;')
    assert found[1].message.startswith('metadata "venmo-id" holds a payment handle;')


def test_numbers_keys_and_kept_donors(tmp_path: Path) -> None:
    body = """
    2025-02-01 * "Supplies"
      callback: 6125550147
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-02 * "Supplies"
      maria-garcia: "yes"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking

    2025-02-03 * "Donation"
      donor: "Joseph Nguyen"
      Income:Donations:Venmo  -10.00 USD
      Assets:Bank:Checking

    2025-02-04 * "Donation"
      donor: "Joseph Nguyen, 651-555-0123"
      Income:Donations:Venmo  -10.00 USD
      Assets:Bank:Checking
    """
    text, found = load(tmp_path, body, policy='[privacy]\ndonors = "keep"\n')
    assert [(f.line, f.rule) for f in found] == [
        (line_of(text, "2025-02-01 *"), RULE),
        (line_of(text, "2025-02-02 *"), RULE),
        (line_of(text, "2025-02-04 *"), RULE),
    ]
    assert found[0].message.startswith('metadata "callback" holds a phone number;')
    assert found[1].message.startswith("a metadata key holds a personal name;")
    assert "maria" not in found[1].message
    assert found[2].message.startswith('metadata "donor" holds a phone number;')


@pytest.mark.parametrize("donors", ["pseudonymize", "drop"])
def test_donor_names_are_findings_unless_kept(tmp_path: Path, donors: str) -> None:
    body = """
    2025-02-03 * "Donation"
      donor: "Joseph Nguyen"
      Income:Donations:Venmo  -10.00 USD
      Assets:Bank:Checking
    """
    text, found = load(tmp_path, body, policy=f'[privacy]\ndonors = "{donors}"\n')
    mine = [f for f in found if f.rule == RULE]
    assert [f.line for f in mine] == [line_of(text, "2025-02-03 *")]
    assert mine[0].message.startswith('metadata "donor" holds a personal name;')


def test_repeated_values_are_reported_at_every_use(tmp_path: Path) -> None:
    body = "".join(
        f"""
    2025-02-0{day} * "Rent for Maria"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking
    """
        for day in (1, 2, 3)
    )
    text, found = load(tmp_path, body)
    assert [f.line for f in found] == [
        line_of(text, "Rent for Maria", n) for n in (1, 2, 3)
    ]


def test_bean_check_prints_the_finding_without_the_entry(tmp_path: Path) -> None:
    body = """
    2025-02-01 * "Rent for Maria, call 612-555-0147"
      Expenses:Operations:Supplies  10.00 USD
      Assets:Bank:Checking
    """
    text, _ = load(tmp_path, body)
    result = run("bean-check", str(tmp_path / "main.beancount"))
    assert result.returncode == 1
    line = line_of(text, "Rent for Maria")
    assert f"main.beancount:{line}: narration holds a personal name and a phone number" in (
        result.stderr
    )
    assert "Maria" not in result.stdout + result.stderr
    assert "612" not in result.stdout + result.stderr
