"""Exact linear algebra over the rationals, for the disclosure control.

A reader of a report knows every published number, and how each is made from
the same underlying sums (atoms). A hidden number is *determined* when its
coefficient row lies in the span of the rows of the published numbers and the
relations everyone knows (every transaction balances); then some combination
of published totals gives it exactly, by subtraction or otherwise.

:class:`Span` keeps an echelon basis of sparse integer rows and remembers, for
every basis row, which original rows it is made of, so :meth:`Span.express` can
say *which* published numbers would reveal a hidden one — the candidates to hide
next. The elimination is fraction-free (rows are scaled instead of divided, and
each row is kept divided by the gcd of its entries), so it is exact with plain
integers: no floating point, and no slow rational objects in the inner loop.
"""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping
from fractions import Fraction
from math import gcd

Row = dict[int, int]


def _normalise(row: Row, weights: Row, scale: int = 0) -> tuple[Row, Row, int]:
    """Divide a row, its weights and scale by their common gcd (0: no scale)."""
    g = gcd(*row.values(), *weights.values(), scale)
    if g > 1:
        row = {c: v // g for c, v in row.items()}
        weights = {t: w // g for t, w in weights.items()}
        scale //= g
    return row, weights, scale


class Span:
    """The span of a growing set of tagged sparse rows with integer coefficients.

    Columns are integers; a row is a mapping column → coefficient. Each row added
    carries a tag (any hashable, e.g. the id of a published cell); rows added with
    the tag ``None`` are relations that can never be withdrawn.

    Invariant: every basis row equals the sum of ``weight × original row`` over its
    weights, exactly, and its smallest column (its pivot) is the pivot of no other
    basis row.
    """

    def __init__(self) -> None:
        self._rows: dict[int, Row] = {}
        self._weights: dict[int, Row] = {}
        self._tags: list[Hashable | None] = []
        self._determined: set[Hashable | None] = set()

    def __len__(self) -> int:
        return len(self._rows)

    def copy(self) -> Span:
        """An independent copy (rows are replaced, never changed in place)."""
        clone = Span()
        clone._rows = dict(self._rows)
        clone._weights = dict(self._weights)
        clone._tags = list(self._tags)
        clone._determined = set(self._determined)
        return clone

    @property
    def determined(self) -> frozenset[Hashable | None]:
        """The tags of the rows that are combinations of the other rows added.

        A row is one exactly when it takes part in a linear dependency among the
        rows: every row added that was not independent gives one, and those
        dependencies span all of them, so this is found as the rows are added,
        without building the span once per row left out.
        """
        return frozenset(self._determined)

    def _reduce(
        self, row: Row, weights: Row, scale: int, sign: int
    ) -> tuple[Row, Row, int]:
        """Eliminate every pivot column from ``row``.

        For a row being added (``sign`` +1, ``scale`` 0) it keeps
        ``row == Σ weights × originals``; for a target being expressed (``sign`` -1)
        it keeps ``row == scale × target - Σ weights × originals``.
        """
        rows = self._rows
        while True:
            hits = [c for c in row if c in rows]
            if not hits:
                return row, weights, scale
            col = min(hits)
            basis = rows[col]
            pivot = basis[col]
            factor = row[col]
            new = {c: pivot * v for c, v in row.items()}
            for c, v in basis.items():
                value = new.get(c, 0) - factor * v
                if value:
                    new[c] = value
                else:
                    new.pop(c, None)
            new_weights = {t: pivot * w for t, w in weights.items()}
            for t, w in self._weights[col].items():
                value = new_weights.get(t, 0) - sign * factor * w
                if value:
                    new_weights[t] = value
                else:
                    new_weights.pop(t, None)
            row, weights, scale = _normalise(new, new_weights, pivot * scale)

    def add(self, coefficients: Mapping[int, int], tag: Hashable | None) -> bool:
        """Add a row; True when it was independent of the rows already there."""
        row = {c: int(v) for c, v in coefficients.items() if v}
        index = len(self._tags)
        self._tags.append(tag)
        row, weights, _ = self._reduce(row, {index: 1}, 0, 1)
        if not row:
            # 0 == Σ weights × originals: each row in it is made of the others
            tags = self._tags
            self._determined.update(tags[i] for i in weights)
            return False
        row, weights, _ = _normalise(row, weights)
        self._rows[min(row)] = row
        self._weights[min(row)] = weights
        return True

    def contains(self, coefficients: Mapping[int, int]) -> bool:
        """True when the row is a combination of the rows added."""
        row = {c: int(v) for c, v in coefficients.items() if v}
        reduced, _, _ = self._reduce(row, {}, 1, -1)
        return not reduced

    def express(
        self, coefficients: Mapping[int, int]
    ) -> dict[Hashable | None, Fraction] | None:
        """Write a row as a combination of the rows added, or None if it is not one.

        Returns:
          tag → weight of one combination that gives the row exactly (rows added
          with the same tag are summed; the relations' weights are under ``None``).
        """
        row = {c: int(v) for c, v in coefficients.items() if v}
        reduced, weights, scale = self._reduce(row, {}, 1, -1)
        if reduced:
            return None
        # scale × target - Σ weights × originals == 0
        combination: dict[Hashable | None, Fraction] = {}
        for index, weight in weights.items():
            tag = self._tags[index]
            total = combination.get(tag, Fraction(0)) + Fraction(weight, scale)
            if total:
                combination[tag] = total
            else:
                combination.pop(tag, None)
        return combination
