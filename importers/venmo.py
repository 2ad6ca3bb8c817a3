"""Venmo: the personal account statement (three layouts) and the charity/business profile.

Layouts (docs/platforms.md#venmo), all found by their header and read by column name:

* **current statement** (22 fields): two preamble lines (``Account Statement -
  (@handle) ...``, ``Account Activity``), a header whose first column has no name,
  a beginning-balance row, the transactions, and a footer row with the ending
  balance, period fees and a multi-line quoted disclaimer;
* **2021 statement** (19 fields, no tax columns), same shape;
* **2017–2018 web CSV**: no preamble, every field quoted, first header ``" ID"``;
* **charity/business profile statement**: ``Transaction ID`` wrapped in literal
  quotes, ``Date`` + ``Time (UTC)``, ``Amount (net)`` and ``Amount (fee)`` beside
  the gross, ``(None)`` placeholders, ``Donor email``.

Rows: ``Complete`` and ``Issued`` are final; every other status is listed as
skipped. Rows without an ``ID`` are the statement's balance rows and footer.
``Payment``/``Charge`` with ``+`` is a donation (the counterparty is ``From`` for a
payment and ``To`` for a charge you requested), with ``-`` a grant to a person;
``Standard``/``Instant Transfer`` are payouts to the bank through
``Assets:Clearing:Venmo`` (an instant-transfer fee in ``Amount (fee)`` is booked
to ``Expenses:Fees:Venmo``; the total is taken as the balance change, which is
**unverified**); add-funds rows come from the bank the same way; Venmo card and
merchant rows are purchases to categorise. A payment funded from a bank or card
(``Funding Source`` other than the Venmo balance) never touched the balance, so its
money leg is ``Assets:Clearing:Venmo``.

The personal statement's ``Datetime`` has no zone; ``imports.venmo_timezone``
(default UTC, what the charity layout's ``Time (UTC)`` suggests) decides.
Notes, names and funding-source text are never written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import when
from aidbooks.importers.booking import Source
from aidbooks.importers.csvbase import CsvImporter
from aidbooks.importers.csvbase import Sheet
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import Row
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.records import not_final
from aidbooks.importers.timeparse import combine
from aidbooks.importers.timeparse import local_date
from aidbooks.importers.timeparse import parse_clock
from aidbooks.importers.timeparse import parse_date
from aidbooks.importers.timeparse import parse_iso
from aidbooks.importers.timeparse import zone

PERSONAL = ("ID", "Datetime", "Type", "Status", "Amount (total)")
CHARITY = ("Transaction ID", "Date", "Time (UTC)", "Amount (total)", "Amount (net)")

COLUMNS = {
    "id": ("ID", "Transaction ID"),
    "datetime": ("Datetime",),
    "date": ("Date",),
    "time": ("Time (UTC)",),
    "type": ("Type",),
    "status": ("Status",),
    "from": ("From",),
    "to": ("To",),
    "email": ("Donor email",),
    "total": ("Amount (total)",),
    "fee": ("Amount (fee)",),
    "net": ("Amount (net)",),
    "funding": ("Funding Source",),
    "destination": ("Destination",),
    "begin": ("Beginning Balance",),
    "end": ("Ending Balance",),
}

FINAL = frozenset({"complete", "completed", "issued"})
NONE = frozenset({"", "(none)", "none", "venmo balance"})
TRANSFERS = ("standard transfer", "instant transfer", "bank transfer")
TOP_UPS = ("add funds", "instant add funds", "bank deposit", "direct deposit")
PURCHASES = ("merchant transaction", "venmo card transaction", "venmo debit card")


def _clean(text: str) -> str:
    text = text.strip().strip('"').strip()
    return "" if text.casefold() == "(none)" else text


@dataclass(frozen=True, slots=True)
class _File:
    """What every row of one statement is read with."""

    charity: bool
    venmo_zone: dt.tzinfo
    fund_zone: dt.tzinfo


class VenmoImporter(CsvImporter[_File]):
    """Venmo statements (personal, three layouts) and the charity/business profile."""

    key = "venmo"
    label = "Venmo statement"
    layouts = (PERSONAL, CHARITY)
    columns = COLUMNS
    no_header = (
        "has no Venmo statement header",
        "download the statement CSV again from venmo.com",
    )

    @property
    def source(self) -> Source:
        return Source(
            "venmo",
            "Venmo",
            "Assets:Platform:Venmo",
            "Venmo",
            "venmo",
        )

    def _zone(self) -> dt.tzinfo:
        if self.settings is None:
            return dt.UTC
        return zone(self.settings.policy.imports.venmo_timezone)

    def _fund_zone(self) -> dt.tzinfo:
        return self.settings.fund_zone if self.settings else dt.UTC

    def begin(self, sheet: Sheet) -> _File:
        return _File(sheet.layout == 1, self._zone(), self._fund_zone())

    def read_row(self, sheet: Sheet, state: _File, row: Row) -> Record | Skip:
        cols, cells = sheet.cols, row.cells
        ident = _clean(cols.get(cells, "id"))
        if not ident:
            return self._balance_row(cols, cells, sheet.parsed, row.lineno)
        status = cols.get(cells, "status")
        if status.casefold() not in FINAL:
            return Skip(row.lineno, not_final(status), ident, status)
        record = (
            self._charity_row(cols, cells, ident, state.fund_zone)
            if state.charity
            else self._personal_row(cols, cells, ident, state.venmo_zone, state.fund_zone)
        )
        record.status = status
        return record

    def end(self, sheet: Sheet, state: _File) -> None:
        _statement_end(sheet.parsed, self.source.money_account)

    def _balance_row(
        self, cols: Columns, cells: list[str], parsed: Parsed, lineno: int
    ) -> Skip:
        """A row without an ID: the beginning balance, the footer, or neither."""
        end = _clean(cols.get(cells, "end"))
        begin = _clean(cols.get(cells, "begin"))
        if end:
            try:
                parsed.statement_balance["USD"] = amount(end, "Ending Balance")
            except RowIssue:
                pass
            return Skip(lineno, "statement footer (ending balance)")
        if begin:
            try:
                parsed.opening_balance.setdefault("USD", amount(begin, "Beginning Balance"))
            except RowIssue:
                pass
            return Skip(lineno, "statement beginning balance")
        return Skip(lineno, "row without an ID")

    def _personal_row(
        self,
        cols: Columns,
        cells: list[str],
        ident: str,
        venmo_zone: dt.tzinfo,
        fund_zone: dt.tzinfo,
    ) -> Record:
        raw_time = cols.get(cells, "datetime")
        moment = when(lambda: parse_iso(raw_time, venmo_zone), "Datetime")
        total = amount(cols.get(cells, "total"), "Amount (total)")
        fee = abs(amount(cols.get(cells, "fee"), "Amount (fee)", blank=True))
        kind_text = cols.get(cells, "type").casefold()
        record = Record(
            0, ident, local_date(moment, fund_zone), raw_time, Kind.OTHER, total, "USD", fee
        )
        self._classify(record, kind_text, total, cols, cells)
        return record

    def _classify(
        self,
        record: Record,
        kind_text: str,
        total: Decimal,
        cols: Columns,
        cells: list[str],
    ) -> None:
        sender, receiver = _clean(cols.get(cells, "from")), _clean(cols.get(cells, "to"))
        funding = cols.get(cells, "funding").strip().casefold()
        destination = cols.get(cells, "destination").strip().casefold()
        if kind_text in ("payment", "charge"):
            incoming = total > 0
            if kind_text == "payment":
                other = sender if incoming else receiver
            else:
                other = receiver if incoming else sender
            record.kind = Kind.DONATION if incoming else Kind.GRANT
            record.counterparty = other
            record.names = (other,) if other else ()
            external = destination if incoming else funding
            if external not in NONE:
                record.money_account = "Assets:Clearing:Venmo"
        elif kind_text in TRANSFERS:
            record.kind = Kind.TRANSFER
            if total > 0:
                record.narration = "Transfer from bank"
        elif kind_text in TOP_UPS:
            record.kind = Kind.TRANSFER
        elif kind_text in PURCHASES:
            record.kind = Kind.PURCHASE
            # paid from a linked bank account or card (or refunded to one): the
            # Venmo balance never moved, the bank's statement shows the money
            external = destination if total > 0 else funding
            if external not in NONE:
                record.money_account = "Assets:Clearing:Venmo"
        else:
            record.kind = Kind.OTHER

    def _charity_row(
        self, cols: Columns, cells: list[str], ident: str, fund_zone: dt.tzinfo
    ) -> Record:
        day_text, clock_text = cols.get(cells, "date"), cols.get(cells, "time")
        moment = when(
            lambda: combine(parse_date(day_text, "MDY"), parse_clock(clock_text), dt.UTC),
            "Date",
        )
        gross = amount(cols.get(cells, "total"), "Amount (total)")
        fee = abs(amount(_clean(cols.get(cells, "fee")), "Amount (fee)", blank=True))
        net_text = _clean(cols.get(cells, "net"))
        kind_text = cols.get(cells, "type").casefold()
        if net_text:
            net = abs(amount(net_text, "Amount (net)"))
            net = net if gross >= 0 else -net
            if gross > 0 and net + fee != gross:
                raise RowIssue(
                    "'Amount (net)' plus 'Amount (fee)' is not 'Amount (total)'",
                    "check the amounts of this row in the export",
                )
        else:
            net = gross - fee if gross > 0 else gross
        record = Record(
            0,
            ident,
            local_date(moment, fund_zone),
            f"{day_text} {clock_text} UTC",
            Kind.OTHER,
            net,
            "USD",
            fee,
        )
        self._classify(record, kind_text, gross, cols, cells)
        if record.kind == Kind.DONATION:
            email = _clean(cols.get(cells, "email"))
            if email:
                record.counterparty = email
        return record


def _statement_end(parsed: Parsed, platform: str) -> None:
    """The footer's ending balance as of the statement's last local day, and what
    may be asserted: the balance at the start of that day (the ending balance less
    that day's rows on the Venmo balance), since Venmo cuts its statements at
    midnight in its own zone and the next statement may add rows to that day."""
    ending = parsed.statement_balance.get("USD")
    if ending is None or not parsed.records:
        return
    last = max(record.date for record in parsed.records)
    parsed.statement_end = last
    that_day = sum(
        (
            r.net
            for r in parsed.records
            if r.date == last and (r.money_account or platform) == platform
        ),
        Decimal(0),
    )
    parsed.assertable["USD"] = (last, ending - that_day)
