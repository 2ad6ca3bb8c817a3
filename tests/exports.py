"""Generated exports of every platform, with what they should do to the books.

Hypothesis strategies that write files in the exact formats the importers read —
Venmo statements, PayPal activity downloads, Cash App histories, Stripe balance
histories, Open Collective transactions, Chase-style bank CSVs, OFX statements and
a column-mapped GoFundMe CSV — with random kinds, statuses, amounts in every
written form, notes with commas, quotes, newlines and emoji, and invented people
(some of them the planted names of :mod:`tests.hostile`).

Each strategy returns an :class:`Export`: the file and, computed here from the
generated rows (not by the importer), what importing it must do:

* ``platform_net`` — per currency, the change of the platform account (the
  property tests of the importers check this);
* ``gross``/``fees`` — per channel, the donations received (refunds taken off)
  and the fees charged: what the transparency report must publish;
* ``granted``, ``spent``, ``on_hand`` — money paid to people, other spending,
  and the change of all the fund's money (bank, cash, platforms, in transit).

The rule the importers share (``records.py``): a row books ``net`` on its money
account, ``fee`` on ``Expenses:Fees:<platform>`` and ``-(net + fee)`` on the
account its kind implies; a fee row's whole ``-net`` is a fee; a transfer's
counter posting is the clearing account (money in transit, still the fund's).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from tests.hostile import PLANTED

CENT = Decimal("0.01")
Row = tuple[Any, ...]


@dataclass
class Export:
    """A generated export and what importing it must do."""

    name: str
    payload: bytes
    account: str
    platform_net: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    gross: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    fees: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    granted: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    on_hand: Decimal = Decimal(0)
    rows: int = 0

    def book(
        self,
        kind: str,
        net: Decimal,
        fee: Decimal,
        channel: str,
        fee_channel: str | None = None,
        currency: str = "USD",
        on_platform: bool = True,
    ) -> None:
        """Account for one final row the importer books (see the module docstring)."""
        fee_channel = fee_channel or channel
        counter = -(net + fee)
        if on_platform:
            self.platform_net[currency] += net
        self.on_hand += net
        if fee:
            self.fees[fee_channel] += fee
        if kind == "donation":
            self.gross[channel] -= counter
        elif kind == "fee":
            self.fees[fee_channel] += counter
        elif kind == "transfer":
            self.on_hand += counter  # the clearing account: still the fund's money
        elif kind == "grant":
            self.granted += counter
        elif kind == "purchase":
            self.spent += counter
        else:
            raise ValueError(kind)

    def expected_platform_net(self) -> dict[str, Decimal]:
        return {k: v for k, v in self.platform_net.items() if v}


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


people = st.sampled_from(["Donor A", "Donor B", "Recipient C", "Ana María", *PLANTED[:3]])
notes = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    | st.sampled_from([",", '"', "\n", "🏠", "$"]),
    max_size=30,
) | st.sampled_from(PLANTED)
cents = st.integers(min_value=1, max_value=250_000)
ANY_TIME = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31)
)
#: Inside the year 2025, away from its ends (no zone can move a row out of it).
YEAR_2025 = st.datetimes(
    min_value=dt.datetime(2025, 2, 1), max_value=dt.datetime(2025, 11, 30)
)


# -- Venmo --------------------------------------------------------------------------
VENMO_KINDS = (
    "Payment",
    "Charge",
    "Standard Transfer",
    "Instant Transfer",
    "Merchant Transaction",
)
VENMO_HEADER = [
    "",
    *(
        "ID,Datetime,Type,Status,Note,From,To,Amount (total),Amount (tip),Amount (tax),"
        "Amount (fee),Tax Rate,Tax Exempt,Funding Source,Destination,Beginning Balance,"
        "Ending Balance,Statement Period Venmo Fees,Terminal Location,Year to Date Venmo Fees,"
        "Disclaimer"
    ).split(","),
]


PEOPLE_OR_NOBODY = people | st.just("")


def venmo_rows(
    names: st.SearchStrategy[str] = PEOPLE_OR_NOBODY,
    moments: st.SearchStrategy[dt.datetime] = ANY_TIME,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            st.sampled_from(VENMO_KINDS),
            st.booleans(),  # incoming
            st.sampled_from(
                ["Complete", "Complete", "Complete", "Issued", "Pending", "Failed"]
            ),
            cents,
            st.integers(min_value=0, max_value=900),  # instant transfer fee
            st.booleans(),  # funded from the bank
            names,
            notes,
            moments,
        ),
        max_size=25,
    )


def venmo_statement(rows: list[Row], first_id: int = 4_100_000_000_000_000_000) -> Export:
    """A Venmo personal statement (current 22-column layout)."""
    out = io.StringIO()
    out.write(
        "Account Statement - (@fund) " + "," * 21 + "\nAccount Activity" + "," * 21 + "\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VENMO_HEADER)
    writer.writerow([""] * 16 + ["$0.00"] + [""] * 5)
    export = Export("venmo.csv", b"", "Assets:Platform:Venmo")
    for n, (kind, incoming, status, amount, fee, bank, name, note, when) in enumerate(rows):
        value = Decimal(amount) * CENT
        if kind in ("Standard Transfer", "Instant Transfer", "Merchant Transaction"):
            incoming = False
        if kind != "Instant Transfer":
            fee = 0
        fee_value = Decimal(fee) * CENT
        sign = "+" if incoming else "-"
        funding = (
            "Bank Checking *0000"
            if bank and not incoming and kind in ("Payment", "Charge")
            else "Venmo balance"
        )
        row = [""] * 22
        row[1] = str(first_id + n)
        row[2] = when.strftime("%Y-%m-%dT%H:%M:%S")
        row[3], row[4], row[5] = kind, status, note
        # Payment: From pays To. Charge: From requested, To was charged.
        payer_first = incoming == (kind != "Charge")
        row[6], row[7] = (name, "Fund") if payer_first else ("Fund", name)
        row[8] = f"{sign} ${money(value)}"
        row[11] = f"- ${money(fee_value)}" if fee else ""
        row[14] = funding if not incoming else ""
        row[15] = "Venmo balance" if incoming else ""
        writer.writerow(row)
        export.rows += 1
        if status not in ("Complete", "Issued"):
            continue
        net = value if incoming else -value
        if kind in ("Payment", "Charge"):
            if not incoming and not name:
                continue  # a payment to nobody: a rejected row, never booked
            on_platform = funding == "Venmo balance"
            export.book(
                "donation" if incoming else "grant",
                net,
                Decimal(0),
                "Venmo",
                on_platform=on_platform,
            )
        elif kind == "Merchant Transaction":
            export.book("purchase", net, Decimal(0), "Venmo")
        else:
            export.book("transfer", net, fee_value, "Venmo")
    writer.writerow([""] * 17 + ["$0.00", "$0.00", "", "$0.00", "Disclaimer\nline two"])
    export.payload = out.getvalue().encode("utf-8")
    return export


# -- Cash App -----------------------------------------------------------------------
def _cash(value: Decimal, style: int) -> str:
    text = f"{abs(value):,.2f}".removesuffix(".00") if style else f"{abs(value):,.2f}"
    if value < 0:
        return f"(${text})" if style == 2 else f"-${text}"
    return f"${text}"


def cashapp_rows(
    moments: st.SearchStrategy[dt.datetime] = ANY_TIME,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            st.sampled_from(
                ["Received P2P", "Sent P2P", "Cash out", "Cash in", "Cash Card Debit"]
            ),
            st.sampled_from(
                ["COMPLETE", "PAYMENT SENT", "PAYMENT DEPOSITED", "FAILED", "PENDING"]
            ),
            cents,
            st.integers(min_value=0, max_value=2000),
            st.integers(min_value=0, max_value=2),
            st.sampled_from(["EDT", "EST", "PDT", "CDT", "UTC"]),
            st.sampled_from(["Donor A", "Recipient C", "Ana María", *PLANTED[:2]]),
            notes,
            moments,
        ),
        max_size=25,
    )


def cashapp_history(rows: list[Row]) -> Export:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(
        "Transaction ID,Date,Transaction Type,Currency,Amount,Fee,Net Amount,Asset Type,"
        "Asset Price,Asset Amount,Status,Notes,Name of sender/receiver,Account".split(",")
    )
    export = Export("cashapp.csv", b"", "Assets:Platform:CashApp")
    kinds = {
        "Received P2P": "donation",
        "Sent P2P": "grant",
        "Cash out": "transfer",
        "Cash in": "transfer",
        "Cash Card Debit": "purchase",
    }
    for n, (kind, status, amount, fee, style, zone, name, note, when) in enumerate(rows):
        value = Decimal(amount) * CENT
        fee_value = -Decimal(fee) * CENT if kind == "Cash out" else Decimal(0)
        if kind in ("Sent P2P", "Cash out", "Cash Card Debit"):
            value = -value
        net = value + fee_value
        writer.writerow(
            [
                f"id{n:05d}",
                when.strftime("%Y-%m-%d %H:%M:%S ") + zone,
                kind,
                "USD",
                _cash(value, style),
                _cash(fee_value, style) if fee_value else "$0",
                _cash(net, style),
                "",
                "",
                "",
                status,
                note,
                name if "P2P" in kind else "",
                "Your Cash",
            ]
        )
        export.rows += 1
        if status in ("COMPLETE", "PAYMENT SENT", "PAYMENT DEPOSITED"):
            export.book(kinds[kind], net, value - net, "CashApp")
    export.payload = out.getvalue().encode("utf-8")
    return export


# -- PayPal -------------------------------------------------------------------------
PAYPAL_KINDS = (
    "Donation Payment",
    "General Payment",
    "Payment Refund",
    "General Withdrawal - Bank Account",
    "Bank Deposit to PP Account ",
    "Payment Hold",
    "Chargeback Fee",
    "Express Checkout Payment",
)


def paypal_rows(
    currencies: tuple[str, ...] = ("USD", "USD", "EUR"),
    moments: st.SearchStrategy[dt.datetime] = ANY_TIME,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            st.sampled_from(PAYPAL_KINDS),
            st.booleans(),
            st.sampled_from(["Completed", "Completed", "Pending", "Denied", "Refunded"]),
            st.sampled_from(currencies),
            cents,
            st.integers(min_value=0, max_value=999),
            st.sampled_from(["Donor A", "Recipient C", "Ana María", *PLANTED[:2]]),
            notes,
            moments,
        ),
        max_size=25,
    )


#: PayPal's German download: its header and words (those in rows of real German
#: downloads: Abgeschlossen, Ausstehend, Allgemeine Zahlung, PayPal Express-Zahlung,
#: Bankgutschrift auf PayPal-Konto, Haben; the others are PayPal's translations).
PAYPAL_HEADER = (
    "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,"
    "To Email Address,Transaction ID,Balance,Note,Balance Impact"
)
PAYPAL_GERMAN_HEADER = (
    "Datum,Uhrzeit,Zeitzone,Name,Typ,Status,Währung,Brutto,Gebühr,Netto,"
    "Absender E-Mail-Adresse,Empfänger E-Mail-Adresse,Transaktionscode,Guthaben,Hinweis,"
    "Auswirkung auf Guthaben"
)
PAYPAL_GERMAN = {
    "Donation Payment": "Spendenzahlung",
    "General Payment": "Allgemeine Zahlung",
    "Payment Refund": "Rückzahlung",
    "General Withdrawal - Bank Account": "Allgemeine Abbuchung – Bankkonto",
    "Bank Deposit to PP Account ": "Bankgutschrift auf PayPal-Konto",
    "Payment Hold": "Zahlungseinbehalt",
    "Chargeback Fee": "Rückbuchungsgebühr",
    "Express Checkout Payment": "PayPal Express-Zahlung",
    "Completed": "Abgeschlossen",
    "Pending": "Ausstehend",
    "Denied": "Abgelehnt",
    "Refunded": "Erstattet",
    "Credit": "Haben",
    "Debit": "Soll",
}


def _german(amount: str) -> str:
    """``1,234.56`` as German writes it: ``1.234,56``."""
    return amount.replace(",", "_").replace(".", ",").replace("_", ".")


def paypal_activity_german(rows: list[Row]) -> Export:
    """The same rows in PayPal's German download (``dd.mm.yyyy``, decimal commas)."""
    return paypal_activity(rows, german=True)


