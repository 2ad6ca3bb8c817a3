"""The auditor's checks: a registry of named checks and the runner behind ``aidbooks check``.

Modelled on hledger's ``check``: lower-case named checks in a fixed order, a basic
tier that always runs and a strict tier (``--strict``); unlike hledger, every
finding of every check is reported, not just the first.

Three kinds of check share one registry:

* **Beancount's own validation** (``syntax``, ``balanced``, ``assertions``,
  ``accounts``, ``other``): the errors of the load, sorted into named checks by
  :mod:`aidbooks.classify`. Nothing is dropped: what no check claims is ``other``.
* **Rules** (``recipients``, ``no-pii``, ``funds``, ``approvals``; strict: ``caps``,
  ``clearing``, ``receivables``, ``pending``, ``documents``, ``fresh``): Beancount
  plugins in ``aidbooks.plugins``, registered in :mod:`aidbooks.plugins.rules`. A
  rule the ledger switches on with a ``plugin`` line already ran during the load;
  its findings are picked out of the load's errors by their ``rule`` attribute. Any
  other selected rule is run by calling its ``validate`` on the entries already
  loaded. So the books are loaded once and no rule runs twice.
* **File checks** (``policy``, ``secrets``, ``comments``, ``published``): what plugins cannot see,
  in :mod:`aidbooks.filechecks`.

The runner works on books loaded by anyone (``aidbooks check`` loads them with
:func:`aidbooks.books.load_books`; the Fava extension passes Fava's), and returns a
:class:`Report` whose findings keep the directive at fault for linking.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Literal

from beancount.core import data
from beancount.ops import validation

from aidbooks import classify
from aidbooks.books import load_books
from aidbooks.filechecks import FILE_CHECKS
from aidbooks.filechecks import Context
from aidbooks.filechecks import Finding
from aidbooks.plugins import rules
from aidbooks.plugins import sweep
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.errors import RuleError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for

Tier = Literal["basic", "strict"]
Kind = Literal["beancount", "rule", "file"]
RULES_PACKAGE = "aidbooks.plugins"

__all__ = [
    "Check",
    "CheckResult",
    "Finding",
    "Report",
    "check_ledger",
    "registry",
    "run",
    "select",
]


@dataclass(frozen=True)
class Check:
    """One named check.

    Attributes:
      name: Lower-case name (``aidbooks check NAME``).
      tier: ``basic`` (always runs) or ``strict`` (with ``--strict`` or by name).
      description: One line for ``aidbooks check --list``.
      kind: ``beancount`` (sorted out of the load's errors), ``rule`` (a plugin
        module) or ``file`` (a check of files in :mod:`aidbooks.filechecks`).
      module: The rule's full module name (rules only).
    """

    name: str
    tier: Tier
    description: str
    kind: Kind
    module: str = ""


# The fixed order of the checks, with their tier and description. Keep it in sync
# with the README's auditor section. Rule checks appear only once their module is
# registered in aidbooks.plugins.rules; a registered rule missing here is added at
# the end of its tier.
_TABLE: tuple[tuple[str, Tier, Kind, str], ...] = (
    ("syntax", "basic", "beancount",
     "the files parse, includes resolve, plugins load, every directive is well-formed"),
    ("balanced", "basic", "beancount",
     "every transaction balances and every posting books"),
    ("assertions", "basic", "beancount", "every balance assertion and pad holds"),
    ("accounts", "basic", "beancount",
     "accounts are opened before use and closed once; postings use their currencies"),
    ("policy", "basic", "file",
     "aidbooks.toml fits the books: fund categories have accounts, key outside the books"),
    ("secrets", "basic", "file",
     "no key file inside the books or tracked by git; the key file is private"),
    ("recipients", "basic", "rule",
     "grants carry declared, well-formed recipient codes; approvers are volunteers"),
    ("no-pii", "basic", "rule", "no personal data in any string of the books"),
    ("comments", "basic", "file", "no personal data in the comments of the ledger files"),
    ("published", "basic", "file",
     "the release history is whole; no published period changed since it was published"),
    ("funds", "basic", "rule",
     "funds never go below zero; restricted funds pay only their categories"),
    ("approvals", "basic", "rule",
     "grants above approvals.threshold carry enough distinct approvers"),
    ("other", "basic", "beancount",
     "any other error Beancount or a plugin that is not an aidbooks rule reports"),
    ("caps", "strict", "rule",
     "grants to one household stay within caps.per_household per window"),
    ("clearing", "strict", "rule",
     "clearing accounts return to zero within reconcile.clearing_days"),
    ("receivables", "strict", "rule",
     "bail returns match what was posted; old receivables are listed"),
    ("pending", "strict", "rule", "no pending (!) transaction older than pending.max_age_days"),
    ("documents", "strict", "rule",
     "grants above documents.required_above link a receipt file that exists"),
    ("fresh", "strict", "rule",
     "every bank and platform account has a balance assertion within reconcile.fresh_days"),
)  # fmt: skip


#: Every check name aidbooks knows, in order (a rule's check is available once the
#: rule's module is registered).
KNOWN: tuple[str, ...] = tuple(name for name, *_ in _TABLE)


def rule_module(name: str) -> str:
    """The full module name of a rule registered as ``name`` in :mod:`rules`."""
    return name if "." in name else f"{RULES_PACKAGE}.{name}"


def registry(
    basic: Mapping[str, str] | None = None, strict: Mapping[str, str] | None = None
) -> tuple[Check, ...]:
    """Return every available check in its fixed order (basic tier first).

    Args:
      basic, strict: check name -> rule module; default: the registry in
        :mod:`aidbooks.plugins.rules`.
    """
    tiers: dict[str, tuple[Tier, str]] = {}
    tables: tuple[tuple[Tier, Mapping[str, str]], ...] = (
        ("basic", rules.BASIC if basic is None else basic),
        ("strict", rules.STRICT if strict is None else strict),
    )
    for tier, table in tables:
        for name, module in table.items():
            tiers[name] = (tier, rule_module(module))
    checks: list[Check] = []
    for name, tier, kind, description in _TABLE:
        if kind != "rule":
            checks.append(Check(name, tier, description, kind))
        elif name in tiers:
            rule_tier, module = tiers.pop(name)
            checks.append(Check(name, rule_tier, description, kind, module))
    for name, (rule_tier, module) in tiers.items():
        extra = Check(name, rule_tier, _first_doc_line(module), "rule", module)
        if rule_tier == "basic":
            checks.insert([c.name for c in checks].index(classify.OTHER), extra)
        else:
            checks.append(extra)
    return tuple(sorted(checks, key=lambda c: c.tier != "basic"))


def _first_doc_line(module: str) -> str:
    try:
        doc = importlib.import_module(module).__doc__ or ""
    except ImportError:
        return "(its module cannot be imported)"
    line = doc.strip().splitlines()[0] if doc.strip() else module
    return line.split(": ", 1)[-1].rstrip(".")


def select(
    names: Iterable[str], strict: bool = False, checks: Sequence[Check] | None = None
) -> list[Check]:
    """Return the checks to run, in registry order.

    No names: the basic tier, plus the strict tier when ``strict``. Names select
    exactly those checks, of either tier. A name may be abbreviated to any prefix;
    as in hledger, the first check in order with that prefix wins.

    Raises:
      AidbooksError: a name matches no check (exit 2), listing the valid names.
    """
    checks = registry() if checks is None else checks
    wanted = [n.strip().lower() for n in names if n.strip()]
    if not wanted:
        return [c for c in checks if strict or c.tier == "basic"]
    chosen: set[str] = set()
    unknown: list[str] = []
    for name in wanted:
        match = next((c for c in checks if c.name == name), None) or next(
            (c for c in checks if c.name.startswith(name)), None
        )
        if match is None:
            unknown.append(name)
        else:
            chosen.add(match.name)
    if unknown:
        raise AidbooksError(
            f"unknown check{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            "valid checks are " + ", ".join(c.name for c in checks),
        )
    return [c for c in checks if c.name in chosen]


@dataclass
class CheckResult:
    """What one check found."""

    check: Check
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> Literal["passed", "failed"]:
        """``passed`` when the check found nothing."""
        return "failed" if self.findings else "passed"


@dataclass
class Report:
    """The outcome of a run: one result per selected check, in registry order."""

    ledger: Path
    results: list[CheckResult]

    @property
    def findings(self) -> list[Finding]:
        """Every finding, sorted by file, line, check order and message."""
        order = {r.check.name: i for i, r in enumerate(self.results)}
        return sorted(
            (f for r in self.results for f in r.findings),
            key=lambda f: (f.filename, f.lineno, order[f.check], f.message),
        )

    @property
    def ok(self) -> bool:
        """True when no check found anything."""
        return not any(r.findings for r in self.results)


Books = tuple[list[data.Directive], list[Any], dict[str, Any]]


def run(
    books: Books,
    ledger: Path,
    policy: Policy,
    selected: Sequence[Check],
    environ: Mapping[str, str] | None = None,
    checks: Sequence[Check] | None = None,
) -> Report:
    """Run the ``selected`` checks on books that are already loaded.

    Args:
      books: ``(entries, errors, options_map)`` of one load (with or without the
        aidbooks plugins switched on in the ledger).
      ledger: The main ledger file.
      policy: The fund's policy (already validated).
      selected: The checks to run (see :func:`select`).
      environ: The environment (for ``$AIDBOOKS_KEY_FILE``); default ``os.environ``.
      checks: The whole registry (default :func:`registry`).
    """
    entries, errors, options_map = books
    checks = registry() if checks is None else checks
    known = {c.name for c in checks}
    by_module = {c.module: c.name for c in checks if c.kind == "rule"}
    found: dict[str, list[Finding]] = {c.name: [] for c in selected}

    def keep(error: Any, default: str | None = None) -> None:
        rule = getattr(error, "rule", None)
        if default is not None and rule not in known:
            name = default  # a rule's own finding without a (known) check name
        else:
            name = classify.check_of(error, by_module, known)
        if name in found:
            filename, lineno = classify.locate(error, ledger)
            found[name].append(
                Finding(name, filename, lineno, classify.clean_message(error), error.entry)
            )

    for error in errors:
        keep(error)
    switched_on = {
        by_module[name] for name in rules.switched_on(options_map) if name in by_module
    }
    context: Context | None = None
    walks: dict[str, sweep.Sweep] = {}  # the basic rules' shared walk, made once
    for check in selected:
        if check.kind == "rule" and check.name not in switched_on:
            for error in _validate(check, entries, options_map, policy, ledger, walks):
                keep(error, check.name)
        elif check.kind == "file":
            if context is None:
                env = os.environ if environ is None else environ
                context = Context(ledger, policy, entries, options_map, env)
            found[check.name].extend(FILE_CHECKS[check.name](context))
    return Report(ledger, [CheckResult(c, found[c.name]) for c in selected])


def _validate(
    check: Check,
    entries: list[data.Directive],
    options_map: dict[str, Any],
    policy: Policy,
    ledger: Path,
    walks: dict[str, sweep.Sweep],
) -> list[Any]:
    """Call a rule's ``validate``; a crashing rule is a finding of its check.

    Rules that read the books through the walk the basic rules share (they define
    ``from_sweep``) get one walk between them, kept in ``walks``.
    """
    try:
        module = importlib.import_module(check.module)
        from_sweep = getattr(module, "from_sweep", None)
        if from_sweep is not None:
            if "walk" not in walks:
                walks["walk"] = sweep.walk(entries, policy)
            return list(from_sweep(walks["walk"], options_map, policy))
        return list(module.validate(entries, options_map, policy))
    except Exception as exc:  # a broken rule must fail its check, not pass it
        return [
            _CrashError(
                data.new_metadata(str(ledger), 0),
                f"the rule could not run ({type(exc).__name__}); please report it",
                None,
            )
        ]


class _CrashError(RuleError):
    """A rule that raised instead of returning findings."""

    __slots__ = ()


def check_ledger(
    path: Path, selected: Sequence[Check], environ: Mapping[str, str] | None = None
) -> Report:
    """Load the books at ``path`` once and run the ``selected`` checks on them.

    The load never touches Beancount's pickle cache (see :mod:`aidbooks.books`): a
    cached load replays the verdict of the rule code that wrote the cache. When
    ``syntax`` runs, Beancount's "hardcore" data-type validation runs too, as in
    ``bean-check``, so ``aidbooks check`` never checks less than ``bean-check``.

    Raises:
      PolicyError: ``aidbooks.toml`` is invalid (exit 2), before anything is loaded.
    """
    policy = load_policy(policy_path_for(path))
    extra = (
        [validation.validate_data_types]
        if any(c.name == classify.SYNTAX for c in selected)
        else None
    )
    books = load_books(path, extra_validations=extra)
    return run(books, path, policy, selected, environ)
