"""Independent checks of a disclosure, for the report tests.

Written apart from :mod:`aidbooks.reports.linalg` on purpose: a dense, plain
Gaussian elimination over fractions, so a bug in the production solver cannot
hide itself. Columns that every row sees the same way are merged first (that is
exact) to keep the matrices small.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from fractions import Fraction

from aidbooks.reports.aggregate import Aggregates
from aidbooks.reports.aggregate import AtomKey
from aidbooks.reports.cells import Cell
from aidbooks.reports.cells import CellMaker
from aidbooks.reports.disclosure import Disclosure
from aidbooks.reports.disclosure import grant_part


def relations(aggregates: Aggregates) -> list[dict[AtomKey, int]]:
    """What every reader knows: each transaction balances, so every (month, class)
    of atoms sums to zero; and balances move by the month's flows (the definition
    of the balance variables, taken from the production code and checked against
    the numbers by the tests)."""
    groups: dict[tuple[str, str], dict[AtomKey, int]] = {}
    for key in aggregates.atoms:
        groups.setdefault((key[1], key[4]), {})[key] = 1
    return [*groups.values(), *CellMaker(aggregates).balance_relations()]


PRIME = (1 << 61) - 1


class Knowledge:
    """The span of what readers know, to test whether a hidden number is determined.

    Sparse elimination modulo a 61-bit prime (a different method from the
    production solver's exact fractions): a row in the rational span is in the
    span modulo the prime, and the converse fails only if the prime divides some
    minor of a small 0/±1 matrix, which does not happen in practice.
    """

    def __init__(
        self,
        known: Sequence[Mapping[AtomKey, int]],
        probes: Iterable[Mapping[AtomKey, int]] = (),
    ) -> None:
        del probes
        self.column: dict[AtomKey, int] = {}
        self.pivots: dict[int, dict[int, int]] = {}
        for row in known:
            self._insert(self._sparse(row))

    def _sparse(self, row: Mapping[AtomKey, int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for key, coef in row.items():
            column = self.column.setdefault(key, len(self.column))
            out[column] = (out.get(column, 0) + coef) % PRIME
        return {c: v for c, v in out.items() if v}

    def _reduce(self, row: dict[int, int]) -> dict[int, int]:
        row = dict(row)
        while True:
            hits = [c for c in row if c in self.pivots]
            if not hits:
                return row
            column = max(hits)
            factor = row[column]
            for c, v in self.pivots[column].items():
                value = (row.get(c, 0) - factor * v) % PRIME
                if value:
                    row[c] = value
                else:
                    row.pop(c, None)

    def _insert(self, row: dict[int, int]) -> None:
        row = self._reduce(row)
        if not row:
            return
        pivot = max(row)
        inverse = pow(row[pivot], PRIME - 2, PRIME)
        self.pivots[pivot] = {c: v * inverse % PRIME for c, v in row.items()}

    def determines(self, row: Mapping[AtomKey, int]) -> bool:
        """True when ``row`` is a combination of the known rows."""
        return not self._reduce(self._sparse(row))


def published_rows(disclosure: Disclosure, measure: str) -> list[Mapping[AtomKey, int]]:
    """Coefficient rows of every published number of one measure, earlier reports too."""
    rows: list[Mapping[AtomKey, int]] = [
        c.coefficients
        for c in disclosure.cells
        if c.measure == measure and c.coefficients and c.id not in disclosure.hidden
    ]
    for _, cells, gone in disclosure.earlier:
        rows += [
            c.coefficients
            for c in cells
            if c.measure == measure and c.id not in gone and c.coefficients
        ]
    return rows


def protected(disclosure: Disclosure, aggregates: Aggregates, measure: str) -> list[Cell]:
    """Every number that must stay hidden: the hidden cells that are sensitive
    (recomputed here from the atoms' households: :func:`too_small`), hidden grant
    parts of published mixes that are small, and the sensitive numbers earlier
    reports hid.

    A number hidden only to protect another (a complementary suppression) is not
    itself a secret: whether it protects is whether the sensitive ones stay
    undetermined. (The reader this module models knows which sums had no
    postings, more than a report tells; a number hidden against a reader who does
    not — a fund's balance around an idle month — may be determined for it.)
    """
    privacy = disclosure.report.privacy
    out = [
        c
        for c in disclosure.cells
        if c.measure == measure and c.coefficients and c.id in disclosure.hidden
        and too_small(c, aggregates, privacy.min_cell, Fraction(privacy.p_percent))
    ]  # fmt: skip
    out += [c for c in disclosure.guarded if c.measure == measure]
    for _, cells, gone in disclosure.earlier:
        out += [
            c for c in cells if c.measure == measure and c.coefficients and c.id in gone
            and too_small(c, aggregates, privacy.min_cell, Fraction(privacy.p_percent))
        ]  # fmt: skip
    return out


def determined_hidden(disclosure: Disclosure, aggregates: Aggregates) -> list[str]:
    """Ids of protected numbers that the published ones determine exactly."""
    bad: list[str] = []
    for measure in ("amount", "count"):
        known = published_rows(disclosure, measure)
        if measure == "amount":
            known = [*relations(aggregates), *known]
        probes = protected(disclosure, aggregates, measure)
        if not probes:
            continue
        space = Knowledge(known, (p.coefficients for p in probes))
        bad += [
            p.id
            for p in probes
            if p.id not in disclosure.unprotectable and space.determines(p.coefficients)
        ]
    return bad


def too_small(
    cell: Cell, aggregates: Aggregates, min_cell: int, p_percent: Fraction
) -> bool:
    """A number made of grants that covers too few households or fails the p%
    rule (total - largest - second largest < p% of the largest household's part),
    recomputed from the atoms' households; a mix (grants and more) by its grant
    part."""
    if not cell.flow or not cell.households:
        return False
    if cell.linear:
        cell = grant_part(cell, aggregates)
    households = {
        code for key in cell.coefficients for code in (aggregates.atoms[key].households or {})
    } if cell.linear else set(cell.households)  # fmt: skip
    if not households:
        return False
    if len(households) < min_cell:
        return True
    if cell.measure != "amount":
        return False
    total = Fraction(0)
    parts: dict[str, Fraction] = {}
    for key in cell.coefficients:
        atom = aggregates.atoms[key]
        total += abs(Fraction(atom.amount))
        for code, amount in (atom.households or {}).items():
            parts[code] = parts.get(code, Fraction(0)) + Fraction(amount)
    top = [*sorted(parts.values(), reverse=True), Fraction(0), Fraction(0)]
    return total - top[0] - top[1] < p_percent / 100 * top[0]


def small_published(
    disclosure: Disclosure, aggregates: Aggregates, min_cell: int, p_percent: Fraction
) -> list[str]:
    """Published numbers made of grants that cover too few households or fail the
    p% rule (total - largest - second largest < p% of the largest household's
    part), recomputed from the atoms' households."""
    bad = []
    for cell in disclosure.cells:
        if cell.id in disclosure.hidden or not cell.flow or not cell.households:
            continue
        if cell.linear and grant_part(cell, aggregates).coefficients != cell.coefficients:
            continue  # a mix: its grant part is checked by determined_hidden
        if len(cell.households) < min_cell:
            bad.append(cell.id)
        elif cell.measure == "amount" and too_small(cell, aggregates, 0, p_percent):
            bad.append(cell.id)
    return bad
