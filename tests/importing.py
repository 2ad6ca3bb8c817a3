"""Shared pieces of the importer tests: fixtures, a fixed key, a test policy."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from beancount.core import data

from aidbooks.importers import build
from aidbooks.importers import identify
from aidbooks.importers import render
from aidbooks.importers.base import ExportImporter
from aidbooks.importers.base import declarations
from aidbooks.importers.booking import BookState
from aidbooks.importers.booking import Session
from aidbooks.importers.csvread import read_text
from aidbooks.importers.settings import Settings
from aidbooks.plugins.policy import parse_policy

DATA = Path(__file__).resolve().parent / "importer_data"
#: A fixed key, so golden files hold stable codes (never a real fund's key).
KEY = bytes(range(32))

#: A column mapping for a GoFundMe export (its columns are not published).
GOFUNDME_MAPPING = """
[imports.mapped.gofundme]
channel = "GoFundMe"
id = "Donation ID"
date = "Date"
date_format = "%m/%d/%Y %I:%M %p"
timezone = "America/Chicago"
amount = "Gross Amount"
fee = "Fee"
net = "Net Amount"
donor = ["Email", "Donor Name"]
status = "Status"
final = ["Successful"]
"""

POLICY_TEXT = (
    """\
[fund]
name = "Test Fund"
timezone = "America/Chicago"

[privacy]
organisations = ["Riverside Water Utility"]

"""
    + GOFUNDME_MAPPING
)


def settings(policy_text: str = POLICY_TEXT, folder: Path = DATA) -> Settings:
    """Settings with the test policy and the fixed key."""
    return Settings.from_policy(parse_policy(policy_text), folder, KEY)


def fixtures() -> list[Path]:
    """Every good fixture (the bad/ folder holds the ones that must fail)."""
    return sorted(
        p
        for p in DATA.rglob("*")
        if p.is_file() and p.suffix != ".beancount" and "bad" not in p.parts
    )


def importer_for(path: Path, conf: Settings | None = None) -> ExportImporter:
    found = identify(str(path), build(conf or settings()))
    assert found is not None, f"no importer recognises {path.name}"
    return found


def golden_text(path: Path) -> str:
    """What a fixture imports into empty books, with everything the summary lists."""
    conf = settings()
    importer = importer_for(path, conf)
    parsed = importer.parse(str(path))
    session = Session(conf, BookState())
    booked = session.book(parsed, importer.source, str(path))
    lines = [
        f";; importer: {importer.name}",
        f";; account: {importer.account(str(path))}",
        f";; rows: {parsed.rows}",
    ]
    lines += [f";; skipped line {s.lineno}: {s.reason}" for s in booked.skipped]
    lines += [f";; problem line {p.lineno}: {p.what}. {p.fix}." for p in booked.problems]
    if parsed.opening_balance:
        lines += [f";; opening balance: {v} {c}" for c, v in parsed.opening_balance.items()]
    if parsed.statement_balance:
        lines += [
            f";; statement balance: {v} {c}" for c, v in parsed.statement_balance.items()
        ]
    if parsed.statement_end:
        lines.append(f";; statement end: {parsed.statement_end.isoformat()}")
    lines += [
        f";; assertable: {day.isoformat()} {value} {currency}"
        for currency, (day, value) in sorted(parsed.assertable.items())
    ]
    lines += [
        f";; balance line {p.lineno}: {p.what}. {p.fix}." for p in parsed.discrepancies
    ]
    out = "\n".join(lines) + "\n\n"
    for entry in declarations(session, str(path)):
        if isinstance(entry, data.Open):
            out += render.open_account(
                entry.account, entry.date, ",".join(entry.currencies)
            )
        elif isinstance(entry, data.Custom):
            out += render.declaration(entry.values[0].value, entry.date)
    out += "\n" + render.transactions(booked.entries)
    return out


#: Column names whose cells are personal data in the fixtures.
PERSONAL_COLUMNS = {
    "note",
    "from",
    "to",
    "donor email",
    "name",
    "from email address",
    "to email address",
    "notes",
    "name of sender/receiver",
    "nombre",
    "correo electrónico del remitente",
    "correo electrónico del destinatario",
    "nota",
    "dirección",
    "población o ciudad",
    "número de teléfono de contacto",
    "oppositeaccountslug",
    "oppositeaccountname",
    "opposite account handle",
    "opposite account name",
    "ordermemo",
    "email (metadata)",
    "customer email",
    "donor first name",
    "donor last name",
    "donor addr1",
    "donor phone",
    "donor employer",
    "comments",
    "donor name",
    "email",
    "comment",
    "bank account",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_HANDLE = re.compile(r"\(@[\w-]+\)")
_ZELLE = re.compile(r"Zelle payment (?:from|to) ([A-Z][A-Za-z ]+?) [A-Za-z0-9]{8,}", re.I)
#: Values that appear in personal columns but are not personal (the fund itself).
NOT_PERSONAL = {
    "Fund Account",
    "Example Mutual Aid",
    "example-mutual-aid",
    "Anonymous",
    "Donation",
    "Riverside Water Utility",  # an allowlisted organisation, written as payee
}


def personal_strings() -> set[str]:
    """Every name, e-mail, handle and note in every fixture (good and bad)."""
    found: set[str] = set()
    for path in DATA.rglob("*"):
        if not path.is_file() or path.suffix == ".beancount":
            continue
        text = read_text(path)
        found.update(_EMAIL.findall(text))
        found.update(h.strip("()") for h in _HANDLE.findall(text))
        found.update(m.strip() for m in _ZELLE.findall(text))
        if path.suffix.lower() in (".ofx", ".qfx"):
            continue
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header: list[str] | None = None
        for row in rows:
            names = [c.strip().strip('"').strip().casefold() for c in row]
            if header is None and sum(n in PERSONAL_COLUMNS for n in names) >= 2:
                header = names
                continue
            if header is None:
                continue
            for name, cell in zip(header, row, strict=False):
                value = cell.strip()
                if name in PERSONAL_COLUMNS and value not in NOT_PERSONAL:
                    found.add(value)
    return {
        s
        for s in found
        if s.casefold() != "(none)" and (" " in s or "@" in s or len(s) >= 6)
    }
