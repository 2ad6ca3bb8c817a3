"""The example fund: a fictional year of a mutual-aid fund, made by a seeded generator.

``ledger/`` holds its output; every demo, test and benchmark can use it. The same
seed gives byte-identical books (a test checks this). Nobody in it is real: people
appear only as codes, drawn from the seeded generator, and narrations are generic.

What one year holds (default size): about 150 households with declared recipient
codes, a dozen volunteers, 1,500+ donations across Venmo, PayPal, Cash App, Stripe,
GoFundMe, Zelle, cash and checks with their fees, payouts from each platform to the
bank through ``Assets:Clearing:*``, 800+ grants across every aid category (paid by
bank, Venmo, Cash App, cash and gift cards), gift cards bought in bulk and handed
out, bail posted as a receivable with most of it returned, volunteer reimbursements,
two restricted funds (legal, rent) with a release from restriction, receipts for
large grants, a few grants still waiting (``!``) and monthly balance assertions.

Some families are also paid over Venmo or Cash App under the code the importers
derive from their name there (declared in ``imports/codes.beancount``); the
treasurer links each to the family's intake code at the review after its first
grant (``custom "aid-link"`` in ``codes.beancount``), so the reports count one
household per family (the last review is on the books' last day, so the year's
report counts every family once).

Big books for benchmarks come from the same generator::

    python -m aidbooks.example --out /tmp/books-100k --transactions 100000
    python -m aidbooks.example --out /tmp/books-5y --transactions 100000 --years 5

which scales households, donors and daily volumes so that the books hold about N
transactions, all of them passing every rule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from collections import defaultdict
from collections import deque
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from aidbooks.cmd_init import render_template
from aidbooks.cmd_init import template_context
from aidbooks.plugins import accounts as acc
from aidbooks.plugins import codes

FUND_NAME = "Riverside Neighbors Mutual Aid"
DEFAULT_SEED = 2025
DEFAULT_YEAR = 2025
#: Transactions in the default-size example fund (approximately).
BASE_TRANSACTIONS = 2650

#: Plugins that the example's main.beancount switches on (kept in step with init).
#: Share of families also paid on Venmo or Cash App under a derived code.
PLATFORM_FAMILIES = 0.25
#: Days between a derived code's first grant and the review that links it.
LINK_REVIEW_DAYS = 21
#: Organisations the example fund pays directly (allowlisted payees).
ORGANISATIONS = (
    "Riverside Water Utility",
    "Riverside Electric Co-op",
    "County Court Clerk",
    "Community Foundation of Riverside",
)

# channel -> (share of donations, fee percent, fixed fee cents)
DONATION_CHANNELS: dict[str, tuple[float, str, int]] = {
    "Venmo": (0.28, "0.019", 10),
    "PayPal": (0.18, "0.0199", 49),
    "CashApp": (0.14, "0", 0),
    "Stripe": (0.14, "0.022", 30),
    "GoFundMe": (0.10, "0.029", 30),
    "Zelle": (0.07, "0", 0),
    "Cash": (0.05, "0", 0),
    "Check": (0.04, "0", 0),
}
PLATFORM_ID = {
    "Venmo": "venmo-id",
    "PayPal": "paypal-id",
    "CashApp": "cashapp-id",
    "Stripe": "stripe-id",
    "GoFundMe": "gofundme-id",
}
DONATION_AMOUNTS = [
    5,
    10,
    15,
    20,
    25,
    25,
    30,
    40,
    50,
    50,
    50,
    75,
    100,
    100,
    150,
    200,
    250,
    500,
]

# category -> (share of grants, min dollars, max dollars, narration)
GRANTS: dict[str, tuple[float, int, int, str]] = {
    "Groceries": (0.30, 40, 150, "Groceries"),
    "Rent": (0.12, 200, 600, "Rent assistance"),
    "Utilities": (0.11, 60, 250, "Utility bill"),
    "Legal": (0.06, 150, 480, "Legal fees"),
    "Rides": (0.11, 15, 80, "Rides to appointments"),
    "Phone": (0.09, 25, 60, "Phone plan"),
    "Medicine": (0.11, 20, 200, "Medicine"),
    "Childcare": (0.10, 80, 300, "Childcare"),
}
RESTRICTED_FOR = {"Legal": "legal", "Bail": "legal", "Rent": "rent", "Utilities": "rent"}
OPERATIONS = [
    ("Software", 1500, "Accounting and messaging software"),
    ("Printing", 2500, "Intake forms and flyers"),
    ("Supplies", 4000, "Pantry day supplies"),
]

APPROVAL_THRESHOLD = 25000  # cents; mirrors aidbooks.toml
CAP_CENTS = 60000
CAP_DAYS = 30
RECEIPT_ABOVE = 50000


def cents(value: int) -> str:
    """Format integer cents as a decimal string."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def fee_for(channel: str, gross: int) -> int:
    """The platform fee in cents for a gross donation in cents."""
    _, percent, fixed = DONATION_CHANNELS[channel]
    if percent == "0" and not fixed:
        return 0
    rate_millis = int(float(percent) * 100000)  # exact for the rates above
    return (gross * rate_millis + 50000) // 100000 + fixed


