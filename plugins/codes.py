"""Recipient, volunteer and donor codes: the only way the books refer to a person.

A code looks like ``R-4F7KM-Q9X2H``:

* a **kind prefix**: ``R`` recipient (a household), ``V`` volunteer, ``D`` donor;
* nine **body** characters from Crockford's base-32 alphabet
  (``0123456789ABCDEFGHJKMNPQRSTVWXYZ`` — no I, L, O or U, so nothing is misread on
  paper) carrying 45 random bits, drawn with :mod:`secrets` at intake or derived
  with a keyed HMAC by the importers (:mod:`aidbooks.plugins.keys`);
* one **check character** (the last one). It is a Damm-style check over GF(32):
  every single-character substitution and every swap of two adjacent characters —
  including the prefix — is detected, so a typo never silently names another
  household.

Codes are written in the books in this canonical form. When reading what a person
typed, :func:`normalize` forgives case, spaces, missing hyphens and the look-alikes
``I``/``L`` (read as ``1``) and ``O`` (read as ``0``).

Ledger example::

    2025-01-01 custom "aid-recipient" "R-4F7KM-Q9X2H"
    2025-01-01 custom "aid-volunteer" "V-0N2CE-7RPWX"
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Literal
from typing import NamedTuple

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})

Kind = Literal["recipient", "volunteer", "donor"]
PREFIX: dict[str, str] = {"recipient": "R", "volunteer": "V", "donor": "D"}
KIND_OF_PREFIX: dict[str, Kind] = {"R": "recipient", "V": "volunteer", "D": "donor"}

BODY_LENGTH = 9
BODY_BITS = 5 * BODY_LENGTH  # 45 random bits
CODE_LENGTH = 2 + BODY_LENGTH + 1 + 1  # "R-" + body + "-" + check

#: The custom directive type that declares a code of each kind in the books.
DECLARATION = {"recipient": "aid-recipient", "volunteer": "aid-volunteer"}


def _mul2(value: int) -> int:
    """Multiply by x in GF(2^5) with the modulus x^5 + x^2 + 1."""
    value <<= 1
    if value & 0x20:
        value ^= 0x25
    return value


_MUL2 = tuple(_mul2(v) for v in range(32))


def _interim(values: Iterable[int]) -> int:
    acc = 0
    for v in values:
        acc = _MUL2[acc] ^ v
    return acc


def _position_tables() -> list[dict[str, int]]:
    """For each of the 11 checked characters, its contribution to the check sum.

    The check sum is linear (XOR) in the characters, so it is the XOR of one table
    look-up per position: no loop, no chain of multiplications.
    """
    tables = []
    for position in range(1 + BODY_LENGTH + 1):
        table = {}
        for ch, value in _VALUE.items():
            acc = value
            for _ in range(BODY_LENGTH + 1 - position):
                acc = _mul2(acc)
            table[ch] = acc
        tables.append(table)
    return tables


_P = _position_tables()


def _valid_fast(text: str, kind: Kind | None) -> bool:
    """True for a valid canonical code (of ``kind``); False means "look closer"."""
    if len(text) != CODE_LENGTH or text[1] != "-" or text[7] != "-":
        return False
    prefix = KIND_OF_PREFIX.get(text[0])
    if prefix is None or (kind is not None and prefix != kind):
        return False
    p = _P
    try:
        return not (
            p[0][text[0]]
            ^ p[1][text[2]]
            ^ p[2][text[3]]
            ^ p[3][text[4]]
            ^ p[4][text[5]]
            ^ p[5][text[6]]
            ^ p[6][text[8]]
            ^ p[7][text[9]]
            ^ p[8][text[10]]
            ^ p[9][text[11]]
            ^ p[10][text[12]]
        )
    except KeyError:
        return False


def check_character(prefix: str, body: str) -> str:
    """Return the check character for a prefix letter and a body."""
    acc = _interim(_VALUE[ch] for ch in prefix + body)
    return ALPHABET[_mul2(acc)]


def _format(prefix: str, body: str) -> str:
    check = check_character(prefix, body)
    chars = body + check
    return f"{prefix}-{chars[:5]}-{chars[5:]}"


def code_from_int(kind: Kind, number: int) -> str:
    """Build the code of ``kind`` whose body encodes the low 45 bits of ``number``."""
    number &= (1 << BODY_BITS) - 1
    body = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(BODY_LENGTH)))
    return _format(PREFIX[kind], body)


def new_code(kind: Kind = "recipient") -> str:
    """Return a fresh random code of ``kind`` (45 bits from :mod:`secrets`)."""
    return code_from_int(kind, secrets.randbits(BODY_BITS))


def normalize(text: str) -> str:
    """Return ``text`` in the canonical layout, forgiving case, spacing and look-alikes.

    The result is not necessarily valid; pass it to :func:`problem` to find out.
    """
    raw = "".join(ch for ch in text.upper() if ch not in "- \t").translate(_LOOKALIKES)
    if len(raw) != 1 + BODY_LENGTH + 1:
        return text.strip()
    return f"{raw[0]}-{raw[1:6]}-{raw[6:]}"


class CodeProblem(NamedTuple):
    """Why a string is not a valid code (never echoes the string)."""

    reason: str
    fix: str


def problem(text: str, kind: Kind | None = None) -> CodeProblem | None:
    """Return why ``text`` is not a valid canonical code (of ``kind``), or None.

    Args:
      text: What the books hold.
      kind: The kind the context requires, or None for any kind.
    Returns:
      None when valid, else a :class:`CodeProblem`.
    """
    if _valid_fast(text, kind):
        return None
    if len(text) != CODE_LENGTH or text[1] != "-" or text[7] != "-":
        fixed = normalize(text)
        if fixed != text and problem(fixed, kind) is None:
            return CodeProblem(
                "is not written in the canonical layout", f"write it as {fixed}"
            )
        return CodeProblem(
            "is not shaped like a code",
            "a code looks like R-XXXXX-XXXXX (kind letter, ten characters)",
        )
    prefix = text[0]
    if prefix not in KIND_OF_PREFIX:
        return CodeProblem(
            "has an unknown kind prefix",
            "codes start with R (recipient), V (volunteer) or D (donor)",
        )
    chars = text[2:7] + text[8:]
    bad = [ch for ch in chars if ch not in _VALUE]
    if bad:
        fixed = normalize(text)
        if fixed != text and problem(fixed, kind) is None:
            return CodeProblem(
                "uses a look-alike or lower-case character", f"write it as {fixed}"
            )
        return CodeProblem(
            "uses a character outside the code alphabet",
            "codes use 0-9 and A-Z without I, L, O and U",
        )
    if _interim(_VALUE[ch] for ch in prefix + chars) != 0:
        return CodeProblem(
            "fails its check character (a character is mistyped or two are swapped)",
            "copy the code again from the intake sheet",
        )
    if kind is not None and KIND_OF_PREFIX[prefix] != kind:
        return CodeProblem(
            f"is a {KIND_OF_PREFIX[prefix]} code where a {kind} code is needed",
            f"use a code starting with {PREFIX[kind]}-",
        )
    return None


def is_valid(text: str, kind: Kind | None = None) -> bool:
    """Return True if ``text`` is a valid canonical code (of ``kind``)."""
    return _valid_fast(text, kind)


def kind_of(text: str) -> Kind | None:
    """Return the kind of a valid code, or None."""
    if problem(text) is not None:
        return None
    return KIND_OF_PREFIX[text[0]]


def _close(a: str, b: str) -> bool:
    """True if two equal-length strings differ by one character or one adjacent swap."""
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diffs) == 1:
        return True
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and a[diffs[0]] == b[diffs[1]]
        and a[diffs[1]] == b[diffs[0]]
    )


def suggest(text: str, candidates: Iterable[str]) -> str | None:
    """Return the one candidate within one typo (substitution or swap) of ``text``.

    Only used on the error path, so a scan of the candidates is fine.
    """
    target = normalize(text)
    if len(target) != CODE_LENGTH:
        return None
    found = [c for c in candidates if len(c) == CODE_LENGTH and _close(target, c)]
    return found[0] if len(found) == 1 else None
