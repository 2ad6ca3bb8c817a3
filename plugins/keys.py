"""The fund's secret key and the keyed derivation of codes from platform identifiers.

Importers meet people only as platform identifiers (a Venmo display name, a PayPal
e-mail, a $cashtag, a phone number). They turn each into a code with

    HMAC-SHA256(key, "aidbooks/v1/<kind>/" + normalized identifier)

so the same person always gets the same code, and nobody without the key can test
whether a given person is in the books (a plain hash could be tested by hashing a
guess). The derivation is domain-separated per kind: one identifier gives unrelated
recipient and donor codes.

The key is 32 random bytes stored hex-encoded in a file **outside the books** with
0600 permissions (``privacy.key_file`` in ``aidbooks.toml``, or
``$AIDBOOKS_KEY_FILE``). ``aidbooks init`` creates it. A fund may instead derive the
key from a passphrase (``$AIDBOOKS_PASSPHRASE``, stretched with scrypt), which keeps
nothing on disk.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import unicodedata
from pathlib import Path

import phonenumbers

from aidbooks.plugins import codes
from aidbooks.plugins.errors import KeyFileError
from aidbooks.plugins.fsutil import read_regular_bytes

KEY_BYTES = 32


def generate_key() -> bytes:
    """Return a fresh random key."""
    return secrets.token_bytes(KEY_BYTES)


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


def read_key_file(path: Path) -> bytes:
    """Read a key file.

    Raises:
      KeyFileError: missing, unreadable, malformed or readable by others.
    """
    try:
        st = path.stat()
        text = read_regular_bytes(path, 4096).decode("ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(
            "does not exist",
            "run 'aidbooks init' or set privacy.key_file / $AIDBOOKS_KEY_FILE",
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
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            "is not an aidbooks key (64 hex characters expected)",
            "restore it from your backup",
            str(path),
        )
    return key


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
