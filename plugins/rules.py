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

#: check name -> module under aidbooks.plugins (filled in as the rules land)
BASIC: dict[str, str] = {}
STRICT: dict[str, str] = {}
