"""The one list of what a report publishes (reports/sections.py) holds everywhere.

Each number the disclosure control makes is declared there, with the right kind
(money, count, median); ``report.json``'s model has a field for every declared
number and declares nothing more; and each number's declared rounding is true:
on generated books, no published amount is further from the exact one than its
column says.
"""

from __future__ import annotations

import typing
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from pydantic import BaseModel

from aidbooks.books import load_books
from aidbooks.plugins.policy import load_policy
from aidbooks.reports import aggregate
from aidbooks.reports import parse_period
from aidbooks.reports import sections
from aidbooks.reports.disclosure import Disclosure
from aidbooks.reports.disclosure import plan
from aidbooks.reports.disclosure import published_values
from aidbooks.reports.model import PublicReport
from tests.helpers import LEDGER
from tests.report_books import Generated
from tests.report_books import books


def _example(label: str) -> Disclosure:
    entries, _errors, options = load_books(Path(LEDGER).resolve())
    policy = load_policy(LEDGER.parent / "aidbooks.toml")
    return plan(aggregate(entries, options, policy, parse_period(label)), policy)


@pytest.fixture(scope="module")
def example_year() -> Disclosure:
    return _example("2025")


def test_every_number_the_control_makes_is_declared(example_year: Disclosure) -> None:
    kinds = {"amount": True, "count": False, "distinct": False}
    tables = set()
    for cell in example_year.cells:
        column = sections.column_of(cell.id)  # KeyError: not declared
        tables.add(cell.table)
        if column.rounding == "step":
            assert not cell.linear, cell.id  # the median: its own rule
        else:
            assert column.amount == kinds[cell.measure], (cell.id, cell.measure)
    # the example fund has every section (bail and gift cards included)
    assert tables == set(sections.BY_NAME)


def test_an_undeclared_number_is_refused() -> None:
    with pytest.raises(KeyError):
        sections.column_of("totals/donors")
    with pytest.raises(KeyError):
        sections.column_of("payees/Landlord/amount")
    assert sections.column_of("2025-03|categories/Rent/amount").rounding == "sum"


def _fields(model: type[BaseModel]) -> set[str]:
    """The model's published numbers: its fields that may be hidden (None)."""
    out = set()
    for name, info in model.model_fields.items():
        if type(None) in typing.get_args(info.annotation) or any(
            type(None) in typing.get_args(a) for a in typing.get_args(info.annotation)
        ):
            out.add(name)
    return out


def test_the_model_publishes_exactly_what_is_declared() -> None:
    declared_sections = {s.name for s in sections.SECTIONS}
    numbered = {
        name
        for name, info in PublicReport.model_fields.items()
        if name not in ("schema_", "fund", "period", "currency", "privacy", "artifacts")
    }
    assert numbered == declared_sections
    for section in sections.SECTIONS:
        annotation = PublicReport.model_fields[section.name].annotation
        models = [
            a
            for a in (annotation, *typing.get_args(annotation))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        assert len(models) == 1, section.name
        (row,) = models
        assert _fields(row) == {c.name for c in section.columns}, section.name
        if not section.single_row:
            assert section.key in row.model_fields, section.name


def test_a_report_reads_back_every_declared_number(example_year: Disclosure) -> None:
    values = published_values(example_year.report)
    ids = {c.id for c in example_year.cells}
    assert set(values) == ids  # every cell read back, nothing else


@pytest.mark.slow  # reports on generated books
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen=books(), label=st.sampled_from(["2025", "2025-Q2", "2025-03", "2025-11"]))
def test_the_declared_rounding_is_true(gen: Generated, label: str) -> None:
    """No rounded amount is further from the exact value than its column allows."""
    entries, options = gen.load()
    d = plan(aggregate(entries, options, gen.policy, parse_period(label)), gen.policy)
    unit = d.report.privacy.rounding or Decimal("0.01")
    for cell in d.cells:
        column = sections.column_of(cell.id)
        if not column.amount or not cell.linear:
            continue
        off = abs(d.rounded[cell.id] - cell.value)
        assert off <= column.error * unit, (cell.id, off, column)
        assert sections.slack(cell.id, unit) <= column.error * unit


def test_every_declared_number_is_in_the_csv_files(example_year: Disclosure) -> None:
    """The CSV renderer publishes each declared number, with the report's value."""
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415

    from aidbooks.reports.render import render_csv  # noqa: PLC0415

    files = {
        name.removeprefix("csv/").removesuffix(".csv"): list(csv.reader(io.StringIO(text)))
        for name, text in render_csv(example_year.report).items()
    }
    figures: dict[str, dict[str, str]] = {}
    for name, rows in files.items():
        if rows and rows[0] == ["figure", "value"]:
            figures[name] = {r[0]: r[1] for r in rows[1:]}
    # the two numbers of `households` are figures of totals.csv
    where = {"households/count": ("totals", "households"),
             "households/median_grant": ("totals", "median_grant")}  # fmt: skip
    checked = 0
    for cell_id, value in published_values(example_year.report).items():
        section, row, column = sections.place(cell_id)
        shown = "" if value is None else str(value)
        if section.single_row:
            table, figure = where.get(cell_id, (section.name, column.name))
            assert figures[table][figure] == shown, cell_id
        else:
            head, *body = files[section.name]
            line = next(r for r in body if r[0] == row)
            assert line[head.index(column.name)] == shown, cell_id
        checked += 1
    assert checked == len(example_year.cells)
