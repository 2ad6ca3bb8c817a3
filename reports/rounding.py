"""Rounding that keeps the published tables adding up.

``privacy.rounding`` is the unit amounts are published in (``1``: whole dollars;
``0``: cents). Rounding every number on its own would make the rows of a table
miss its total by a few units, and a reader could not tell rounding from a
mistake. So a total is rounded to the nearest unit and its rows are rounded
*to that total* with the largest-remainder method (every row goes to the unit
just below or just above its exact value; the units left over go to the rows
with the largest remainders). The result is deterministic: ties go to the row
listed first.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR
from decimal import ROUND_HALF_UP
from decimal import Decimal

CENT = Decimal("0.01")


def unit_of(rounding: Decimal) -> Decimal:
    """The rounding unit a policy value stands for (0 means cents)."""
    return rounding if rounding > 0 else CENT


def _shape(value: Decimal, unit: Decimal) -> Decimal:
    """Give a multiple of ``unit`` the exponent of ``unit`` (``1234`` or ``1234.50``)."""
    if unit == unit.to_integral_value():
        return value.quantize(Decimal(1))
    return value.quantize(unit)


def nearest(value: Decimal, unit: Decimal) -> Decimal:
    """``value`` rounded to the nearest multiple of ``unit`` (halves away from zero)."""
    units = (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _shape(units * unit, unit)


def largest_remainder(
    values: list[Decimal], target: Decimal, unit: Decimal
) -> list[Decimal]:
    """Round ``values`` to multiples of ``unit`` that sum exactly to ``target``.

    ``target`` must be a multiple of ``unit`` between the sum of the values rounded
    down and the sum rounded up (any nearest rounding of their sum is).

    Raises:
      ValueError: ``target`` cannot be reached that way.
    """
    floors = [(v / unit).to_integral_value(rounding=ROUND_FLOOR) for v in values]
    remainders = [v / unit - f for v, f in zip(values, floors, strict=True)]
    extra = target / unit - sum(floors, Decimal(0))
    if extra != extra.to_integral_value() or not 0 <= extra <= len(values):
        raise ValueError("target out of reach")
    order = sorted(range(len(values)), key=lambda i: (-remainders[i], i))
    bumped = set(order[: int(extra)])
    if any(remainders[i] == 0 for i in bumped):
        raise ValueError("target out of reach")
    return [
        _shape((f + (1 if i in bumped else 0)) * unit, unit) for i, f in enumerate(floors)
    ]
