"""Records → Beancount entries, under the same rules for every platform.

This is where an export's rows meet the books (docs/design.md#rules-for-every-importer):

* **Accounts.** The platform leg is the money account (``Assets:Platform:<P>``,
  or the bank account for bank files). Fees go to ``Expenses:Fees:<P>``. Donations
  to ``Income:Donations:<Channel>``; refunds, reversals and chargebacks post the
  other way on the same account (they reverse the donation). Payouts to the bank
  and top-ups from it go through ``Assets:Clearing:<P>``, which the bank import
  (or a hand entry) empties when the money arrives.
* **Grants.** Money sent to a person becomes a grant to a **recipient code**
  derived from the platform identifier with the fund's key
  (:func:`aidbooks.plugins.keys.derive_code`). The importer cannot know what the
  grant was for, so it lands **flagged** ``!`` on ``Expenses:Aid:Uncategorized``
  (opened by the template): the approval and cap rules treat it as pending until
  the treasurer sets the category (``Expenses:Aid:Rent``...), adds ``approved-by``
  and flips the flag to ``*``. A code the books have not declared yet is declared
  in ``imports/codes.beancount`` (dated on its first grant) and listed in the
  summary. Money sent to an organisation on ``privacy.organisations`` carries the
  organisation as payee and goes to ``Expenses:Uncategorized`` instead (it has no
  household). Card purchases and unrecognised movements also land ``!`` on
  ``Expenses:Uncategorized`` / ``Income:Uncategorized``.
* **Donors** follow ``privacy.donors``: ``pseudonymize`` (default) writes a donor
  code (``donor: "D-…"``); ``drop`` writes nothing about the donor; ``keep`` writes
  the donor code and, for a donor that is an organisation on
  ``privacy.organisations``, its name as payee. A person's name, e-mail or handle
  is never written whatever the policy says (the no-pii rule would reject the
  books, and seized books must not list supporters).
* **Nothing else from the row is written**: notes, names, e-mails, card digits and
  descriptions are dropped; narrations come from a fixed vocabulary.
* **De-duplication.** The platform id is metadata (``venmo-id``, ``paypal-id``...)
  and the key: :class:`BookState` indexes every id in the books once (a dict,
  linear in the books), and each accepted row is added, so the same file twice,
  overlapping statements or a repeated row add nothing. A row whose id is in the
  books but whose status is now not final (PayPal rewrites history) is a
  **conflict**, reported and not imported; a stored ``<prefix>-status`` that
  changed between two final statuses is reported as a change (it needs action
  only when the change alters an amount).
* **The books' start.** A row dated before the money account was opened (the
  books begin there; an opening balance covers what came before) is listed as
  skipped, not written, since Beancount would reject it.
* **Personal-data scan.** Every string about to be written — narration, payee,
  metadata — goes through :class:`aidbooks.plugins.pii.Scanner`; a hit rejects
  the row (it is listed, never written). Platform ids and raw timestamps are
  checked as machine tokens: a timestamp already passed a strict date parser; an
  id is refused only when it cannot be a stable key (empty, spaces, quotes or
  other characters no platform id holds, over 128 characters), when the
  personal-data detectors, reading it as an identifier (``MariaGarcia``,
  ``maria.garcia``), find personal data in it, or when it is capitalised words of
  letters (``Quixtarr``: a name no list knows) — never for its letters-and-digits
  shape (real Cash App and Open Collective ids may have no digit, PayPal
  subscription references are ``I-`` + 12 or ``B-`` + 17 characters). An
  all-digit id is not scanned (a 10–19 digit id is indistinguishable from a phone
  number by its digits); other ids are scanned for every kind but phone numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Container
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount

from aidbooks.importers.matching import Candidate
from aidbooks.importers.matching import HandIndex
from aidbooks.importers.matching import Match
from aidbooks.importers.money import MoneyError
from aidbooks.importers.money import check_magnitude
from aidbooks.importers.records import ZERO
from aidbooks.importers.records import Kind
from aidbooks.importers.records import Parsed
from aidbooks.importers.records import Problem
from aidbooks.importers.records import Record
from aidbooks.importers.records import Skip
from aidbooks.importers.records import normal_status
from aidbooks.importers.settings import Settings
from aidbooks.importers.timeparse import ABBREVIATIONS
from aidbooks.plugins import accounts
from aidbooks.plugins import codes
from aidbooks.plugins import keys
from aidbooks.plugins import pii
from aidbooks.plugins.households import DERIVED_FILE
from aidbooks.plugins.zones import ZoneError
from aidbooks.plugins.zones import iana_zone

AID_UNCATEGORIZED = "Expenses:Aid:Uncategorized"
EXPENSES_UNCATEGORIZED = "Expenses:Uncategorized"
INCOME_UNCATEGORIZED = "Income:Uncategorized"
#: Counterparty values that name nobody (never turned into a code).
NOBODY = frozenset(
    {"", "anonymous", "anonymous donor", "anónimo", "anonimo", "(none)", "none"}
)
#: Posting metadata that keeps a conversion's total price (rendered as ``@@``).
TOTAL_PRICE = "__total_price__"
#: Where `aidbooks import` declares the recipient codes it derives (and where a
#: code declared is a derived one: the households convention).
CODES_FILE = DERIVED_FILE
#: Why a row of a file saved on Fava's Import page is skipped when it was not sent.
LEFT_OUT = "left out on Fava's Import page"

_ID_META = re.compile(r"([a-z][a-z0-9]*)-(id(?:-\d+)?|source)")
#: A platform id or reference that can be a stable key: one token of ASCII letters,
#: digits and the separators platforms use, at most 128 characters. Whether it may
#: carry personal data (a name shifted into the id column) is the detectors' call
#: (:meth:`Session.id_issue`), not this pattern's.
_SAFE_ID = re.compile(r"[A-Za-z0-9#][A-Za-z0-9_.:/+=#-]{0,127}")
#: Capitalised words of letters glued together (``Quixtarr``, ``MarisolVantablack``):
#: the shape of a proper noun, which no platform's random ids take, while a name
#: the detectors' lists do not know takes it (a name shifted into the id column).
_PROPER_NOUN = re.compile(r"(?:[A-Z][a-z]+){1,4}")
#: What the books may hold as a currency: an ISO 4217-shaped code.
_CURRENCY = re.compile(r"[A-Z]{3}")
_SAFE_TIME = re.compile(r"[0-9A-Za-z_:/.+\-\[\] ]{4,60}")
#: Metadata the session derives itself (codes) or Beancount adds: not scanned.
_NOT_SCANNED = frozenset({"filename", "lineno", "donor", "recipient"})
#: Metadata values that are machine tokens (ids, timestamps): checked by shape.
_MACHINE_KEYS = re.compile(r"[a-z][a-z0-9]*-(?:id(?:-\d+)?|source|group|ref)|timestamp")


@dataclass(frozen=True)
class Source:
    """How one importer's records map onto the books.

    Attributes:
      prefix: Metadata prefix and de-duplication namespace (``venmo`` ->
        ``venmo-id``, ``venmo-status``).
      channel: The channel of ``Income:Donations:<C>`` and ``Assets:Clearing:<C>``.
      money_account: The account whose balance the export describes.
      fee_channel: ``Expenses:Fees:<fee_channel>``.
      target: The file under ``imports/`` the entries go to (without suffix).
    """

    prefix: str
    channel: str
    money_account: str
    fee_channel: str
    target: str


@dataclass
class BookState:
    """What an import needs to know about the books, built in one pass.

    Attributes:
      ids: namespace -> platform id -> stored status token (or None).
      sources: namespace -> ids of the underlying objects (``stripe-source``:
        the ``ch_``/``po_`` behind a balance row), so another export of the same
        platform that names those objects directly is recognised.
      declared: recipient code -> (declaration date, file it is declared in).
      opened: accounts with an ``open`` directive -> its date.
      currencies: accounts whose ``open`` names currencies -> those currencies.
      first_open: the earliest ``open`` date (new accounts are opened then).
      hand: the transactions without a platform id on the money accounts
        ``from_entries`` was given (:mod:`.matching`).
      donors: every ``donor:`` code in the books (a code a retired key derived is
        kept for its donor, see :meth:`Session._donor`).
    """

    ids: dict[str, dict[str, str | None]] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=dict)
    declared: dict[str, tuple[dt.date, str]] = field(default_factory=dict)
    opened: dict[str, dt.date] = field(default_factory=dict)
    currencies: dict[str, frozenset[str]] = field(default_factory=dict)
    first_open: dt.date | None = None
    hand: HandIndex = field(default_factory=HandIndex)
    donors: set[str] = field(default_factory=set)

    @classmethod
    def from_entries(
        cls, entries: Iterable[data.Directive], hand_accounts: Collection[str] = ()
    ) -> BookState:
        """Index the books' platform ids, declared and donor codes, open accounts."""
        state = cls(hand=HandIndex(hand_accounts))
        ids = state.ids
        hand = state.hand.note if hand_accounts else None
        for entry in entries:
            if isinstance(entry, data.Transaction):
                meta = entry.meta
                if len(meta) <= 3:  # filename, lineno, __tolerances__: no platform id
                    if hand is not None:
                        hand(entry)
                    continue
                by_hand = hand is not None
                for key, value in meta.items():
                    if key[0] == "_" or not isinstance(value, str):
                        continue
                    if key == "donor":
                        state.donors.add(value)
                        continue
                    match = _ID_META.fullmatch(key)
                    if match:
                        prefix = match.group(1)
                        if match.group(2) == "source":
                            state.sources.setdefault(prefix, set()).add(value)
                        else:
                            ids.setdefault(prefix, {})[value] = meta.get(f"{prefix}-status")
                            by_hand = False
                if by_hand and hand is not None:
                    hand(entry)
            elif isinstance(entry, data.Open):
                state.opened[entry.account] = entry.date
                if entry.currencies:
                    state.currencies[entry.account] = frozenset(entry.currencies)
                if state.first_open is None or entry.date < state.first_open:
                    state.first_open = entry.date
            elif (
                isinstance(entry, data.Custom)
                and entry.type == codes.DECLARATION["recipient"]
            ):
                if entry.values and isinstance(entry.values[0].value, str):
                    code = entry.values[0].value
                    known = state.declared.get(code)
                    if known is None or entry.date < known[0]:
                        state.declared[code] = (entry.date, str(entry.meta.get("filename")))
        return state


