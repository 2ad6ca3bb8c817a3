"""A small fund's books written out grant by grant, and its report built in memory.

For report tests that need exact control over who got what: each grant names its
month, category, household (a number) and amount. The books open the accounts a
test asks for (every aid category of the grants, plus ``extra_accounts``), take
donations into the bank each month, and pay every grant from the bank.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount import loader

from aidbooks.plugins import codes
from aidbooks.plugins.policy import FundPolicy
from aidbooks.plugins.policy import FundSection
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import PrivacySection
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import Built
from aidbooks.reports.publish import build

KEY = bytes(range(32))


@dataclass(frozen=True)
class Grant:
    """One grant: month (1-12 of 2025), category, household number, amount.

    ``corrects``: the period it corrects (``"2025-03"``), booked in ``month`` as a
    correction (a late grant of a period already published). ``year``: another
    year than 2025.
    """

    month: int
    category: str
    household: int
    amount: str
    fund: str = ""
    corrects: str = ""
    year: int = 2025


@dataclass(frozen=True)
class Donation:
    """Donations of one month (``fund``: into a restricted fund)."""

    year: int
    month: int
    amount: str
    fund: str = ""


#: The donations of :func:`books_text` unless told: 5,000 every month of 2025.
MONTHLY = tuple(Donation(2025, m, "5000.00") for m in range(1, 13))


def household(number: int) -> str:
    """The recipient code of household ``number``."""
    return codes.code_from_int("recipient", 5000 + number)


def spread(
    months: Iterable[int], category: str, households: Iterable[int], amount: str
) -> list[Grant]:
    """One grant of ``amount`` to each household in each month."""
    people = list(households)
    return [Grant(m, category, h, amount) for m in months for h in people]


def books_text(
    grants: Sequence[Grant],
    extra_accounts: Sequence[str] = (),
    fund_meta: str = "",
    extra_lines: Sequence[str] = (),
    donations: Sequence[Donation] = MONTHLY,
) -> str:
    """The books: opened accounts, ``donations``, the grants paid by bank,
    then ``extra_lines`` (directives such as ``2025-05-01 open ...``)."""
    aid = sorted({f"Expenses:Aid:{g.category}" for g in grants} | set(extra_accounts))
    accounts = [
        "Assets:Bank:Checking",
        "Income:Donations:Zelle",
        "Equity:Opening-Balances",
        *aid,
    ]
    lines = ['option "operating_currency" "USD"']
    lines += [f"2024-12-01 open {a} USD" for a in accounts]
    lines += [
        '2025-01-01 * "Opening balance"',
        "  Assets:Bank:Checking  100000.00 USD",
        "  Equity:Opening-Balances  -100000.00 USD",
    ]
    for gift in donations:
        meta = f'\n  fund: "{gift.fund}"' if gift.fund else ""
        lines += [
            f'{gift.year}-{gift.month:02d}-02 * "Donations"{meta}',
            f"  Income:Donations:Zelle  -{Decimal(gift.amount):.2f} USD",
            f"  Assets:Bank:Checking  {Decimal(gift.amount):.2f} USD",
        ]
    for i, g in enumerate(grants):
        day = 3 + i % 25
        fund = g.fund or fund_meta
        meta = f'\n  fund: "{fund}"' if fund else ""
        if g.corrects:
            meta += f'\n  corrects: "{g.corrects}"'
        lines += [
            f'{g.year}-{g.month:02d}-{day:02d} * "Grant"{meta}',
            f"  Expenses:Aid:{g.category}  {Decimal(g.amount):.2f} USD",
            f'    recipient: "{household(g.household)}"',
            f"  Assets:Bank:Checking  {-Decimal(g.amount):.2f} USD",
        ]
    return "\n".join([*lines, *extra_lines]) + "\n"


def policy(
    name: str = "Small Test Fund", restricted: Sequence[str] = (), **privacy: object
) -> Policy:
    """A policy for the small fund (``privacy`` keys as keyword arguments;
    ``restricted``: the names of restricted funds)."""
    return Policy(
        fund=FundSection(name=name),
        privacy=PrivacySection.model_validate({"min_cell": 3, **privacy}),
        funds={f: FundPolicy(restricted=True) for f in restricted},
    )


def report(
    text: str,
    the_policy: Policy,
    label: str,
    languages: tuple[str, ...] = ("en", "es"),
) -> Built:
    """Every file of the report of ``label`` (nothing written to disk)."""
    entries, errors, options = loader.load_string(text)
    assert not errors, errors
    return build(
        entries, options, the_policy, parse_period(label), KEY, languages=languages
    )