def paypal_activity(rows: list[Row], german: bool = False) -> Export:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    words: dict[str, str] = PAYPAL_GERMAN if german else {}
    writer.writerow((PAYPAL_GERMAN_HEADER if german else PAYPAL_HEADER).split(","))
    export = Export(
        "paypal-de.csv" if german else "paypal.csv", b"", "Assets:Platform:PayPal"
    )
    number = _german if german else str
    for n, (kind, incoming, status, currency, amount, fee, name, note, when) in enumerate(
        rows
    ):
        gross = Decimal(amount) * CENT
        if kind in ("Donation Payment", "Bank Deposit to PP Account "):
            incoming = True
        if kind in (
            "General Withdrawal - Bank Account",
            "Chargeback Fee",
            "Payment Refund",
            "Express Checkout Payment",
            "Payment Hold",
        ):
            incoming = False
        gross = gross if incoming else -gross
        fee_value = Decimal(0)
        if kind == "Donation Payment":
            fee_value = -Decimal(fee) * CENT
        elif kind == "Payment Refund":
            fee_value = Decimal(fee) * CENT
        net = gross + fee_value
        impact = "Memo" if kind == "Payment Hold" else ("Credit" if gross > 0 else "Debit")
        writer.writerow(
            [
                when.strftime("%d.%m.%Y" if german else "%m/%d/%Y"),
                when.strftime("%H:%M:%S"),
                "CET" if german else "PDT",
                name,
                words.get(kind, kind),
                words.get(status, status),
                currency,
                number(f"{gross:,.2f}"),
                number(f"{fee_value:.2f}"),
                number(f"{net:,.2f}"),
                "someone@example.org" if incoming else "fund@example.org",
                "fund@example.org" if incoming else "someone@example.org",
                f"{n + (9 * 10**15 if german else 0):017d}",
                number("0.00"),
                note,
                words.get(impact, impact),
            ]
        )
        export.rows += 1
        if status not in ("Completed", "Refunded") or impact == "Memo":
            continue
        if kind == "Chargeback Fee":
            what = "fee"
        elif kind == "Payment Refund":
            what = "donation"  # a refund reverses a donation
        elif kind.startswith(("General Withdrawal", "Bank Deposit")):
            what = "transfer"
        elif kind == "Express Checkout Payment":
            what = "purchase"
        else:
            what = "donation" if incoming else "grant"
        export.book(what, net, gross - net, "PayPal", currency=currency)
    export.payload = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
    return export


