"""The interval audit: how closely a reader of every release can bound a protected number.

The exact-arithmetic control (:func:`aidbooks.reports.disclosure.complement`) makes
sure no protected number *follows* from the published ones. That is not enough: a
reader also knows that grants, fees and donations are never negative, and every
published number is only rounded, so a linear programme over everything the fund
ever published can squeeze a hidden number into a narrow range without pinning it.

This audit is that linear programme, solved with HiGHS (``scipy.optimize.linprog``).
The unknowns are the atoms of :mod:`aidbooks.reports.aggregate` (merged where every
number sees them alike) and the month-end balances. What the reader knows:

* every number published by the candidate report and by the recorded releases of
  its calendar year, as the interval its rounding leaves: ± half a unit for a
  number rounded on its own (a total, a fund's opening, received and spent, a
  correction), ± one unit for a row rounded so that the rows add up to their
  total, a sum, a closing balance (:func:`aidbooks.reports.disclosure.slack_of`);
* every transaction balances (the atoms of a month and class sum to zero), and
  balances move by the month's flows;
* an atom holds postings of one sign only, so it is ≥ 0 (debits) or ≤ 0 (credits);
* **fees** follow the platform's public rate from the published gross: every fee
  number is treated as known, hidden or not, so a fee is never what protects a
  grant.

A protected number (a cell under ``min_cell`` households or dominated, each
category merged into "Other aid", every number an earlier release hid) with value
``v`` must keep a feasible interval at least ``2p`` wide
(``p = max(privacy.protection × |v|, privacy.protection_floor)``; a number that
cannot be negative and is below ``p``: from zero to at least ``v + p``) that
reaches at least ``privacy.protection_floor`` beyond ``v`` on each side (down to
zero). This is a *sliding* protection range (as in τ-ARGUS): where the interval
lies around ``v`` is left free, because a category that is most of the fund's aid
can never be bounded above by less than the fund's published total. While one does
not, the control hides one more number of the candidate report that bounds it
(one that shares atoms with it, chosen as the exact control chooses), and audits
again. Counts are left to the exact control (a count interval of ±25% of "3
grants" says little); money is what the audit protects.

Configure in ``aidbooks.toml``::

    [privacy]
    protection = "0.25"        # an interval at least 2 × 25% of the value wide
    protection_floor = "10"    # ... reaching at least $10 beyond it on each side
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from aidbooks.reports.aggregate import AtomKey

Row = Mapping[AtomKey, int]


@dataclass(frozen=True)
class Known:
    """A number the reader knows within [low, high]."""

    row: Row
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Target:
    """A protected number: its coefficients and its true value."""

    id: str
    row: Row
    value: Decimal


@dataclass(frozen=True)
class Gap:
    """A protected number the reader can bound too closely."""

    id: str
    value: Decimal
    low: float
    high: float


class Audit:
    """One linear programme over the atoms; ask it for the interval of any row.

    ``rows`` are the rows that will be asked about (their atoms become columns up
    front, so the matrices are built once).
    """

    def __init__(
        self,
        relations: Sequence[Row],
        known: Sequence[Known],
        sign_of: Callable[[AtomKey], int],
        rows: Sequence[Row] = (),
    ) -> None:
        keys: dict[AtomKey, int] = {}
        for row in (*relations, *(k.row for k in known), *rows):
            for key in row:
                keys.setdefault(key, len(keys))
        self._keys = keys
        n = len(keys)
        self._bounds = []
        for key in keys:
            sign = sign_of(key)
            self._bounds.append(
                (0, None) if sign > 0 else (None, 0) if sign < 0 else (None, None)
            )
        self._a_eq = self._sparse(relations, [1] * len(relations), n)
        self._b_eq = np.zeros(len(relations)) if relations else None
        rows_ub = [k.row for k in known]
        self._a_ub = self._sparse(
            [*rows_ub, *rows_ub], [1] * len(known) + [-1] * len(known), n
        )
        self._b_ub = (
            np.array([float(k.high) for k in known] + [-float(k.low) for k in known])
            if known
            else None
        )
        #: True when a programme had no solution (the model and the books disagree).
        self.inconclusive = False

    def _sparse(
        self, rows: Sequence[Row], scale: Sequence[int], n: int
    ) -> csr_matrix | None:
        if not rows:
            return None
        r: list[int] = []
        c: list[int] = []
        v: list[float] = []
        for index, row in enumerate(rows):
            for key, coef in row.items():
                r.append(index)
                c.append(self._keys[key])
                v.append(float(coef * scale[index]))
        return csr_matrix((v, (r, c)), shape=(len(rows), n))

    def interval(self, row: Row) -> tuple[float, float]:
        """The least and greatest value of ``row`` the reader's knowledge allows."""
        objective = np.zeros(len(self._keys))
        for key, coef in row.items():
            objective[self._keys[key]] += coef
        out = []
        for direction in (1.0, -1.0):
            result = linprog(
                direction * objective,
                A_ub=self._a_ub,
                b_ub=self._b_ub,
                A_eq=self._a_eq,
                b_eq=self._b_eq,
                bounds=self._bounds,
                method="highs",
            )
            if result.status == 0:
                out.append(direction * float(result.fun))
            else:  # unbounded (3); infeasible (2) only if the model is wrong
                self.inconclusive |= result.status != 3
                out.append(-np.inf * direction)
        return out[0], out[1]


def required(value: Decimal, ratio: Decimal, floor: Decimal) -> Decimal:
    """The protection a number of ``value`` needs on each side."""
    return max(abs(value) * ratio, floor)


def gaps(
    audit: Audit,
    targets: Sequence[Target],
    ratio: Decimal,
    floor: Decimal,
    sign_of_row: Callable[[Row], int],
) -> list[Gap]:
    """The protected numbers whose feasible interval is narrower than required.

    A number of value ``v`` with protection ``p`` (:func:`required`) is safe when
    its interval is at least ``2p`` wide and reaches at least ``floor`` beyond
    ``v`` on each side (down to zero where the number cannot be negative): a
    sliding protection range. Where the interval lies around ``v`` is free, so a
    category that is most of the fund's aid is safe with the fund's total
    published (its upper end is that total) while its lower end is open.
    """
    found = []
    for target in targets:
        low, high = audit.interval(target.row)
        need = float(required(target.value, ratio, floor))
        side = float(floor)
        value = float(target.value)
        sign = sign_of_row(target.row)
        low_side = value - side
        high_side = value + side
        width = 2 * need
        if sign > 0:
            low_side = max(low_side, 0.0)
            width = min(width, need + value) if value < need else width
        elif sign < 0:
            high_side = min(high_side, 0.0)
            width = min(width, need - value) if -value < need else width
        tolerance = 0.005
        if (
            low > low_side + tolerance
            or high < high_side - tolerance
            or high - low < width - tolerance
        ):
            found.append(Gap(target.id, target.value, low, high))
    return found
