"""Reading a posting's amount in tests, typed.

Beancount types ``Posting.units`` and ``Amount.number`` as optional: a posting may
be left for the booking to fill in. Every posting the tests read has been booked or
was written by a test with its amount, so these helpers assert that and return the
number (and currency) as plain types.
"""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data


def posting_units(posting: data.Posting) -> tuple[Decimal, str]:
    """The number and currency of a posting that has both."""
    amount = posting.units
    assert amount is not None and isinstance(amount.number, Decimal), posting
    return amount.number, amount.currency


def posting_number(posting: data.Posting) -> Decimal:
    """The number of a posting that has one."""
    return posting_units(posting)[0]