# -- Stripe -------------------------------------------------------------------------
def stripe_rows(
    currencies: tuple[str, ...] = ("usd", "usd", "eur"),
    moments: st.SearchStrategy[dt.datetime] = ANY_TIME,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            st.sampled_from(
                ["charge", "refund", "payout", "stripe_fee", "adjustment", "transfer"]
            ),
            cents,
            st.integers(min_value=0, max_value=3000),
            st.sampled_from(currencies),
            moments,
        ),
        max_size=25,
    )


def stripe_balance(rows: list[Row]) -> Export:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Description".split(",")
    )
    export = Export("stripe.csv", b"", "Assets:Platform:Stripe")
    kinds = {
        "charge": "donation",
        "refund": "donation",
        "adjustment": "donation",
        "payout": "transfer",
        "transfer": "transfer",
        "stripe_fee": "fee",
    }
    for n, (kind, amount, fee, currency, when) in enumerate(rows):
        gross = Decimal(amount) * CENT
        if kind != "charge":
            gross = -gross
        fee_value = Decimal(fee) * CENT if kind in ("charge", "adjustment") else Decimal(0)
        net = gross - fee_value
        writer.writerow(
            [
                f"txn_{n:024d}",
                kind,
                f"src_{n:024d}",
                f"{gross:,.2f}",
                f"{fee_value:.2f}",
                f"{net:,.2f}",
                currency,
                when.strftime("%Y-%m-%d %H:%M"),
                "Donation from somebody, with a note",
            ]
        )
        export.rows += 1
        export.book(kinds[kind], net, fee_value, "Stripe", currency=currency.upper())
    export.payload = out.getvalue().encode("utf-8")
    return export