@dataclass
class Changed:
    """A row already in the books whose status changed since it was imported."""

    lineno: int
    id: str
    before: str
    after: str
    needs_action: bool


@dataclass
class Booked:
    """What booking one file produced."""

    entries: list[data.Transaction] = field(default_factory=list)
    duplicates: int = 0
    skipped: list[Skip] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    to_categorise: int = 0
    #: Of those, grants to a household (on ``Expenses:Aid:Uncategorized``).
    grants_to_categorise: int = 0
    #: Rows folded into another row's entry (currency-conversion legs), by what
    #: became of that entry: so the summary's counts add up to the rows read.
    legs_imported: int = 0
    legs_skipped: int = 0
    legs_rejected: int = 0
    #: Rows that entries written by hand match (not imported; :mod:`.matching`).
    matches: list[Match] = field(default_factory=list)


class Session:
    """Books the records of one or more files against one :class:`BookState`.

    Codes derived and accounts needed across the session are collected in
    :attr:`new_codes`, :attr:`redate` and :attr:`new_accounts` so the caller can
    declare/open them once.
    """

    def __init__(self, settings: Settings, state: BookState) -> None:
        self.settings = settings
        self.state = state
        self.policy = settings.policy
        self.donors = settings.policy.privacy.donors
        self._organisations = {
            o.casefold(): o for o in settings.policy.privacy.organisations
        }
        self._donor_codes: dict[str, str] = {}
        self._recipient_codes: dict[str, str] = {}
        #: new recipient code -> first date it is used
        self.new_codes: dict[str, dt.date] = {}
        #: code declared in imports/codes.beancount after a grant now imported -> new date
        self.redate: dict[str, dt.date] = {}
        self._machine: dict[str, bool] = {}
        #: account not opened in the books -> (first use, its currencies "EUR,USD")
        self.new_accounts: dict[str, tuple[dt.date, str]] = {}
        self.match_days = settings.policy.imports.match_days
        #: hand entry -> the rows of this session that match it
        self._claims: dict[Candidate, int] = {}
        self.matches: list[Match] = []

    # -- codes ----------------------------------------------------------------------

    def _donor(self, identifier: str) -> str:
        code = self._donor_codes.get(identifier)
        if code is None:
            code = self._derive("donor", identifier, self.state.donors)
            self._donor_codes[identifier] = code
        return code

    def _recipient(self, identifier: str) -> str:
        code = self._recipient_codes.get(identifier)
        if code is None:
            code = self._derive("recipient", identifier, self.state.declared)
            self._recipient_codes[identifier] = code
        return code

    def _derive(self, kind: codes.Kind, identifier: str, known: Container[str]) -> str:
        """The code of ``identifier`` under the current key — unless the books already
        hold (``known``) the code a retired key of the key file derived, which the
        family or donor then keeps: a rotation changes no code."""
        code = keys.derive_code(self.settings.key, kind, identifier)
        if code in known:
            return code
        for retired in self.settings.retired:
            earlier = keys.derive_code(retired, kind, identifier)
            if earlier in known:
                return earlier
        return code

    def _organisation(self, record: Record) -> str | None:
        if not self._organisations:
            return None
        for name in (*record.names, record.counterparty):
            found = self._organisations.get(name.strip().casefold())
            if found:
                return found
        return None

    # -- booking --------------------------------------------------------------------

    def book(
        self,
        parsed: Parsed,
        source: Source,
        filename: str,
        progress: Callable[[int], None] | None = None,
        only: Collection[str] | None = None,
    ) -> Booked:
        """Turn a file's records into new entries; count duplicates and conflicts.

        Args:
          only: The ids of the rows to import (Fava's Import page: the entries
            sent); the file's other rows are listed as left out, unless a hand
            entry matches them (the page showed them as its duplicates).
        """
        out = Booked(problems=list(parsed.problems))
        namespace = self.state.ids.setdefault(source.prefix, {})
        sources = self.state.sources.setdefault(source.prefix, set())
        for skip in parsed.skipped:
            if skip.id and skip.id in namespace:
                out.changed.append(
                    Changed(
                        skip.lineno,
                        skip.id,
                        namespace[skip.id] or "final",
                        skip.status or skip.reason,
                        True,
                    )
                )
            else:
                out.skipped.append(skip)
        start = self.state.opened.get(source.money_account, self.state.first_open)
        step = 0
        for record in parsed.records:
            step += 1
            if progress is not None and step % 1000 == 0:
                progress(1000)
            sent = only is None or record.id in only
            if record.extra_ids:  # rows folded into this one go where it goes
                before = (
                    len(out.entries),
                    out.duplicates,
                    len(out.skipped),
                    len(out.problems),
                )
                self._book_one(
                    record, source, filename, start, namespace, sources, out, sent
                )
                legs = len(record.extra_ids)
                if len(out.entries) > before[0]:
                    out.legs_imported += legs
                elif out.duplicates > before[1]:
                    out.duplicates += legs
                elif len(out.skipped) > before[2]:
                    out.legs_skipped += legs
                elif len(out.problems) > before[3]:
                    out.legs_rejected += legs
                continue
            self._book_one(record, source, filename, start, namespace, sources, out, sent)
        if progress is not None:
            progress(step % 1000)
        return out

    def _book_one(
        self,
        record: Record,
        source: Source,
        filename: str,
        start: dt.date | None,
        namespace: dict[str, str | None],
        sources: set[str],
        out: Booked,
        sent: bool = True,
    ) -> None:
        """Book one record into ``out``: an entry, a duplicate, a skip, a problem or
        a match (a hand entry is this row already).

        A row not ``sent`` (left out on Fava's Import page) is only ever a match or
        listed as left out: whatever else it would be is not reported.
        """
        into = out if sent else Booked()
        entry = self._checked(record, source, filename, start, namespace, sources, into)
        if entry is not None and self._matched(record, entry, source, namespace, out, sent):
            return
        if not sent:
            out.skipped.append(Skip(record.lineno, LEFT_OUT))
            return
        if entry is not None:
            self._add(entry, record, source, namespace, sources, out)

    def _checked(
        self,
        record: Record,
        source: Source,
        filename: str,
        start: dt.date | None,
        namespace: dict[str, str | None],
        sources: set[str],
        out: Booked,
    ) -> data.Transaction | None:
        """The entry a record becomes, or None once ``out`` says why it is not one
        (a duplicate, a skip or a problem)."""
        if self._seen(record, namespace, sources, source.prefix, out):
            return None
        if start is not None and record.date < start:
            out.skipped.append(
                Skip(record.lineno, f"dated before the books begin ({start.isoformat()})")
            )
            return None
        if record.net == ZERO and record.fee == ZERO and record.kind != Kind.CONVERSION:
            out.skipped.append(Skip(record.lineno, "no money moved"))
            return None
        try:
            entry = self._entry(record, source, filename)
        except _RowError as exc:
            out.problems.append(Problem(record.lineno, exc.what, exc.fix))
            return None
        hit = (
            self._scan(entry)
            or self._odd_token(record)
            or self._currency_refused(entry)
            or _unbalanced(entry)
        )
        if hit:
            out.problems.append(Problem(record.lineno, *hit))
            return None
        return entry

    def _matched(
        self,
        record: Record,
        entry: data.Transaction,
        source: Source,
        namespace: dict[str, str | None],
        out: Booked,
        sent: bool,
    ) -> bool:
        """True if hand entries match the row (noted in ``out``; see :mod:`.matching`).

        Only a row that would be imported is matched: its id and everything it
        would write passed the checks. A matched row counts as in the books for
        the rest of the session, so the same row in an overlapping export is its
        duplicate.
        """
        hand = self.state.hand
        if not hand or record.extra_ids or record.kind == Kind.CONVERSION or not record.net:
            return False
        account = record.money_account or source.money_account
        found = hand.near(
            account, record.net, record.currency, record.date, self.match_days
        )
        if not found:
            return False
        status = entry.meta.get(f"{source.prefix}-status")
        match = Match(
            record.lineno,
            source.prefix,
            record.id,
            status if isinstance(status, str) else None,
            tuple(found),
            entry,
            sent,
        )
        for candidate in found:
            self._claims[candidate] = self._claims.get(candidate, 0) + 1
        out.matches.append(match)
        self.matches.append(match)
        namespace[record.id] = record.status_token
        return True

    def settle(self) -> None:
        """Decide every match of the session, once all its files are booked.

        A row is its hand entry only when it has one candidate and no other row
        of the session matches that candidate; otherwise nothing is guessed
        (:attr:`~.matching.Match.found` stays None, :attr:`~.matching.Match.rivals`
        counts the other rows).
        """
        for match in self.matches:
            claims = sum(self._claims[c] for c in match.candidates)
            match.rivals = claims - len(match.candidates)
            unique = len(match.candidates) == 1 and match.rivals == 0
            match.found = match.candidates[0] if unique else None

    def _add(
        self,
        entry: data.Transaction,
        record: Record,
        source: Source,
        namespace: dict[str, str | None],
        sources: set[str],
        out: Booked,
    ) -> None:
        """Add an accepted entry to ``out`` and to what the session knows."""
        self._accept(entry, record, source)
        namespace[record.id] = record.status_token
        behind = record.meta.get(f"{source.prefix}-source")
        if behind:
            sources.add(behind)
        for extra in record.extra_ids:
            namespace[extra] = record.status_token
        if entry.flag == "!":
            out.to_categorise += 1
            if any(p.account == AID_UNCATEGORIZED for p in entry.postings):
                out.grants_to_categorise += 1
        out.entries.append(entry)

    def _seen(
        self,
        record: Record,
        namespace: dict[str, str | None],
        sources: set[str],
        prefix: str,
        out: Booked,
    ) -> bool:
        behind = record.meta.get(f"{prefix}-source")
        if record.id in sources or (behind is not None and behind in namespace):
            out.duplicates += 1
            return True
        if record.id not in namespace:
            if any(extra in namespace for extra in record.extra_ids):
                out.problems.append(
                    Problem(
                        record.lineno,
                        "part of this row group is already in the books",
                        "check the group by hand and enter what is missing in books/",
                    )
                )
                return True
            return False
        stored = namespace[record.id]
        token = record.status_token
        if (
            stored is not None
            and token is not None
            and (normal_status(stored) or stored) != (normal_status(token) or token)
        ):
            out.changed.append(
                Changed(record.lineno, record.id, stored, token, record.token_is_money)
            )
        else:
            out.duplicates += 1
        return True

    def _accept(self, entry: data.Transaction, record: Record, source: Source) -> None:
        """Note codes to declare and accounts to open for an accepted entry."""
        for posting in entry.postings:
            code = (posting.meta or {}).get("recipient")
            if code:
                self._use_code(code, entry.date)
            account = posting.account
            if account not in self.state.opened:
                units = posting.units
                currency = units.currency if isinstance(units, Amount) else record.currency
                first = self.new_accounts.get(account)
                if first is None:
                    self.new_accounts[account] = (entry.date, str(currency))
                else:  # an account the session opens takes every currency it books
                    known = set(first[1].split(","))
                    known.add(str(currency))
                    self.new_accounts[account] = (
                        min(first[0], entry.date),
                        ",".join(sorted(known)),
                    )

    def _currency_refused(self, entry: data.Transaction) -> tuple[str, str] | None:
        """(what, fix) if a posting's currency is one its account's ``open`` refuses.

        Beancount would reject the entry and, with it, the whole books; the row is
        listed instead (a PayPal balance in another currency, a shifted column).
        """
        for posting in entry.postings:
            allowed = self.state.currencies.get(posting.account)
            units = posting.units
            if allowed and isinstance(units, Amount) and units.currency not in allowed:
                return (
                    f"the books open {posting.account} for {', '.join(sorted(allowed))} "
                    f"only, and this row is in {units.currency}",
                    f"add {units.currency} to the open directive of {posting.account} "
                    "if the account really holds it, then import again",
                )
        return None

    def _use_code(self, code: str, date: dt.date) -> None:
        declared = self.state.declared.get(code)
        if declared is None:
            first = self.new_codes.get(code)
            if first is None or date < first:
                self.new_codes[code] = date
            return
        if date < declared[0]:
            if declared[1].replace("\\", "/").endswith(CODES_FILE):
                current = self.redate.get(code, declared[0])
                self.redate[code] = min(current, date)
            # declared by hand later than this grant: the recipients rule reports it

    def _entry(self, record: Record, source: Source, filename: str) -> data.Transaction:
        for ident in (record.id, *record.extra_ids):
            issue = self.id_issue(ident)
            if issue:
                raise _RowError(*issue)
        _check_written(record)
        meta: dict[str, Any] = data.new_metadata(filename, record.lineno)
        meta[f"{source.prefix}-id"] = record.id
        for n, extra in enumerate(record.extra_ids, start=2):
            meta[f"{source.prefix}-id-{n}"] = extra
        meta.update(record.meta)
        if record.status_token is not None:
            token = normal_status(record.status_token)
            if token is None:
                raise _RowError(
                    "the status column does not hold a known status",
                    "check that the export has the platform's own columns",
                )
            meta[f"{source.prefix}-status"] = token
        if record.timestamp:
            if not _time_words_only(record.timestamp):
                raise _RowError(
                    "the timestamp is not in a known format", "check the date column"
                )
            meta["timestamp"] = record.timestamp
        kind = record.kind
        flag = "*"
        payee: str | None = None
        narration = record.narration
        money = record.money_account or source.money_account
        channel = record.channel or source.channel
        currency = record.currency
        postings: list[data.Posting] = []
        if kind == Kind.CONVERSION:
            if record.converted is None:
                raise _RowError("a conversion has only one leg", "check the export")
            other, other_currency = record.converted
            if not record.net or not other:
                raise _RowError("a conversion leg has no amount", "check the export")
            if (record.net > 0) == (other > 0) or other_currency == currency:
                # two credits, or one currency twice (found by atheris): no conversion
                raise _RowError(
                    "the two legs of a currency conversion do not convert one currency "
                    "into another",
                    "check the conversion rows of the export",
                )
            price = Amount(abs(other) / abs(record.net), other_currency)
            total = {TOTAL_PRICE: Amount(abs(other), other_currency)}
            postings.append(_posting(money, record.net, currency, price=price, meta=total))
            postings.append(_posting(money, other, other_currency))
            entry = data.Transaction(
                meta,
                record.date,
                flag,
                None,
                narration or "Currency conversion",
                data.EMPTY_SET,
                data.EMPTY_SET,
                postings,
            )
            return entry
        if record.net:
            postings.append(_posting(money, record.net, currency))
        if record.fee:
            postings.append(
                _posting(accounts.FEES + source.fee_channel, record.fee, currency)
            )
        counter = record.counter
        counter_meta: dict[str, Any] | None = None
        if record.counterparty.strip().casefold() in NOBODY:
            record.counterparty = ""
        if kind in (Kind.DONATION, Kind.DONATION_REVERSAL):
            account = accounts.DONATIONS + channel
            if record.counterparty and self.donors != "drop":
                meta["donor"] = self._donor(record.counterparty)
                if self.donors == "keep":
                    payee = self._organisation(record)
            if not narration:
                narration = "Donation" if kind == Kind.DONATION else "Donation refunded"
        elif kind in (Kind.GRANT, Kind.GRANT_RETURN):
            flag = "!"
            organisation = self._organisation(record)
            if organisation:
                payee = organisation
                account = EXPENSES_UNCATEGORIZED
            elif not record.counterparty:
                raise _RowError(
                    "the export does not say who received this payment",
                    "enter the grant by hand in books/ with the household's code",
                )
            else:
                account = AID_UNCATEGORIZED
                counter_meta = {"recipient": self._recipient(record.counterparty)}
            if not narration:
                narration = (
                    "Aid payment, to categorise"
                    if kind == Kind.GRANT
                    else "Aid payment returned, to categorise"
                )
        elif kind == Kind.TRANSFER:
            account = accounts.CLEARING + channel
            if not narration:
                narration = "Transfer to bank" if counter > 0 else "Transfer from bank"
        elif kind == Kind.FEE:
            account = accounts.FEES + source.fee_channel
            if not narration:
                narration = f"{source.fee_channel} fee" if counter > 0 else "Fee refunded"
        elif kind == Kind.PURCHASE:
            flag = "!"
            account = EXPENSES_UNCATEGORIZED
            narration = narration or "Purchase, to categorise"
        else:
            flag = "!"
            account = EXPENSES_UNCATEGORIZED if counter > 0 else INCOME_UNCATEGORIZED
            narration = narration or "To categorise"
        if counter:
            postings.append(_posting(account, counter, currency, meta=counter_meta))
        return data.Transaction(
            meta,
            record.date,
            flag,
            payee,
            narration,
            data.EMPTY_SET,
            data.EMPTY_SET,
            postings,
        )

    def id_issue(self, value: str, column: str = "id") -> tuple[str, str] | None:
        """(what, fix) if ``value`` may not be written as a platform id, else None.

        Refused only when it cannot be a stable key, the detectors find personal
        data in it read as an identifier, or it has a name's shape (see the module
        docstring).
        """
        if not _SAFE_ID.fullmatch(value):
            return (
                f"the {column} column holds no platform id (empty, or spaces or "
                "characters no platform id has)",
                "check that the export has the platform's own columns (for a mapped "
                "source, that its mapping names the id column)",
            )
        if value.isdigit():
            return None
        kinds = tuple(
            k for k in self.settings.scanner.identifier_kinds(value) if k != "phone"
        )
        if kinds:
            return (
                f"the {column} column holds {pii.describe(kinds)}, not a platform id",
                "the row was not imported; check that the export has the platform's "
                "own columns",
            )
        if _PROPER_NOUN.fullmatch(value):
            return (
                f"the {column} column holds a capitalised word (the shape of a name), "
                "not a platform id",
                "the row was not imported; check that the export has the platform's "
                "own columns",
            )
        return None

    def _odd_token(self, record: Record) -> tuple[str, str] | None:
        """(what, fix) if a platform reference about to be written is not one.

        Runs after the personal-data scan, so an e-mail in a reference column is
        reported as such.
        """
        for key, value in record.meta.items():
            if _MACHINE_KEYS.fullmatch(key):
                issue = self.id_issue(value, f"'{key}'")
                if issue:
                    return issue
        return None

    def _scan(self, entry: data.Transaction) -> tuple[str, str] | None:
        """Return (what, fix) if anything about to be written is personal data.

        Codes the session derived (``donor``, ``recipient``) are skipped: they are
        made here, from the key, and cannot hold anything else.
        """
        kinds = self._kinds("narration", entry.narration or "")
        if kinds:
            return _pii_hit(kinds, "narration")
        if entry.payee:
            kinds = self._kinds("payee", entry.payee)
            if kinds:
                return _pii_hit(kinds, "payee")
        for key, value in entry.meta.items():
            if key in _NOT_SCANNED or type(value) is not str:
                continue
            kinds = self._kinds(key, value)
            if kinds:
                return _pii_hit(kinds, key)
        for posting in entry.postings:
            if not posting.meta:
                continue
            for key, value in posting.meta.items():
                if key in _NOT_SCANNED or key[0] == "_" or type(value) is not str:
                    continue
                kinds = self._kinds(key, value)
                if kinds:
                    return _pii_hit(kinds, key)
        return None

    def _kinds(self, key: str, text: str) -> tuple[str, ...]:
        """Kinds of personal data in a value about to be written.

        Machine tokens are checked by shape first: a raw timestamp already passed
        a strict date parser (digits, separators, a zone name), and an id passed
        :meth:`id_issue` (one token, no ``@``, no name read as an identifier). An
        all-digit id can only look like a number (a phone, an SSN), which is what
        platform ids are, so it is not scanned; other ids are scanned for
        everything but phone numbers.
        """
        machine = self._machine.get(key)
        if machine is None:
            machine = self._machine[key] = bool(_MACHINE_KEYS.fullmatch(key))
        if machine:
            if key == "timestamp" or text.isdigit():
                return ()
            kinds = self.settings.scanner.kinds(text)
            return tuple(k for k in kinds if k != "phone") if kinds else kinds
        return self.settings.scanner.kinds(text)


