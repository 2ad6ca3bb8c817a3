"""Cash App: the transaction history CSV (both layouts).

Layouts (docs/platforms.md#cash-app): v1 starts with ``Transaction ID``, v2 with ``Date``;
older files name the counterparty column ``Name`` instead of ``Name of
sender/receiver``. Columns are read by name, so the order does not matter.

Values: amounts like ``$1``, ``-$2.90``, ``"$30,248.51"`` and old ``($370)``;
``Fee`` is negative and ``Net Amount = Amount + Fee`` (checked); dates carry a zone
abbreviation (``2023-10-07 16:12:36 EDT``) and are booked on the fund's local date.
IDs are kept exactly (case matters). Files are newest first; order does not
matter here.

Rows: ``COMPLETE``, ``COMPLETED``, ``PAYMENT SENT``, ``PAYMENT DEPOSITED``,
``PAYMENT REFUNDED``, ``CARD CHARGED``, ``CARD REFUNDED``, ``DEPOSITED``,
``TRANSFER SENT`` are final; others (``FAILED``, ``CANCELED``, ``DECLINED``,
``PENDING``, ``WAITING ON RECIPIENT``...) are listed as skipped. ``Received P2P``
(v2: ``P2P`` with a positive amount) is a donation, a negative one a refund of a
donation; ``Sent P2P`` is a grant to the person; ``Cash out``/``Withdrawal`` go to
the bank through ``Assets:Clearing:CashApp`` (an instant-deposit fee is booked to
``Expenses:Fees:CashApp``); ``Cash in``/``Deposits`` come from it; Cash Card rows are
purchases to categorise; bitcoin rows are not supported (listed, enter by hand).
"""

from __future__ import annotations

import datetime as dt
import re

from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import when
from aidbooks.importers.booking import Source
from aidbooks.importers.csvbase import CsvImporter
from aidbooks.importers.csvbase import Sheet
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import Row
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.records import not_final
from aidbooks.importers.timeparse import TimeError
from aidbooks.importers.timeparse import combine
from aidbooks.importers.timeparse import local_date
from aidbooks.importers.timeparse import parse_clock
from aidbooks.importers.timeparse import parse_date
from aidbooks.importers.timeparse import parse_iso
from aidbooks.importers.timeparse import zone

HEADER = ("Transaction ID", "Date", "Transaction Type", "Currency", "Amount", "Net Amount")

COLUMNS = {
    "id": ("Transaction ID",),
    "date": ("Date",),
    "type": ("Transaction Type",),
    "currency": ("Currency",),
    "amount": ("Amount",),
    "fee": ("Fee",),
    "net": ("Net Amount",),
    "status": ("Status",),
    "name": ("Name of sender/receiver", "Name"),
}

FINAL = frozenset(
    {
        "complete",
        "completed",
        "payment sent",
        "payment deposited",
        "payment refunded",
        "card charged",
        "card refunded",
        "deposited",
        "transfer sent",
    }
)

_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s*([A-Za-z]{1,5})?")
_US_STAMP = re.compile(
    r"(\d{1,2}/\d{1,2}/\d{4})(?:\s+(\d{1,2}:\d{2}(?::\d{2})?))?\s*([A-Za-z]{1,5})?"
)


def parse_stamp(text: str, fund_zone: dt.tzinfo) -> dt.datetime:
    """``2023-10-07 16:12:36 EDT`` (or an Excel-resaved ``06/07/2023``) -> aware time.

    A stamp without a zone is read in the fund's zone.
    """
    raw = text.strip()
    match = _STAMP.fullmatch(raw)
    if match:
        tz = zone(match.group(2)) if match.group(2) else fund_zone
        return parse_iso(match.group(1), tz)
    match = _US_STAMP.fullmatch(raw)
    if match:
        tz = zone(match.group(3)) if match.group(3) else fund_zone
        clock = parse_clock(match.group(2)) if match.group(2) else dt.time(12)
        return combine(parse_date(match.group(1), "MDY"), clock, tz)
    raise TimeError("the timestamp is not in the expected format")


class CashAppImporter(CsvImporter[dt.tzinfo]):
    """Cash App transaction history (v1 and v2 layouts); the state is the fund's zone."""

    key = "cashapp"
    label = "Cash App history"
    layouts = (HEADER,)
    columns = COLUMNS
    no_header = (
        "has no Cash App header",
        "export the CSV again from cash.app (Statements, Export CSV)",
    )

    @property
    def source(self) -> Source:
        return Source("cashapp", "CashApp", "Assets:Platform:CashApp", "CashApp", "cashapp")

    def begin(self, sheet: Sheet) -> dt.tzinfo:
        return self.settings.fund_zone if self.settings else dt.UTC

    def read_row(self, sheet: Sheet, state: dt.tzinfo, row: Row) -> Record | Skip:
        cols, cells = sheet.cols, row.cells
        ident = cols.get(cells, "id")
        status = cols.get(cells, "status")
        type_text = cols.get(cells, "type").casefold()
        if not ident:
            return Skip(row.lineno, "row without a transaction id")
        if cols.present("status") and status.casefold() not in FINAL:
            return Skip(row.lineno, not_final(status), ident, status)
        if "bitcoin" in type_text or "stock" in type_text:
            return Skip(row.lineno, "bitcoin or stock row: not supported, enter by hand")
        if "notification" in type_text:
            return Skip(row.lineno, "account notification (no money)")
        record = self._record(cols, cells, ident, type_text, state)
        record.status = status
        return record

    def end(self, sheet: Sheet, state: dt.tzinfo) -> None:
        sheet.parsed.records.sort(key=lambda r: (r.date, r.lineno))

    def _record(
        self,
        cols: Columns,
        cells: list[str],
        ident: str,
        type_text: str,
        fund_zone: dt.tzinfo,
    ) -> Record:
        raw_time = cols.get(cells, "date")
        moment = when(lambda: parse_stamp(raw_time, fund_zone), "Date")
        gross = amount(cols.get(cells, "amount"), "Amount")
        fee_signed = amount(cols.get(cells, "fee"), "Fee", blank=True)
        net_text = cols.get(cells, "net")
        net = amount(net_text, "Net Amount") if net_text else gross + fee_signed
        if net != gross + fee_signed and net != gross - fee_signed:
            raise RowIssue(
                "'Amount', 'Fee' and 'Net Amount' do not add up",
                "check the amounts of this row in the export",
            )
        currency = (cols.get(cells, "currency") or "USD").upper()
        record = Record(
            0,
            ident,
            local_date(moment, fund_zone),
            raw_time,
            Kind.OTHER,
            net,
            currency,
            gross - net,
        )
        name = cols.get(cells, "name")
        person = (name, (name,) if name else ())
        if "p2p" in type_text:
            if gross > 0:
                record.kind = Kind.DONATION
            elif "received" in type_text:
                record.kind = Kind.DONATION_REVERSAL
            else:
                record.kind = Kind.GRANT
            record.counterparty, record.names = person
        elif "cash out" in type_text or "withdrawal" in type_text:
            record.kind = Kind.TRANSFER
        elif "cash in" in type_text or "deposit" in type_text:
            record.kind = Kind.TRANSFER
        elif "card" in type_text or "boost" in type_text:
            record.kind = Kind.PURCHASE if gross < 0 else Kind.OTHER
        return record
