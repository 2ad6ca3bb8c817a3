"""Rule ``documents``: large grants link a receipt that exists.

A donor's first question about a big grant is "how do you know the money went where
the books say?". The answer is a receipt: the landlord's rent ledger, the court's
bail receipt, the utility's payment confirmation — with the family's details blacked
out before it is scanned. This rule checks that every grant above
``documents.required_above`` links one, and that every receipt the books link is
really there:

* a final (``*``) transaction whose grant postings (``Expenses:Aid:*`` and bail or
  bond money posted to ``Assets:Receivable:*``) add up to more than
  ``documents.required_above`` carries ``receipt:`` — on the transaction or on one of
  its grant postings;
* every ``receipt:`` (on any transaction or posting, pending ones included) is a
  path relative to the folder of the main ledger file, stays inside that folder, and
  names an existing file.

Pending (``!``) grants are not final yet, so they need no receipt until they are
approved and paid.

It is a strict check: ``aidbooks check --strict`` (or ``aidbooks check documents``)
runs it; a fund can also switch it on for Fava and ``bean-check`` with
``plugin "aidbooks.plugins.receipts"``.

Configure it in ``aidbooks.toml``::

    [documents]
    required_above = "500.00"     # the default

A grant with its receipt::

    2025-03-02 * "Rent assistance"
      approved-by: "V-0N2CE-7RPW1, V-9TQ4M-33KDX"
      receipt: "documents/receipts/2025-03/02-rent-0015.pdf"
      Expenses:Aid:Rent          950.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any
from typing import ClassVar

from beancount.core import data
from beancount.core import flags

from aidbooks.plugins.accounts import is_grant_posting
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin

KEY = "receipt"


class ReceiptError(RuleError):
    """A large grant without a receipt, or a receipt link that leads nowhere."""

    __slots__ = ()
    rule: ClassVar[str] = "documents"


def books_folder(options_map: dict[str, Any]) -> Path:
    """The folder receipt paths are relative to: the main ledger file's folder."""
    filename = str(options_map.get("filename") or "")
    if not filename or filename.startswith("<"):
        return Path.cwd()
    return Path(filename).resolve().parent


def _problem(value: Any, folder: Path, seen: dict[str, str | None]) -> str | None:
    """What is wrong with one ``receipt:`` value, or None (cached per value)."""
    if not isinstance(value, str):
        return 'receipt: must be a quoted path, e.g. "documents/receipts/2025-03/rent.pdf"'
    if value in seen:
        return seen[value]
    problem: str | None = None
    path = PurePosixPath(value)
    if not value.strip():
        problem = "receipt: is empty; give the path of the receipt file"
    elif path.is_absolute() or os.path.isabs(value):
        problem = (
            "receipt: must be relative to the folder of the main ledger file, "
            "so the books can be moved and audited elsewhere"
        )
    elif ".." in path.parts:
        problem = "receipt: must stay inside the books folder (no '..')"
    elif not (folder / path).is_file():
        problem = (
            "receipt: names a file that does not exist under the books folder; "
            "check the path or add the scanned receipt"
        )
    seen[value] = problem
    return problem


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Find large grants without a receipt and receipt links to missing files."""
    folder = books_folder(options_map)
    limit = policy.documents.required_above
    seen: dict[str, str | None] = {}
    errors: list[RuleError] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        linked = KEY in entry.meta
        if linked:
            problem = _problem(entry.meta[KEY], folder, seen)
            if problem:
                errors.append(ReceiptError(entry.meta, problem, entry))
        granted = Decimal(0)
        for posting in entry.postings:
            if posting.meta and KEY in posting.meta:
                linked = True
                problem = _problem(posting.meta[KEY], folder, seen)
                if problem:
                    errors.append(ReceiptError(posting.meta, problem, entry))
            if (
                is_grant_posting(posting.account)
                and posting.units is not None
                and isinstance(posting.units.number, Decimal)
                and posting.units.number > 0
            ):
                granted += posting.units.number
        if granted > limit and not linked and entry.flag != flags.FLAG_WARNING:
            errors.append(
                ReceiptError(
                    entry.meta,
                    f"a grant of {granted} needs a receipt (documents.required_above is "
                    f'{limit}); add receipt: "documents/..." with the path of the '
                    "scanned receipt",
                    entry,
                )
            )
    return errors


__plugins__ = (as_plugin(validate),)