def _check_written(record: Record) -> None:
    """Refuse a record whose cells would not make valid, exact books.

    The renderer writes currencies, amounts and machine tokens as they are; a
    malformed export (a shifted column, a cell of another language) must not put
    text in the books that Beancount cannot parse — one such line breaks every
    later command on the books — nor an amount whose sum would be rounded.
    """
    currencies = [record.currency]
    amounts = [record.net, record.fee]
    if record.converted is not None:
        amounts.append(record.converted[0])
        currencies.append(record.converted[1])
    for currency in currencies:
        if not _CURRENCY.fullmatch(currency):
            raise _RowError(
                "the currency column does not hold a currency code (like USD)",
                "check the export's currency column",
            )
    for value in amounts:
        try:
            check_magnitude(value)
        except MoneyError as exc:
            raise _RowError(str(exc), "check the export's amount columns") from None


_WORD = re.compile(r"[A-Za-z][A-Za-z_/+-]*")
#: Words a raw timestamp may hold besides zone names (``2025-05-03T14:22``, ``2:51 PM``).
_TIME_WORDS = frozenset({"T", "Z", "AM", "PM", "UTC", "GMT"})


@lru_cache(maxsize=256)
def _time_word(word: str) -> bool:
    """True for ``T``, ``PM``, a zone abbreviation or an IANA ``Region/City`` name."""
    upper = word.upper()
    if upper in _TIME_WORDS or upper in ABBREVIATIONS:
        return True
    if upper.startswith(("UTC", "GMT")) and _SAFE_TIME.fullmatch(word):
        return True  # UTC+02
    if "/" not in word:  # "Jamaica", "Israel", "Zulu" are zones, and names too
        return False
    try:
        iana_zone(word)
    except ZoneError:
        return False
    return True