# -- Open Collective ----------------------------------------------------------------
OC_HEADER = (
    '"datetime","shortId","shortGroup","description","type","kind","isRefund","isRefunded",'
    '"shortRefundId","displayAmount","amount","paymentProcessorFee","netAmount","balance",'
    '"currency","accountSlug","accountName","oppositeAccountSlug","oppositeAccountName",'
    '"paymentMethodService","paymentMethodType","expenseType","expenseTags",'
    '"payoutMethodType","merchantId","orderMemo","orderProcessedDate","refundKind"'
)
#: What the collective held before the export's first row.
OC_OPENING = Decimal("500.00")


def opencollective_rows(
    moments: st.SearchStrategy[dt.datetime] = YEAR_2025,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            st.sampled_from(["CONTRIBUTION", "CONTRIBUTION", "EXPENSE"]),
            cents,
            st.integers(min_value=0, max_value=900),  # processor fee
            st.integers(min_value=0, max_value=900),  # host fee
            st.sampled_from(["donor-g", "recipient-q", "zebquixtarr"]),
            people,
            notes,
            moments,
            st.booleans(),  # the processor fee on the row (True) or a row of its own
        ),
        max_size=15,
    )


def opencollective_transactions(rows: list[Row]) -> Export:
    """The export as Open Collective writes it: newest row first, a running
    ``balance`` column, the processor fee either on its contribution's row
    (``paymentProcessorFee``, taken off ``netAmount``) or a row of its own."""
    export = Export("opencollective.csv", b"", "Assets:Platform:OpenCollective")
    lines: list[tuple[dt.datetime, int, list[str], Decimal]] = []

    def line(
        when: dt.datetime,
        group: str,
        kind: str,
        value: Decimal,
        slug: str,
        name: str,
        memo: str,
        on_row: Decimal = Decimal(0),
    ) -> None:
        credit = value > 0
        net = value + on_row
        cells = [
            when.strftime("%Y-%m-%dT%H:%M:%S"),
            f"{len(lines) + 1:08x}",
            group,
            "Financial contribution" if kind == "CONTRIBUTION" else kind.title(),
            "CREDIT" if credit else "DEBIT",
            kind,
            "",
            "",
            "",
            f"{'' if credit else '-'}${abs(value)} USD",
            str(value),
            str(on_row),
            str(net),
            "",  # the balance, once the rows are in order
            "USD",
            "example-mutual-aid",
            "Example Mutual Aid",
            slug,
            name,
            "STRIPE" if kind == "CONTRIBUTION" else "",
            "",
            "",
            "",
            "",
            "",
            memo,
            "",
            "",
        ]
        lines.append((when, len(lines), cells, net))
        export.rows += 1

    for number, (kind, amount, fee, host, slug, name, memo, when, on_row) in enumerate(
        rows
    ):
        value = Decimal(amount) * CENT
        group = f"{number:04x}9f8e"
        if kind == "CONTRIBUTION":
            processor = Decimal(fee) * CENT
            if on_row:
                line(when, group, kind, value, slug, name, memo, -processor)
                export.book("donation", value - processor, processor, "OpenCollective")
            else:
                line(when, group, kind, value, slug, name, memo)
                export.book("donation", value, Decimal(0), "OpenCollective")
            costs = (("PAYMENT_PROCESSOR_FEE", 0 if on_row else fee), ("HOST_FEE", host))
            for fee_kind, cost in costs:
                if cost:
                    line(when, group, fee_kind, -Decimal(cost) * CENT, "", "", "")
                    export.book("fee", -Decimal(cost) * CENT, Decimal(0), "OpenCollective")
        else:
            line(when, group, kind, -value, slug, name, memo)
            export.book("grant", -value, Decimal(0), "OpenCollective")
    # newest first; the rows of one second in the reverse of the order they were made
    ordered = sorted(lines, key=lambda item: (item[0], item[1]), reverse=True)
    balance = OC_OPENING
    for _when, _n, cells, net in reversed(ordered):
        balance += net
        cells[13] = str(balance)
    out = io.StringIO()
    out.write(OC_HEADER + "\n")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for _when, _n, cells, _net in ordered:
        writer.writerow(cells)
    export.payload = out.getvalue().encode("utf-8")
    return export


