"""Open Collective: the transactions CSV of a collective.

The REST export (``/v2/<slug>/transactions.csv``, docs/platforms.md#open-collective)
writes field keys as headers by default (``datetime,shortId,shortGroup,…,kind,…,amount,…``)
and human labels with ``useFieldNames=1`` (``Date & Time,Short Transaction ID,…``); both
are recognised. It is a double-entry ledger seen from the collective:

* ``CREDIT`` ``CONTRIBUTION`` (and ``ADDED_FUNDS``) is a donation; the contributor
  (``oppositeAccountSlug``) is the donor's identifier;
* processor and host fees are **separate rows** by default (``DEBIT``
  ``PAYMENT_PROCESSOR_FEE``, ``HOST_FEE``, ``PLATFORM_TIP``...), each booked as a fee
  to ``Expenses:Fees:OpenCollective`` on its own entry (``opencollective-group`` ties
  them to their contribution); a fee given back (``CREDIT``) is a fee refund;
* ``DEBIT`` ``EXPENSE`` paid to a person is a grant to the payee's code (the payee
  is ``oppositeAccountSlug``), to categorise;
* rows marked ``isRefund`` reverse what they refund (a refunded contribution
  reverses the donation);
* other kinds are listed to categorise.

**Money follows the file's own balance column.** ``amount`` is the gross in the
host currency and ``netAmount`` what reached the collective's balance: fees that
Open Collective keeps *on the row* instead of a row of their own (the
``paymentProcessorFee`` of older contributions and of the dashboard's export, a
payout's processor fee on an expense, the ``hostFee`` and ``taxAmount`` of a
``flattenHostFee``/``flattenTax`` export) are the difference. So a row books
``netAmount`` on ``Assets:Platform:OpenCollective``, ``amount - netAmount`` on
``Expenses:Fees:OpenCollective`` and the gross on its counter account (a donation's
income, a grant's expense). Without a ``netAmount`` column the net is the gross plus
the fee columns the file has. The sign comes from ``type`` (``CREDIT``/``DEBIT``),
the size from ``amount`` (else ``netAmount``, else the text of ``displayAmount``).

The ``balance`` column (the collective's balance after each row; the export lists
the newest row first) is checked: in date order every row's balance must be the
previous one plus the row's net, and a row that breaks the chain is reported
(``file:line``, the difference), since the books would then differ from Open
Collective's. The balance after the last row is the statement's ending balance.

The id is ``id`` or ``legacyId`` when exported (``add=id``), else the 8-character
``shortId``. ``datetime`` is UTC. **A file that ends with ``Warning: totalCount is N
and limit was M`` was truncated by the export's row limit: it is refused** (exit 2),
since importing part of a period silently would lose money; export it with
``fetchAll=1`` or a higher ``limit``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import when
from aidbooks.importers.booking import Source
from aidbooks.importers.csvbase import CsvImporter
from aidbooks.importers.csvbase import Sheet
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import Row
from aidbooks.importers.money import MoneyError
from aidbooks.importers.money import parse_amount
from aidbooks.importers.records import ZERO
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.timeparse import local_date
from aidbooks.importers.timeparse import parse_iso

KEYS = ("datetime", "shortId", "type", "kind", "amount", "currency")
LABELS = ("Date & Time", "Short Transaction ID", "Credit/Debit", "Kind", "Currency")

COLUMNS = {
    "datetime": ("datetime", "Date & Time", "date", "Date"),
    "id": ("id", "Transaction ID", "legacyId", "Legacy Transaction ID"),
    "short": ("shortId", "Short Transaction ID"),
    "group": ("shortGroup", "Short Group ID", "group", "Group ID"),
    "type": ("type", "Credit/Debit"),
    "kind": ("kind", "Kind"),
    "refund": ("isRefund", "Is Refund"),
    "amount": ("amount", "Gross Amount"),
    "net": ("netAmount", "Amount Single Column", "Net Amount"),
    "display": ("displayAmount", "Original Currency Amount"),
    "currency": ("currency", "Currency"),
    "opposite": ("oppositeAccountSlug", "Opposite Account Handle"),
    "opposite_name": ("oppositeAccountName", "Opposite Account Name"),
    "balance": ("balance", "Balance"),
    "processor_fee": ("paymentProcessorFee", "Payment Processor Fee"),
    "host_fee": ("hostFee", "Host Fee"),
    "platform_fee": ("platformFee", "Platform Fee"),
    "tax": ("taxAmount", "Tax Amount"),
}
#: Fees (and tax) Open Collective may keep on the row itself, written negative on a
#: CREDIT: without a ``netAmount`` column, net = amount + these.
FEE_COLUMNS = (
    ("processor_fee", "paymentProcessorFee"),
    ("host_fee", "hostFee"),
    ("platform_fee", "platformFee"),
    ("tax", "taxAmount"),
)

TRUNCATED = re.compile(r"\s*Warning:\s*totalCount is (\d+) and limit was (\d+)", re.I)
FEE_KINDS = frozenset(
    {
        "PAYMENT_PROCESSOR_FEE",
        "PAYMENT_PROCESSOR_DISPUTE_FEE",
        "PAYMENT_PROCESSOR_COVER",
        "HOST_FEE",
        "HOST_FEE_SHARE",
        "HOST_FEE_SHARE_DEBT",
        "PLATFORM_FEE",
        "PLATFORM_TIP",
        "PLATFORM_TIP_DEBT",
        "APPLICATION_FEE",
    }
)


@dataclass(frozen=True, slots=True)
class _File:
    """What every row of one export is read with, and the balance chain it follows."""

    fund_zone: dt.tzinfo
    chain: list[_Link] = field(default_factory=list)


class OpenCollectiveImporter(CsvImporter[_File]):
    """Open Collective transactions CSV (field keys or human labels)."""

    key = "opencollective"
    label = "Open Collective transactions"
    layouts = (KEYS, LABELS)
    columns = COLUMNS
    header_limit = 3
    no_header = (
        "has no Open Collective header",
        "export transactions.csv from Open Collective (field keys or labels)",
    )

    @property
    def source(self) -> Source:
        return Source(
            "opencollective",
            "OpenCollective",
            "Assets:Platform:OpenCollective",
            "OpenCollective",
            "opencollective",
        )

    def begin(self, sheet: Sheet) -> _File:
        return _File(self.settings.fund_zone if self.settings else dt.UTC)

    def read_row(self, sheet: Sheet, state: _File, row: Row) -> Record | Skip:
        first = row.cells[0] if row.cells else ""
        warning = TRUNCATED.match(",".join(row.cells)) or TRUNCATED.match(first)
        if warning:
            raise ImportFileError(
                f"the export is truncated ({warning.group(1)} transactions, "
                f"limit {warning.group(2)})",
                "export it with fetchAll=1 (or a limit above the total) in the URL; "
                "nothing was imported",
                sheet.path,
                row.lineno,
            )
        unread = _Link(row.lineno, None, None, None, "")
        try:
            record = self._record(sheet.cols, row.cells, state.fund_zone)
        except RowIssue:
            state.chain.append(unread)
            raise
        if isinstance(record, Skip):
            state.chain.append(unread)
            return Skip(row.lineno, record.reason)
        state.chain.append(
            _Link(
                row.lineno,
                record.timestamp,
                record.net,
                _balance(sheet.cols, row.cells),
                record.currency,
                record.date,
            )
        )
        return record

    def end(self, sheet: Sheet, state: _File) -> None:
        _check_balances(state.chain, sheet.parsed)

    def _record(
        self, cols: Columns, cells: list[str], fund_zone: dt.tzinfo
    ) -> Record | Skip:
        ident = cols.get(cells, "id") or cols.get(cells, "short")
        if not ident:
            return Skip(0, "row without a transaction id")
        raw = cols.get(cells, "datetime")
        moment = when(lambda: parse_iso(raw, dt.UTC), "datetime")
        direction = cols.get(cells, "type").upper()
        if direction not in ("CREDIT", "DEBIT"):
            raise RowIssue("'type' is neither CREDIT nor DEBIT", "check the type column")
        sign = 1 if direction == "CREDIT" else -1
        gross_text = cols.get(cells, "amount")
        net_text = cols.get(cells, "net")
        if gross_text:
            written = amount(gross_text, "amount")
        elif net_text:
            written = amount(net_text, "netAmount")
        else:
            written = amount(cols.get(cells, "display"), "displayAmount")
        gross = sign * abs(written)
        # Open Collective writes DEBIT amounts negative; a file that writes them
        # unsigned writes its net unsigned too
        flip = -1 if (sign < 0 and written > 0) else 1
        if net_text:
            net = flip * amount(net_text, "netAmount")
        else:
            net = gross + sum(
                (
                    flip * amount(cols.get(cells, key), column, blank=True)
                    for key, column in FEE_COLUMNS
                ),
                ZERO,
            )
        currency = cols.get(cells, "currency").upper()
        if not currency.isalpha() or len(currency) != 3:
            raise RowIssue(
                "'currency' is not an ISO currency code", "check the currency column"
            )
        kind = cols.get(cells, "kind").upper()
        refund = bool(cols.get(cells, "refund"))
        record = Record(
            0,
            ident,
            local_date(moment, fund_zone),
            f"{raw} UTC",
            Kind.OTHER,
            net,
            currency,
            fee=gross - net,
            status=kind,
        )
        group = cols.get(cells, "group")
        if group:
            record.meta["opencollective-group"] = group
        opposite = cols.get(cells, "opposite")
        names = (cols.get(cells, "opposite_name"),)
        if kind in FEE_KINDS:
            # a fee row is a fee as a whole: its counter posting is the fee account
            record.kind = Kind.FEE
            record.fee = ZERO
            record.narration = "Open Collective fee" if net < 0 else "Fee refunded"
        elif kind in ("CONTRIBUTION", "ADDED_FUNDS"):
            record.kind = Kind.DONATION if gross > 0 else Kind.DONATION_REVERSAL
            if refund and gross < 0:
                record.narration = "Donation refunded"
            record.counterparty, record.names = opposite, names
        elif kind == "EXPENSE":
            record.kind = Kind.GRANT if gross < 0 else Kind.GRANT_RETURN
            record.counterparty, record.names = opposite, names
        return record


@dataclass(frozen=True, slots=True)
class _Link:
    """One row of the balance chain (None where the row could not be read)."""

    lineno: int
    timestamp: str | None
    net: Decimal | None
    balance: Decimal | None
    currency: str
    date: dt.date | None = None


def _balance(cols: Columns, cells: list[str]) -> Decimal | None:
    """The row's ``balance`` cell, or None when the export has none (host exports)."""
    text = cols.get(cells, "balance")
    if not text:
        return None
    try:
        return parse_amount(text, blank=True)
    except MoneyError:
        return None


