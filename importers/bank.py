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

**OFX/QFX** (SGML 1.x or XML 2.x, with or without a header, read leniently by
:mod:`.ofx`) carry ``FITID``, the bank's id (``ofx-id``). Use one of CSV or OFX per
account and period: their ids differ, so importing both would count the money
twice. Every statement of the file's first bank account is imported, over all its
transaction lists; other accounts, credit-card and investment statements are
listed as skipped, row by row, with the reason. ``LEDGERBAL`` is the statement's
ending balance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from aidbooks.importers import ofx
from aidbooks.importers.base import ExportImporter
from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import problem
from aidbooks.importers.booking import Source
from aidbooks.importers.csvbase import CsvImporter
from aidbooks.importers.csvbase import Sheet
from aidbooks.importers.csvread import Row
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.timeparse import ABBREVIATIONS
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


@dataclass(frozen=True, slots=True)
class _File:
    """What every row of one CSV is read with, and the rows seen so far."""

    words: tuple[tuple[str, str], ...]
    currency: str
    seen: Counter[tuple[str, ...]] = field(default_factory=Counter)


class ChaseImporter(CsvImporter[_File]):
    """Chase-style checking account CSV (Zelle in and out, no ids)."""

    key = "bank"
    label = "bank CSV"
    layouts = (CHASE,)
    columns = COLUMNS
    header_limit = 3
    no_header = ("has no bank CSV header", "download the account activity CSV again")

    @property
    def source(self) -> Source:
        return _bank_source(self, "bank")

    def row_id(self, fields: tuple[str, ...]) -> str:
        """``chase-<16 hex>``: a keyed hash of a row's fields and occurrence."""
        key = self.settings.key if self.settings else b""
        message = ("aidbooks/v1/bank-row/" + "\x1f".join(fields)).encode("utf-8")
        return "chase-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:16]

    def begin(self, sheet: Sheet) -> _File:
        words = platform_channels(self.settings.policy if self.settings else None)
        currency = self.settings.policy.fund.currency if self.settings else "USD"
        return _File(words, currency)

    def read_row(self, sheet: Sheet, state: _File, row: Row) -> Record:
        cols, cells = sheet.cols, row.cells
        day_text = cols.get(cells, "date")
        description = cols.get(cells, "description")
        amount_text = cols.get(cells, "amount")
        balance_text = cols.get(cells, "balance")
        fields = (day_text, description, amount_text, balance_text)
        state.seen[fields] += 1  # an unreadable row counts too
        try:
            day = parse_date(day_text, "MDY")
        except TimeError as exc:
            raise RowIssue(
                f"'Posting Date': {exc}", "check the 'Posting Date' column"
            ) from None
        value = amount(amount_text, "Amount")
        ident = self.row_id((*fields, str(state.seen[fields])))
        record = Record(row.lineno, ident, day, "", Kind.OTHER, value, state.currency)
        classify(record, description, cols.get(cells, "type"), state.words)
        return record


