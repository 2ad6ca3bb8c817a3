"""The fund's policy: ``aidbooks.toml`` beside the main ledger file.

Every rule, importer and report reads its settings from here. The file is validated
by a pydantic model: an unknown key or a bad value is a :class:`PolicyError` that
names the file, the line and the key, e.g.::

    aidbooks.toml:14: approvals.threshold: must be zero or more. Fix the value in the [approvals] table.

Every key has a default a fund can live with, so an empty file (or no file) is a
valid policy. The fullest form::

    [fund]
    name = "Riverside Neighbors Mutual Aid"
    currency = "USD"
    timezone = "America/Chicago"

    [privacy]
    min_cell = 11
    p_percent = 15                   # the report's p% rule (reports/disclosure.py)
    median_step = "10"               # the published median grant is rounded to this
    donors = "pseudonymize"          # or "keep", "drop"
    key_file = "~/.config/aidbooks/riverside.key"
    allow = ["Lincoln Elementary"]   # exact strings the personal-data scan accepts
    organisations = ["Food Bank"]    # payees allowed on grant and donation transactions

    [approvals]
    threshold = "250.00"
    approvers = 2

    [caps]
    per_household = "600.00"
    window_days = 30

    [funds.legal]
    restricted = true
    categories = ["Legal", "Bail"]

    [reconcile]
    fresh_days = 45
    clearing_days = 10

    [receivables]
    max_age_days = 365

    [pending]
    max_age_days = 14

    [documents]
    required_above = "500.00"

    [report]
    languages = ["en", "es"]
    published = "reports"             # where the published reports are kept

    [imports]                         # aidbooks import (see importers/__init__.py)
    bank_account = "Assets:Bank:Checking"
    venmo_timezone = "UTC"            # Venmo's personal statement does not say
    paypal_date_order = ""            # "MDY" or "DMY" when a file cannot tell
    match_days = 3                    # a row matches a hand entry this many days away

    [imports.mapped.gofundme]         # a column-mapped CSV export
    channel = "GoFundMe"
    id = "Transaction ID"
    date = "Date"
    amount = "Amount"
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator
from pydantic_core import ErrorDetails

from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.fsutil import read_regular_bytes
from aidbooks.plugins.zones import ZoneError
from aidbooks.plugins.zones import iana_zone

POLICY_FILENAME = "aidbooks.toml"
GENERAL_FUND = "general"

# ISO 4217 codes in current use. Kept here (not fetched) so validation works offline.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV
    WST XAF XCD XOF XPF YER ZAR ZMW ZWL""".split()
)

#: Aid categories a fund starts with: the leaf of ``Expenses:Aid:<Category>``.
DEFAULT_CATEGORIES = (
    "Groceries",
    "Rent",
    "Utilities",
    "Legal",
    "Bail",
    "Rides",
    "Phone",
    "Medicine",
    "Childcare",
)

LANGUAGES = ("en", "es", "so")


def _to_decimal(value: Any) -> Any:
    """Accept money written as a TOML string, integer or float; keep it exact."""
    if isinstance(value, bool):
        raise ValueError('must be an amount like "250.00", not true/false')
    if isinstance(value, int | float | str):
        text = str(value).strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError('must be an amount like "250.00"') from None
        if not number.is_finite():
            raise ValueError('must be a finite amount like "250.00"')
        return number
    return value


