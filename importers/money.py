"""Amounts as platforms write them, parsed into exact ``Decimal`` from the text.

Never through a float. Handled shapes (docs/platforms.md#amounts):

* a separate sign token: ``- $50.00``, ``+ $1,150.00`` (Venmo);
* the sign before the symbol: ``-$2.90`` (Cash App), a trailing ISO code:
  ``$1,234.56 USD`` (Open Collective), a lower-case ISO code next to the number;
* accounting negatives: ``($370)``, ``($6.71)`` (old Cash App files);
* no forced decimals: ``$1``, ``$0``;
* thousands separators, and decimal commas for localized files (``1.234,56``,
  ``-5,99`` in PayPal's Spanish and German downloads): pass ``decimal=","``;
* empty cells and placeholders (``""``, ``(None)``, ``-``) when ``blank`` allows.

A cell that does not fit is a :class:`MoneyError` whose message never quotes the
cell (an amount column may hold anything if an export is malformed).

Amounts are bounded (:func:`check_magnitude`): at most 13 digits before the point
(ten trillion) and 8 after it. Python's decimal arithmetic keeps 28 significant
digits — Beancount's too — so a 30-digit cell would be rounded silently when a fee
is added or the books are summed (money created or lost), and could not be written
in the books' two-decimal form. Within the bounds every sum of up to millions of
amounts is exact.
"""

from __future__ import annotations

import re
from decimal import Decimal
from decimal import InvalidOperation

#: Placeholders that mean "no amount" in some exports.
BLANKS = frozenset({"", "(none)", "none", "n/a", "-", "--", "null"})

_SYMBOLS = "$€£¥₹"
_CODE = re.compile(r"\s*\b[A-Za-z]{3}\b\s*$")
_LEADING_CODE = re.compile(r"^\s*[A-Za-z]{3}\b\s*")
_NUMBER = re.compile(r"\d[\d.,' \u00a0\u202f]*")


#: The largest amount an import accepts has this many digits before the point...
MAX_WHOLE_DIGITS = 13
#: ... and this many after it.
MAX_PLACES = 8


class MoneyError(ValueError):
    """A cell that is not an amount (the message never quotes the cell)."""


def check_magnitude(value: Decimal) -> None:
    """Refuse an amount outside the bounds every sum stays exact within.

    Raises:
      MoneyError: the amount is not finite, too large or too finely divided.
    """
    if not value.is_finite():
        raise MoneyError("the amount is not a number")
    if value and value.adjusted() >= MAX_WHOLE_DIGITS:
        raise MoneyError("the amount is too large")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        exponent = value.normalize().as_tuple().exponent  # 1.000000000 is fine
        if isinstance(exponent, int) and exponent < -MAX_PLACES:
            raise MoneyError(f"the amount has more than {MAX_PLACES} decimal places")


def parse_amount(text: str, decimal: str = ".", blank: bool = False) -> Decimal | None:
    """Parse a money cell into a Decimal (or None for an allowed blank).

    Args:
      text: The cell as read from the file.
      decimal: The decimal separator of the file's locale ("." or ",").
      blank: Whether an empty cell or placeholder is allowed (returns None).
    Returns:
      The signed amount, exactly as written.
    Raises:
      MoneyError: The cell is not an amount.
    """
    raw = text.strip()
    if raw.casefold() in BLANKS:
        if blank:
            return None
        raise MoneyError("the amount is empty")
    negative = False
    body = raw
    if body.startswith("(") and body.endswith(")"):
        negative = True
        body = body[1:-1].strip()
    body = _CODE.sub("", body)
    body = _LEADING_CODE.sub("", body)
    # sign tokens may come before or after the currency symbol, with spaces
    signs = ""
    while body and (body[0] in "+-−" or body[0] in _SYMBOLS or body[0].isspace()):
        if body[0] in "+-−":
            signs += body[0]
        body = body[1:]
    while body and (body[-1] in _SYMBOLS or body[-1].isspace()):
        body = body[:-1]
    if body.endswith("-"):  # "50.00-" (trailing minus, some bank exports)
        signs += "-"
        body = body[:-1].rstrip()
    if len(signs) > 1 or not body or not _NUMBER.fullmatch(body):
        raise MoneyError("the amount is not a number")
    if signs in ("-", "−"):
        negative = not negative
    number = _normalize_separators(body, decimal)
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise MoneyError("the amount is not a number") from None
    check_magnitude(value)
    return -value if negative else value


_SPACES = re.compile("[ '\u00a0\u202f]")


def _normalize_separators(body: str, decimal: str) -> str:
    """Turn ``1,234.56`` / ``1.234,56`` / ``1 234,56`` into ``1234.56``.

    Spaces and apostrophes group thousands too (``1 234 567``, ``1'234'567``), in
    groups of three like the locale's separator: ``4111 1111 1111 1`` (digits of
    a card in an amount column) is not a number.
    """
    thousands = "," if decimal == "." else "."
    body = _SPACES.sub(thousands, body)
    if decimal in body:
        whole, _, frac = body.rpartition(decimal)
        if thousands in frac or decimal in whole:
            raise MoneyError("the amount has misplaced separators")
        _check_groups(whole, thousands)
        return whole.replace(thousands, "") + "." + frac
    _check_groups(body, thousands)
    return body.replace(thousands, "")


def _check_groups(whole: str, thousands: str) -> None:
    if thousands not in whole:
        return
    groups = whole.split(thousands)
    if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
        raise MoneyError("the amount has misplaced separators")


def guess_decimal(samples: list[str], default: str = ".") -> str:
    """Guess a file's decimal separator from some of its money cells.

    ``1.234,56`` or ``-5,99`` means a decimal comma; ``1,234.56`` or ``5.99`` a point.
    Cells that decide nothing (``1,234``, ``12``) leave the ``default``.
    """
    for sample in samples:
        body = sample.strip().strip("()$€£+- ")
        match = re.search(r"[.,](\d+)$", body)
        if not match:
            continue
        separator = body[match.start()]
        if len(match.group(1)) != 3:
            return separator
        other = "," if separator == "." else "."
        if other in body[: match.start()]:
            return separator
    return default


def format_amount(value: Decimal) -> str:
    """Render an amount for the books: at least two decimals, never exponent form."""
    if value == value.quantize(Decimal("0.01")):
        value = value.quantize(Decimal("0.01"))
    text = f"{value:f}"
    return "0.00" if text in ("-0.00", "-0") else text
