"""Detectors of personal data, shared by the no-pii plugin, the importers and check.

FIRST VERSION (interface only): e-mails, phone-looking digit runs and payment
handles. Issue 3 fills in the full set of detectors; the interface below is the
contract the importers and ``aidbooks check`` rely on.

A :class:`Scanner` answers "what kinds of personal data does this text hold?" — it
never returns or logs the matched text itself, so a finding can be printed without
leaking what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

#: Human-readable names of the kinds of personal data the detectors know.
KIND_NAMES: dict[str, str] = {
    "phone": "a phone number",
    "email": "an e-mail address",
    "handle": "a payment handle",
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d\s().-]{8,}\d")
_HANDLE = re.compile(r"(?<![\w@])[@$][A-Za-z][\w-]{2,}")


class Finding(NamedTuple):
    """One detection: its kind and where it is in the scanned text."""

    kind: str
    start: int
    end: int


class Scanner:
    """Finds personal data in text.

    Args:
      allow: Exact strings that are never findings (``privacy.allow``).
      organisations: Organisation names allowed as payees (``privacy.organisations``).
    """

    def __init__(
        self, allow: Iterable[str] = (), organisations: Iterable[str] = ()
    ) -> None:
        self.allow = frozenset(allow)
        self.organisations = frozenset(organisations)
        self._cache: dict[str, tuple[str, ...]] = {}

    def findings(self, text: str) -> list[Finding]:
        """Every detection in ``text`` with its position (for raw-text scans)."""
        if not text or text in self.allow:
            return []
        found = [Finding("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
        found += [Finding("phone", m.start(), m.end()) for m in _PHONE.finditer(text)]
        found += [
            Finding("handle", m.start(), m.end())
            for m in _HANDLE.finditer(text)
            if not any(f.start <= m.start() < f.end for f in found)
        ]
        return sorted(found, key=lambda f: (f.start, f.kind))

    def kinds(self, text: str) -> tuple[str, ...]:
        """The sorted distinct kinds of personal data in ``text`` (cached per string)."""
        cached = self._cache.get(text)
        if cached is None:
            cached = tuple(sorted({f.kind for f in self.findings(text)}))
            self._cache[text] = cached
        return cached


def describe(kinds: Iterable[str]) -> str:
    """Name kinds for a message: ``"a phone number and an e-mail address"``."""
    names = [KIND_NAMES.get(k, k) for k in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
