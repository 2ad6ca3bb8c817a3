"""The median grant: published only over enough grants, and rounded to a step."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import parse_policy
from tests import report_small as small

AMOUNTS = ["33", "37", "41", "43", "52", "58", "61", "64"]


def _report(count: int, the_policy: Policy) -> dict[str, Any]:
    """The Q1 report of ``count`` grants, one per household, in January."""
    grants = [small.Grant(1, "Groceries", i, a) for i, a in enumerate(AMOUNTS[:count])]
    built = small.report(small.books_text(grants), the_policy, "2025-Q1", ("en",))
    data: dict[str, Any] = json.loads(built.files["report.json"])
    data["_md"] = built.files["report.en.md"].decode()
    data["_primary"] = built.disclosure.primary
    return data


def test_too_few_grants_leave_the_median_out() -> None:
    """5 grants, 5 households (min_cell 3): the count is published, the median
    (one household's grant, 43) is not."""
    report = _report(5, small.policy())
    assert report["households"]["count"] == 5
    assert report["households"]["median_grant"] is None
    assert "households/median_grant" in report["_primary"]
    assert "**Median grant:** $43" not in report["_md"]


def test_median_over_enough_grants_is_rounded_to_the_step() -> None:
    """8 grants >= 2 x 3: the median (43 + 52) / 2 = 47.50 is published as 50."""
    report = _report(8, small.policy())
    assert report["households"]["median_grant"] == "50"
    assert report["privacy"]["median_step"] == "10"
    assert "**Median grant:** $50" in report["_md"]
    assert "The median grant is rounded to $10, and shown only when it is taken over at least 6 grants." in report["_md"]  # fmt: skip


@pytest.mark.parametrize(
    ("privacy", "median", "step"),
    [
        ({"median_step": "25"}, "50", "25"),
        ({"median_step": "1"}, "48", "1"),
        ({"median_step": "0.01", "rounding": "0"}, "47.50", "0.01"),
        ({"median_step": "1", "rounding": "5"}, "50", "5"),  # the coarser unit
    ],
)
def test_median_step_from_the_policy(
    privacy: dict[str, str], median: str, step: str
) -> None:
    report = _report(8, small.policy(**privacy))
    assert report["households"]["median_grant"] == median
    assert Decimal(report["privacy"]["median_step"]) == Decimal(step)


def test_min_cell_sets_how_many_grants() -> None:
    assert _report(8, small.policy(min_cell=4))["households"]["median_grant"] == "50"
    assert _report(8, small.policy(min_cell=5))["households"]["median_grant"] is None


@pytest.mark.parametrize("value", ['"0"', '"0.001"', '"-10"', '"2000000"'])
def test_median_step_must_be_a_unit(value: str) -> None:
    with pytest.raises(PolicyError, match="median_step"):
        parse_policy(f"[privacy]\nmedian_step = {value}\n")


def test_median_step_default() -> None:
    assert parse_policy("").privacy.median_step == Decimal(10)
