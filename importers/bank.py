"""Bank files: a Chase-style checking CSV and OFX/QFX downloads.

Both land in ``imports.bank_account`` (default ``Assets:Bank:Checking``) and
classify rows the same way, from the bank's own description:

* **Zelle received** (``QUICKPAY_CREDIT``, ``Zelle payment from NAME …``) is a
  donation on ``Income:Donations:Zelle``; the sender's name is the donor's
  identifier (never written);
* **Zelle sent** (``QUICKPAY_DEBIT``, ``Zelle payment to NAME …``) is a grant to the
  person's recipient code, to categorise;
* money from or to a platform (``STRIPE``, ``PAYPAL``, ``VENMO``, ``CASH APP``/
  ``SQUARE INC``, ``GOFUNDME``, ``OPEN COLLECTIVE``, ``ACTBLUE`` and the channels of
  ``imports.mapped``) goes through that platform's ``Assets:Clearing:<P>``, which
  the platform's own import filled when it paid out;
* bank fees (``FEE_TRANSACTION``, OFX ``FEE``/``SRVCHG``) go to ``Expenses:Fees:Bank``;
* everything else (checks, card purchases, cash deposits, wires…) is imported
  flagged ``!`` on ``Expenses:Uncategorized``/``Income:Uncategorized`` to categorise:
  the importer cannot tell a rent check from a supply run.

**Chase CSV** (``Details,Posting Date,Description,Amount,Type,Balance,Check or Slip
#``, one extra empty field per row) has no ids. The id is an HMAC, under the fund's
key, of (posting date, description, amount, balance) plus an **occurrence counter**
for identical rows in the file (``bank-id: "chase-…"``): the same row in an
overlapping download gets the same id, two identical cups of coffee on one day get
two, and without the key nobody can test whether a given Zelle name is in the
books. Posting dates are the bank's business dates, kept as written.

**OFX/QFX** (SGML 1.x or XML 2.x, read with ``ofxtools``) carry ``FITID``, the
bank's id (``ofx-id``). Use one of CSV or OFX per account and period: their ids
differ, so importing both would count the money twice. Only the first bank
statement of an OFX file is imported (credit-card statements are listed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import re
import warnings
from collections import Counter
from decimal import Decimal
from xml.etree import ElementTree

from aidbooks.importers.base import ExportImporter
from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import problem
from aidbooks.importers.booking import Source
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import data_rows
from aidbooks.importers.csvread import find_header
from aidbooks.importers.csvread import read_text
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.timeparse import TimeError
from aidbooks.importers.timeparse import parse_date
from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.plugins.policy import Policy

CHASE = ("Details", "Posting Date", "Description", "Amount", "Type", "Balance")
COLUMNS = {
    "details": ("Details",),
    "date": ("Posting Date",),
    "description": ("Description",),
    "amount": ("Amount",),
    "type": ("Type",),
    "balance": ("Balance",),
}

#: Words in a bank description -> the platform channel the money came from / went to.
PLATFORM_WORDS: tuple[tuple[str, str], ...] = (
    ("OPEN COLLECTIVE", "OpenCollective"),
    ("OPENCOLLECTIVE", "OpenCollective"),
    ("GOFUNDME", "GoFundMe"),
    ("ACTBLUE", "ActBlue"),
    ("STRIPE", "Stripe"),
    ("PAYPAL", "PayPal"),
    ("VENMO", "Venmo"),
    ("CASH APP", "CashApp"),
    ("SQUARE INC", "CashApp"),
)

_ZELLE = re.compile(
    r"zelle\s+(?:scheduled\s+)?payment\s+(from|to)\s+(?P<name>.+)", re.IGNORECASE
)
_REF = re.compile(r"\s+(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}$")
_CONF = re.compile(r"(;\s*conf#.*|\s+for\s+\".*)$", re.IGNORECASE)


def zelle_party(description: str) -> tuple[str, str] | None:
    """("from"|"to", name) of a Zelle description, or None. The name is only ever
    used to derive a code."""
    match = _ZELLE.search(description)
    if not match:
        return None
    name = _CONF.sub("", match.group("name")).strip()
    name = _REF.sub("", name).strip()
    return match.group(1).lower(), name


def platform_channels(policy: Policy | None) -> tuple[tuple[str, str], ...]:
    """Bank-description words for every platform, mapped sources included."""
    words = list(PLATFORM_WORDS)
    if policy is not None:
        for source in policy.imports.mapped.values():
            if source.channel:
                words.append((source.channel.upper(), source.channel))
    return tuple(words)


def classify(
    record: Record, description: str, code: str, words: tuple[tuple[str, str], ...]
) -> None:
    """Set a bank record's kind and channel from its description and type code."""
    upper = description.upper()
    code = code.upper()
    zelle = zelle_party(description)
    if code in ("QUICKPAY_CREDIT", "QUICKPAY_DEBIT") or zelle is not None:
        incoming = record.net > 0
        name = zelle[1] if zelle else ""
        record.kind = Kind.DONATION if incoming else Kind.GRANT
        record.channel = "Zelle"
        record.counterparty, record.names = name, ((name,) if name else ())
        record.narration = "Zelle donation" if incoming else ""
        return
    if code in ("FEE_TRANSACTION", "FEE", "SRVCHG"):
        record.kind = Kind.FEE
        record.narration = "Bank fee" if record.net < 0 else "Bank fee refunded"
        return
    for word, channel in words:
        if word in upper:
            record.kind = Kind.TRANSFER
            record.channel = channel
            record.narration = (
                f"{channel} transfer received"
                if record.net > 0
                else f"Transfer to {channel}"
            )
            return
    record.kind = Kind.OTHER
    label = {
        "CHECK_PAID": "Check paid",
        "CHECK": "Check paid",
        "CHECK_DEPOSIT": "Check deposited",
        "DEBIT_CARD": "Card purchase",
        "POS": "Card purchase",
        "ATM": "Cash withdrawal",
        "ATM_DEPOSIT": "Cash deposited",
        "DEPOSIT": "Deposit",
        "DEP": "Deposit",
        "INT": "Interest",
        "WIRE_INCOMING": "Wire received",
        "ACH_CREDIT": "Transfer received",
        "ACH_DEBIT": "Payment sent",
        "BILLPAY": "Online payment",
    }.get(code, "Bank row")
    record.narration = f"{label}, to categorise"