# -- bank: Chase-style CSV and OFX --------------------------------------------------
BANK_KINDS = ("zelle-in", "zelle-in", "zelle-out", "fee", "venmo-cashout")


def bank_rows(
    moments: st.SearchStrategy[dt.datetime] = YEAR_2025,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            st.sampled_from(BANK_KINDS),
            cents,
            st.sampled_from(["DONOR Z", "RECIPIENT AA", "ZEBULON QUIXTARR", "Ana Maria"]),
            moments,
        ),
        max_size=15,
    )


def _bank_row(
    kind: str, value: Decimal, name: str, number: int
) -> tuple[Decimal, str, str, str]:
    """(signed amount, description, Chase type, OFX type) of a bank row."""
    reference = f"JPM{number:09d}"
    if kind == "zelle-in":
        return value, f"Zelle payment from {name} {reference}", "QUICKPAY_CREDIT", "CREDIT"
    if kind == "zelle-out":
        return -value, f"Zelle payment to {name} {reference}", "QUICKPAY_DEBIT", "DEBIT"
    if kind == "fee":
        return -Decimal(5), "MONTHLY SERVICE FEE", "FEE_TRANSACTION", "SRVCHG"
    return value, f"VENMO CASHOUT {reference}", "ACH_CREDIT", "CREDIT"


