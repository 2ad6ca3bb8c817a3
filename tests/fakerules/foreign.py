"""A stand-in third-party plugin: plain namedtuple errors, one with an unknown rule."""

from __future__ import annotations

import collections
from typing import Any

from beancount.core import data

__plugins__ = ("foreign",)

ForeignError = collections.namedtuple("ForeignError", "source message entry")


class OddRuleError(ForeignError):
    rule = "no-such-check"


def foreign(
    entries: list[data.Directive], options_map: dict[str, Any]
) -> tuple[list[data.Directive], list[Any]]:
    errors: list[Any] = []
    for entry in entries:
        if isinstance(entry, data.Transaction) and "foreign" in entry.tags:
            errors.append(ForeignError(entry.meta, "a foreign plugin's finding", entry))
            errors.append(OddRuleError(None, "a finding without a place", entry))
    return entries, errors