def _bank_source(importer: ExportImporter, key: str) -> Source:
    """The bank account of ``imports.bank_account`` (default Assets:Bank:Checking)."""
    settings = importer.settings
    account = settings.policy.imports.bank_account if settings else "Assets:Bank:Checking"
    return Source(key, "Bank", account, "Bank", "bank")


class ChaseImporter(ExportImporter):
    """Chase-style checking account CSV (Zelle in and out, no ids)."""

    key = "bank"
    label = "bank CSV"

    @property
    def source(self) -> Source:
        return _bank_source(self, "bank")

    def sniff(self, head: str) -> bool:
        return find_header(head, (CHASE,), limit=3) is not None

    def row_id(self, fields: tuple[str, ...]) -> str:
        """``chase-<16 hex>``: a keyed hash of a row's fields and occurrence."""
        key = self.settings.key if self.settings else b""
        message = ("aidbooks/v1/bank-row/" + "\x1f".join(fields)).encode("utf-8")
        return "chase-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:16]

    def parse(self, filepath: str) -> Parsed:
        text = read_text(filepath)
        found = find_header(text, (CHASE,), limit=3)
        if found is None:
            raise ImportFileError(
                "has no bank CSV header",
                "download the account activity CSV again",
                filepath,
            )
        header, _ = found
        cols = Columns(header, COLUMNS)
        words = platform_channels(self.settings.policy if self.settings else None)
        currency = self.settings.policy.fund.currency if self.settings else "USD"
        parsed = Parsed()
        seen: Counter[tuple[str, ...]] = Counter()
        for row in data_rows(text, header):
            parsed.rows += 1
            cells = row.cells
            day_text = cols.get(cells, "date")
            description = cols.get(cells, "description")
            amount_text = cols.get(cells, "amount")
            balance_text = cols.get(cells, "balance")
            fields = (day_text, description, amount_text, balance_text)
            seen[fields] += 1
            try:
                try:
                    day = parse_date(day_text, "MDY")
                except TimeError as exc:
                    raise RowIssue(
                        f"'Posting Date': {exc}", "check the 'Posting Date' column"
                    ) from None
                value = amount(amount_text, "Amount")
            except RowIssue as issue:
                parsed.problems.append(problem(row.lineno, issue))
                continue
            ident = self.row_id((*fields, str(seen[fields])))
            record = Record(row.lineno, ident, day, "", Kind.OTHER, value, currency)
            classify(record, description, cols.get(cells, "type"), words)
            parsed.records.append(record)
        return parsed


