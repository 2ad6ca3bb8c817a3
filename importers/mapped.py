"""A column-mapped CSV importer, driven by ``[imports.mapped.<name>]`` in aidbooks.toml.

For platforms whose exports are unverified or change (GoFundMe, Givebutter, Donorbox,
Zeffy, Ko-fi — docs/platforms.md#column-mapped-platforms): the treasurer names the
columns once, the importer does the rest under the same rules as the built-in ones::

    [imports.mapped.gofundme]
    channel = "GoFundMe"                 # Income:Donations:GoFundMe, Expenses:Fees:GoFundMe
    # account = "Assets:Platform:GoFundMe"   (default: the platform account when the
    #            chart has one, else Assets:Clearing:<channel>)
    id = "Transaction ID"                # the de-duplication key (gofundme-id)
    date = "Date"
    date_format = "%m/%d/%Y %H:%M"       # strptime; empty: ISO 8601 or month-first
    timezone = "America/Chicago"         # the zone of the export's times
    amount = "Gross Amount"              # what the donor gave
    fee = "Fee"                          # optional; a positive number is a cost
    # fee_negative = true                # the export writes fees as negative numbers
    net = "Net Amount"                   # optional; checked against amount - fee
    currency = ""                        # optional column; default the fund currency
    donor = ["Email", "Donor Name"]      # columns that identify the donor (first non-empty)
    status = "Status"                    # optional, with the statuses that are final:
    final = ["Successful", "Settled"]
    type = ""                            # optional column, with the values that mean
    refund_types = []                    #   a refund of a donation,
    payout_types = []                    #   a payout to the bank
    refund_id = ""                       # optional: a column filled when refunded
    refund_date = ""
    identify = []                        # columns that identify the file (default: all
                                         #   mapped columns must be in the header)
    decimal = "."                        # "," for decimal commas

Rows with a positive amount are donations, negative ones (or ``refund_types``)
reverse a donation, ``payout_types`` go to the bank through
``Assets:Clearing:<channel>``. A refunded row (``refund_id`` filled) adds a reversal
of the gross amount (whether the platform returns its fee is not known; the fee
stays booked). Donor columns are only used to derive donor codes.

**Presets** ship for known headers: ``preset = "actblue"`` (also active without any
configuration) reads ActBlue's contributions export — 101 columns, ``Reserved``
seven times, ``t``/``f`` booleans, CRLF — with ``Lineitem ID`` as the id, ``Date`` in
US Eastern time, ``Fee`` as a cost, ``Donor Email`` as the donor's identifier,
``Refund ID``/``Refund Date`` for refunds, into ``Assets:Clearing:ActBlue`` (ActBlue
disburses to the bank; the bank import empties the clearing account). Any key set
next to ``preset`` overrides the preset's value.

Duplicated column names map to their first occurrence; none of the mapped columns
may be one of them. Headers are matched ignoring case and surrounding spaces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.booking import Source
from aidbooks.importers.csvbase import CsvImporter
from aidbooks.importers.csvbase import Sheet
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import Header
from aidbooks.importers.csvread import Row
from aidbooks.importers.records import ImportFileError
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
from aidbooks.importers.timeparse import plausible
from aidbooks.importers.timeparse import zone
from aidbooks.plugins import accounts
from aidbooks.plugins.policy import MappedSource

#: ActBlue's paid-contributions header (docs/platforms.md#actblue), as it is live.
ACTBLUE_HEADER = (
    "Receipt ID,Date,Amount,Recurring Total Months,Recurrence Number,Recipient,"
    "Fundraising Page,Fundraising Partner,Reference Code 2,Reference Code,Donor First Name,"
    "Donor Last Name,Donor Addr1,Donor Addr2,Donor City,Donor State,Donor ZIP,Donor Country,"
    "Donor Occupation,Donor Employer,Donor Email,Donor Phone,New Express Signup,Comments,"
    "Check Number,Check Date,Employer Addr1,Employer Addr2,Employer City,Employer State,"
    "Employer ZIP,Employer Country,Donor ID,Fundraiser ID,Fundraiser Recipient ID,"
    "Fundraiser Contact Email,Fundraiser Contact First Name,Fundraiser Contact Last Name,"
    "Partner ID,Partner Contact Email,Partner Contact First Name,Partner Contact Last Name,"
    "Reserved,Lineitem ID,AB Test Name,AB Variation,Recipient Committee,Recipient ID,"
    "Recipient Gov ID,Recipient Election,Reserved,Payment ID,Payment Date,Disbursement ID,"
    "Disbursement Date,Recovery ID,Recovery Date,Refund ID,Refund Date,Fee,Recur Weekly,"
    "ActBlue Express Lane,Reserved,Card Type,Reserved,Reserved,Reserved,Reserved,Mobile,"
    "Recurring Upsell Shown,Recurring Upsell Succeeded,Double Down,Smart Recurring,"
    "Monthly Recurring Amount,Apple Pay,Card Replaced by Account Updater,"
    "ActBlue Express Donor,Custom Field 1 Label,Custom Field 1 Value,"
    "Donor US Passport Number,Text Message Opt In,Gift Identifier,Gift Declined,"
    "Shipping Addr1,Shipping City,Shipping State,Shipping Zip,Shipping Country,"
    "Weekly Recurring Amount,Smart Boost Amount,Smart Boost Shown,Bump Recurring Seen,"
    "Bump Recurring Succeeded,Weekly to Monthly Rollover Date,Weekly Recurring Sunset,"
    "Recurring Type,Recurring Pledged,Paypal,Kind,Managed Entity Name,"
    "Managed Entity Committee Name"
).split(",")

PRESETS: dict[str, dict[str, Any]] = {
    "actblue": {
        "channel": "ActBlue",
        "account": "Assets:Clearing:ActBlue",
        "identify": (
            "Receipt ID",
            "Lineitem ID",
            "Date",
            "Amount",
            "Fee",
            "Disbursement ID",
        ),
        "id": "Lineitem ID",
        "date": "Date",
        "date_format": "%Y-%m-%d %H:%M:%S",
        "timezone": "America/New_York",
        "amount": "Amount",
        "fee": "Fee",
        "donor": ("Donor Email", "Donor ID"),
        "refund_id": "Refund ID",
        "refund_date": "Refund Date",
    }
}

DEFAULT_FINAL = frozenset(
    {"paid", "succeeded", "successful", "success", "completed", "complete", "settled"}
)


def resolve(source: MappedSource) -> MappedSource:
    """The mapping with its preset's values filled in (explicit keys win)."""
    if not source.preset:
        return source
    values = dict(PRESETS[source.preset])
    for name in source.model_fields_set:
        values[name] = getattr(source, name)
    values["preset"] = source.preset
    return MappedSource.model_validate(values)


