"""Which named check a Beancount error belongs to.

Beancount validates the books as it loads them and returns one flat list of errors.
``aidbooks check`` splits that list into named checks, the way hledger names its
checks:

``syntax``
    lexer and parser errors, deprecated syntax, bad options, includes that match no
    file, plugins that cannot be imported, and Beancount's "hardcore" data-type
    validation of every directive (which ``bean-check`` runs too).
``balanced``
    booking and interpolation errors and transactions that do not balance.
``assertions``
    failed ``balance`` assertions, ``pad`` errors, contradictory duplicate assertions.
``accounts``
    accounts used before they are opened, after they are closed or never opened,
    opened or closed twice, postings in a currency the account does not allow, and
    commodities declared twice.
``other``
    everything else: Beancount's ``document`` directive errors, errors of plugins
    that are not aidbooks rules, a crashing third-party plugin, and any error type
    this module does not know. Nothing is ever dropped.

Errors of aidbooks rules carry their check name as ``rule``; a rule that crashed
while the loader ran it is reported under its own check, so a broken rule can never
pass.

The classification goes by error type first and by Beancount's message only where
one type covers several checks (``ValidationError``, ``BalanceError``,
``LoadError``). A message Beancount rewords in a later version falls through to the
type's default check, never out of the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beancount.core.interpolate import BalanceError
from beancount.loader import LoadError
from beancount.ops.documents import DocumentError
from beancount.ops.pad import PadError
from beancount.ops.validation import ValidationError
from beancount.parser.booking import BookingError
from beancount.parser.booking_full import CategorizationError
from beancount.parser.booking_full import InterpolationError
from beancount.parser.booking_full import ReductionError
from beancount.parser.booking_full import SelfReduxError
from beancount.parser.booking_method import AmbiguousMatchError
from beancount.parser.grammar import DeprecatedError
from beancount.parser.grammar import ParserError
from beancount.parser.grammar import ParserSyntaxError
from beancount.parser.lexer import LexerError

SYNTAX = "syntax"
BALANCED = "balanced"
ASSERTIONS = "assertions"
ACCOUNTS = "accounts"
OTHER = "other"

#: The checks this module sorts Beancount's own errors into, in report order.
BEANCOUNT_CHECKS = (SYNTAX, BALANCED, ASSERTIONS, ACCOUNTS)

_BY_TYPE: dict[type, str] = {
    LexerError: SYNTAX,
    ParserError: SYNTAX,
    ParserSyntaxError: SYNTAX,
    DeprecatedError: SYNTAX,
    BookingError: BALANCED,
    InterpolationError: BALANCED,
    ReductionError: BALANCED,
    CategorizationError: BALANCED,
    SelfReduxError: BALANCED,
    AmbiguousMatchError: BALANCED,
    PadError: ASSERTIONS,
    DocumentError: OTHER,
}

# ValidationError comes from every function of beancount.ops.validation.
_VALIDATION = (
    (re.compile(r"Transaction does not balance"), BALANCED),
    (re.compile(r"Duplicate balance assertion"), ASSERTIONS),
    (re.compile(r"Invalid data types"), SYNTAX),
    (re.compile(r"Invalid relative path for entry"), OTHER),
)
# BalanceError comes from the balance plugin (and interpolation).
_BALANCE = (
    (re.compile(r"Invalid reference to unknown account"), ACCOUNTS),
    (re.compile(r"Invalid currency"), ACCOUNTS),
)
_PLUGIN_LOAD = re.compile(r'Error (importing|applying plugin) "([^"]+)"')
_INCLUDE = re.compile(r'File (?:glob )?"([^"]+)" does not (?:exist|match any files)')
_INVALID_TOKEN = re.compile(r"Invalid token: '.*'", re.S)
_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))\b")


def check_of(error: Any, rule_modules: Mapping[str, str], known: set[str]) -> str:
    """Return the name of the check ``error`` belongs to.

    Args:
      error: A Beancount error (anything with ``source``, ``message``, ``entry``).
      rule_modules: Full module name of each aidbooks rule -> its check name.
      known: Every check name of the registry (an error's ``rule`` must be one).
    """
    rule = getattr(error, "rule", None)
    if isinstance(rule, str):
        return rule if rule in known else OTHER
    kind = type(error)
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    message = str(getattr(error, "message", ""))
    if kind is ValidationError:
        return _first_match(_VALIDATION, message, ACCOUNTS)
    if kind is BalanceError:
        return _first_match(_BALANCE, message, ASSERTIONS)
    if kind is LoadError:
        match = _PLUGIN_LOAD.match(message)
        if match is None:
            return SYNTAX
        rule_check = rule_modules.get(match.group(2))
        if rule_check is not None:
            return rule_check
        return SYNTAX if match.group(1) == "importing" else OTHER
    return OTHER


def _first_match(
    table: tuple[tuple[re.Pattern[str], str], ...], text: str, default: str
) -> str:
    for pattern, name in table:
        if pattern.search(text):
            return name
    return default


def clean_message(error: Any) -> str:
    """Return an error's message fit to print: one line, no source text or traceback.

    Beancount's lexer quotes the token it could not read (often a name typed without
    quotes) and a crashing plugin's message carries a traceback that may quote data;
    both are cut, keeping the exception type.
    """
    message = str(getattr(error, "message", "") or "")
    if isinstance(error, LexerError):
        return _INVALID_TOKEN.sub(
            "Invalid token (not shown, it may be personal data); put text in quotes",
            message,
        ).splitlines()[0]
    if isinstance(error, LoadError):
        match = _PLUGIN_LOAD.match(message)
        if match:
            kind = _exception_type(message)
            return f"{match.group(0)}: {kind}" if kind else match.group(0)
    first = message.strip().splitlines()
    return first[0] if first else type(error).__name__


def _exception_type(traceback_text: str) -> str:
    for line in reversed(traceback_text.splitlines()):
        match = _EXCEPTION_LINE.match(line)
        if match:
            return match.group(1)
    return ""


def locate(error: Any, main_file: Path) -> tuple[str, int]:
    """Return ``(filename, lineno)`` of an error, pointing errors without a file at the
    line of the main ledger that caused them (its ``include`` or ``plugin`` line)."""
    source = getattr(error, "source", None)
    filename = source.get("filename") if isinstance(source, Mapping) else None
    lineno = source.get("lineno") if isinstance(source, Mapping) else None
    if filename and not str(filename).startswith("<"):
        return str(filename), int(lineno or 0)
    message = str(getattr(error, "message", "") or "")
    needle = None
    match = _INCLUDE.search(message)
    if match:
        needle = ("include", match.group(1))
    else:
        match = _PLUGIN_LOAD.match(message)
        if match:
            needle = ("plugin", match.group(2))
    return str(main_file), _directive_line(main_file, needle) if needle else 0


def _directive_line(path: Path, needle: tuple[str, str]) -> int:
    """The line of ``include "<x>"`` / ``plugin "<x>"`` in a file (0 if not found)."""
    keyword, value = needle
    pattern = re.compile(rf'^\s*{keyword}\s+"([^"]*)"')
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    for number, line in enumerate(lines, start=1):
        match = pattern.match(line)
        if match and (match.group(1) == value or value.endswith("/" + match.group(1))):
            return number
    return 0
