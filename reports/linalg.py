"""Exact linear algebra over the rationals, for the disclosure control.

A reader of a report knows every published number, and how each is made from
the same underlying sums (atoms). A hidden number is *determined* when its
coefficient row lies in the span of the rows of the published numbers and the
relations everyone knows (every transaction balances); then some combination
of published totals gives it exactly, by subtraction or otherwise.

:class:`Span` keeps an echelon basis of sparse rows with :class:`fractions.Fraction`
entries (exact, no floating point), and remembers for every basis row which
original rows it was made of, so :meth:`Span.express` can say *which* published
numbers would reveal a hidden one — the candidates to hide next.
"""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping
from fractions import Fraction

Row = dict[int, Fraction]


class Span:
    """The span of a growing set of tagged sparse rows.

    Columns are integers; a row is a mapping column → coefficient. Each row added
    carries a tag (any hashable, e.g. the id of a published cell); rows added with
    the tag ``None`` are relations that can never be withdrawn.
    """

    def __init__(self) -> None:
        self._rows: dict[int, Row] = {}  # pivot column -> row with that minimum column
        self._prov: dict[int, dict[int, Fraction]] = {}  # pivot -> tag index -> weight
        self._tags: list[Hashable | None] = []

    def __len__(self) -> int:
        return len(self._rows)

    def _reduce(
        self, row: Row, prov: dict[int, Fraction] | None
    ) -> tuple[Row, dict[int, Fraction] | None]:
        rows = self._rows
        while True:
            hits = [c for c in row if c in rows]
            if not hits:
                return row, prov
            col = min(hits)
            factor = row[col]
            basis = rows[col]
            for c, v in basis.items():
                value = row.get(c, Fraction(0)) - factor * v
                if value:
                    row[c] = value
                else:
                    row.pop(c, None)
            if prov is not None:
                for t, w in self._prov[col].items():
                    weight = prov.get(t, Fraction(0)) - factor * w
                    if weight:
                        prov[t] = weight
                    else:
                        prov.pop(t, None)

    def add(self, coefficients: Mapping[int, int | Fraction], tag: Hashable | None) -> bool:
        """Add a row; True when it was independent of the rows already there."""
        row: Row = {c: Fraction(v) for c, v in coefficients.items() if v}
        index = len(self._tags)
        self._tags.append(tag)
        prov: dict[int, Fraction] | None = {index: Fraction(1)}
        row, prov = self._reduce(row, prov)
        if not row:
            return False
        pivot = min(row)
        scale = row[pivot]
        row = {c: v / scale for c, v in row.items()}
        assert prov is not None
        self._rows[pivot] = row
        self._prov[pivot] = {t: w / scale for t, w in prov.items()}
        return True

    def contains(self, coefficients: Mapping[int, int | Fraction]) -> bool:
        """True when the row is a combination of the rows added."""
        row: Row = {c: Fraction(v) for c, v in coefficients.items() if v}
        reduced, _ = self._reduce(row, None)
        return not reduced

    def express(
        self, coefficients: Mapping[int, int | Fraction]
    ) -> dict[Hashable | None, Fraction] | None:
        """Write a row as a combination of the rows added, or None if it is not one.

        Returns:
          tag → weight of one combination that gives the row exactly (rows added
          with the same tag are summed; the relations' weights are under ``None``).
        """
        row: Row = {c: Fraction(v) for c, v in coefficients.items() if v}
        prov: dict[int, Fraction] = {}
        reduced, used = self._reduce(row, prov)
        if reduced:
            return None
        combination: dict[Hashable | None, Fraction] = {}
        for index, weight in (used or {}).items():
            tag = self._tags[index]
            # The reduction subtracted the basis rows, so the weights come out negated.
            total = combination.get(tag, Fraction(0)) - weight
            if total:
                combination[tag] = total
            else:
                combination.pop(tag, None)
        return combination