_ZEROS = str.maketrans("123456789", "000000000")


def _time_words_only(text: str) -> bool:
    """True if a raw timestamp holds only digits, separators and time words.

    The ``timestamp`` metadata keeps the platform's text as it was; a malformed
    file can put a name in a zone column the parser did not need (a date without
    a time), so every word in it must be a word of time, not just word-shaped.
    The verdict depends only on the shape (digits made 0), which is cached.
    """
    return _time_shape_ok(text.translate(_ZEROS))


@lru_cache(maxsize=1024)
def _time_shape_ok(shape: str) -> bool:
    if not _SAFE_TIME.fullmatch(shape) or "0" not in shape:
        return False
    return all(_time_word(word) for word in _WORD.findall(shape))


def _unbalanced(entry: data.Transaction) -> tuple[str, str] | None:
    """(what, fix) if the entry does not balance (the last guard before writing).

    Every importer builds balanced entries by construction; a malformed export
    must still never put an entry in the books that Beancount rejects.
    """
    sums: dict[str, Decimal] = {}
    for posting in entry.postings:
        units = posting.units
        if not isinstance(units, Amount) or units.number is None:
            return ("a posting has no amount", "check the export's amount columns")
        total = (posting.meta or {}).get(TOTAL_PRICE)
        if isinstance(total, Amount) and total.number is not None:
            number = total.number if units.number > 0 else -total.number
            currency = str(total.currency)
        else:
            number, currency = units.number, str(units.currency)
        sums[currency] = sums.get(currency, ZERO) + number
    if any(sums.values()):
        return (
            "the row's amounts do not add up to a balanced entry",
            "check the export's amount columns",
        )
    return None


def _pii_hit(kinds: tuple[str, ...], key: str) -> tuple[str, str]:
    return (
        f"would write {pii.describe(kinds)} in '{key}'",
        "the row was not imported; check the export's columns "
        "(or the column mapping in aidbooks.toml)",
    )


class _RowError(Exception):
    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix


def _posting(
    account: str,
    number: Decimal,
    currency: str,
    price: Amount | None = None,
    meta: dict[str, Any] | None = None,
) -> data.Posting:
    return data.Posting(account, Amount(number, currency), None, price, None, meta)
