"""A stand-in rule that crashes, with personal data in the exception's text."""

from __future__ import annotations

from typing import Any

from beancount.core import data

from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    raise ValueError("cannot handle Maria Lopez, +1 612 555 0199")


__plugins__ = (as_plugin(validate),)
