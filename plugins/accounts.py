"""The chart of accounts every part of aidbooks shares (docs/design.md#accounts).

Rules, importers, reports and the Fava page recognise accounts by these prefixes,
never by ad-hoc strings of their own::

    Assets:Bank:*  Assets:Cash:*  Assets:Platform:<Platform>  Assets:GiftCards
    Assets:Receivable:Bail  Assets:Clearing:<Platform>  Liabilities:Reimbursements:<V-code>
    Income:Donations:<Channel>  Income:Grants  Expenses:Aid:<Category>
    Expenses:Fees:<Channel>  Expenses:Operations:*  Equity:*
"""

from __future__ import annotations

BANK = "Assets:Bank:"
CASH = "Assets:Cash:"
PLATFORM = "Assets:Platform:"
GIFT_CARDS = "Assets:GiftCards"
RECEIVABLE = "Assets:Receivable:"
CLEARING = "Assets:Clearing:"
REIMBURSEMENTS = "Liabilities:Reimbursements"
DONATIONS = "Income:Donations:"
GRANTS_IN = "Income:Grants"
AID = "Expenses:Aid:"
FEES = "Expenses:Fees:"
OPERATIONS = "Expenses:Operations:"
EQUITY = "Equity:"
OPENING = "Equity:Opening-Balances"
RELEASES = "Equity:Releases"

#: Platforms with an account of their own (Assets:Platform:<name>, Assets:Clearing:<name>).
PLATFORMS = ("Venmo", "PayPal", "CashApp", "Stripe", "GoFundMe", "OpenCollective")
#: Donation channels (Income:Donations:<name>).
CHANNELS = (*PLATFORMS, "Zelle", "Cash", "Check")
#: Channels that charge fees (Expenses:Fees:<name>).
FEE_CHANNELS = (*PLATFORMS, "Bank")


def is_aid(account: str) -> bool:
    """True for a grant account (``Expenses:Aid:*``)."""
    return account.startswith(AID)


def is_receivable(account: str) -> bool:
    """True for bail and bond money that should come back (``Assets:Receivable:*``)."""
    return account.startswith(RECEIVABLE)


def is_grant_posting(account: str) -> bool:
    """True for postings that carry a ``recipient:`` (aid and receivables)."""
    return account.startswith(AID) or account.startswith(RECEIVABLE)


def category(account: str) -> str:
    """The aid category of ``Expenses:Aid:<Category>[:...]`` or ``Assets:Receivable:<X>``."""
    parts = account.split(":")
    return parts[2] if len(parts) > 2 else parts[-1]


def is_money(account: str) -> bool:
    """True for accounts that hold money the fund can spend (bank, cash, platforms)."""
    return account.startswith((BANK, CASH, PLATFORM))


def needs_reconciling(account: str) -> bool:
    """True for accounts that must carry recent balance assertions (bank and platforms)."""
    return account.startswith((BANK, PLATFORM))