_BANK_BOOK = {
    "zelle-in": ("donation", "Zelle"),
    "zelle-out": ("grant", "Zelle"),
    "fee": ("fee", "Bank"),
    "venmo-cashout": ("transfer", "Venmo"),
}


def chase_csv(rows: list[Row]) -> Export:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "Details",
            "Posting Date",
            "Description",
            "Amount",
            "Type",
            "Balance",
            "Check or Slip #",
        ]
    )
    export = Export("chase.csv", b"", "Assets:Bank:Checking")
    for number, (kind, amount, name, when) in enumerate(rows):
        value, description, code, _ofx = _bank_row(
            kind, Decimal(amount) * CENT, name, number
        )
        writer.writerow(
            [
                "CREDIT" if value > 0 else "DEBIT",
                when.strftime("%m/%d/%Y"),
                description,
                f"{value:.2f}",
                code,
                "",
                "",
            ]
        )
        export.rows += 1
        what, channel = _BANK_BOOK[kind]
        export.book(what, value, Decimal(0), channel, fee_channel="Bank", on_platform=False)
    export.payload = out.getvalue().encode("utf-8")
    return export


def ofx_statement(rows: list[Row]) -> Export:
    export = Export("checking.ofx", b"", "Assets:Bank:Checking")
    parts = [
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
        "<DTSERVER>20251201120000\n<LANGUAGE>ENG\n</SONRS>\n</SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n"
        "</STATUS>\n<STMTRS>\n<CURDEF>USD\n<BANKACCTFROM>\n<BANKID>000000000\n"
        "<ACCTID>000000000000\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n<BANKTRANLIST>\n"
        "<DTSTART>20250101\n<DTEND>20251231\n"
    ]
    for number, (kind, amount, name, when) in enumerate(rows):
        value, description, _code, trntype = _bank_row(
            kind, Decimal(amount) * CENT, name, number
        )
        parts.append(
            f"<STMTTRN>\n<TRNTYPE>{trntype}\n<DTPOSTED>{when:%Y%m%d}\n<TRNAMT>{value:.2f}\n"
            f"<FITID>9{number:09d}\n<NAME>{description[:32]}\n</STMTTRN>\n"
        )
        export.rows += 1
        what, channel = _BANK_BOOK[kind]
        export.book(what, value, Decimal(0), channel, fee_channel="Bank", on_platform=False)
    parts.append(
        "</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>0.00\n<DTASOF>20251231\n</LEDGERBAL>\n"
        "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    )
    export.payload = "".join(parts).encode("ascii", "replace")
    return export


# -- a column-mapped CSV (the GoFundMe mapping of tests/importing.py) -----------------
def gofundme_rows(
    moments: st.SearchStrategy[dt.datetime] = YEAR_2025,
) -> st.SearchStrategy[list[Row]]:
    return st.lists(
        st.tuples(
            cents,
            st.integers(min_value=0, max_value=500),
            st.sampled_from(["Successful", "Successful", "Refunded", "Pending"]),
            people,
            notes,
            moments,
        ),
        max_size=15,
    )


def gofundme_csv(rows: list[Row]) -> Export:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "Donation ID",
            "Date",
            "Donor Name",
            "Email",
            "Gross Amount",
            "Fee",
            "Net Amount",
            "Status",
            "Comment",
        ]
    )
    export = Export("gofundme.csv", b"", "Assets:Platform:GoFundMe")
    for number, (amount, fee, status, name, comment, when) in enumerate(rows):
        gross = Decimal(amount) * CENT
        fee_value = min(Decimal(fee) * CENT, gross)
        writer.writerow(
            [
                f"GFM-{number:05d}",
                when.strftime("%m/%d/%Y %I:%M %p"),
                name,
                "zeb.quixtarr@planted-pii.example" if "Quixtarr" in name else "",
                f"{gross:.2f}",
                f"{fee_value:.2f}",
                f"{gross - fee_value:.2f}",
                status,
                comment,
            ]
        )
        export.rows += 1
        if status == "Successful":
            export.book("donation", gross - fee_value, fee_value, "GoFundMe")
    export.payload = out.getvalue().encode("utf-8")
    return export
