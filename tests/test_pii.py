"""The personal-data scanner: detectors, things that are never findings, properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from aidbooks.plugins import codes
from aidbooks.plugins import pii
from aidbooks.plugins.pii import KIND_NAMES
from aidbooks.plugins.pii import Finding
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.pii import describe
from aidbooks.plugins.pii import slugify

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("Call 612.555.0147 after 5", "phone", "612.555.0147"),
        ("cel: 1-800-555-0199", "phone", "1-800-555-0199"),
        ("tel 555-0147", "phone", "tel 555-0147"),
        ("sus papás en Honduras +504 9812 3456", "phone", "+504 9812 3456"),
        ("Hooyo: +252 61 512 3456", "phone", "+252 61 512 3456"),
        ("xiong.pa@example.com", "email", "xiong.pa@example.com"),
        ("rosa at gmail dot com", "email", "rosa at gmail dot com"),
        ("sent to $Rosa-Hdz", "handle", "$Rosa-Hdz"),
        ("venmo.com/u/abdi-h", "handle", "venmo.com/u/abdi-h"),
        ("500 5th St", "address", "500 5th St"),
        ("88 w lake st, apt 3", "address", "88 w lake st, apt 3"),
        ("Calle Morelos No. 12", "address", "Calle Morelos No. 12"),
        ("Minneapolis, MN 55404", "address", "MN 55404"),
        ("P.O. Box 77", "address", "P.O. Box 77"),
        ("55404-1234", "zip", "55404-1234"),
        ("A#204511873", "a-number", "A#204511873"),
        ("123 45 6789", "ssn", "123 45 6789"),
        ("licencia de conducir 12345678", "id-number", "licencia de conducir 12345678"),
        ("CURP GAPM850312MDFRRR09", "id-number", "GAPM850312MDFRRR09"),
        ("docket 27-CR-25-1234", "case-number", "docket 27-CR-25-1234"),
        ("IOE0912345678", "case-number", "IOE0912345678"),
        ("placas 7ABC123", "plate", "placas 7ABC123"),
        ("ends in 4821", "card", "ends in 4821"),
        ("card 4111 1111 1111 1111", "card", "4111 1111 1111 1111"),
        ("XXXX1234", "card", "XXXX1234"),
        ("DOB 1990-04-12", "dob", "DOB 1990-04-12"),
        ("nacida el 3 de mayo de 1990", "dob", "nacida el 3 de mayo de 1990"),
        ("Rent for Maria", "name", "Maria"),
        ("Bus pass for Abdi", "name", "Abdi"),
        ("Rosa Hernández", "name", "Rosa Hernández"),
        ("Sra. Xiomara", "name", "Xiomara"),
        ("abuela Rosa", "name", "Rosa"),
        ("para josé", "name", "josé"),
        ("medicine for M.G.", "name", "M.G."),
        ("the Grant family", "name", "Grant"),
        ("Johnson's rent", "name", "Johnson"),
    ],
)
def test_detectors(text: str, kind: str, found: str) -> None:
    spans = [text[f.start : f.end] for f in SCANNER.findings(text) if f.kind == kind]
    assert found in spans, SCANNER.findings(text)


@pytest.mark.parametrize(
    "text",
    [
        "R-4F7KM-Q9X2H",
        f"{codes.code_from_int('volunteer', 1)}, {codes.code_from_int('volunteer', 2)}",
        "Rent 1,250.00 USD paid 2025-03-14",
        "$50 gift card, $1,200.00 total",
        "Grant application for the Hope Foundation",
        "Rent for June and May",
        "Will and testament clinic",
        "Bill payment, Mark the date",
        "Pago de luz, Paz y justicia",
        "Groceries at Trader Joe's",
        "Santa Maria clinic visit",
        "Rides to St. Paul",
        "Lincoln Elementary supplies",
        "Martin Luther King Jr. Community Center",
        "Escuela Benito Juárez",
        "Invoice 2025-031",
        "Check number 1042",
        "Q1 2025",
        "10 x 25.00 gift cards",
    ],
)
def test_never_findings(text: str) -> None:
    assert SCANNER.findings(text) == []


def test_allow_and_organisations() -> None:
    scanner = Scanner(
        allow=["Maria's Kitchen", "Rosa Hernández"], organisations=["Hassan Halal Market"]
    )
    assert scanner.kinds("Rosa Hernández") == ()
    assert scanner.kinds("Catering from Maria's Kitchen") == ()
    assert scanner.kinds("Groceries, Hassan Halal Market") == ()
    assert scanner.kinds("Groceries for Maria") == ("name",)
    assert scanner.is_organisation("hassan halal market")
    assert not scanner.is_organisation("Hassan")
    assert Scanner().kinds("Rosa Hernández") == ("name",)


def test_kinds_are_sorted_distinct_and_cached() -> None:
    scanner = Scanner()
    text = "Maria, 612-555-0147, 651-555-0199, maria@example.org"
    first = scanner.kinds(text)
    assert first == ("email", "name", "phone")
    assert scanner.kinds(text) is first


def test_identifiers_are_split_into_words() -> None:
    assert slugify("maria-garcia_rent.pdf") == "Maria Garcia Rent Pdf"
    assert slugify("MariaGarcia") == "Maria Garcia"
    assert slugify("call-612-555-0147") == "Call 612-555-0147"
    assert slugify(f"Liabilities:Reimbursements:{codes.code_from_int('volunteer', 9)}") == (
        "Liabilities Reimbursements"
    )
    assert SCANNER.identifier_kinds("familia-hernandez") == ("name",)
    assert SCANNER.identifier_kinds("Assets:Receivable:Bail:MariaGarcia") == ("name",)
    assert SCANNER.identifier_kinds("pantry-day") == ()
    assert SCANNER.identifier_kinds("documents/receipts/2025-03/14-rent-0123.txt") == ()


def test_describe() -> None:
    assert describe([]) == ""
    assert describe(["phone"]) == "a phone number"
    assert describe(["phone", "email"]) == "a phone number and an e-mail address"
    assert describe(["name", "ssn", "dob"]) == (
        "a personal name, a Social Security or ITIN number and a date of birth"
    )


# ---------------------------------------------------------------- properties
CLEAN_CONTEXTS = [
    "Rent assistance {}",
    "{} groceries",
    "Utility bill; {}",
    "Ayuda para la renta ({})",
    "Legal fees - {} - paid",
]
AREA_CODES = ["612", "651", "763", "952", "312", "773", "213", "305", "713", "206", "507"]


@st.composite
def phones(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(AREA_CODES))
    line = f"01{draw(st.integers(0, 99)):02d}"
    style = draw(st.sampled_from(["({}) 555-{}", "{}-555-{}", "{}.555.{}", "+1 {} 555 {}"]))
    return style.format(area, line)


@st.composite
def emails(draw: st.DrawFn) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    user = draw(st.text(alphabet, min_size=2, max_size=12))
    sep = draw(st.sampled_from(["", ".", "_", "-"]))
    more = draw(st.text(alphabet, min_size=1, max_size=8))
    domain = draw(st.sampled_from(["example.org", "example.com", "correo.example.mx"]))
    return f"{user}{sep}{more}@{domain}"


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["ssn", "zip", "a-number"]))
    a, b, c = (
        draw(st.integers(100, 899)),
        draw(st.integers(10, 99)),
        draw(st.integers(1000, 9999)),
    )
    if kind == "ssn":
        return kind, f"{a}-{b}-{c}"
    if kind == "zip":
        return kind, f"{draw(st.integers(10000, 99999))}-{c}"
    return kind, f"A{a}{draw(st.integers(100, 999))}{draw(st.integers(100, 999))}"


def _names(flag: int) -> list[str]:
    flags = pii._lexicon().flags
    return sorted(
        word.title()
        for word, f in flags.items()
        if f & flag and not f & pii._WEAK and len(word) > 2 and word.isalpha()
    )


GIVEN = _names(pii._GIVEN)
SURNAMES = _names(pii._SURNAME)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_is_scanned_without_error(text: str) -> None:
    found = Scanner().findings(text)
    assert found == sorted(found, key=lambda f: (f.start, f.kind))
    for finding in found:
        assert isinstance(finding, Finding)
        assert finding.kind in KIND_NAMES
        assert 0 <= finding.start < finding.end <= len(text)


@settings(max_examples=100)
@given(
    st.sampled_from(["recipient", "volunteer", "donor"]),
    st.integers(0, 2**45 - 1),
    st.sampled_from(CLEAN_CONTEXTS),
)
def test_codes_are_never_findings(kind: codes.Kind, number: int, context: str) -> None:
    code = codes.code_from_int(kind, number)
    assert Scanner().kinds(code) == ()
    assert Scanner().kinds(context.format(code)) == ()


@settings(max_examples=100)
@given(
    st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31)),
    st.sampled_from(CLEAN_CONTEXTS),
)
def test_amounts_and_dates_are_never_findings(
    amount: Decimal, day: dt.date, context: str
) -> None:
    text = context.format(f"{amount:,.2f} USD on {day.isoformat()}, ${amount:,.2f}")
    assert Scanner().kinds(text) == ()


@settings(max_examples=200)
@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2035, 12, 31)),
    st.sampled_from(
        ["%d.%m.%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d.%m.%Y"]
    ),
    st.sampled_from(["CET", "CEST", "PDT", ""]),
)
def test_dates_with_times_are_never_findings(
    when: dt.datetime, layout: str, zone: str
) -> None:
    """A platform's timestamp as written (PayPal's German export: "30.12.2025 21:56:09
    CET"): run together, a date's and a time's digits look like a phone number."""
    text = f"{when.strftime(layout)} {zone}".strip()
    assert Scanner().kinds(text) == (), text


@settings(max_examples=100)
@given(phones(), st.sampled_from(CLEAN_CONTEXTS))
def test_planted_phones_are_found(phone: str, context: str) -> None:
    assert "phone" in Scanner().kinds(context.format(phone))


@settings(max_examples=100)
@given(emails(), st.sampled_from(CLEAN_CONTEXTS))
def test_planted_emails_are_found(email: str, context: str) -> None:
    text = context.format(email)
    found = [f for f in Scanner().findings(text) if f.kind == "email"]
    assert [text[f.start : f.end] for f in found] == [email]


@settings(max_examples=100)
@given(numbers(), st.sampled_from(CLEAN_CONTEXTS))
def test_planted_numbers_are_found(item: tuple[str, str], context: str) -> None:
    kind, value = item
    assert kind in Scanner().kinds(context.format(value))


@settings(max_examples=200)
@given(st.sampled_from(GIVEN), st.sampled_from(SURNAMES), st.sampled_from(CLEAN_CONTEXTS))
def test_a_given_name_and_surname_is_found_anywhere(
    first: str, last: str, context: str
) -> None:
    assert "name" in Scanner().kinds(context.format(f"{first} {last}"))
    assert "name" in Scanner().identifier_kinds(f"{first.lower()}-{last.lower()}")