class OfxImporter(ExportImporter):
    """OFX/QFX bank statements (FITID as the id), read leniently by :mod:`.ofx`."""

    key = "ofx"
    label = "OFX/QFX statement"

    @property
    def source(self) -> Source:
        return _bank_source(self, "ofx")

    def sniff(self, head: str) -> bool:
        start = head.lstrip("\ufeff \t\r\n")[:4096]
        if start.upper().startswith("OFXHEADER:"):
            return True
        return ofx.body_start(start) is not None

    def parse(self, filepath: str) -> Parsed:
        try:
            payload = read_regular_bytes(filepath)
        except OSError as exc:
            raise ImportFileError(
                f"cannot be read ({exc.strerror})", "check the path", filepath
            ) from None
        try:
            root = ofx.parse(ofx.decode(payload))
        except ofx.OfxError as exc:
            if exc.cut:
                raise ImportFileError(
                    "is not a valid OFX/QFX file: it ends before </OFX>, so the "
                    "download was cut short",
                    "download it again (a whole file ends with </OFX>); nothing was "
                    "imported",
                    filepath,
                ) from None
            raise ImportFileError(
                "is not a valid OFX/QFX file: it holds no <OFX> element after its header",
                "check that it is the bank's OFX/QFX/QBO download and not a web page "
                "or a PDF saved under that name; the bank's CSV download is another "
                "way in",
                filepath,
            ) from None
        words = platform_channels(self.settings.policy if self.settings else None)
        fund_currency = self.settings.policy.fund.currency if self.settings else "USD"
        parsed = Parsed()
        statements = ofx.statements(root)
        if not statements:
            parsed.skipped.append(
                Skip(root.line, "the file holds no statement (a sign-on or profile reply)")
            )
        account: tuple[str, str] | None = None
        seen: Counter[tuple[str, ...]] = Counter()
        for number, statement in enumerate(statements, start=1):
            rows = ofx.transactions(statement)
            if statement.tag != ofx.BANK:
                what = "a credit-card" if statement.tag == ofx.CARD else "an investment"
                reason = (
                    f"{what} statement (statement {number} of the file) is not "
                    "imported: aidbooks imports bank accounts; book what the fund "
                    "paid to or from it from the bank's statement"
                )
                for trn in rows:
                    parsed.rows += 1
                    parsed.skipped.append(Skip(trn.line, reason))
                continue
            this = (statement.value("BANKID"), statement.value("ACCTID"))
            if account is None:
                account = this
            if this != account:
                kind = statement.value("ACCTTYPE").lower() or "bank"
                reason = (
                    f"another account ({kind}, statement {number} of the file): only the "
                    "file's first account is imported, into imports.bank_account; "
                    "download that account's statement on its own"
                )
                for trn in rows:
                    parsed.rows += 1
                    parsed.skipped.append(Skip(trn.line, reason))
                continue
            currency = statement.value("CURDEF").upper() or fund_currency
            for trn in rows:
                parsed.rows += 1
                self._add(parsed, trn, currency, words, seen)
            _ledger_balance(statement, currency, parsed)
        return parsed

    def row_id(self, fields: tuple[str, ...]) -> str:
        """``ofxrow-<16 hex>``: a keyed hash of a row without a FITID."""
        key = self.settings.key if self.settings else b""
        message = ("aidbooks/v1/ofx-row/" + "\x1f".join(fields)).encode("utf-8")
        return "ofxrow-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:16]

    def _add(
        self,
        parsed: Parsed,
        trn: ofx.Node,
        currency: str,
        words: tuple[tuple[str, str], ...],
        seen: Counter[tuple[str, ...]],
    ) -> None:
        lineno = trn.line
        fitid = trn.value("FITID")
        raw = trn.value("DTPOSTED")
        day = _ofx_day(raw)
        if day is None:
            parsed.problems.append(
                Problem(
                    lineno,
                    "the transaction has no posting date (DTPOSTED, YYYYMMDD)",
                    "enter it by hand with the date of the bank's statement",
                )
            )
            return
        try:
            value = amount(_ofx_number(trn.value("TRNAMT")), "TRNAMT")
        except RowIssue as issue:
            parsed.problems.append(problem(lineno, issue))
            return
        description = " ".join(
            part for part in (trn.value("NAME"), trn.value("MEMO")) if part
        )
        if not fitid:
            # some banks leave FITID empty: a keyed hash of the row stands in, as
            # for the bank CSV (the same row in an overlapping download, the same id)
            fields = (raw, trn.value("TRNAMT"), description, trn.value("TRNTYPE"))
            seen[fields] += 1
            fitid = self.row_id((*fields, str(seen[fields])))
        record = Record(lineno, fitid, day, _ofx_stamp(raw), Kind.OTHER, value, currency)
        classify(record, description, trn.value("TRNTYPE"), words)
        parsed.records.append(record)


_OFX_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})")
_OFX_STAMP = re.compile(r"(\d{8}(?:\d{4}(?:\d{2})?)?(?:\.\d{1,6})?)\s*(?:\[([^\]]*)\])?")


def _ofx_day(raw: str) -> dt.date | None:
    """The ``YYYYMMDD`` of an OFX date-time, as written (a business date)."""
    match = _OFX_DATE.match(raw)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _ofx_stamp(raw: str) -> str:
    """The raw ``DTPOSTED`` kept as ``timestamp``: digits and the offset, and the
    zone's name only when it is one aidbooks knows (a bank may write anything
    there, and the books keep only words of time)."""
    match = _OFX_STAMP.match(raw.strip())
    if not match:
        return ""
    stamp, zone = match.group(1), (match.group(2) or "").strip()
    if not zone:
        return stamp
    offset, _, name = zone.partition(":")
    if not re.fullmatch(r"[+-]?\d{1,2}(?:\.\d{1,2})?", offset.strip()):
        return stamp
    if name.strip().upper() in ABBREVIATIONS or name.strip().upper() in ("UTC", "GMT"):
        return f"{stamp}[{offset.strip()}:{name.strip().upper()}]"
    return f"{stamp}[{offset.strip()}]"


def _ofx_number(text: str) -> str:
    """``TRNAMT`` as :func:`amount` reads it: some banks write a decimal comma."""
    if re.fullmatch(r"[+-]?\d+,\d{1,2}", text.strip()):
        return text.strip().replace(",", ".")
    return text


def _ledger_balance(statement: ofx.Node, currency: str, parsed: Parsed) -> None:
    """``LEDGERBAL`` (``BALAMT`` as of ``DTASOF``): the statement's ending balance.

    A file with several statements of the account keeps the latest one.
    """
    ledger = statement.find("LEDGERBAL")
    if ledger is None:
        return
    day = _ofx_day(ledger.value("DTASOF"))
    text = _ofx_number(ledger.value("BALAMT"))
    try:
        value = amount(text, "BALAMT")
    except RowIssue:
        return  # an empty or odd balance: nothing stated
    if day is None or (parsed.statement_end is not None and day < parsed.statement_end):
        return
    parsed.statement_balance[currency] = value
    parsed.statement_end = day
    parsed.assertable[currency] = (day + dt.timedelta(days=1), value)
