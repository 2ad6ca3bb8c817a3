"""Stripe: balance history ("all activity", the primary source), payments, payouts.

Stripe's Dashboard lets the user choose columns, so every layout is found by a few
stable column names and read by name (docs/platforms.md#stripe):

* **balance history** — ``id`` (``txn_…``), ``Type``, ``Source``, ``Amount``,
  ``Fee``, ``Net``, ``Currency`` (lower case), ``Created (UTC)``. Every row moved the
  Stripe balance, so every row is final. ``charge``/``payment`` is a donation (fee
  positive on the same row, ``Net = Amount - Fee``), ``refund``/``payment_refund``
  reverses one, ``adjustment`` (disputes) is a chargeback, ``payout`` goes to the
  bank through ``Assets:Clearing:Stripe`` (``payout_failure``/``payout_cancel``
  comes back), ``stripe_fee``/``application_fee``/``contribution`` are fees, other
  types are listed to categorise. The row's ``Source`` (``ch_…``, ``po_…``) is kept in
  ``stripe-source``.
* **payments** — ``id`` (``ch_``/``py_``), ``Created date (UTC)``, ``Amount``,
  ``Amount Refunded``, ``Fee``, ``Status``. ``Paid`` and ``Refunded`` charges are
  donations; the refunded amount becomes a reversal (id ``<charge>:refund``) whose
  amount is kept in ``stripe-status`` so a later larger refund is reported, not
  silently ignored. Refunds have no date of their own in this export unless
  ``Refunded date (UTC)`` is present.
* **payouts** — ``id`` (``po_``), ``Amount``, ``Arrival Date (UTC)``, ``Status``;
  ``paid`` payouts go to ``Assets:Clearing:Stripe``.

Balance history and the other two describe the same money: import one of them per
period. The index makes the overlap safe for charges and payouts — a balance row
whose ``Source`` is an already imported ``ch_``/``po_`` id is a duplicate, and the
reverse — but refunds in the payments export have no refund id, so they are not
matched (import the balance history).

Donors: Stripe rows name nobody unless the export has ``Customer Email``,
``Customer ID`` or an ``email (metadata)`` column, which is then the donor's
identifier (never written). Descriptions are dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
from aidbooks.importers.timeparse import local_date
from aidbooks.importers.timeparse import parse_clock
from aidbooks.importers.timeparse import parse_date
from aidbooks.importers.timeparse import parse_iso

BALANCE = ("id", "Type", "Amount", "Fee", "Net", "Currency")
BALANCE_ALT = ("Transaction ID", "Transaction Type", "Amount", "Fee", "Net", "Currency")
PAYMENTS = ("id", "Amount", "Amount Refunded", "Currency", "Status")
PAYOUTS = ("id", "Amount", "Arrival Date (UTC)", "Currency", "Status")
#: The "Balance change from activity" report (itemized, Reports > Balance):
#: ``balance_transaction_id`` is the ``txn_`` of the balance history.
ACTIVITY = (
    "balance_transaction_id",
    "reporting_category",
    "gross",
    "fee",
    "net",
    "currency",
)

COLUMNS = {
    "id": ("id", "Transaction ID", "balance_transaction_id"),
    "type": ("Type", "Transaction Type", "reporting_category"),
    "source": ("Source", "source_id"),
    "amount": ("Amount", "gross"),
    "fee": ("Fee",),
    "net": ("Net",),
    "currency": ("Currency",),
    "created": ("Created (UTC)", "Created date (UTC)", "created_utc"),
    "refunded": ("Amount Refunded",),
    "refunded_date": ("Refunded date (UTC)",),
    "status": ("Status",),
    "arrival": ("Arrival Date (UTC)",),
    "customer": (
        "Customer Email",
        "email (metadata)",
        "Customer ID",
        "customer_email",
        "customer_id",
    ),
}

DONATION_TYPES = frozenset({"charge", "payment"})
REFUND_TYPES = frozenset(
    {"refund", "payment_refund", "refund_failure", "payment_failure_refund"}
)
DISPUTE_TYPES = frozenset(
    {"adjustment", "dispute", "dispute_reversal", "partial_capture_reversal"}
)
PAYOUT_TYPES = frozenset(
    {
        "payout",
        "payout_cancel",
        "payout_failure",
        "payout_reversal",
        "transfer",
        "transfer_reversal",
        "topup",
        "topup_reversal",
    }
)
FEE_TYPES = frozenset(
    {
        "stripe_fee",
        "application_fee",
        "application_fee_refund",
        "contribution",
        "tax_fee",
        "fee",
        "network_cost",
    }
)

LAYOUTS = (BALANCE, BALANCE_ALT, PAYMENTS, PAYOUTS, ACTIVITY)


def stamp(text: str) -> dt.datetime:
    """``2025-05-03 14:22[:10]`` in UTC, or an Excel-resaved ``5/3/2025 14:22``."""
    raw = text.strip()
    try:
        return parse_iso(raw, dt.UTC)
    except TimeError:
        parts = raw.split()
        if not parts:
            raise
        day = parse_date(parts[0], "MDY")
        hour, _, minute = (parts[1] if len(parts) > 1 else "0:00").partition(":")
        clock = parse_clock(f"{hour}:{minute[:2]}")
        return dt.datetime.combine(day, clock, dt.UTC)


@dataclass(frozen=True, slots=True)
class _File:
    """What every row of one export is read with."""

    which: int  # the index in LAYOUTS, the activity report read as the balance history
    fund_zone: dt.tzinfo


class StripeImporter(CsvImporter[_File]):
    """Stripe balance history (primary), payments and payouts exports."""

    key = "stripe"
    label = "Stripe export"
    layouts = LAYOUTS
    columns = COLUMNS
    header_limit = 3
    no_header = (
        "has no Stripe header",
        "export the balance history (or the balance change from activity report) "
        "from Stripe",
    )

    @property
    def source(self) -> Source:
        return Source("stripe", "Stripe", "Assets:Platform:Stripe", "Stripe", "stripe")

    def begin(self, sheet: Sheet) -> _File:
        which = sheet.layout
        if which == 4:  # the activity report reads as the balance history, in UTC
            sheet.cols.require(sheet.path, "created")
            which = 0
        return _File(which, self.settings.fund_zone if self.settings else dt.UTC)

    def read_row(self, sheet: Sheet, state: _File, row: Row) -> list[Record | Skip] | Skip:
        cols = sheet.cols
        ident = cols.get(row.cells, "id")
        if not ident:
            return Skip(row.lineno, "row without an id")
        if state.which in (0, 1):
            return self._balance(row, cols, ident, state.fund_zone)
        if state.which == 2:
            return self._payment(row, cols, ident, state.fund_zone)
        return self._payout(row, cols, ident, state.fund_zone)

    @staticmethod
    def _currency(cols: Columns, cells: list[str]) -> str:
        currency = cols.get(cells, "currency").upper()
        if not currency.isalpha() or len(currency) != 3:
            raise RowIssue(
                "'Currency' is not an ISO currency code", "check the Currency column"
            )
        return currency

    def _balance(
        self, row: Row, cols: Columns, ident: str, fund_zone: dt.tzinfo
    ) -> list[Record | Skip]:
        cells = row.cells
        raw = cols.get(cells, "created")
        moment = when(lambda: stamp(raw), "Created (UTC)")
        gross = amount(cols.get(cells, "amount"), "Amount")
        fee = amount(cols.get(cells, "fee"), "Fee", blank=True)
        net_text = cols.get(cells, "net")
        net = amount(net_text, "Net") if net_text else gross - fee
        if net != gross - fee:
            raise RowIssue(
                "'Amount', 'Fee' and 'Net' do not add up", "check the amounts of this row"
            )
        kind_text = cols.get(cells, "type").strip().casefold()
        record = Record(
            row.lineno,
            ident,
            local_date(moment, fund_zone),
            f"{raw} UTC",
            Kind.OTHER,
            net,
            self._currency(cols, cells),
            fee,
            status=kind_text,
        )
        source_id = cols.get(cells, "source")
        if source_id:
            record.meta["stripe-source"] = source_id
        customer = cols.get(cells, "customer")
        if kind_text in DONATION_TYPES:
            record.kind = Kind.DONATION if gross >= 0 else Kind.DONATION_REVERSAL
            record.counterparty = customer
        elif kind_text in REFUND_TYPES:
            record.kind = Kind.DONATION_REVERSAL if gross < 0 else Kind.DONATION
            record.narration = "Donation refunded" if gross < 0 else "Refund failed"
            record.counterparty = customer
        elif kind_text in DISPUTE_TYPES:
            record.kind = Kind.DONATION_REVERSAL if gross < 0 else Kind.DONATION
            record.narration = "Donation disputed" if gross < 0 else "Dispute won"
            record.counterparty = customer
        elif kind_text in PAYOUT_TYPES:
            record.kind = Kind.TRANSFER
            record.narration = "Transfer to bank" if gross < 0 else "Payout returned"
        elif kind_text in FEE_TYPES:
            record.kind = Kind.FEE
        return [record]

    def _payment(
        self, row: Row, cols: Columns, ident: str, fund_zone: dt.tzinfo
    ) -> list[Record | Skip]:
        cells = row.cells
        status = cols.get(cells, "status")
        if status.casefold() not in ("paid", "refunded", "succeeded"):
            return [Skip(row.lineno, not_final(status), ident, status)]
        raw = cols.get(cells, "created")
        moment = when(lambda: stamp(raw), "Created date (UTC)")
        gross = amount(cols.get(cells, "amount"), "Amount")
        fee = amount(cols.get(cells, "fee"), "Fee", blank=True)
        refunded = amount(cols.get(cells, "refunded"), "Amount Refunded", blank=True)
        currency = self._currency(cols, cells)
        customer = cols.get(cells, "customer")
        charge = Record(
            row.lineno,
            ident,
            local_date(moment, fund_zone),
            f"{raw} UTC",
            Kind.DONATION,
            gross - fee,
            currency,
            fee,
            counterparty=customer,
            status=status,
        )
        out: list[Record | Skip] = [charge]
        if refunded:
            refunded_raw = cols.get(cells, "refunded_date")
            when_refunded = (
                local_date(
                    when(lambda: stamp(refunded_raw), "Refunded date (UTC)"), fund_zone
                )
                if refunded_raw
                else charge.date
            )
            out.append(
                Record(
                    row.lineno,
                    f"{ident}:refund",
                    when_refunded,
                    f"{refunded_raw or raw} UTC",
                    Kind.DONATION_REVERSAL,
                    -abs(refunded),
                    currency,
                    counterparty=customer,
                    status=status,
                    status_token=f"refunded {abs(refunded)}",
                    token_is_money=True,
                )
            )
        return out

    def _payout(
        self, row: Row, cols: Columns, ident: str, fund_zone: dt.tzinfo
    ) -> list[Record | Skip]:
        cells = row.cells
        status = cols.get(cells, "status")
        if status.casefold() != "paid":
            return [Skip(row.lineno, not_final(status), ident, status)]
        raw = cols.get(cells, "created") or cols.get(cells, "arrival")
        moment = when(lambda: stamp(raw), "Created (UTC)")
        gross = amount(cols.get(cells, "amount"), "Amount")
        return [
            Record(
                row.lineno,
                ident,
                local_date(moment, fund_zone),
                f"{raw} UTC",
                Kind.TRANSFER,
                -abs(gross),
                self._currency(cols, cells),
                status=status,
                narration="Transfer to bank",
            )
        ]