Money = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0)]
CENT = Decimal("0.01")
Days = Annotated[int, Field(ge=1, le=36500)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class FundSection(_Section):
    """``[fund]``: who the books belong to."""

    name: str = "Our Mutual Aid Fund"
    currency: str = "USD"
    timezone: str = "America/Chicago"

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError('must be an ISO 4217 currency code such as "USD"')
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            iana_zone(value)
        except ZoneError:
            raise ValueError(
                'must be an IANA time zone such as "America/Chicago"'
            ) from None
        return value


class PrivacySection(_Section):
    """``[privacy]``: disclosure control and pseudonyms."""

    min_cell: int = Field(default=11, ge=2, le=1000)
    donors: Literal["pseudonymize", "keep", "drop"] = "pseudonymize"
    key_file: str = "~/.config/aidbooks/aidbooks.key"
    allow: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    #: The p% rule of the report (reports/disclosure.py, rule 2): an amount is not
    #: published when the households other than the two largest hold less than p%
    #: of the largest one's part.
    p_percent: Decimal = Field(default=Decimal(15), gt=0, lt=100)
    #: No longer used (the p% rule replaced it); accepted so older policies load.
    dominance: Decimal = Field(default=Decimal("0.6"), gt=0, le=1)
    rounding: Money = Decimal("1")
    #: The published median grant is rounded to this (or to ``rounding`` when that
    #: is coarser), so that it cannot be one household's grant to the cent.
    median_step: Money = Decimal("10")
    #: Every protected amount keeps a feasible interval of at least this share of
    #: its value on each side, for a reader holding every published report.
    protection: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    #: ... and never narrower than this many units of money on each side.
    protection_floor: Money = Decimal("10")

    @field_validator("key_file")
    @classmethod
    def _key_file(cls, value: str) -> str:
        # a NUL cannot be in any file name: every file function would raise on it
        if "\x00" in value or not value.strip():
            raise ValueError(
                'must be the path of the key file, like "~/.config/aidbooks/fund.key"'
            )
        return value

    @field_validator("median_step")
    @classmethod
    def _median_step(cls, value: Decimal) -> Decimal:
        if not (Decimal("0.01") <= value <= 1_000_000 and value == value.quantize(CENT)):
            raise ValueError('must be a unit from "0.01" to "1000000", like "10"')
        return value

    @field_validator("rounding")
    @classmethod
    def _rounding(cls, value: Decimal) -> Decimal:
        # The unit published amounts are rounded to: 0 (cents) or a whole number of
        # cents up to a million. A unit like 1e-30 or 1e30 cannot be computed with.
        if value != 0 and not (
            Decimal("0.01") <= value <= 1_000_000 and value == value.quantize(CENT)
        ):
            raise ValueError(
                'must be 0 (publish cents) or a unit from "0.01" to "1000000", like "1"'
            )
        return value


class ApprovalsSection(_Section):
    """``[approvals]``: two-person approval of large grants."""

    threshold: Money = Decimal("250.00")
    approvers: int = Field(default=2, ge=1, le=10)


class CapsSection(_Section):
    """``[caps]``: what one household may receive within a rolling window."""

    per_household: Money = Decimal("600.00")
    window_days: Days = 30


class FundPolicy(_Section):
    """``[funds.<name>]``: an earmarked fund."""

    restricted: bool = True
    categories: tuple[str, ...] = ()
    description: str = ""


class ReconcileSection(_Section):
    """``[reconcile]``: how fresh balance assertions and clearing must be."""

    fresh_days: Days = 45
    clearing_days: Days = 10


class ReceivablesSection(_Section):
    """``[receivables]``: bail and bond money that should come back."""

    max_age_days: Days = 365


class PendingSection(_Section):
    """``[pending]``: how long a ``!`` transaction may wait."""

    max_age_days: Days = 14


class DocumentsSection(_Section):
    """``[documents]``: grants above this amount link a receipt."""

    required_above: Money = Decimal("500.00")


class ReportSection(_Section):
    """``[report]``: published reports.

    ``published`` is the folder where the fund keeps its published reports, one
    folder each (as ``aidbooks report --out`` writes them), relative to the books'
    folder or absolute; empty when the books do not know. The Aid page's publish
    preview reads the reports there, so it hides what the real report will hide.
    """

    languages: tuple[Literal["en", "es", "so"], ...] = Field(default=("en",), min_length=1)
    published: str = ""

    @field_validator("published")
    @classmethod
    def _published(cls, value: str) -> str:
        if "\x00" in value:  # no folder name holds a NUL
            raise ValueError('must be the folder of the published reports, like "reports"')
        return value

    def published_folder(self, books_folder: Path) -> Path | None:
        """Return the folder of the published reports, or None when not set."""
        if not self.published.strip():
            return None
        return books_folder / os.path.expandvars(os.path.expanduser(self.published))


# --- [imports] (the importers) ----------------------------------------------------------

_CHANNEL = re.compile(r"[A-Z][A-Za-z0-9]*")
_ACCOUNT = re.compile(
    r"(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+"
)


def _zone_name(value: str) -> str:
    try:
        iana_zone(value)
    except ZoneError:
        raise ValueError('must be an IANA time zone such as "UTC"') from None
    return value


class MappedSource(_Section):
    """``[imports.mapped.<name>]``: a CSV export read through a column mapping.

    For platforms whose exports are unverified or vary (GoFundMe, Givebutter,
    Donorbox, Zeffy, Ko-fi...). Values are column names of the export, except
    ``channel``, ``account``, ``date_format``, ``timezone``, ``final``,
    ``refund_types``, ``payout_types``, ``decimal`` and ``preset``.
    """

    preset: Literal["", "actblue"] = ""
    channel: str = ""
    account: str = ""
    identify: tuple[str, ...] = ()
    id: str = ""
    date: str = ""
    date_format: str = ""
    timezone: str = "UTC"
    amount: str = ""
    fee: str = ""
    fee_negative: bool = False
    net: str = ""
    currency: str = ""
    donor: tuple[str, ...] = ()
    status: str = ""
    final: tuple[str, ...] = ()
    type: str = ""
    refund_types: tuple[str, ...] = ()
    payout_types: tuple[str, ...] = ()
    refund_id: str = ""
    refund_date: str = ""
    decimal: Literal[".", ","] = "."

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value and not _CHANNEL.fullmatch(value):
            raise ValueError('must be a capitalised name without spaces, like "GoFundMe"')
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        if value and not _ACCOUNT.fullmatch(value):
            raise ValueError('must be an account name like "Assets:Platform:GoFundMe"')
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return _zone_name(value)

    @model_validator(mode="after")
    def _complete(self) -> MappedSource:
        if not self.preset:
            missing = [
                k for k in ("channel", "id", "date", "amount") if not getattr(self, k)
            ]
            if missing:
                raise ValueError(
                    f'needs {", ".join(missing)} (or a preset such as "actblue")'
                )
        return self


class ImportsSection(_Section):
    """``[imports]``: how ``aidbooks import`` reads exports."""

    bank_account: str = "Assets:Bank:Checking"
    venmo_timezone: str = "UTC"
    paypal_date_order: Literal["", "MDY", "DMY"] = ""
    #: A row matches a transaction written by hand (no platform id, the same
    #: amount on the same money account) dated at most this many days from it.
    match_days: int = Field(default=3, ge=0, le=31)
    mapped: dict[str, MappedSource] = Field(default_factory=dict)

    @field_validator("bank_account")
    @classmethod
    def _bank_account(cls, value: str) -> str:
        if not _ACCOUNT.fullmatch(value):
            raise ValueError('must be an account name like "Assets:Bank:Checking"')
        return value

    @field_validator("venmo_timezone")
    @classmethod
    def _venmo_timezone(cls, value: str) -> str:
        return _zone_name(value)

    @field_validator("mapped")
    @classmethod
    def _mapped(cls, value: dict[str, MappedSource]) -> dict[str, MappedSource]:
        reserved = {"venmo", "paypal", "cashapp", "stripe", "opencollective", "bank", "ofx"}
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9]*", name) or name in reserved:
                raise ValueError(
                    f"source name {name!r} must be lower-case letters and digits "
                    "and not a built-in importer's name"
                )
        return value


