"""The exact solver and the rounding the report relies on."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aidbooks.reports.linalg import Span
from aidbooks.reports.rounding import largest_remainder
from aidbooks.reports.rounding import nearest


def test_span_knows_what_a_sum_reveals() -> None:
    span = Span()
    span.add({0: 1, 1: 1, 2: 1}, "total")  # a + b + c
    span.add({1: 1}, "b")
    assert not span.contains({0: 1})  # a alone: not yet
    span.add({2: 1}, "c")
    assert span.contains({0: 1})  # a = total - b - c
    combination = span.express({0: 1})
    assert combination == {"total": Fraction(1), "b": Fraction(-1), "c": Fraction(-1)}
    assert span.express({3: 1}) is None


@given(
    st.lists(st.lists(st.integers(-1, 1), min_size=4, max_size=4), min_size=1, max_size=6),
    st.lists(st.integers(-3, 3), min_size=6, max_size=6),
)
def test_express_gives_a_true_combination(
    rows: list[list[int]], weights: list[int]
) -> None:
    span = Span()
    for index, row in enumerate(rows):
        span.add(dict(enumerate(row)), index)
    target = [sum(w * r[c] for w, r in zip(weights, rows, strict=False)) for c in range(4)]
    combination = span.express(dict(enumerate(target)))
    assert combination is not None
    rebuilt = [
        sum(combination.get(i, 0) * r[c] for i, r in enumerate(rows)) for c in range(4)
    ]
    assert rebuilt == target


@given(
    st.lists(st.lists(st.integers(-2, 2), min_size=4, max_size=4), min_size=1, max_size=7)
)
def test_determined_are_the_rows_the_others_make(rows: list[list[int]]) -> None:
    """Span.determined, found while adding, against a span built without each row."""
    span = Span()
    for index, row in enumerate(rows):
        span.add(dict(enumerate(row)), index)
    expected = set()
    for index, row in enumerate(rows):
        others = Span()
        for j, other in enumerate(rows):
            if j != index:
                others.add(dict(enumerate(other)), j)
        if others.contains(dict(enumerate(row))):
            expected.add(index)
    assert span.determined == expected
    copy = span.copy()
    copy.add({0: 1, 1: 2, 2: 3, 3: 5}, "more")
    assert span.determined == expected  # a copy is independent


@given(
    st.lists(
        st.integers(-(10**7), 10**7).map(lambda c: Decimal(c).scaleb(-2)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["1", "10", "0.01", "5"]),
)
def test_largest_remainder_adds_up_and_stays_close(
    values: list[Decimal], unit_text: str
) -> None:
    unit = Decimal(unit_text)
    target = nearest(sum(values, Decimal(0)), unit)
    rounded = largest_remainder(values, target, unit)
    assert sum(rounded, Decimal(0)) == target
    for value, result in zip(values, rounded, strict=True):
        assert abs(result - value) < unit
        assert result % unit == 0


def test_largest_remainder_refuses_an_unreachable_total() -> None:
    with pytest.raises(ValueError, match="out of reach"):
        largest_remainder([Decimal("1.2"), Decimal("1.2")], Decimal(5), Decimal(1))


def test_nearest_shapes_like_the_unit() -> None:
    assert str(nearest(Decimal("1234.5"), Decimal(1))) == "1235"
    assert str(nearest(Decimal("1234.5"), Decimal("0.01"))) == "1234.50"
    assert str(nearest(Decimal("-1234.5"), Decimal(10))) == "-1230"