def _check_balances(chain: list[_Link], parsed: Parsed) -> None:
    """Follow the ``balance`` column in date order; report every row that breaks it.

    Open Collective lists the newest row first, and the rows of one second in the
    order they were made, newest first too; a file in the other order is read as
    it is. Which way a file runs is what its timestamps say, and where they cannot
    tell (every row in one second) the order the balances follow. The balance
    before the oldest row is the opening balance, the balance after the newest one
    the ending balance.
    """
    stamps = [link.timestamp for link in chain if link.timestamp]
    newest_first = bool(stamps) and stamps[0] > stamps[-1]
    forward, backward = _follow(chain), _follow(chain[::-1])
    if stamps and stamps[0] == stamps[-1]:
        newest_first = len(backward[0]) <= len(forward[0])
    breaks, opening, ending, end = backward if newest_first else forward
    parsed.discrepancies.extend(breaks)
    parsed.opening_balance.update(opening)
    parsed.statement_balance.update(ending)
    parsed.statement_end = end
    if end is None or breaks:
        return
    # the balance at the start of the newest row's day: after the last row before it
    ordered = chain[::-1] if newest_first else chain
    start_of_day = dict(opening)
    for link in ordered:
        if link.net is None:
            return  # an unreadable row: the chain cannot tell
        if link.balance is not None and link.date is not None and link.date < end:
            start_of_day[link.currency] = link.balance
    for currency, value in start_of_day.items():
        parsed.assertable[currency] = (end, value)


def _follow(
    chain: list[_Link],
) -> tuple[list[Problem], dict[str, Decimal], dict[str, Decimal], dt.date | None]:
    """(breaks, opening, ending, last date) of the chain read in the given order."""
    breaks: list[Problem] = []
    opening: dict[str, Decimal] = {}
    ending: dict[str, Decimal] = {}
    end: dt.date | None = None
    previous: dict[str, Decimal] = {}
    for link in chain:
        if link.net is None:  # an unreadable row: the chain starts again after it
            previous.clear()
            continue
        if link.balance is None:
            continue
        before = previous.get(link.currency)
        if before is None:
            opening.setdefault(link.currency, link.balance - link.net)
        elif before + link.net != link.balance:
            gap = link.balance - (before + link.net)
            breaks.append(
                Problem(
                    link.lineno,
                    f"the file's balance column moves by {gap:+} {link.currency} more "
                    "than the row's net amount",
                    "the books will differ from Open Collective's balance by that much; "
                    "check for rows missing from the export (export it with fetchAll=1) "
                    "or correct the books by hand",
                )
            )
        previous[link.currency] = link.balance
        ending[link.currency] = link.balance
        if link.date is not None and (end is None or link.date > end):
            end = link.date
    return breaks, opening, ending, end
