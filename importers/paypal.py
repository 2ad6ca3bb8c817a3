"""PayPal: the activity download (business and personal) and the statement CSV.

Layouts (docs/platforms.md#paypal), found by header and read by column name, so PayPal's
customizable column sets work as long as the essential columns are there:

* **activity download, business** — BOM, 41 default columns (``Gross``, ``Fee``,
  ``Net``, ``Balance Impact``...), customizable and **localized**: English,
  Spanish (``Fecha``, ``Bruto``, ``Comisión``/``Tarifa``, ``Neto``,
  ``Id. de transacción``, ``Repercusiones en el saldo``, decimal commas) and
  German (``Datum``, ``Brutto``, ``Gebühr``, ``Netto``, ``Transaktionscode``);
* **activity download, personal** — 15 columns (``Amount``, ``Fees``, ``Total``);
* **statement CSV** — ``Description`` instead of ``Type``, no ``Status``, dates not
  zero-padded, ``Time Zone`` as an abbreviation or an IANA name; in Spanish
  (``Fecha,Hora,Zona horaria,Descripción,Divisa,Bruto,Comisión,Neto,Saldo,Id. de
  transacción,…,Id. de referencia de trans.``, day-first dates, decimal commas).

Dates are month-first or day-first depending on the account's locale: the file's
own dates decide when one of them can (a day above 12), else the export language
(English month-first; Spanish and German day-first), else
``imports.paypal_date_order``. Decimal commas are recognised the same way.

Rows: ``Completed`` (and the settled ``Refunded``/``Partially Refunded``/``Reversed``
states of a payment whose refund is its own row) are final; ``Pending``,
``Denied``, ``Canceled``... are listed as skipped, as are ``Memo`` rows (no balance
change) and holds/releases/authorizations. Money received has a **negative fee**
(``Net = Gross + Fee``); the fee booked is always ``Gross - Net``, so either sign
convention works. Payments received are donations; money sent to a person is a
grant (merchant checkouts are purchases to categorise); refunds, reversals and
chargebacks reverse the donation (a refund of money the fund *sent* reverses the
grant); chargeback fees are fees; withdrawals go to ``Assets:Clearing:PayPal``;
bank and card deposits (funding legs) come from it. A payment in another currency
and its two ``Currency Conversion`` legs (linked by ``Reference Txn ID``) become one
entry in the converted currency, with the original amount in ``original-amount``;
conversions of the balance itself become a conversion entry (``@@``).

Every row's status is kept in ``paypal-status``: PayPal rewrites history, so a
re-download can show an imported payment as ``Refunded`` (reported as a change)
or no longer final (reported as a conflict to fix by hand).

Type names are matched by keyword in the three languages. German: the header, the
status words ``Abgeschlossen`` and ``Ausstehend``, the types ``Allgemeine Zahlung``,
``PayPal Express-Zahlung`` and ``Bankgutschrift auf PayPal-Konto``, ``dd.mm.yyyy``
dates, ``CET``/``CEST`` and decimal commas are as in rows of real German downloads
quoted in public code (fixture ``tests/importer_data/paypal/activity-de.csv``);
other German words and the Spanish words beyond the header are **unverified** (taken
from PayPal's translations seen in public code, not from a real download).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_HALF_EVEN
from decimal import Decimal

from aidbooks.importers.base import RowIssue
from aidbooks.importers.base import amount
from aidbooks.importers.base import when
from aidbooks.importers.booking import Source
from aidbooks.importers.csvbase import CsvImporter
from aidbooks.importers.csvbase import Sheet
from aidbooks.importers.csvread import Columns
from aidbooks.importers.csvread import Row
from aidbooks.importers.money import guess_decimal
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.records import not_final
from aidbooks.importers.timeparse import combine
from aidbooks.importers.timeparse import date_order
from aidbooks.importers.timeparse import local_date
from aidbooks.importers.timeparse import parse_clock
from aidbooks.importers.timeparse import parse_date
from aidbooks.importers.timeparse import zone

#: Header sets that identify a layout, with the language they imply.
LAYOUTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("activity", "en", ("Date", "Type", "Status", "Currency", "Gross", "Transaction ID")),
    ("personal", "en", ("Date", "Type", "Status", "Currency", "Amount", "Transaction ID")),
    ("statement", "en", ("Date", "Description", "Currency", "Gross", "Transaction ID")),
    ("activity", "es", ("Fecha", "Tipo", "Estado", "Bruto", "Id. de transacción")),
    ("activity", "de", ("Datum", "Typ", "Status", "Brutto", "Transaktionscode")),
    ("statement", "es", ("Fecha", "Descripción", "Divisa", "Bruto", "Id. de transacción")),
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("Date", "Fecha", "Datum"),
    "time": ("Time", "Hora", "Uhrzeit"),
    "zone": ("TimeZone", "Time zone", "Time Zone", "Zona horaria", "Zeitzone"),
    "name": ("Name", "Nombre"),
    "type": ("Type", "Description", "Tipo", "Descripción", "Typ"),
    "status": ("Status", "Estado"),
    "currency": ("Currency", "Divisa", "Moneda", "Währung"),
    "gross": ("Gross", "Amount", "Bruto", "Brutto"),
    "fee": ("Fee", "Fees", "Comisión", "Tarifa", "Gebühr"),
    "net": ("Net", "Total", "Neto", "Netto"),
    "from": (
        "From Email Address",
        "Correo electrónico del remitente",
        "Remitente",
        "Absender E-Mail-Adresse",
    ),
    "to": (
        "To Email Address",
        "Correo electrónico del destinatario",
        "Destinatario",
        "Empfänger E-Mail-Adresse",
    ),
    "id": ("Transaction ID", "Id. de transacción", "Transaktionscode"),
    "ref": (
        "Reference Txn ID",
        "Id. de referencia de la transacción",
        "Id. de referencia de trans.",
        "Zugehöriger Transaktionscode",
    ),
    "balance": ("Balance", "Saldo", "Guthaben"),
    "impact": (
        "Balance Impact",
        "Repercusiones en el saldo",
        "Impacto en el saldo",
        "Auswirkung auf Guthaben",
    ),
}

FINAL = frozenset(
    {
        "completed",
        "refunded",
        "partially refunded",
        "reversed",
        "completado",
        "completada",
        "reembolsado",
        "reembolsada",
        "reembolsado parcialmente",
        "revertido",
        "revertida",
        "abgeschlossen",
        "erstattet",
        "teilweise erstattet",
    }
)
MEMO = frozenset({"memo", "nota", "memorandum", "notiz"})

# keyword lists (accents removed, case-folded) in the order they are tried
FEE_WORDS = ("fee", "comision", "tarifa", "gebuhr")
HOLD_WORDS = (
    "hold",
    "release",
    "authorization",
    "retencion",
    "liberacion",
    "autorizacion",
    "reserva",
    "einbehalt",
    "freigabe",
    "autorisierung",
    "vormerkung",
)
CONVERSION_WORDS = ("conversion", "umrechnung")
CHARGEBACK_WORDS = ("chargeback", "contracargo")
REFUND_WORDS = ("refund", "reembolso", "devolucion", "ruckzahlung", "erstattung")
REVERSAL_WORDS = ("reversal", "reversion", "storno", "ruckbuchung")
WITHDRAWAL_WORDS = ("withdrawal", "retiro", "retirada", "abbuchung", "auszahlung")
DEPOSIT_WORDS = ("deposit", "deposito", "add funds", "fondos", "einzahlung", "gutschrift")
PURCHASE_WORDS = (
    "express checkout",
    "website payment",
    "preapproved",
    "pre-approved",
    "subscription",
    "bill",
    "card",
    "shopping cart",
    "tarjeta",
    "suscripcion",
    "karte",
    "abonnement",
    "express-zahlung",  # PayPal Express-Zahlung: a merchant's checkout
    "einzugsverfahren",  # Zahlung im Einzugsverfahren: a merchant's direct debit
)


def fold(text: str) -> str:
    """Case-fold and strip accents (for keyword matching of type names)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


