"""The registry of rule modules, in the fixed order ``aidbooks check`` runs them.

Each rule module in this package:

* exposes ``validate(entries, options_map, policy) -> list[RuleError]``: one linear
  pass over the loaded entries, never mutating them;
* exposes ``__plugins__`` so a ledger can switch it on with
  ``plugin "aidbooks.plugins.<module>"`` (it then runs unchanged in ``bean-check``
  and Fava);
* reports findings with its own :class:`~aidbooks.plugins.errors.RuleError`
  subclass whose ``rule`` is the check name below.

``BASIC`` rules are switched on in every ``aidbooks init`` ledger; ``STRICT`` rules
run with ``aidbooks check --strict`` (which calls ``validate`` on the entries it has
already loaded, so the books are loaded once either way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beancount.core import data

from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import policy_or_finding

#: check name -> module under aidbooks.plugins (filled in as the rules land)
BASIC: dict[str, str] = {
    "recipients": "aidbooks.plugins.recipients",
    "no-pii": "aidbooks.plugins.no_pii",
    "funds": "aidbooks.plugins.funds",
    "approvals": "aidbooks.plugins.approvals",
}
STRICT: dict[str, str] = {
    "caps": "aidbooks.plugins.caps",
    "clearing": "aidbooks.plugins.clearing",
    "receivables": "aidbooks.plugins.receivables",
    "pending": "aidbooks.plugins.pending",
    "documents": "aidbooks.plugins.receipts",
    "fresh": "aidbooks.plugins.fresh",
}


Validate = Callable[[list[data.Directive], dict[str, Any], Policy], list[RuleError]]
Plugin = Callable[..., tuple[list[data.Directive], list[RuleError]]]


def as_plugin(validate: Validate) -> Plugin:
    """Wrap a rule's ``validate`` as a Beancount plugin function.

    The plugin reads ``aidbooks.toml`` beside the top-level ledger (an invalid policy
    becomes one finding, not a traceback), returns the entries unchanged and the
    findings as Beancount errors, without their entries (``bean-check`` would print
    them, personal data included). The config string of the ``plugin`` line is not
    used: configuration lives in ``aidbooks.toml``.
    """

    def plugin(
        entries: list[data.Directive],
        options_map: dict[str, Any],
        config: str | None = None,
    ) -> tuple[list[data.Directive], list[RuleError]]:
        policy, problems = policy_or_finding(options_map)
        if problems:
            return entries, problems
        # A finding goes out without its entry: bean-check prints the entry of every
        # error in full, and with it any personal data the entry holds.
        return entries, [
            error if error.entry is None else error._replace(entry=None)
            for error in validate(entries, options_map, policy)
        ]

    plugin.__name__ = getattr(validate, "__module__", "rule").rsplit(".", 1)[-1]
    plugin.__doc__ = validate.__doc__
    return plugin
