"""Error types shared by every floor of aidbooks.

Two channels, never mixed:

* **Ledger findings** are data. A rule returns them as Beancount errors: named
  tuples ``(source, message, entry)`` whose ``source`` is the entry's meta dict, so
  ``bean-check``, Fava and ``aidbooks check`` print them as ``file:line: message``.
  Each rule has its own subclass of :class:`RuleError` whose ``rule`` attribute is
  the lower-case check name (``recipients``, ``no-pii``, ``funds`` ...), which lets
  ``aidbooks check`` group findings without parsing messages.

* **Program errors** (unreadable input, a bad policy file, a refused command) are
  exceptions derived from :class:`AidbooksError`. The command line turns them into a
  single line ``file:line: what is wrong. how to fix.`` and exit code 2, never a
  traceback.

Neither channel ever carries personal data: a message names the field and the kind
of problem, not the value.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import NamedTuple

from beancount.core import data


class _ErrorFields(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: Any


class RuleError(_ErrorFields):
    """A ledger finding, in Beancount's error shape.

    Attributes:
      source: The meta dict of the entry at fault (has ``filename`` and ``lineno``).
      message: What is wrong and how to fix it; never the personal data found.
      entry: The directive at fault, or None.
      rule: (class attribute) the name of the check the finding belongs to.
    """

    __slots__ = ()
    rule: ClassVar[str] = "aidbooks"


class PolicyFindingError(RuleError):
    """A problem with ``aidbooks.toml`` found while running a rule."""

    __slots__ = ()
    rule: ClassVar[str] = "policy"


def new_meta(filename: str, lineno: int = 0) -> dict[str, Any]:
    """Return a meta dict usable as an error source for a location without an entry."""
    return data.new_metadata(filename, lineno)


def printable(text: str) -> str:
    """``text`` with line breaks, control characters and undecodable bytes escaped.

    File names come from the user and the disk: one with a newline would break
    the one-line error, one that is not UTF-8 could not be printed at all.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class AidbooksError(Exception):
    """A program error that the command line prints as one line and exits 2.

    Args:
      what: What is wrong (a sentence without a final period).
      fix: How to fix it (a sentence without a final period), or empty.
      filename: The file the problem is in, if any.
      lineno: The line in that file, if known.
    """

    exit_code = 2

    def __init__(
        self,
        what: str,
        fix: str = "",
        filename: str | None = None,
        lineno: int | None = None,
    ) -> None:
        self.what = what
        self.fix = fix
        self.filename = filename
        self.lineno = lineno
        super().__init__(self.line())

    def line(self) -> str:
        """Return the one-line rendering ``file:line: what. fix.``."""
        where = ""
        if self.filename:
            name = printable(self.filename)
            where = f"{name}:{self.lineno}: " if self.lineno else f"{name}: "
        text = f"{where}{self.what.rstrip('.')}."
        if self.fix:
            fix = self.fix.rstrip(".")
            text += f" {fix[:1].upper()}{fix[1:]}."
        return text


class PolicyError(AidbooksError):
    """``aidbooks.toml`` is unreadable or invalid."""


class KeyFileError(AidbooksError):
    """The fund's secret key is missing, unreadable or malformed."""


class WrongKeyError(KeyFileError):
    """The key is not the key the books record (``custom "aid-key"``)."""


class RetiredKeyError(WrongKeyError):
    """The key is one the books record as retired by a rotation."""


class UnrecordedKeyError(WrongKeyError):
    """The key file retired the books' key, but the books do not record its new one."""
