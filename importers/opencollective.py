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

The sign comes from ``type`` (``CREDIT``/``DEBIT``), the amount from ``amount`` (or
``netAmount``, or the text of ``displayAmount``), in the host currency. The id is
``id`` or ``legacyId`` when exported (``add=id``), else the 8-character ``shortId``.
``datetime`` is UTC. **A file that ends with ``Warning: totalCount is N and limit was
M`` was truncated by the export's row limit: it is refused** (exit 2), since
importing part of a period silently would lose money; download it again with
``fetchAll=1`` or a higher ``limit``.
"""

from __future__ import annotations

import datetime as dt
import re

from aidbooks.importers.base import ExportImporter
from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import problem
from aidbooks.importers.base import when
from aidbooks.importers.booking import Source
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import data_rows
from aidbooks.importers.csvread import find_header
from aidbooks.importers.csvread import read_text
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
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
}

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


class OpenCollectiveImporter(ExportImporter):
    """Open Collective transactions CSV (field keys or human labels)."""

    key = "opencollective"
    label = "Open Collective transactions"

    @property
    def source(self) -> Source:
        return Source(
            "opencollective",
            "OpenCollective",
            "Assets:Platform:OpenCollective",
            "OpenCollective",
            "opencollective",
        )

    def sniff(self, head: str) -> bool:
        return find_header(head, (KEYS, LABELS), limit=3) is not None

    def parse(self, filepath: str) -> Parsed:
        text = read_text(filepath)
        found = find_header(text, (KEYS, LABELS), limit=3)
        if found is None:
            raise ImportFileError(
                "has no Open Collective header",
                "download transactions.csv again from Open Collective",
                filepath,
            )
        header, _ = found
        cols = Columns(header, COLUMNS)
        fund_zone = self.settings.fund_zone if self.settings else dt.UTC
        parsed = Parsed()
        for row in data_rows(text, header):
            first = row.cells[0] if row.cells else ""
            warning = TRUNCATED.match(",".join(row.cells)) or TRUNCATED.match(first)
            if warning:
                raise ImportFileError(
                    f"the export is truncated ({warning.group(1)} transactions, "
                    f"limit {warning.group(2)})",
                    "download it again with fetchAll=1 or a higher limit; nothing was imported",
                    filepath,
                    row.lineno,
                )
            parsed.rows += 1
            try:
                record = self._record(cols, row.cells, fund_zone)
            except RowIssue as issue:
                parsed.problems.append(problem(row.lineno, issue))
                continue
            if isinstance(record, Skip):
                parsed.skipped.append(Skip(row.lineno, record.reason))
                continue
            record.lineno = row.lineno
            parsed.records.append(record)
        return parsed

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
        text = cols.get(cells, "amount") or cols.get(cells, "net")
        value = abs(
            amount(text, "amount")
            if text
            else amount(cols.get(cells, "display"), "displayAmount")
        )
        net = value if direction == "CREDIT" else -value
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
            status=kind,
        )
        group = cols.get(cells, "group")
        if group:
            record.meta["opencollective-group"] = group
        opposite = cols.get(cells, "opposite")
        names = (cols.get(cells, "opposite_name"),)
        if kind in FEE_KINDS:
            record.kind = Kind.FEE
            record.narration = "Open Collective fee" if net < 0 else "Fee refunded"
        elif kind in ("CONTRIBUTION", "ADDED_FUNDS"):
            record.kind = Kind.DONATION if net > 0 else Kind.DONATION_REVERSAL
            if refund and net < 0:
                record.narration = "Donation refunded"
            record.counterparty, record.names = opposite, names
        elif kind == "EXPENSE":
            record.kind = Kind.GRANT if net < 0 else Kind.GRANT_RETURN
            record.counterparty, record.names = opposite, names
        return record
