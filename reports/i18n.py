"""Languages of the published report: gettext catalogs, Babel for numbers and dates.

Catalogs live in ``reports/locale/<lang>/LC_MESSAGES/aidbooks.po`` with their
compiled ``.mo`` beside them (committed, so a fresh clone works without a build
step; ``make i18n`` re-extracts the messages with Babel and recompiles, and a test
checks every ``.mo`` matches its ``.po``). English is the source language.

Adding a language (Somali is welcome): ``make i18n-init LANG=so``, translate the
new ``.po`` file, ``make i18n``, and add the code to ``LANGUAGES`` below and to
``[report] languages`` in the policy model.

Money and dates are formatted by Babel for the language (``$12,345`` /
``12.345 US$``, ``March 2025`` / ``marzo de 2025``); words from the books (aid
categories, channels, kinds of costs) are translated when the catalog knows them
and shown as written otherwise.
"""

from __future__ import annotations

import datetime as dt
import gettext
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_currency
from babel.numbers import format_decimal

from aidbooks.plugins.errors import AidbooksError

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "aidbooks"
#: Languages with a complete catalog (English is the source).
LANGUAGES = ("en", "es")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


#: Words that come from the books' chart of accounts, marked for translation.
BOOK_WORDS = (
    N_("Groceries"),
    N_("Rent"),
    N_("Utilities"),
    N_("Legal"),
    N_("Bail"),
    N_("Rides"),
    N_("Phone"),
    N_("Medicine"),
    N_("Childcare"),
    N_("Other aid"),
    N_("Uncategorized"),  # Expenses:Aid:Uncategorized, where imported grants wait
    N_("Software"),
    N_("Printing"),
    N_("Supplies"),
)

#: How channels (the leaf of Income:Donations:<Channel>, Income:Grants) are shown.
CHANNEL_LABELS = {
    "Cash": N_("Cash"),
    "Check": N_("Checks"),
    "Grants": N_("Foundation grants"),
    "Bank": N_("Bank"),
}

#: How the kinds of money on hand are shown.
ON_HAND_LABELS = {
    "bank": N_("Bank accounts"),
    "cash": N_("Cash box"),
    "platforms": N_("Payment platforms"),
    "in_transit": N_("On the way to the bank"),
}

#: How funds are shown (others: their name, capitalised, translated when known).
FUND_LABELS = {"general": N_("General fund")}


def check_languages(
    languages: tuple[str, ...], source: str = "--lang", where: str | None = None
) -> None:
    """Refuse languages without a catalog.

    ``source`` names where the languages were asked for (the option, or the policy
    key ``[report] languages`` with ``where`` the policy file).

    Raises:
      AidbooksError: a language has no translation (exit 2).
    """
    for lang in languages:
        if lang not in LANGUAGES:
            raise AidbooksError(
                f"{source} {lang!r}: no translation of the report into this language yet",
                f"choose from {', '.join(LANGUAGES)}, or add a catalog "
                "(see aidbooks/reports/i18n.py)",
                where,
            )


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (English: the messages as written)."""
    if lang == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


class Formatter:
    """Formats money, counts and periods for one language."""

    def __init__(self, lang: str, currency: str, unit: Decimal) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)
        self.currency = currency
        pattern = self.locale.currency_formats["standard"].pattern
        whole = unit == unit.to_integral_value()
        self._pattern = pattern.split(";")[0].replace("0.00", "0") if whole else pattern
        self._t = translations(lang)

    def gettext(self, message: str) -> str:
        """Translate a message."""
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message with a number."""
        return self._t.ngettext(singular, plural, n)

    def word(self, text: str) -> str:
        """Translate a word from the books when the catalog knows it."""
        return self._t.gettext(text) if text else text

    def channel(self, name: str) -> str:
        """A channel's name."""
        return self.word(CHANNEL_LABELS.get(name, name))

    def on_hand(self, kind: str) -> str:
        """A kind of money on hand."""
        return self.word(ON_HAND_LABELS.get(kind, kind))

    def fund(self, name: str) -> str:
        """A fund's name."""
        return self.word(FUND_LABELS.get(name, name[:1].upper() + name[1:]))

    def money(self, value: Decimal | None) -> str:
        """``$12,345`` (or the language's way); empty for a hidden value."""
        if value is None:
            return ""
        return format_currency(
            value,
            self.currency,
            format=self._pattern,
            locale=self.locale,
            currency_digits=False,
        )

    def number(self, value: int | Decimal | None) -> str:
        """A count with the language's digit grouping; empty for a hidden value."""
        if value is None:
            return ""
        return format_decimal(value, locale=self.locale)

    def month(self, label: str) -> str:
        """``2025-03`` → ``March 2025``; ``2025-Q1`` → ``1st quarter 2025``."""
        if "-Q" in label:
            year, quarter = label.split("-Q")
            day = dt.date(int(year), (int(quarter) - 1) * 3 + 1, 1)
            return format_skeleton("yQQQQ", day, locale=self.locale)
        year, month = label.split("-")
        return format_skeleton(
            "yMMMM", dt.date(int(year), int(month), 1), locale=self.locale
        )

    def short_month(self, label: str) -> str:
        """``2025-03`` → ``Mar``; a quarter → ``Q1`` (``T1`` in Spanish).

        Babel has no skeleton for a quarter alone (``QQQ`` is not one), so the
        quarter's short name is a message of the catalog.
        """
        if "-Q" in label:
            _year, quarter = label.split("-Q")
            # Translators: the short name of a quarter of the year (1 to 4), on a
            # chart's axis beside short month names ("Jan", "Feb").
            return self.gettext("Q%(n)s") % {"n": int(quarter)}
        year, month = label.split("-")
        return format_skeleton("MMM", dt.date(int(year), int(month), 1), locale=self.locale)

    def period(self, label: str, kind: str) -> str:
        """The report's period in words."""
        if kind == "year":
            return label
        return self.month(label)