# --- end [imports] ------------------------------------------------------------------


class Policy(_Section):
    """The whole of ``aidbooks.toml``."""

    fund: FundSection = FundSection()
    privacy: PrivacySection = PrivacySection()
    approvals: ApprovalsSection = ApprovalsSection()
    caps: CapsSection = CapsSection()
    funds: dict[str, FundPolicy] = Field(default_factory=dict)
    reconcile: ReconcileSection = ReconcileSection()
    receivables: ReceivablesSection = ReceivablesSection()
    pending: PendingSection = PendingSection()
    documents: DocumentsSection = DocumentsSection()
    report: ReportSection = ReportSection()
    imports: ImportsSection = ImportsSection()

    @field_validator("funds")
    @classmethod
    def _funds(cls, value: dict[str, FundPolicy]) -> dict[str, FundPolicy]:
        for name, fund in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
                raise ValueError(
                    f"fund name {name!r} must be lower-case letters, digits, -"
                )
            if name == GENERAL_FUND and fund.restricted:
                raise ValueError("the general fund is always unrestricted")
        return value

    def fund_names(self) -> set[str]:
        """Return every declared fund name, ``general`` included."""
        return {GENERAL_FUND, *self.funds}

    def key_path(self, environ: dict[str, str] | None = None) -> Path:
        """Return where the fund's key lives: ``$AIDBOOKS_KEY_FILE`` or ``privacy.key_file``."""
        env = os.environ if environ is None else environ
        raw = env.get("AIDBOOKS_KEY_FILE") or self.privacy.key_file
        return Path(os.path.expandvars(os.path.expanduser(raw)))


