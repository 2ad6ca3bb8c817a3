"""A stand-in rule: transactions tagged ``#flagged`` break the ``funds`` check.

It follows the rule contract of :mod:`aidbooks.plugins.rules` and counts its calls,
so tests can tell whether the runner called it, and how often.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar

from beancount.core import data

from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin

CALLS: list[int] = []


class FlaggedError(RuleError):
    __slots__ = ()
    rule: ClassVar[str] = "funds"


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    CALLS.append(len(entries))
    return [
        FlaggedError(entry.meta, "this transaction is flagged", entry)
        for entry in entries
        if isinstance(entry, data.Transaction) and "flagged" in entry.tags
    ]


__plugins__ = (as_plugin(validate),)
