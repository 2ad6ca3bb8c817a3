"""The ``basic`` plugin: every basic rule of aidbooks in one ``plugin`` line.

Every aidbooks ledger switches the basic rules on with a single line::

    plugin "aidbooks.plugins.basic"

which runs, in this order, exactly the rules a line each would run:

* ``recipients`` (:mod:`aidbooks.plugins.recipients`): grants name their household
  by a declared recipient code; approvers are declared volunteers;
* ``no-pii`` (:mod:`aidbooks.plugins.no_pii`): no personal data in any string of
  the books;
* ``funds`` (:mod:`aidbooks.plugins.funds`): funds never go below zero, restricted
  funds pay only their categories, releases are explicit and approved;
* ``approvals`` (:mod:`aidbooks.plugins.approvals`): large grants carry enough
  distinct approvers, and nobody approves their own reimbursement.

Why one line. Beancount sorts all the entries again after *every* plugin line
(about 55 ms per line on 100,000 transactions), and each rule on its own line
would walk the books on its own. Here the two privacy rules share one walk
(:mod:`aidbooks.plugins.sweep`), the policy is read once, and Python's garbage
collector rests while the rules run. The findings are the same as with one line
per rule, each still carrying its rule's check name, so ``aidbooks check`` reports
them under ``recipients``, ``no-pii``, ``funds`` and ``approvals`` as before.

Each rule stays a plugin of its own: a ledger may switch on only some of them with
their own lines (``plugin "aidbooks.plugins.funds"``) instead. A rule that has its
own line as well as ``basic`` runs once, on its own line.

Configuration lives in ``aidbooks.toml`` beside the main ledger (see each rule);
the plugin line takes no config string. Ledger example::

    option "operating_currency" "USD"
    plugin "aidbooks.plugins.basic"

    2025-01-01 custom "aid-recipient" "R-4F7KM-Q9X2H"
    2025-01-01 open Assets:Bank:Checking USD
    2025-01-01 open Expenses:Aid:Rent USD

    2025-03-02 * "Rent assistance"
      Expenses:Aid:Rent  120.00 USD
        recipient: "R-4F7KM-Q9X2H"
      Assets:Bank:Checking
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from beancount.core import data

from aidbooks.plugins import rules
from aidbooks.plugins import sweep
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.errors import new_meta
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.rules import as_plugin


def validate(
    entries: list[data.Directive], options_map: dict[str, Any], policy: Policy
) -> list[RuleError]:
    """Run every basic rule that has no ``plugin`` line of its own, in registry order.

    Rules that read the books through the shared walk (they define ``from_sweep``)
    get one walk between them; the others get the entries. A rule that raises
    becomes one finding of its own check and the other rules still run, as when
    each rule had its own line.
    """
    listed = {name for name, _config in options_map.get("plugin") or ()}
    errors: list[RuleError] = []
    walked: sweep.Sweep | None = None
    for module_name in rules.BASIC.values():
        if module_name in listed:
            continue
        try:
            module = importlib.import_module(module_name)
            from_sweep = getattr(module, "from_sweep", None)
            if from_sweep is None:
                errors.extend(module.validate(entries, options_map, policy))
                continue
            if walked is None:
                walked = sweep.walk(entries, policy)
            errors.extend(from_sweep(walked, options_map, policy))
        except Exception as exc:  # a broken rule must fail its own check, not pass it
            errors.append(_crash(module_name, exc, options_map))
    return errors


def _crash(module_name: str, exc: Exception, options_map: dict[str, Any]) -> RuleError:
    """A finding of the rule in ``module_name`` saying that it raised ``exc``."""
    kind: type[RuleError] = _Crash
    module = sys.modules.get(module_name)
    for value in vars(module).values() if module is not None else ():
        if (
            isinstance(value, type)
            and issubclass(value, RuleError)
            and value.__module__ == module_name
        ):
            kind = value
            break
    meta = new_meta(str(options_map.get("filename") or "<aidbooks.plugins.basic>"), 0)
    return kind(
        meta,
        f"the rule {module_name} could not run ({type(exc).__name__}); please report it",
        None,
    )


class _Crash(RuleError):
    """A rule that raised before its module could say which check it belongs to."""

    __slots__ = ()


__plugins__ = (as_plugin(validate),)