@dataclass(frozen=True, slots=True)
class _File:
    """What every row of one file is read with."""

    tz: dt.tzinfo
    fund_zone: dt.tzinfo
    fund_currency: str
    final: frozenset[str]
    refunds: frozenset[str]
    payouts: frozenset[str]


class MappedImporter(CsvImporter[_File]):
    """One configured column-mapped CSV source (``[imports.mapped.<name>]``).

    Its :attr:`~.CsvImporter.layouts` and :attr:`~.CsvImporter.columns` come from
    the mapping, not from the class.
    """

    label = "mapped CSV"

    def __init__(self, name: str, mapping: MappedSource, settings: Any = None) -> None:
        super().__init__(settings)
        self.source_name = name
        self.mapping = resolve(mapping)
        m = self.mapping
        columns: dict[str, tuple[str, ...]] = {
            key: (value,)
            for key, value in (
                ("id", m.id),
                ("date", m.date),
                ("amount", m.amount),
                ("fee", m.fee),
                ("net", m.net),
                ("currency", m.currency),
                ("status", m.status),
                ("type", m.type),
                ("refund_id", m.refund_id),
                ("refund_date", m.refund_date),
            )
            if value
        }
        for index, donor in enumerate(m.donor):
            columns[f"donor{index}"] = (donor,)
        self.columns = columns
        self.layouts = (m.identify or tuple(v[0] for v in columns.values()),)
        self.no_header = (
            f"does not have the columns [imports.mapped.{name}] names",
            "check the column names in aidbooks.toml against the file's header",
        )

    @property
    def key(self) -> str:  # type: ignore[override]
        return self.source_name

    @property
    def source(self) -> Source:
        m = self.mapping
        account = m.account or (
            accounts.PLATFORM + m.channel
            if m.channel in accounts.PLATFORMS
            else accounts.CLEARING + m.channel
        )
        return Source(self.source_name, m.channel, account, m.channel, self.source_name)

    def begin(self, sheet: Sheet) -> _File:
        self._check_duplicates(sheet.header, sheet.path)
        m = self.mapping
        return _File(
            zone(m.timezone),
            self.settings.fund_zone if self.settings else dt.UTC,
            self.settings.policy.fund.currency if self.settings else "USD",
            frozenset(s.casefold() for s in m.final) or DEFAULT_FINAL,
            frozenset(s.casefold() for s in m.refund_types),
            frozenset(s.casefold() for s in m.payout_types),
        )

    def read_row(self, sheet: Sheet, state: _File, row: Row) -> list[Record] | Skip:
        cols, cells = sheet.cols, row.cells
        ident = cols.get(cells, "id")
        if not ident:
            return Skip(row.lineno, "row without an id")
        status = cols.get(cells, "status")
        if cols.present("status") and status.casefold() not in state.final:
            return Skip(row.lineno, not_final(status), ident, status)
        records = self._records(row.lineno, cells, cols, ident, state)
        for record in records:
            record.status = status
        return records

    def _check_duplicates(self, header: Header, filepath: str) -> None:
        counts: dict[str, int] = {}
        for name in header.names:
            counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
        for key, names in self.columns.items():
            if counts.get(names[0].strip().casefold(), 0) > 1:
                raise ImportFileError(
                    f"the column mapped as {key} appears more than once in the header",
                    "map a column whose name is unique",
                    filepath,
                    header.lineno,
                )

    def _when(self, text: str, tz: dt.tzinfo) -> dt.datetime:
        m = self.mapping
        try:
            if m.date_format:
                moment = dt.datetime.strptime(text.strip(), m.date_format)
                return plausible(moment if moment.tzinfo else moment.replace(tzinfo=tz))
            try:
                return plausible(parse_iso(text, tz))
            except TimeError:
                parts = text.strip().replace("T", " ").split()
                day = parse_date(parts[0], "MDY")
                clock = parse_clock(parts[1]) if len(parts) > 1 else dt.time(12)
                return plausible(combine(day, clock, tz))
        except (ValueError, TimeError, IndexError):
            raise RowIssue(
                f"'{m.date}' is not a date in the expected format",
                f"check date_format in [imports.mapped.{self.source_name}]",
            ) from None

    def _records(
        self, lineno: int, cells: list[str], cols: Columns, ident: str, state: _File
    ) -> list[Record]:
        m = self.mapping
        raw = cols.get(cells, "date")
        moment = self._when(raw, state.tz)
        gross = amount(cols.get(cells, "amount"), m.amount, m.decimal)
        fee = amount(cols.get(cells, "fee"), m.fee or "fee", m.decimal, blank=True)
        cost = -fee if m.fee_negative else fee
        net_text = cols.get(cells, "net")
        net = gross - cost
        if net_text:
            stated = amount(net_text, m.net, m.decimal)
            if stated not in (net, gross + cost):
                raise RowIssue(
                    f"'{m.amount}', '{m.fee}' and '{m.net}' do not add up",
                    "check the amounts of this row (or fee_negative)",
                )
            net = stated
            cost = gross - net
        currency = (cols.get(cells, "currency") or state.fund_currency).upper()
        if not currency.isalpha() or len(currency) != 3:
            raise RowIssue(
                f"'{m.currency}' is not an ISO currency code", "check the column"
            )
        donor = next(
            (
                cols.get(cells, k)
                for k in cols.at
                if k.startswith("donor") and cols.get(cells, k)
            ),
            "",
        )
        type_text = cols.get(cells, "type").casefold()
        record = Record(
            lineno,
            ident,
            local_date(moment, state.fund_zone),
            raw.strip(),
            Kind.DONATION,
            net,
            currency,
            cost,
            counterparty=donor,
        )
        if type_text and type_text in state.payouts:
            record.kind = Kind.TRANSFER
            if record.net > 0:
                record.net, record.fee = -record.net, -record.fee
        elif (type_text and type_text in state.refunds) or gross < 0:
            record.kind = Kind.DONATION_REVERSAL
            if record.net > 0:
                record.net, record.fee = -record.net, -record.fee
        out = [record]
        refund_id = cols.get(cells, "refund_id")
        if refund_id and record.kind == Kind.DONATION:
            refund_raw = cols.get(cells, "refund_date")
            refund_when = self._when(refund_raw, state.tz) if refund_raw else moment
            out.append(
                Record(
                    lineno,
                    refund_id,
                    local_date(refund_when, state.fund_zone),
                    (refund_raw or raw).strip(),
                    Kind.DONATION_REVERSAL,
                    -gross,
                    currency,
                    counterparty=donor,
                )
            )
        return out