class OfxImporter(ExportImporter):
    """OFX/QFX bank statements (FITID as the id), read with ofxtools."""

    key = "ofx"
    label = "OFX/QFX statement"

    @property
    def source(self) -> Source:
        return _bank_source(self, "ofx")

    def sniff(self, head: str) -> bool:
        start = head.lstrip()[:400].upper()
        return (
            start.startswith("OFXHEADER:")
            or ("<?OFX" in start and start.startswith("<?XML"))
            or start.startswith("<OFX>")
        )

    def parse(self, filepath: str) -> Parsed:
        from ofxtools.Parser import OFXTree  # noqa: PLC0415 (a slow import, only when used)

        tree = OFXTree()
        try:
            payload = read_regular_bytes(filepath)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree.parse(io.BytesIO(payload))
                ofx = tree.convert()
                # a file whose root is not <OFX> converts to another element
                # (found by atheris): reading its statements fails here, not below
                statements = [
                    (statement, list(getattr(statement, "transactions", None) or ()))
                    for statement in ofx.statements
                ]
        except OSError as exc:
            raise ImportFileError(
                f"cannot be read ({exc.strerror})", "check the path", filepath
            ) from None
        except Exception:
            raise ImportFileError(
                "is not a valid OFX/QFX file",
                "download it again from the bank (OFX, QFX or 'Quicken' format)",
                filepath,
            ) from None
        root = tree.getroot()
        raw_dates = (
            [(el.findtext("DTPOSTED") or "").strip() for el in root.iter("STMTTRN")]
            if isinstance(root, ElementTree.Element)
            else []
        )
        text = payload.decode("latin-1")
        lines = [
            text.count("\n", 0, m.start()) + 1
            for m in re.finditer(r"<STMTTRN>", text, re.IGNORECASE)
        ]
        words = platform_channels(self.settings.policy if self.settings else None)
        parsed = Parsed()
        position = 0
        for number, (statement, transactions) in enumerate(statements):
            stamps = raw_dates[position : position + len(transactions)]
            where = lines[position : position + len(transactions)]
            position += len(transactions)
            if number > 0 or not hasattr(statement, "bankacctfrom"):
                for index in range(len(transactions)):
                    parsed.rows += 1
                    lineno = where[index] if index < len(where) else 0
                    parsed.skipped.append(
                        Skip(
                            lineno,
                            "second account or credit card in the file: import it alone",
                        )
                    )
                continue
            currency = str(getattr(statement, "curdef", None) or "USD").upper()
            for index, trn in enumerate(transactions):
                parsed.rows += 1
                raw = stamps[index] if index < len(stamps) else ""
                lineno = where[index] if index < len(where) else 0
                self._add(parsed, trn, raw, currency, words, lineno)
        return parsed

    def _add(
        self,
        parsed: Parsed,
        trn: object,
        raw: str,
        currency: str,
        words: tuple[tuple[str, str], ...],
        lineno: int,
    ) -> None:
        fitid = str(getattr(trn, "fitid", "") or "").strip()
        value = getattr(trn, "trnamt", None)
        if not fitid or not isinstance(value, Decimal):
            parsed.problems.append(
                Problem(lineno, "the transaction has no FITID or amount", "check the file")
            )
            return
        match = re.match(r"(\d{4})(\d{2})(\d{2})", raw)
        posted = getattr(trn, "dtposted", None)
        if match:
            day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        elif isinstance(posted, dt.datetime):
            day = posted.date()
        else:
            parsed.problems.append(
                Problem(lineno, "the transaction has no posting date", "check the file")
            )
            return
        record = Record(lineno, fitid, day, raw, Kind.OTHER, value, currency)
        description = " ".join(
            str(getattr(trn, attr, "") or "") for attr in ("name", "memo")
        ).strip()
        classify(record, description, str(getattr(trn, "trntype", "") or ""), words)
        parsed.records.append(record)