@dataclass
class _Leg:
    lineno: int
    id: str
    ref: str
    date: dt.date
    timestamp: str
    currency: str
    net: Decimal
    status: str


@dataclass
class _File:
    """What every row of one download is read with, and the conversion legs met."""

    layout: str
    order: str
    decimal: str
    fund_zone: dt.tzinfo
    legs: list[_Leg] = field(default_factory=list)


class PayPalImporter(CsvImporter[_File]):
    """PayPal activity downloads (business, personal; en/es/de) and statement CSVs."""

    key = "paypal"
    label = "PayPal download"
    layouts = tuple(names for _, _, names in LAYOUTS)
    columns = COLUMNS
    no_header = (
        "has no PayPal header",
        "download the activity report again from PayPal (CSV, all columns)",
    )

    @property
    def source(self) -> Source:
        return Source(
            "paypal",
            "PayPal",
            "Assets:Platform:PayPal",
            "PayPal",
            "paypal",
        )

    def begin(self, sheet: Sheet) -> _File:
        """The date order and decimal mark the whole file's cells point to."""
        layout, language, _ = LAYOUTS[sheet.layout]
        cols = sheet.cols
        cols.require(sheet.path, "date", "type", "currency", "gross", "id")
        rows = sheet.rows()
        default_order = "MDY" if language == "en" else "DMY"
        if self.settings and self.settings.policy.imports.paypal_date_order:
            default_order = self.settings.policy.imports.paypal_date_order
        order = date_order([cols.get(r.cells, "date") for r in rows], default_order)
        decimal = guess_decimal(
            [cols.get(r.cells, k) for r in rows for k in ("gross", "net")],
            "." if language == "en" else ",",
        )
        fund_zone = self.settings.fund_zone if self.settings else dt.UTC
        return _File(layout, order, decimal, fund_zone)

    def read_row(self, sheet: Sheet, state: _File, row: Row) -> Record | Skip | None:
        item = self._row(
            row, sheet.cols, state.layout, state.order, state.decimal, state.fund_zone
        )
        if isinstance(item, _Leg):
            state.legs.append(item)  # folded or paired at the end
            return None
        return item

    def end(self, sheet: Sheet, state: _File) -> None:
        parsed = sheet.parsed
        records = {record.id: record for record in parsed.records}
        self._conversions(state.legs, records, parsed)
        parsed.records.sort(key=lambda r: r.lineno)
        if sheet.cols.present("balance"):
            _balances(
                sheet.rows(),
                sheet.cols,
                state.order,
                state.decimal,
                state.fund_zone,
                parsed,
            )

    def _row(
        self,
        row: Row,
        cols: Columns,
        layout: str,
        order: str,
        decimal: str,
        fund_zone: dt.tzinfo,
    ) -> Record | Skip | _Leg:
        cells = row.cells
        ident = cols.get(cells, "id")
        if not ident:
            return Skip(row.lineno, "row without a transaction id")
        status = cols.get(cells, "status") if layout != "statement" else "Completed"
        type_text = cols.get(cells, "type")
        kind_text = fold(type_text)
        if fold(status) not in FINAL:
            return Skip(row.lineno, not_final(status), ident, status)
        if fold(cols.get(cells, "impact")) in MEMO:
            return Skip(row.lineno, "memo row (no balance change)", ident, status)
        if _has(kind_text, HOLD_WORDS) and not _has(kind_text, FEE_WORDS):
            return Skip(row.lineno, "hold, release or authorization", ident, status)
        day_text, clock_text, zone_text = (
            cols.get(cells, "date"),
            cols.get(cells, "time"),
            cols.get(cells, "zone"),
        )
        day = when(
            lambda: dt.datetime.combine(parse_date(day_text, order), dt.time()), "Date"
        )
        if clock_text:
            moment = when(
                lambda: combine(
                    day.date(), parse_clock(clock_text), zone(zone_text or "UTC")
                ),
                "Time",
            )
            local = local_date(moment, fund_zone)
        else:
            local = day.date()
        # the zone only counts (and is only kept) with a time of day
        timestamp = " ".join(
            p for p in (day_text, clock_text, clock_text and zone_text) if p
        )
        currency = cols.get(cells, "currency").upper()
        if not currency.isalpha() or len(currency) != 3:
            raise RowIssue(
                "'Currency' is not an ISO currency code", "check the Currency column"
            )
        gross = amount(cols.get(cells, "gross"), "Gross", decimal)
        fee_signed = amount(cols.get(cells, "fee"), "Fee", decimal, blank=True)
        net_text = cols.get(cells, "net")
        if net_text:
            net = amount(net_text, "Net", decimal)
            if fee_signed and gross + fee_signed != net and gross - fee_signed != net:
                raise RowIssue(
                    "'Gross', 'Fee' and 'Net' do not add up",
                    "check the amounts of this row in the export",
                )
        else:
            net = gross + fee_signed if fee_signed <= 0 or gross < 0 else gross - fee_signed
        if _has(kind_text, CONVERSION_WORDS):
            return _Leg(
                row.lineno,
                ident,
                cols.get(cells, "ref"),
                local,
                timestamp,
                currency,
                net,
                status,
            )
        record = Record(
            row.lineno,
            ident,
            local,
            timestamp,
            Kind.OTHER,
            net,
            currency,
            gross - net,
            status=status,
            status_token=status,
        )
        ref = cols.get(cells, "ref")
        if ref:
            record.meta["paypal-ref"] = ref
        self._classify(record, kind_text, gross, cols, cells)
        return record

    def _classify(
        self,
        record: Record,
        kind_text: str,
        gross: Decimal,
        cols: Columns,
        cells: list[str],
    ) -> None:
        incoming = gross > 0
        email = cols.get(cells, "from" if incoming else "to")
        name = cols.get(cells, "name")
        identifier = email or name
        person = (identifier, (name,) if name else ())
        if _has(kind_text, FEE_WORDS):
            record.kind = Kind.FEE
        elif _has(kind_text, CHARGEBACK_WORDS):
            record.kind = Kind.DONATION if incoming else Kind.DONATION_REVERSAL
            record.narration = (
                "Chargeback reversed" if incoming else "Donation charged back"
            )
            record.counterparty, record.names = person
        elif _has(kind_text, REFUND_WORDS):
            record.kind = Kind.GRANT_RETURN if incoming else Kind.DONATION_REVERSAL
            record.counterparty, record.names = person
        elif _has(kind_text, REVERSAL_WORDS):
            record.kind = Kind.DONATION if incoming else Kind.DONATION_REVERSAL
            record.narration = "Reversal cancelled" if incoming else "Donation reversed"
            record.counterparty, record.names = person
        elif _has(kind_text, WITHDRAWAL_WORDS):
            record.kind = Kind.TRANSFER
        elif _has(kind_text, DEPOSIT_WORDS):
            record.kind = Kind.TRANSFER
        elif incoming:
            record.kind = Kind.DONATION
            record.counterparty, record.names = person
        elif _has(kind_text, PURCHASE_WORDS):
            record.kind = Kind.PURCHASE
        else:
            record.kind = Kind.GRANT
            record.counterparty, record.names = person

    def _conversions(
        self, legs: list[_Leg], records: dict[str, Record], parsed: Parsed
    ) -> None:
        """Fold conversion legs into their payment, or pair them into conversions."""
        by_ref: dict[str, list[_Leg]] = {}
        loose: list[_Leg] = []
        for leg in legs:
            if leg.ref:
                by_ref.setdefault(leg.ref, []).append(leg)
            else:
                loose.append(leg)
        pairs: list[tuple[_Leg, _Leg]] = []
        for ref, group in by_ref.items():
            payment = records.get(ref)
            if len(group) == 2 and group[0].currency != group[1].currency:
                first, second = group
                if payment is not None and self._fold(payment, first, second):
                    continue
                pairs.append((first, second) if first.net < 0 else (second, first))
            else:
                loose.extend(group)
        loose.sort(key=lambda leg: leg.lineno)
        while loose:
            leg = loose.pop(0)
            mate = next(
                (
                    m
                    for m in loose
                    if m.timestamp == leg.timestamp
                    and m.currency != leg.currency
                    and (m.net > 0) != (leg.net > 0)
                ),
                None,
            )
            if mate is None:
                parsed.problems.append(
                    Problem(
                        leg.lineno,
                        "a currency conversion leg without its other leg",
                        "download a period that holds both legs of the conversion",
                    )
                )
                continue
            loose.remove(mate)
            pairs.append((leg, mate) if leg.net < 0 else (mate, leg))
        for out, into in pairs:
            parsed.records.append(
                Record(
                    out.lineno,
                    out.id,
                    out.date,
                    out.timestamp,
                    Kind.CONVERSION,
                    out.net,
                    out.currency,
                    extra_ids=(into.id,),
                    converted=(into.net, into.currency),
                    status=out.status,
                    status_token=out.status,
                )
            )

    @staticmethod
    def _fold(payment: Record, first: _Leg, second: _Leg) -> bool:
        """Rewrite a foreign-currency payment in the currency it was converted to."""
        same = first if first.currency == payment.currency else second
        other = second if same is first else first
        if same.currency != payment.currency or same.net != -payment.net or not payment.net:
            return False
        rate = other.net / -same.net  # converted per unit of the payment's currency
        fee = (payment.fee * abs(rate)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        gross = payment.net + payment.fee
        payment.meta["original-amount"] = f"{gross} {payment.currency}"
        payment.net = other.net
        payment.fee = fee
        payment.currency = other.currency
        payment.extra_ids = (first.id, second.id)
        return True


def _balances(
    rows: list[Row],
    cols: Columns,
    order: str,
    decimal: str,
    fund_zone: dt.tzinfo,
    parsed: Parsed,
) -> None:
    """The ``Balance`` column: the ending balance per currency, and what may be
    asserted — the balance at the start of the newest row's local day (PayPal's
    rows are instants; a later download may still add rows to that day).

    PayPal's balance counts holds the books do not (a held payment is money the
    fund does not have yet), so it is only asserted where the books agree with it.
    Rows are taken in time order (downloads come oldest or newest first), rows of
    one second in the file's direction.
    """
    points: list[tuple[dt.datetime, int, dt.date, str, Decimal]] = []
    for index, row in enumerate(rows):
        cells = row.cells
        text = cols.get(cells, "balance")
        currency = cols.get(cells, "currency").upper()
        if not text or len(currency) != 3 or not currency.isalpha():
            continue
        try:
            value = amount(text, "Balance", decimal)
            day = parse_date(cols.get(cells, "date"), order)
            clock = cols.get(cells, "time")
            if clock:
                moment = combine(
                    day, parse_clock(clock), zone(cols.get(cells, "zone") or "UTC")
                )
                local = local_date(moment, fund_zone)
            else:
                moment = dt.datetime.combine(day, dt.time(), dt.UTC)
                local = day
        except (RowIssue, ValueError, ArithmeticError):
            return  # a row the chain cannot place: no balance is stated
        points.append((moment, index, local, currency, value))
    if not points:
        return
    if points[0][0] > points[-1][0]:
        points = [(m, -i, d, c, v) for m, i, d, c, v in points]
    points.sort(key=lambda p: (p[0], p[1]))
    last_day: dict[str, dt.date] = {}
    for _moment, _index, local, currency, value in points:
        parsed.statement_balance[currency] = value
        last_day[currency] = local
    parsed.statement_end = max(last_day.values())
    for currency, end in last_day.items():
        before = [v for _m, _i, d, c, v in points if c == currency and d < end]
        if before and end == parsed.statement_end:
            parsed.assertable[currency] = (end, before[-1])
