"""The interval audit: how closely a reader of every release can bound a protected number.

The exact-arithmetic control (:func:`aidbooks.reports.disclosure.complement`) makes
sure no protected number *follows* from the published ones. That is not enough: a
reader also knows that grants, fees and donations are never negative, and every
published number is only rounded, so a linear programme over everything the fund
ever published can squeeze a hidden number into a narrow range without pinning it.

This audit is that linear programme, solved with HiGHS (``highspy``, warm-started).
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

import os
import sys
import threading
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import highspy
import numpy as np

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


_CONSTRUCTING = threading.Lock()


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance that prints nothing.

    HiGHS 1.16 prints its banner to the process's standard output (file
    descriptor 1, below Python) when an instance is made, before any option can
    be set; that would land in the middle of a command's output. So the
    descriptor points at the null device while it is made (one at a time).
    """
    with _CONSTRUCTING:
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no standard output at all: nothing to keep clean
            highs = highspy.Highs()
        else:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
    highs.setOptionValue("output_flag", False)
    return highs


class Audit:
    """One linear programme over the atoms; ask it for the interval of any row.

    ``rows`` are the rows that will be asked about (their atoms become columns up
    front, so the model is built once). The model is kept in one HiGHS instance
    (``highspy``) and only its objective changes from question to question, so
    each solve starts from the last one's basis (a warm start) instead of from
    nothing.
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
        inf = highspy.kHighsInf
        lower = np.full(n, -inf)
        upper = np.full(n, inf)
        for key, column in keys.items():
            sign = sign_of(key)
            if sign > 0:
                lower[column] = 0.0
            elif sign < 0:
                upper[column] = 0.0
        highs = _quiet_highs()
        highs.addVars(n, lower, upper)
        every = [*relations, *(k.row for k in known)]
        row_lower = np.array([0.0] * len(relations) + [float(k.low) for k in known])
        row_upper = np.array([0.0] * len(relations) + [float(k.high) for k in known])
        starts: list[int] = []
        index: list[int] = []
        value: list[float] = []
        for row in every:
            starts.append(len(index))
            merged: dict[int, float] = {}
            for key, coef in row.items():
                merged[keys[key]] = merged.get(keys[key], 0.0) + float(coef)
            index.extend(merged)
            value.extend(merged.values())
        if every:
            highs.addRows(
                len(every),
                row_lower,
                row_upper,
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(value, dtype=np.float64),
            )
        self._highs = highs
        self._costed: np.ndarray = np.zeros(0, dtype=np.int32)
        #: True when a programme had no solution (the model and the books disagree).
        self.inconclusive = False

    def interval(self, row: Row) -> tuple[float, float]:
        """The least and greatest value of ``row`` the reader's knowledge allows."""
        highs = self._highs
        merged: dict[int, float] = {}
        for key, coef in row.items():
            merged[self._keys[key]] = merged.get(self._keys[key], 0.0) + float(coef)
        if len(self._costed):
            highs.changeColsCost(
                len(self._costed), self._costed, np.zeros(len(self._costed))
            )
        columns = np.array(list(merged), dtype=np.int32)
        highs.changeColsCost(len(columns), columns, np.array(list(merged.values())))
        self._costed = columns
        out = []
        for sense, direction in (
            (highspy.ObjSense.kMinimize, 1.0),
            (highspy.ObjSense.kMaximize, -1.0),
        ):
            highs.changeObjectiveSense(sense)
            highs.run()
            status = highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                out.append(float(highs.getInfo().objective_function_value))
            elif status in (
                highspy.HighsModelStatus.kUnbounded,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,
            ):
                out.append(-np.inf * direction)
            else:  # infeasible only if the model is wrong
                self.inconclusive = True
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