def _locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """Find the line of a dotted key in TOML text (tables and ``key =`` lines)."""
    keys = [str(k) for k in loc if not isinstance(k, int)]
    if not keys:
        return None
    lines = text.splitlines()
    table: list[str] = []
    best: int | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            table = [part.strip().strip('"') for part in header.group(1).split(".")]
            if table == keys[: len(table)] and best is None and len(table) == len(keys):
                best = number
            continue
        match = re.match(r"([A-Za-z0-9_\-\"\.]+)\s*=", line)
        if match:
            key = [part.strip().strip('"') for part in match.group(1).split(".")]
            if table + key == keys[: len(table) + len(key)]:
                return number
    return best


def _describe(loc: tuple[Any, ...]) -> str:
    return ".".join(str(k) for k in loc if not isinstance(k, int)) or "(top level)"


def _explain(err: ErrorDetails) -> tuple[str, str]:
    kind = err.get("type", "")
    loc = err.get("loc", ())
    table = ".".join(str(k) for k in loc[:-1] if not isinstance(k, int))
    where = f"the [{table}] table" if table else "the top level"
    if kind == "extra_forbidden":
        return ("is not a known key", f"remove it or check its spelling in {where}")
    message = str(err.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        message = "must be " + message.removeprefix("Input should be ")
    elif message.startswith("Input should be "):
        message = "must be " + message.removeprefix("Input should be ")
    else:  # "Tuple should have at least 1 item after validation, not 0"
        message = re.sub(r"^\w+ should ", "must ", message).split(" after validation")[0]
    return (message, f"fix the value in {where}")


def parse_policy(text: str, filename: str = POLICY_FILENAME) -> Policy:
    """Parse and validate policy text.

    Raises:
      PolicyError: naming the file, line and key of the first problem.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise PolicyError(
            f"is not valid TOML ({str(exc).split(' (at')[0]})",
            "check quotes, brackets and '=' signs",
            filename,
            int(match.group(1)) if match else None,
        ) from None
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        what, fix = _explain(err)
        raise PolicyError(
            f"{_describe(loc)}: {what}", fix, filename, _locate(text, loc)
        ) from None


_CACHE: dict[str, tuple[tuple[int, int], Policy]] = {}


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Load ``aidbooks.toml`` from ``path``; a missing file gives the defaults.

    Parsed policies are cached by (path, mtime, size), so every rule can call this
    without re-reading the file.

    Raises:
      PolicyError: the file is unreadable or invalid.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return Policy()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "not a file name"
        raise PolicyError(
            f"cannot be read ({reason})", "check its permissions", str(p)
        ) from None
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _CACHE.get(str(p))
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        text = read_regular_bytes(p).decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError("is not UTF-8 text", "save it as UTF-8", str(p)) from None
    except OSError as exc:
        raise PolicyError(
            f"cannot be read ({exc.strerror})", "check its permissions", str(p)
        ) from None
    policy = parse_policy(text, str(p))
    _CACHE[str(p)] = (stamp, policy)
    return policy


def policy_path_for(ledger_file: str | os.PathLike[str]) -> Path:
    """Return the path of the policy file that belongs to a main ledger file."""
    return Path(ledger_file).resolve().parent / POLICY_FILENAME


def policy_for_options(options_map: dict[str, Any]) -> Policy:
    """Return the policy beside the top-level ledger file named in ``options_map``.

    A ledger loaded from a string (no file) gets the defaults.
    """
    filename = options_map.get("filename")
    if not filename or str(filename).startswith("<"):
        return Policy()
    return load_policy(policy_path_for(filename))


def policy_or_finding(options_map: dict[str, Any]) -> tuple[Policy, list[Any]]:
    """Return the policy for a plugin, or the defaults plus a finding if it is invalid.

    Plugins never raise: an invalid ``aidbooks.toml`` becomes one
    :class:`~aidbooks.plugins.errors.PolicyFindingError` at the policy file's line.
    """
    from aidbooks.plugins.errors import PolicyFindingError  # noqa: PLC0415
    from aidbooks.plugins.errors import new_meta  # noqa: PLC0415

    try:
        return policy_for_options(options_map), []
    except PolicyError as exc:
        meta = new_meta(exc.filename or POLICY_FILENAME, exc.lineno or 0)
        message = exc.what + (f". {exc.fix}" if exc.fix else "")
        return Policy(), [PolicyFindingError(meta, message, None)]


def key_line(path: str | os.PathLike[str], *keys: str) -> int | None:
    """Return the line of a dotted key in a policy file, e.g. ``("funds", "legal")``.

    For findings about a valid policy (``aidbooks check policy``); None when the file
    or the key is not there.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return _locate(text, keys)
