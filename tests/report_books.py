"""Generated books for the report property tests (hypothesis strategies).

Small funds with every shape the report must handle: grants in several categories
paid by bank, cash, platforms, gift cards (several households in one hand-out) and
volunteers' purchases; donations on several channels, some restricted; bail posted
and returned (part kept by the court); releases between funds; operating costs.
The strategy also returns what it generated, so tests can recompute the tables
without the report code.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from beancount import loader
from beancount.core import data
from hypothesis import strategies as st

from aidbooks.plugins import codes
from aidbooks.plugins.policy import FundPolicy
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import PrivacySection

CATEGORIES = ("Groceries", "Rent", "Utilities", "Legal", "Rides")
SOURCES = (
    "Assets:Bank:Checking",
    "Assets:Cash:Box",
    "Assets:Platform:Venmo",
    "Assets:GiftCards",
    "Liabilities:Reimbursements:V",
)
CHANNELS = ("Venmo", "PayPal", "Cash", "Zelle")


@dataclass
class Grant:
    month: int
    category: str
    household: str
    amount: Decimal
    source: str
    fund: str


@dataclass
class Generated:
    """Books as text plus what is in them."""

    text: str
    policy: Policy
    grants: list[Grant] = field(default_factory=list)
    bail: list[tuple[int, str, Decimal, str]] = field(
        default_factory=list
    )  # month, household, +posted/-returned, fund

    def load(self) -> tuple[list[data.Directive], dict[str, Any]]:
        entries, errors, options = loader.load_string(self.text)
        assert not errors, errors
        return entries, options


def _household(i: int) -> str:
    return codes.code_from_int("recipient", 1000 + i)


@st.composite
def books(draw: st.DrawFn, months: tuple[int, ...] = tuple(range(1, 13))) -> Generated:
    """Small books of the year 2025 and a policy."""
    n_households = draw(st.integers(1, 24))
    households = [_household(i) for i in range(n_households)]
    min_cell = draw(st.integers(2, 12))
    p_percent = draw(st.sampled_from(["5", "15", "40"]))
    rounding = draw(st.sampled_from(["0", "1", "10"]))
    policy = Policy(
        privacy=PrivacySection(
            min_cell=min_cell, p_percent=Decimal(p_percent), rounding=Decimal(rounding)
        ),
        funds={"legal": FundPolicy(restricted=True, categories=("Legal", "Bail"))},
    )
    lines = [
        'option "operating_currency" "USD"',
        *(
            f"2024-12-31 open {a} USD"
            for a in (
                "Assets:Bank:Checking",
                "Assets:Cash:Box",
                "Assets:Platform:Venmo",
                "Assets:Platform:PayPal",
                "Assets:Clearing:Venmo",
                "Assets:GiftCards",
                "Assets:Receivable:Bail",
                "Liabilities:Reimbursements:V",
                "Income:Grants",
                "Expenses:Fees:Venmo",
                "Expenses:Fees:PayPal",
                "Expenses:Fees:Bank",
                "Expenses:Operations:Software",
                "Equity:Opening-Balances",
                "Equity:Releases",
                *(f"Income:Donations:{c}" for c in CHANNELS),
                *(f"Expenses:Aid:{c}" for c in (*CATEGORIES, "Bail")),
            )
        ),
        '2025-01-01 * "Opening balances"',
        "  Assets:Bank:Checking  5000.00 USD",
        "  Equity:Opening-Balances  -4000.00 USD",
        "  Equity:Opening-Balances  -1000.00 USD",
        '    fund: "legal"',
        '2025-01-01 * "Gift cards bought"',
        "  Assets:GiftCards  500.00 USD",
        "  Assets:Bank:Checking  -500.00 USD",
    ]
    out = Generated("", policy)
    amounts = st.integers(1, 60000).map(lambda c: Decimal(c).scaleb(-2))
    for month in months:
        day = f"2025-{month:02d}-15"
        for _ in range(draw(st.integers(0, 3))):
            channel = draw(st.sampled_from(CHANNELS))
            gross = draw(amounts)
            fund = draw(st.sampled_from(["general", "general", "legal"]))
            meta = f'\n    fund: "{fund}"' if fund != "general" else ""
            if channel in ("Venmo", "PayPal"):
                fee = (gross * Decimal("0.03")).quantize(Decimal("0.01"))
                lines += [
                    f'{day} * "Donation"',
                    f"  Income:Donations:{channel}  {-gross} USD{meta}",
                    f"  Expenses:Fees:{channel}  {fee} USD",
                    f"  Assets:Platform:{channel}  {gross - fee} USD",
                ]
            else:
                target = "Assets:Cash:Box" if channel == "Cash" else "Assets:Bank:Checking"
                lines += [
                    f'{day} * "Donation"',
                    f"  Income:Donations:{channel}  {-gross} USD{meta}",
                    f"  {target}  {gross} USD",
                ]
        for _ in range(draw(st.integers(0, 6))):
            category = draw(st.sampled_from(CATEGORIES))
            household = draw(st.sampled_from(households))
            amount = draw(amounts)
            source = draw(st.sampled_from(SOURCES))
            fund = "legal" if category == "Legal" and draw(st.booleans()) else "general"
            meta = f'  fund: "{fund}"\n' if fund != "general" else ""
            lines.append(
                f'{day} * "Grant"\n{meta}  Expenses:Aid:{category}  {amount} USD\n    recipient: "{household}"\n  {source}  {-amount} USD'
            )
            out.grants.append(Grant(month, category, household, amount, source, fund))
        if draw(st.booleans()):
            chosen = draw(
                st.lists(st.sampled_from(households), min_size=1, max_size=4, unique=True)
            )
            postings = []
            total = Decimal(0)
            for household in chosen:
                amount = draw(amounts)
                total += amount
                postings.append(
                    f'  Expenses:Aid:Groceries  {amount} USD\n    recipient: "{household}"'
                )
                out.grants.append(
                    Grant(
                        month, "Groceries", household, amount, "Assets:GiftCards", "general"
                    )
                )
            lines.append(
                f'{day} * "Gift cards handed out"\n'
                + "\n".join(postings)
                + f"\n  Assets:GiftCards  {-total} USD"
            )
        if draw(st.integers(0, 3)) == 0:
            household = draw(st.sampled_from(households))
            amount = draw(amounts)
            fund = draw(st.sampled_from(["general", "legal"]))
            lines.append(
                f'{day} * "Bail posted"\n  fund: "{fund}"\n  Assets:Receivable:Bail  {amount} USD\n    recipient: "{household}"\n  Assets:Bank:Checking  {-amount} USD'
            )
            out.bail.append((month, household, amount, fund))
            if draw(st.booleans()):
                later = draw(st.sampled_from([m for m in months if m >= month]))
                kept = (
                    (amount / 10).quantize(Decimal("0.01"))
                    if draw(st.booleans())
                    else Decimal(0)
                )
                back = f"2025-{later:02d}-20"
                keep = (
                    f'\n  Expenses:Aid:Bail  {kept} USD\n    recipient: "{household}"'
                    if kept
                    else ""
                )
                lines.append(
                    f'{back} * "Bail returned"\n  fund: "{fund}"\n  Assets:Bank:Checking  {amount - kept} USD{keep}\n  Assets:Receivable:Bail  {-amount} USD\n    recipient: "{household}"'
                )
                out.bail.append((later, household, -amount, fund))
                if kept:
                    out.grants.append(
                        Grant(
                            later, "Bail", household, kept, "Assets:Receivable:Bail", fund
                        )
                    )
        if draw(st.integers(0, 4)) == 0:
            lines += [
                f'{day} * "Software"',
                "  Expenses:Operations:Software  15.00 USD",
                "  Assets:Bank:Checking  -15.00 USD",
            ]
        if draw(st.integers(0, 6)) == 0:
            lines += [
                f'{day} * "Release"',
                "  Equity:Releases  50.00 USD",
                '    fund: "legal"',
                "  Equity:Releases  -50.00 USD",
                '    fund: "general"',
            ]
        if draw(st.integers(0, 5)) == 0:
            lines += [
                f'{day} * "Payout"',
                "  Assets:Clearing:Venmo  10.00 USD",
                "  Assets:Platform:Venmo  -10.00 USD",
            ]
    out.text = "\n".join(lines) + "\n"
    return out