@dataclass
class Txn:
    """One generated transaction (or directive), kept as text plus sort keys."""

    date: dt.date
    order: int
    text: str
    target: str  # "books" or the import file stem


@dataclass
class State:
    """Balances and windows the generator tracks so every rule passes."""

    money: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    funds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    windows: dict[str, deque[tuple[dt.date, int]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    receivables: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reimbursements: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Generator:
    """Builds the example fund's books as text."""

    def __init__(self, seed: int, year: int, scale: float, years: int = 1) -> None:
        self.rng = random.Random(seed)
        self.year = year
        self.scale = scale
        self.start = dt.date(year, 1, 1)
        self.end = dt.date(year + years - 1, 12, 31)
        n_households = max(150, round(150 * scale))
        n_volunteers = max(12, round(12 * scale**0.5))
        n_donors = max(600, round(600 * scale))
        self.households = [self._code("recipient") for _ in range(n_households)]
        self.volunteers = [self._code("volunteer") for _ in range(n_volunteers)]
        self.donors = [self._code("donor") for _ in range(n_donors)]
        self.intake: dict[str, dt.date] = {}
        for code in self.households:
            offset = 0 if self.rng.random() < 0.5 else self.rng.randrange(0, 330)
            self.intake[code] = self.start + dt.timedelta(days=offset)
        self.state = State()
        self.txns: list[Txn] = []
        self.counter = 0
        self.ids: set[str] = set()
        self.receipts: dict[str, str] = {}
        self.cash_box_donations = 0
        # Families paid on a platform under a derived code: their own generator, so
        # the rest of the books stay what they were.
        self.links_rng = random.Random(seed * 7919 + 17)
        self.on_platforms = frozenset(
            h for h in self.households if self.links_rng.random() < PLATFORM_FAMILIES
        )
        #: (family, platform) -> (derived code, its first grant)
        self.derived: dict[tuple[str, str], tuple[str, dt.date]] = {}

    # ----------------------------------------------------------------- helpers
    def _code(self, kind: codes.Kind) -> str:
        return codes.code_from_int(kind, self.rng.getrandbits(45))

    def _unique(self, make: str) -> str:
        rng = self.rng
        while True:
            if make == "venmo":
                value = str(4100000000000000000 + rng.randrange(10**17))
            elif make == "paypal":
                value = "".join(
                    rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(17)
                )
            elif make == "cashapp":
                value = "".join(
                    rng.choice("abcdefghjkmnpqrstuvwxyz23456789")
                    for _ in range(rng.choice((6, 7, 8)))
                )
            elif make == "stripe":
                value = "txn_" + "".join(
                    rng.choice(
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                    )
                    for _ in range(24)
                )
            elif make == "gofundme":
                value = "gfm-" + str(rng.randrange(10**9, 10**10))
            else:  # bank rows: a stable hash-like id, as the bank importer writes
                value = "chase-" + f"{rng.getrandbits(64):016x}"
            if value not in self.ids:
                self.ids.add(value)
                return value

    def add(self, date: dt.date, text: str, target: str = "books") -> None:
        self.counter += 1
        self.txns.append(Txn(date, self.counter, text, target))

    def _fund_ok(self, fund: str, amount: int) -> bool:
        return self.state.funds[fund] >= amount

    def _window_room(self, household: str, date: dt.date) -> int:
        window = self.state.windows[household]
        while window and (date - window[0][0]).days >= CAP_DAYS:
            window.popleft()
        return CAP_CENTS - sum(a for _, a in window)

    def _recipient(self, household: str, target: str, date: dt.date) -> str:
        """The code a grant names: a derived code for a family paid on a platform."""
        if target not in ("venmo", "cashapp") or household not in self.on_platforms:
            return household
        found = self.derived.get((household, target))
        if found is None:
            code = codes.code_from_int("recipient", self.links_rng.getrandbits(45))
            self.derived[household, target] = (code, date)
            return code
        return found[0]

    def links(self) -> tuple[str, str]:
        """The derived codes' declarations and the links the treasurer wrote."""
        declared: list[str] = []
        linked: list[str] = []
        for (household, _target), (code, first) in sorted(
            self.derived.items(), key=lambda kv: (kv[1][1], kv[1][0])
        ):
            declared.append(f'{first} custom "aid-recipient" "{code}"\n')
            day = first + dt.timedelta(days=self.links_rng.randint(1, LINK_REVIEW_DAYS))
            day = min(day, self.end)
            linked.append(f'{day} custom "aid-link" "{code}" "{household}"\n')
        return "".join(declared), "".join(sorted(linked))

    def _approvals(
        self, total: int, exclude: str | None = None, force: bool = False
    ) -> str:
        if total <= APPROVAL_THRESHOLD and not force:
            return ""
        pool = [v for v in self.volunteers if v != exclude]
        first, second = self.rng.sample(pool, 2)
        return f'  approved-by: "{first}, {second}"\n'

    def _pick_household(self, date: dt.date, amount: int) -> str | None:
        eligible_tries = 12
        for _ in range(eligible_tries):
            household = self.rng.choice(self.households)
            if self.intake[household] > date:
                continue
            if self._window_room(household, date) >= amount:
                return household
        return None

    # --------------------------------------------------------------- activity
    def opening(self) -> None:
        general, legal, rent = 800000, 200000, 150000
        self.state.money["Assets:Bank:Checking"] += general + legal + rent
        self.state.funds["general"] += general
        self.state.funds["legal"] += legal
        self.state.funds["rent"] += rent
        self.add(
            self.start,
            (
                f'{self.start} * "Opening balances"\n'
                f"  Assets:Bank:Checking      {cents(general + legal + rent)} USD\n"
                f"  Equity:Opening-Balances  {cents(-general)} USD\n"
                f"  Equity:Opening-Balances  {cents(-legal)} USD\n"
                f'    fund: "legal"\n'
                f"  Equity:Opening-Balances  {cents(-rent)} USD\n"
                f'    fund: "rent"\n'
            ),
        )

    def donation(self, date: dt.date) -> None:
        rng = self.rng
        channels = list(DONATION_CHANNELS)
        weights = [DONATION_CHANNELS[c][0] for c in channels]
        channel = rng.choices(channels, weights)[0]
        gross = rng.choice(DONATION_AMOUNTS) * 100
        if rng.random() < 0.1:
            gross += rng.randrange(1, 100) * 100
        fee = fee_for(channel, gross)
        fund = rng.choices(["general", "legal", "rent"], [0.85, 0.08, 0.07])[0]
        fund_meta = f'    fund: "{fund}"\n' if fund != "general" else ""
        self.state.funds[fund] += gross
        self.state.funds["general"] -= fee
        donor = f'  donor: "{rng.choice(self.donors)}"\n'
        if channel in PLATFORM_ID:
            account = f"Assets:Platform:{channel}"
            ident = self._unique(channel.lower())
            self.state.money[account] += gross - fee
            fee_line = f"  Expenses:Fees:{channel}  {cents(fee)} USD\n" if fee else ""
            self.add(
                date,
                (
                    f'{date} * "Donation"\n'
                    f'  {PLATFORM_ID[channel]}: "{ident}"\n{donor}'
                    f"  Income:Donations:{channel}  {cents(-gross)} USD\n{fund_meta}"
                    f"{fee_line}"
                    f"  {account}  {cents(gross - fee)} USD\n"
                ),
                channel.lower(),
            )
        elif channel == "Zelle":
            self.state.money["Assets:Bank:Checking"] += gross
            self.add(
                date,
                (
                    f'{date} * "Donation"\n'
                    f'  bank-id: "{self._unique("bank")}"\n{donor}'
                    f"  Income:Donations:Zelle  {cents(-gross)} USD\n{fund_meta}"
                    f"  Assets:Bank:Checking  {cents(gross)} USD\n"
                ),
                "bank",
            )
        elif channel == "Cash":
            self.state.money["Assets:Cash:Box"] += gross
            self.add(
                date,
                (
                    f'{date} * "Cash donations at the pantry table"\n'
                    f"  Income:Donations:Cash  {cents(-gross)} USD\n{fund_meta}"
                    f"  Assets:Cash:Box  {cents(gross)} USD\n"
                ),
            )
        else:
            self.state.money["Assets:Bank:Checking"] += gross
            self.add(
                date,
                (
                    f'{date} * "Check donation deposited"\n{donor}'
                    f"  Income:Donations:Check  {cents(-gross)} USD\n{fund_meta}"
                    f"  Assets:Bank:Checking  {cents(gross)} USD\n"
                ),
            )

    def grant(self, date: dt.date) -> None:
        rng = self.rng
        cats = list(GRANTS)
        category = rng.choices(cats, [GRANTS[c][0] for c in cats])[0]
        _, low, high, narration = GRANTS[category]
        amount = rng.randrange(low, high + 1) * 100 + rng.choice((0, 0, 0, 50))
        household = self._pick_household(date, amount)
        if household is None:
            return
        fund = "general"
        restricted = RESTRICTED_FOR.get(category)
        if restricted and self._fund_ok(restricted, amount) and rng.random() < 0.7:
            fund = restricted
        if fund == "general" and self.state.funds["general"] - amount < 150000:
            return
        # how the money leaves
        if (
            category == "Groceries"
            and self.state.money["Assets:GiftCards"] >= amount
            and rng.random() < 0.5
        ):
            amount = min(
                amount // 2500 * 2500 or 2500, self.state.money["Assets:GiftCards"]
            )
            source, target, payee = "Assets:GiftCards", "books", ""
            narration = "Grocery gift card"
        else:
            options = [
                ("Assets:Bank:Checking", "bank", 0.45),
                ("Assets:Platform:Venmo", "venmo", 0.25),
                ("Assets:Platform:CashApp", "cashapp", 0.15),
                (
                    "Assets:Cash:Box",
                    "books",
                    0.15 if category in ("Rides", "Groceries") else 0.0,
                ),
            ]
            source, target, _ = rng.choices(options, [o[2] for o in options])[0]
            payee = ""
            if category == "Utilities" and rng.random() < 0.4:
                source, target = "Assets:Bank:Checking", "books"
                payee = rng.choice(ORGANISATIONS[:2])
            elif category == "Legal" and rng.random() < 0.3:
                source, target = "Assets:Bank:Checking", "books"
                payee = ORGANISATIONS[2]
        if self.state.money[source] < amount:
            return
        self.state.money[source] -= amount
        self.state.funds[fund] -= amount
        self.state.windows[household].append((date, amount))
        meta = self._approvals(amount)
        if fund != "general":
            meta += f'  fund: "{fund}"\n'
        if amount > RECEIPT_ABOVE:
            meta += f'  receipt: "{self.receipt(date, category)}"\n'
        if target != "books":
            key = {"bank": "bank-id", "venmo": "venmo-id", "cashapp": "cashapp-id"}[target]
            meta = f'  {key}: "{self._unique(target)}"\n' + meta
        payee_text = f'"{payee}" ' if payee else ""
        recipient = self._recipient(household, target, date)
        self.add(
            date,
            (
                f'{date} * {payee_text}"{narration}"\n{meta}'
                f"  Expenses:Aid:{category}  {cents(amount)} USD\n"
                f'    recipient: "{recipient}"\n'
                f"  {source}  {cents(-amount)} USD\n"
            ),
            target,
        )

    def receipt(self, date: dt.date, category: str) -> str:
        name = f"documents/receipts/{date:%Y-%m}/{date:%d}-{category.lower()}-{len(self.receipts) + 1:04d}.txt"
        self.receipts[name] = (
            f"Receipt (fictional example fund)\nDate: {date}\nCategory: {category}\n"
            "Paid by: Riverside Neighbors Mutual Aid\n"
        )
        return name

    def pantry_day(self, date: dt.date) -> None:
        """Gift cards handed out to several households in one transaction."""
        count = self.rng.randrange(3, 7)
        postings = []
        total = 0
        used: list[str] = []
        for _ in range(count):
            amount = 2500 * self.rng.choice((1, 2, 2, 3))
            household = self._pick_household(date, amount)
            if household is None or household in used:
                continue
            if self.state.money["Assets:GiftCards"] - total < amount:
                break
            used.append(household)
            total += amount
            self.state.windows[household].append((date, amount))
            postings.append(
                f"  Expenses:Aid:Groceries  {cents(amount)} USD\n"
                f'    recipient: "{household}"\n'
            )
        if not postings or self.state.funds["general"] - total < 150000:
            for household in used:
                self.state.windows[household].pop()
            return
        self.state.money["Assets:GiftCards"] -= total
        self.state.funds["general"] -= total
        self.add(
            date,
            (
                f'{date} * "Gift cards handed out at pantry day"\n'
                f"{self._approvals(total)}"
                + "".join(postings)
                + f"  Assets:GiftCards  {cents(-total)} USD\n"
            ),
        )

    def buy_gift_cards(self, date: dt.date) -> None:
        amount = round(100000 * max(1.0, self.scale) / 2500) * 2500
        if self.state.money["Assets:Bank:Checking"] < amount + 100000:
            return
        self.state.money["Assets:Bank:Checking"] -= amount
        self.state.money["Assets:GiftCards"] += amount
        self.add(
            date,
            (
                f'{date} * "Grocery gift cards bought in bulk"\n'
                f"  Assets:GiftCards  {cents(amount)} USD\n"
                f"  Assets:Bank:Checking  {cents(-amount)} USD\n"
            ),
        )

    def bail(self, date: dt.date) -> None:
        amount = self.rng.choice((500, 750, 1000, 1500, 2000, 2500)) * 100
        household = self.rng.choice(self.households)
        if self.intake[household] > date:
            return
        fund = "legal" if self._fund_ok("legal", amount) else "general"
        if fund == "general" and self.state.funds["general"] - amount < 300000:
            return
        if self.state.money["Assets:Bank:Checking"] < amount + 50000:
            return
        self.state.money["Assets:Bank:Checking"] -= amount
        self.state.funds[fund] -= amount
        self.state.receivables[household] += amount
        meta = self._approvals(amount, force=True) + f'  fund: "{fund}"\n'
        meta += f'  receipt: "{self.receipt(date, "bail")}"\n'
        self.add(
            date,
            (
                f'{date} * "County Court Clerk" "Bail posted"\n{meta}'
                f"  Assets:Receivable:Bail  {cents(amount)} USD\n"
                f'    recipient: "{household}"\n'
                f"  Assets:Bank:Checking  {cents(-amount)} USD\n"
            ),
        )
        back = date + dt.timedelta(days=self.rng.randrange(30, 150))
        if back <= self.end - dt.timedelta(days=5) and self.rng.random() < 0.8:
            self.pending_returns.append((back, household, amount, fund))

    def bail_return(self, date: dt.date, household: str, amount: int, fund: str) -> None:
        kept = 0
        if self.rng.random() < 0.3:
            kept = min(amount // 10, 15000)
            if self._window_room(household, date) < kept:
                kept = 0
        returned = amount - kept
        self.state.money["Assets:Bank:Checking"] += returned
        self.state.funds[fund] += returned
        self.state.receivables[household] -= amount
        fee = ""
        if kept:
            fee = f'  Expenses:Aid:Bail  {cents(kept)} USD\n    recipient: "{household}"\n'
            self.state.windows[household].append((date, kept))
        self.add(
            date,
            (
                f'{date} * "County Court Clerk" "Bail returned"\n'
                f'  fund: "{fund}"\n'
                f"  Assets:Bank:Checking  {cents(returned)} USD\n{fee}"
                f"  Assets:Receivable:Bail  {cents(-amount)} USD\n"
                f'    recipient: "{household}"\n'
            ),
        )

    def reimbursement(self, date: dt.date) -> None:
        volunteer = self.rng.choice(self.volunteers)
        amount = self.rng.randrange(20, 120) * 100
        household = self._pick_household(date, amount)
        if household is None or self.state.funds["general"] - amount < 150000:
            return
        self.state.funds["general"] -= amount
        self.state.windows[household].append((date, amount))
        self.state.reimbursements[volunteer] += amount
        account = f"{acc.REIMBURSEMENTS}:{volunteer}"
        self.add(
            date,
            (
                f'{date} * "Groceries bought by a volunteer"\n'
                f"{self._approvals(amount, exclude=volunteer, force=True)}"
                f"  Expenses:Aid:Groceries  {cents(amount)} USD\n"
                f'    recipient: "{household}"\n'
                f"  {account}  {cents(-amount)} USD\n"
            ),
        )

    def pay_reimbursements(self, date: dt.date) -> None:
        for volunteer in self.volunteers:
            owed = self.state.reimbursements[volunteer]
            if owed <= 0 or self.state.money["Assets:Bank:Checking"] < owed:
                continue
            self.state.reimbursements[volunteer] = 0
            self.state.money["Assets:Bank:Checking"] -= owed
            self.add(
                date,
                (
                    f'{date} * "Reimbursement paid"\n'
                    f'  bank-id: "{self._unique("bank")}"\n'
                    f"  {acc.REIMBURSEMENTS}:{volunteer}  {cents(owed)} USD\n"
                    f"  Assets:Bank:Checking  {cents(-owed)} USD\n"
                ),
                "bank",
            )

    def payout(self, date: dt.date, platform: str, reserve: int) -> None:
        account = f"Assets:Platform:{platform}"
        amount = self.state.money[account] - reserve
        if amount <= 2000:
            return
        self.state.money[account] -= amount
        arrive = date + dt.timedelta(days=self.rng.randrange(1, 4))
        ident = self._unique(platform.lower())
        self.add(
            date,
            (
                f'{date} * "Transfer to bank"\n'
                f'  {PLATFORM_ID[platform]}: "{ident}"\n'
                f"  Assets:Clearing:{platform}  {cents(amount)} USD\n"
                f"  {account}  {cents(-amount)} USD\n"
            ),
            platform.lower(),
        )
        self.arrivals.append((arrive, platform, amount))

    def arrival(self, date: dt.date, platform: str, amount: int) -> None:
        self.state.money["Assets:Bank:Checking"] += amount
        self.add(
            date,
            (
                f'{date} * "{platform} transfer received"\n'
                f'  bank-id: "{self._unique("bank")}"\n'
                f"  Assets:Bank:Checking  {cents(amount)} USD\n"
                f"  Assets:Clearing:{platform}  {cents(-amount)} USD\n"
            ),
            "bank",
        )

    def deposit_cash(self, date: dt.date) -> None:
        amount = self.state.money["Assets:Cash:Box"] - 10000
        if amount <= 0:
            return
        self.state.money["Assets:Cash:Box"] -= amount
        self.state.money["Assets:Bank:Checking"] += amount
        self.add(
            date,
            (
                f'{date} * "Cash box deposited"\n'
                f"  Assets:Bank:Checking  {cents(amount)} USD\n"
                f"  Assets:Cash:Box  {cents(-amount)} USD\n"
            ),
        )

    def operations(self, date: dt.date) -> None:
        for leaf, amount, narration in OPERATIONS:
            if leaf != "Software" and self.rng.random() < 0.5:
                continue
            self.state.money["Assets:Bank:Checking"] -= amount
            self.state.funds["general"] -= amount
            self.add(
                date,
                (
                    f'{date} * "{narration}"\n'
                    f"  Expenses:Operations:{leaf}  {cents(amount)} USD\n"
                    f"  Assets:Bank:Checking  {cents(-amount)} USD\n"
                ),
            )
        self.state.money["Assets:Bank:Checking"] -= 500
        self.state.funds["general"] -= 500
        self.add(
            date,
            (
                f'{date} * "Monthly account fee"\n'
                f'  bank-id: "{self._unique("bank")}"\n'
                f"  Expenses:Fees:Bank  5.00 USD\n"
                f"  Assets:Bank:Checking  -5.00 USD\n"
            ),
            "bank",
        )

    def foundation_grant(self, date: dt.date) -> None:
        amount = round(500000 * max(1.0, self.scale))
        self.state.money["Assets:Bank:Checking"] += amount
        self.state.funds["general"] += amount
        self.add(
            date,
            (
                f'{date} * "{ORGANISATIONS[3]}" "Community grant"\n'
                f"  Income:Grants  {cents(-amount)} USD\n"
                f"  Assets:Bank:Checking  {cents(amount)} USD\n"
            ),
        )

    def override_grant(self, date: dt.date) -> None:
        """A rent grant above the household cap, with an override and two approvals."""
        for household in self.households:
            if (
                self.intake[household] <= date
                and self._window_room(household, date) == CAP_CENTS
            ):
                break
        else:
            return
        amount = 95000
        fund = "rent" if self._fund_ok("rent", amount) else "general"
        if self.state.funds[fund] < amount + (150000 if fund == "general" else 0):
            return
        self.state.money["Assets:Bank:Checking"] -= amount
        self.state.funds[fund] -= amount
        self.state.windows[household].append((date, amount))
        self.add(
            date,
            (
                f'{date} * "Rent assistance"\n'
                f"{self._approvals(amount, force=True)}"
                f'  fund: "{fund}"\n'
                f'  override: "eviction prevention; committee vote"\n'
                f'  receipt: "{self.receipt(date, "rent")}"\n'
                f"  Expenses:Aid:Rent  {cents(amount)} USD\n"
                f'    recipient: "{household}"\n'
                f"  Assets:Bank:Checking  {cents(-amount)} USD\n"
            ),
        )

    def release(self, date: dt.date) -> None:
        amount = min(50000, self.state.funds["legal"] // 4)
        if amount <= 0:
            return
        self.state.funds["legal"] -= amount
        self.state.funds["general"] += amount
        self.add(
            date,
            (
                f'{date} * "Release from restriction: legal fund to general"\n'
                f"{self._approvals(amount, force=True)}"
                f"  Equity:Releases  {cents(amount)} USD\n"
                f'    fund: "legal"\n'
                f"  Equity:Releases  {cents(-amount)} USD\n"
                f'    fund: "general"\n'
            ),
        )

    def pending_grant(self, date: dt.date) -> None:
        household = self._pick_household(date, 30000)
        if household is None:
            return
        self.add(
            date,
            (
                f'{date} ! "Rent assistance (waiting for a second approval)"\n'
                f'  approved-by: "{self.volunteers[0]}"\n'
                f"  Expenses:Aid:Rent  300.00 USD\n"
                f'    recipient: "{household}"\n'
                f"  Assets:Bank:Checking  -300.00 USD\n"
            ),
        )
        self.state.money["Assets:Bank:Checking"] -= 30000
        self.state.funds["general"] -= 30000
        self.state.windows[household].append((date, 30000))

    def balances(self, date: dt.date) -> None:
        tracked = ["Assets:Bank:Checking", "Assets:Cash:Box"] + [
            f"Assets:Platform:{p}" for p in acc.PLATFORMS
        ]
        lines = [
            f"{date} balance {account}  {cents(self.state.money[account])} USD\n"
            for account in tracked
        ]
        self.add(date, "".join(lines))

    # ------------------------------------------------------------------ drive
    def run(self) -> None:
        rng = self.rng
        self.pending_returns: list[tuple[dt.date, str, int, str]] = []
        self.arrivals: list[tuple[dt.date, str, int]] = []
        per_day_donations = 4.3 * self.scale
        per_day_grants = 2.8 * self.scale
        self.opening()
        day = self.start
        while day <= self.end:
            if day.day == 1 and day != self.start:
                self.balances(day)
            if day.day == 1:
                self.operations(day)
                self.buy_gift_cards(day)
            for arrive in [a for a in self.arrivals if a[0] == day]:
                self.arrival(*arrive)
            self.arrivals = [a for a in self.arrivals if a[0] != day]
            for back in [r for r in self.pending_returns if r[0] == day]:
                self.bail_return(day, back[1], back[2], back[3])
            self.pending_returns = [r for r in self.pending_returns if r[0] != day]
            for _ in range(_poisson(rng, per_day_donations)):
                self.donation(day)
            for _ in range(_poisson(rng, per_day_grants)):
                self.grant(day)
            if day.weekday() == 5 and rng.random() < 0.5 * max(1.0, self.scale):
                for _ in range(max(1, round(self.scale))):
                    self.pantry_day(day)
            for _ in range(_poisson(rng, 0.06 * self.scale)):
                self.reimbursement(day)
            for _ in range(_poisson(rng, 0.05 * self.scale)):
                if day <= self.end - dt.timedelta(days=60):
                    self.bail(day)
            if day.weekday() == 0:
                self.payout(day, "Venmo", 60000)
                self.payout(day, "CashApp", 40000)
                self.payout(day, "GoFundMe", 0)
            if day.weekday() in (1, 4):
                self.payout(day, "Stripe", 0)
            if day.weekday() == 2 and day.isocalendar()[1] % 2 == 0:
                self.payout(day, "PayPal", 0)
            if day.weekday() == 4:
                self.deposit_cash(day)
            if day.day == 15:
                self.pay_reimbursements(day)
            if day.month in (3, 9) and day.day == 10:
                self.foundation_grant(day)
            if day.month in (2, 6, 10) and day.day == 20:
                self.override_grant(day)
            if day.month == 12 and day.day == 15:
                self.release(day)
            if day >= self.end - dt.timedelta(days=6) and day.weekday() in (1, 3):
                self.pending_grant(day)
            day += dt.timedelta(days=1)
        for arrive in sorted(self.arrivals):
            if arrive[0] <= self.end + dt.timedelta(days=5):
                self.arrival(self.end, arrive[1], arrive[2])
        self.arrivals = []
        self.balances(self.end + dt.timedelta(days=1))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit = 2.718281828459045 ** (-mean)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _policy_text(base: str) -> str:
    organisations = ", ".join(f'"{o}"' for o in ORGANISATIONS)
    return base.replace("organisations = []", f"organisations = [{organisations}]")


def write_books(
    out: Path,
    seed: int = DEFAULT_SEED,
    year: int = DEFAULT_YEAR,
    transactions: int | None = None,
    plugins: tuple[str, ...] | None = None,
    years: int = 1,
) -> int:
    """Generate the example fund into ``out`` (replacing generated files there).

    ``years`` consecutive calendar years from ``year`` on (the benchmark of a long
    release history); ``transactions`` is then the total over all of them.

    Returns:
      The number of transactions written.
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    scale = 1.0 if not transactions else transactions / (BASE_TRANSACTIONS * years)
    gen = Generator(seed, year, scale, years)
    gen.run()
    start = gen.start.isoformat()
    context = template_context(
        FUND_NAME,
        "USD",
        "America/Chicago",
        "~/.config/aidbooks/riverside-example.key",
        start,
        plugins,
    )
    files = render_template(context)
    files["aidbooks.toml"] = _policy_text(files["aidbooks.toml"])
    files["README.md"] = (
        "> **This is aidbooks' fictional example fund**, made by a seeded generator\n"
        "> (`make example`, `python -m aidbooks.example`). Nobody in it is real.\n"
        "> `template/` holds what `aidbooks init` copies.\n\n"
    ) + files["README.md"]
    opens = "".join(f"{start} open {acc.REIMBURSEMENTS}:{v}  USD\n" for v in gen.volunteers)
    files["accounts.beancount"] += (
        "\n; One reimbursement account per volunteer who fronts costs\n" + opens
    )
    files["codes.beancount"] += "\n" + "".join(
        f'{gen.intake[h]} custom "aid-recipient" "{h}"\n' for h in gen.households
    )
    files["codes.beancount"] += "".join(
        f'{start} custom "aid-volunteer" "{v}"\n' for v in gen.volunteers
    )
    derived, links = gen.links()
    if links:
        files["codes.beancount"] += (
            "\n; Codes the imports derived for families the books know by their intake"
            " code\n; (aidbooks code link CODE --to INTAKE-CODE)\n" + links
        )
    if derived:
        files["imports/codes.beancount"] += "\n" + derived
    by_target: dict[str, list[Txn]] = defaultdict(list)
    for txn in gen.txns:
        if txn.target == "books":
            by_target[f"books/{txn.date:%Y-%m}.beancount"].append(txn)
        else:
            by_target[f"imports/{txn.target}.beancount"].append(txn)
    for name, txns in sorted(by_target.items()):
        txns.sort(key=lambda t: (t.date, t.order))
        header = "; Generated by aidbooks.example (fictional). " + (
            "Written as `aidbooks import` writes.\n\n"
            if name.startswith("imports/")
            else "Entries the treasurer writes.\n\n"
        )
        files[name] = header + "\n".join(t.text for t in txns)
    files["books/opening.beancount"] = "; Opening balances are in the first month's file.\n"
    files["books/grants.beancount"] = "; Grants are in the monthly files.\n"
    for name, text in gen.receipts.items():
        files[name] = text
    out.mkdir(parents=True, exist_ok=True)
    for generated in ("books", "imports", "documents"):
        shutil.rmtree(out / generated, ignore_errors=True)
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sum(1 for t in gen.txns if "balance" not in t.text.split("\n", 1)[0])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``python -m aidbooks.example --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write the books into"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR)
    parser.add_argument(
        "--transactions",
        type=int,
        default=None,
        help="make big books of about N transactions (benchmarks)",
    )
    parser.add_argument(
        "--years",
        type=int,
        default=1,
        help="consecutive calendar years from --year (N transactions over all of them)",
    )
    args = parser.parse_args(argv)
    if args.years < 1:
        parser.error("--years must be at least 1")
    count = write_books(args.out, args.seed, args.year, args.transactions, years=args.years)
    print(f"wrote {count} transactions to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
