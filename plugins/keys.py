"""The fund's secret key, its fingerprint in the books, and the keyed derivation of codes.

Importers meet people only as platform identifiers (a Venmo display name, a PayPal
e-mail, a $cashtag, a phone number). They turn each into a code with

    HMAC-SHA256(key, "aidbooks/v1/<kind>/" + normalized identifier)

so the same person always gets the same code, and nobody without the key can test
whether a given person is in the books (a plain hash could be tested by hashing a
guess). The derivation is domain-separated per kind: one identifier gives unrelated
recipient and donor codes.

**The key file.** The key is 32 random bytes stored hex-encoded in a file **outside
the books** with 0600 permissions (``privacy.key_file`` in ``aidbooks.toml``, or
``$AIDBOOKS_KEY_FILE``). ``aidbooks init`` creates it. Its first line is the
current key; after a rotation (``aidbooks key rotate``) each later line keeps a
retired key, the most recently retired first::

    4f1c…e9                  (64 hex characters: the current key)
    retired 9a07…31          (the key it replaced)
    retired 0d5b…c2          (the key before that)

Blank lines and lines starting with ``#`` are ignored. A file of one line (every
key file made before rotation existed) is a key with nothing retired.
:func:`read_key_file` returns the current key, :func:`read_key_ring` the whole
ring. The importers derive a code under every key of the ring and keep the one the
books already know, so a family keeps its code across a rotation. (A key may
instead be derived from a passphrase with :func:`key_from_passphrase`; a
passphrase keeps no retired key, so it cannot be rotated.)

**The fingerprint in the books.** :func:`fingerprint` is a public 16-hex-digit name
of a key, ``HMAC-SHA256(key, "aidbooks/v1/key-id")`` cut to 64 bits: it says which
key, and reveals nothing of it (the report's seal carries the same value as its
``key_id``). The books record it with a dated directive::

    2025-01-01 custom "aid-key" "3c9e0f6a81d2b475"

``aidbooks init`` writes one into ``codes.beancount``; each rotation appends the
next one (dated after every earlier one); ``aidbooks import`` records the key in use
in ``imports/codes.beancount`` of books that record none yet. The latest dated one
is the books' current key, the earlier ones the history of retired keys
(:func:`recorded_keys`). Every command that derives codes or seals a report
compares its key with the books' first (:func:`check_books_key`), so the wrong key
file is one clear line before anything is written, not a new code for every family.
The ``recipients`` rule reports a malformed ``aid-key`` directive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
from beancount.core import data

from aidbooks.plugins import codes
from aidbooks.plugins.errors import KeyFileError
from aidbooks.plugins.errors import RetiredKeyError
from aidbooks.plugins.errors import UnrecordedKeyError
from aidbooks.plugins.errors import WrongKeyError
from aidbooks.plugins.fsutil import atomic_write_bytes
from aidbooks.plugins.fsutil import read_regular_bytes

KEY_BYTES = 32
#: The custom directive that records a key's fingerprint in the books.
AID_KEY = "aid-key"
#: A fingerprint as the books record it: 16 lower-case hex digits.
FINGERPRINT = re.compile(r"[0-9a-f]{16}")
#: The word before a retired key in the key file.
RETIRED = "retired"
#: The largest key file read (a key and hundreds of retired keys).
KEY_FILE_LIMIT = 64 * 1024
#: Where the documentation of keys, rotation and a lost key is.
KEYS_DOC = "docs/keys.md"
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


def generate_key() -> bytes:
    """Return a fresh random key."""
    return secrets.token_bytes(KEY_BYTES)


def fingerprint(key: bytes) -> str:
    """A public fingerprint of a key: says which key, reveals nothing of it.

    The same value as a report's ``key_id`` (:mod:`aidbooks.reports.manifest`):
    reports sealed before the fingerprint moved here still verify.
    """
    return hmac.new(key, b"aidbooks/v1/key-id", hashlib.sha256).hexdigest()[:16]


# ------------------------------------------------------------------ the key file
@dataclass(frozen=True)
class KeyRing:
    """The keys of a key file: the current one, and the retired ones it keeps.

    Attributes:
      current: The key in use: new codes are derived and reports sealed with it.
      retired: Keys it replaced, the most recently retired first: codes derived
        with them are still recognised, seals made with them still checked.
    """

    current: bytes
    retired: tuple[bytes, ...] = ()

    def keys(self) -> tuple[bytes, ...]:
        """Every key of the ring, the current one first."""
        return (self.current, *self.retired)

    def with_fingerprint(self, value: str) -> bytes | None:
        """The key of the ring whose fingerprint is ``value``, if any."""
        for key in self.keys():
            if fingerprint(key) == value:
                return key
        return None

    def rotated(self, new: bytes | None = None) -> KeyRing:
        """The ring after a rotation: a new current key, this one retired first."""
        return KeyRing(generate_key() if new is None else new, self.keys())


def format_key_ring(ring: KeyRing) -> str:
    """The text of a key file holding ``ring`` (see the module docstring)."""
    lines = [ring.current.hex()]
    lines += [f"{RETIRED} {key.hex()}" for key in ring.retired]
    return "\n".join(lines) + "\n"


def parse_key_ring(text: str) -> KeyRing | None:
    """The ring a key file's text holds, or None if it is not a key file."""
    keys: list[bytes] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if keys:  # every line after the current key is a retired key
            word, _, rest = line.partition(" ")
            if word != RETIRED:
                return None
            line = rest.strip()
        if not _HEX_KEY.fullmatch(line):
            return None
        keys.append(bytes.fromhex(line))
    if not keys or len(set(keys)) != len(keys):
        return None
    return KeyRing(keys[0], tuple(keys[1:]))


