"""What every importer turns an export's rows into: platform-neutral records.

An importer's only job is to read its platform's file into :class:`Record` objects
(one per money movement), :class:`Skip` notes (rows that are not final or move no
money, listed in the summary with their reason) and :class:`Problem` notes (rows
that cannot be read; they make ``aidbooks import`` exit 1). Turning records into
Beancount entries — accounts, donor and recipient codes, de-duplication, the
personal-data scan — is shared (:mod:`aidbooks.importers.booking`), so every
platform follows the same rules.

Money in a record is seen from the fund's side:

* ``net`` — the signed change of the money account (the platform balance, or the
  bank account for bank files);
* ``fee`` — what the platform charged (a cost is positive; a fee given back on a
  refund is negative);
* the counter posting is ``-(net + fee)``, on the account the record's
  :class:`Kind` implies (donations income, a grant, the clearing account...).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from aidbooks.plugins.errors import AidbooksError

ZERO = Decimal(0)


class Kind(enum.StrEnum):
    """What a money movement is, which decides its counter account."""

    DONATION = "donation"
    """Money received from a supporter -> ``Income:Donations:<Channel>``."""
    DONATION_REVERSAL = "donation-reversal"
    """A refund, reversal or chargeback of a donation -> reverses the income."""
    GRANT = "grant"
    """Money sent to a person -> ``Expenses:Aid:Uncategorized`` with a recipient code."""
    GRANT_RETURN = "grant-return"
    """Money a person sent back (a refund of a grant) -> reverses the grant."""
    TRANSFER = "transfer"
    """Money moved to or from the bank -> ``Assets:Clearing:<Channel>``."""
    FEE = "fee"
    """A row that is only a fee (or a fee given back) -> ``Expenses:Fees:<Channel>``."""
    PURCHASE = "purchase"
    """A card or merchant purchase -> ``Expenses:Uncategorized`` (to categorise)."""
    OTHER = "other"
    """Any other money movement -> ``Income:``/``Expenses:Uncategorized`` (to categorise)."""
    CONVERSION = "conversion"
    """A currency conversion inside the platform balance."""


@dataclass(slots=True)
class Record:
    """One money movement read from an export (see the module docstring for signs).

    Attributes:
      lineno: The file line the row starts on.
      id: The platform's id for the row (the de-duplication key), as a string.
      date: The fund's local date of the movement.
      timestamp: The raw timestamp text, kept in metadata.
      kind: What the movement is.
      net: Signed change of the money account.
      currency: ISO code, upper case.
      fee: Cost charged by the platform (negative when given back).
      counterparty: The platform identifier of the other party (an e-mail, a
        display name, a handle); only ever used to derive a code, never written.
      names: Display names of the other party, only to recognise an allowlisted
        organisation (``privacy.organisations``); never written otherwise.
      status: The row's status as the platform wrote it (for the summary).
      status_token: Written as ``<prefix>-status`` to notice later changes.
      token_is_money: A changed token means the amount changed (needs action).
      narration: Overrides the narration the kind implies.
      extra_ids: More platform ids folded into this record (conversion legs).
      meta: Extra safe metadata (another platform id, a group id).
      money_account: Overrides the money account (e.g. a payment funded from the
        bank goes through ``Assets:Clearing:<Channel>``).
      channel: Overrides the channel of the counter account (``Zelle`` for bank
        rows, the platform a bank transfer came from).
      converted: For CONVERSION: the other leg (amount, currency).
    """

    lineno: int
    id: str
    date: dt.date
    timestamp: str
    kind: Kind
    net: Decimal
    currency: str
    fee: Decimal = ZERO
    counterparty: str = ""
    names: tuple[str, ...] = ()
    status: str = ""
    status_token: str | None = None
    token_is_money: bool = False
    narration: str = ""
    extra_ids: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    money_account: str = ""
    channel: str = ""
    converted: tuple[Decimal, str] | None = None

    @property
    def counter(self) -> Decimal:
        """The amount of the counter posting: ``-(net + fee)``."""
        return -(self.net + self.fee)


@dataclass(frozen=True, slots=True)
class Skip:
    """A row that is not imported, and why (listed in the summary, not an error)."""

    lineno: int
    reason: str
    id: str = ""
    status: str = ""


#: Every status word the platforms are known to write (docs/platforms.md), in English,
#: Spanish and German, case-folded. Only these are ever echoed in a summary.
STATUS_WORDS = frozenset(
    {
        # final
        "complete",
        "completed",
        "issued",
        "paid",
        "succeeded",
        "successful",
        "success",
        "settled",
        "refunded",
        "partially refunded",
        "reversed",
        "payment sent",
        "payment deposited",
        "payment refunded",
        "card charged",
        "card refunded",
        "deposited",
        "transfer sent",
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
        # not final
        "pending",
        "failed",
        "cancelled",
        "canceled",
        "denied",
        "declined",
        "held",
        "on hold",
        "unclaimed",
        "expired",
        "voided",
        "processing",
        "in transit",
        "in_transit",
        "charged back",
        "disputed",
        "final",
        "pendiente",
        "denegado",
        "denegada",
        "cancelado",
        "cancelada",
        "rechazado",
        "rechazada",
        "fallido",
        "fallida",
        "ausstehend",
        "abgelehnt",
        "storniert",
        "fehlgeschlagen",
    }
)
#: What :func:`label` shows instead of a cell that is not a status word.
UNKNOWN_STATUS = "not a known status"
_WITH_AMOUNT = re.compile(r"(.+?) (-?\d{1,13}(?:\.\d{1,8})?)", re.ASCII)


def label(text: str) -> str:
    """A status as the summary may print it: a known status word, else a placeholder.

    Statuses come from the export, and a malformed file (a shifted row) can put a
    name or a note in that column; the shape of a word is no guarantee (a name is
    two words too), so only the platforms' own status words are echoed, alone or
    followed by an amount (the ``refunded 20.00`` tokens kept in the books).
    """
    text = " ".join(text.split())
    if not text:
        return "empty"
    if text.casefold() in STATUS_WORDS:
        return text
    match = _WITH_AMOUNT.fullmatch(text)
    if match and match.group(1).casefold() in STATUS_WORDS:
        return text
    return UNKNOWN_STATUS


def normal_status(text: str) -> str | None:
    """A status as the books keep it (``<prefix>-status``), or None if it is not one.

    Only a known status word (:data:`STATUS_WORDS`), alone or followed by an
    amount, with its first letter capitalised and the rest in lower case —
    ``Completed``, ``Partially refunded``, ``Refunded 20.00`` — whatever the
    cell's case: the books never take the cell's own text, and two spellings of
    one status are one status.
    """
    if label(text) in (UNKNOWN_STATUS, "empty"):
        return None
    words = " ".join(text.split())
    match = _WITH_AMOUNT.fullmatch(words)
    word, amount = (match.group(1), " " + match.group(2)) if match else (words, "")
    folded = word.casefold()
    return folded[:1].upper() + folded[1:] + amount


def not_final(status: str) -> str:
    """The skip reason for a row whose status is not final."""
    shown = label(status)
    if shown == UNKNOWN_STATUS:
        return "the status is not one aidbooks knows as final"
    return f"status '{shown}' is not final"


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that could not be read: ``file:line: what. fix.`` (exit 1).

    Neither ``what`` nor ``fix`` ever quotes the row: they name the column and the
    kind of problem.
    """

    lineno: int
    what: str
    fix: str


@dataclass(slots=True)
class Parsed:
    """Everything an importer read from one file."""

    records: list[Record] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    #: The ending balance the export states (currency -> amount).
    statement_balance: dict[str, Decimal] = field(default_factory=dict)
    #: The balance before the export's first row, where the export states it.
    opening_balance: dict[str, Decimal] = field(default_factory=dict)
    #: The statement's last day (its ending balance is as of the end of it).
    statement_end: dt.date | None = None
    #: What a ``balance`` assertion may say (currency -> (date, amount)): the
    #: balance at the start of a day that no later export can add rows before. A
    #: bank's ledger balance as of a business date holds on the next day; for a
    #: platform whose rows are instants, the start of the last row's local day (a
    #: later export may still add rows to that day).
    assertable: dict[str, tuple[dt.date, Decimal]] = field(default_factory=dict)
    #: Rows where the export's own balance column does not follow from its amounts:
    #: the books would differ from the platform's balance (exit 1, rows still imported).
    discrepancies: list[Problem] = field(default_factory=list)


class ImportFileError(AidbooksError):
    """A file that cannot be imported at all (exit 2): unknown layout, truncated,
    unreadable. The message names the file and line, never the row's content."""