def write_key_file(path: Path, key: bytes | None = None) -> bytes:
    """Create a key file with 0600 permissions; never overwrites an existing one.

    Raises:
      KeyFileError: the file exists or cannot be written.
    """
    key = generate_key() if key is None else key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            "already exists",
            "keep the existing key; a new key would change every code",
            str(path),
        ) from None
    except OSError as exc:
        raise KeyFileError(
            f"cannot be created ({exc.strerror})",
            "choose another privacy.key_file",
            str(path),
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


def replace_key_file(path: Path, ring: KeyRing) -> None:
    """Replace an existing key file with ``ring``, atomically and 0600.

    Raises:
      KeyFileError: the file cannot be written (it is then unchanged).
    """
    try:
        atomic_write_bytes(path, format_key_ring(ring).encode("ascii"), 0o600)
    except OSError as exc:
        raise KeyFileError(
            f"cannot be written ({exc.strerror})",
            "check the permissions of its folder; the key file is unchanged",
            str(path),
        ) from None


def key_from_passphrase(passphrase: str, salt: str) -> bytes:
    """Stretch a passphrase into a key with scrypt (salt: the fund's name)."""
    return hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=("aidbooks:" + salt).encode("utf-8"),
        n=2**15,
        r=8,
        p=1,
        maxmem=64 * 1024 * 1024,
        dklen=KEY_BYTES,
    )


def read_key_ring(path: Path) -> KeyRing:
    """Read a key file: its current key and the retired keys it keeps.

    Raises:
      KeyFileError: missing, unreadable, malformed or readable by others.
    """
    try:
        st = path.stat()
        text = read_regular_bytes(path, KEY_FILE_LIMIT + 1).decode("ascii")
    except FileNotFoundError:
        raise KeyFileError(
            "does not exist",
            "run 'aidbooks init' or set privacy.key_file / $AIDBOOKS_KEY_FILE "
            f"(a key that is lost: see {KEYS_DOC})",
            str(path),
        ) from None
    except UnicodeDecodeError:
        raise KeyFileError(
            "cannot be read (not a key file)", "check the path", str(path)
        ) from None
    except (OSError, ValueError) as exc:
        # ValueError: a path with a NUL character in it (from the policy or the
        # environment), which no file can have.
        reason = getattr(exc, "strerror", None) or "not a file name"
        raise KeyFileError(
            f"cannot be read ({reason})", "check the path and permissions", str(path)
        ) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            "is readable by other users", f"run: chmod 600 {path}", str(path)
        )
    ring = parse_key_ring(text) if len(text) <= KEY_FILE_LIMIT else None
    if ring is None:
        raise KeyFileError(
            "is not an aidbooks key (64 hex characters expected, then "
            f"'{RETIRED} <64 hex>' lines)",
            "restore it from your backup",
            str(path),
        )
    return ring


def read_key_file(path: Path) -> bytes:
    """Read a key file's current key (see :func:`read_key_ring` for the rest).

    Raises:
      KeyFileError: missing, unreadable, malformed or readable by others.
    """
    return read_key_ring(path).current


# ------------------------------------------------------- the fingerprint in the books
@dataclass(frozen=True)
class RecordedKey:
    """One well-formed ``aid-key`` directive of the books."""

    fingerprint: str
    date: dt.date
    meta: Mapping[str, Any]

    @property
    def where(self) -> str:
        """``file:line`` of the directive."""
        return f"{self.meta.get('filename', '?')}:{self.meta.get('lineno', 0)}"


@dataclass(frozen=True)
class KeyHistory:
    """The keys the books record, oldest first (the last one is current)."""

    records: tuple[RecordedKey, ...] = ()

    @property
    def current(self) -> RecordedKey | None:
        """The books' current key: the latest dated ``aid-key`` (None: none yet)."""
        return self.records[-1] if self.records else None

    def fingerprints(self) -> set[str]:
        """Every fingerprint the books record."""
        return {record.fingerprint for record in self.records}

    def retired_on(self, value: str) -> dt.date | None:
        """The day the books recorded the key that replaced the key ``value``, or
        None if the books never recorded ``value`` or it is current."""
        seen = False
        retired: dt.date | None = None
        for record in self.records:
            if record.fingerprint == value:
                seen, retired = True, None
            elif seen and retired is None:
                retired = record.date
        return retired


def key_record(entry: data.Directive) -> str | None:
    """The fingerprint of a well-formed ``aid-key`` directive, else None."""
    if type(entry) is not data.Custom or entry.type != AID_KEY:
        return None
    values = entry.values or []
    if len(values) != 1 or values[0].dtype is not str:
        return None
    value = values[0].value
    if not isinstance(value, str) or not FINGERPRINT.fullmatch(value):
        return None
    return value


def recorded_keys(entries: Iterable[data.Directive]) -> KeyHistory:
    """The ``aid-key`` fingerprints of loaded entries, in date order (one pass).

    A malformed directive is left out (the ``recipients`` rule reports it).
    Directives of one day keep the books' order.
    """
    custom = data.Custom
    found: list[RecordedKey] = []
    for entry in entries:
        if type(entry) is custom and entry.type == AID_KEY:
            value = key_record(entry)
            if value is not None:
                found.append(RecordedKey(value, entry.date, entry.meta))
    found.sort(key=lambda record: record.date)  # stable: loaded entries are sorted
    return KeyHistory(tuple(found))


def record_line(value: str, date: dt.date) -> str:
    """The directive that records a fingerprint: ``DATE custom "aid-key" "…"``."""
    return f'{date.isoformat()} custom "{AID_KEY}" "{value}"\n'


def next_record_date(history: KeyHistory, today: dt.date) -> dt.date:
    """The date of a newly recorded key: today, or the day after the books' latest
    record when that is today or later (so the latest dated record is current)."""
    current = history.current
    if current is not None and current.date >= today:
        return current.date + dt.timedelta(days=1)
    return today


def check_books_key(
    ring: KeyRing, history: KeyHistory, key_file: str | None = None
) -> None:
    """Refuse a key that is not the books' current key.

    Books that record no key accept any key (the caller may record it).

    Raises:
      RetiredKeyError: the key is one the books record as retired.
      UnrecordedKeyError: the key file retired the books' current key, but the
        books do not record its current key (a rotation that did not finish).
      WrongKeyError: the books record another key.
    """
    current = history.current
    if current is None:
        return
    mine = fingerprint(ring.current)
    if mine == current.fingerprint:
        return
    retired = history.retired_on(mine)
    if retired is not None:
        raise RetiredKeyError(
            f"this key was retired on {retired.isoformat()} (fingerprint {mine}; the "
            f"books' current key is {current.fingerprint})",
            f"use the current key file, the one rotated that day; see {KEYS_DOC}",
            key_file,
        )
    if any(fingerprint(key) == current.fingerprint for key in ring.retired):
        raise UnrecordedKeyError(
            f"this key file retired the books' key ({current.fingerprint}), but the "
            f"books do not record its current key ({mine}): a rotation did not reach "
            "these books",
            "record it with 'aidbooks key rotate --ledger' on these books (it records "
            f"the key without rotating again), or use these books' key file; see {KEYS_DOC}",
            key_file,
        )
    raise WrongKeyError(
        f"this key is not the key of these books (fingerprint {mine}, the books "
        f"record {current.fingerprint})",
        f"use the key file these books were made with; see {KEYS_DOC}",
        key_file,
    )


def normalize_identifier(identifier: str) -> str:
    """Normalize a platform identifier so trivial variants map to one code.

    E-mails and handles are case-folded and stripped of ``@``/``$``; phone numbers
    become E.164; names are NFKC-normalized, case-folded, accents removed and
    whitespace collapsed.
    """
    text = unicodedata.normalize("NFKC", identifier).strip()
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 7 and all(ch.isdigit() or ch in "+-(). " for ch in text):
        try:
            number = phonenumbers.parse(text, "US")
            if phonenumbers.is_possible_number(number):
                return "tel:" + phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
        except phonenumbers.NumberParseException:
            pass
    if "@" in text[1:] and " " not in text:
        return "mailto:" + text.casefold()
    if text[:1] in "@$":
        return "handle:" + text[1:].casefold()
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return "name:" + " ".join(stripped.casefold().split())


def derive_code(key: bytes, kind: codes.Kind, identifier: str) -> str:
    """Return the code of ``kind`` for a platform identifier under ``key``."""
    message = f"aidbooks/v1/{kind}/{normalize_identifier(identifier)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return codes.code_from_int(kind, int.from_bytes(digest[:8], "big"))
