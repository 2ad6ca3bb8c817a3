"""Rendering: self-contained pages, deterministic bytes, catalogs and the schema."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from aidbooks.reports import i18n
from aidbooks.reports.model import PublicReport
from aidbooks.reports.model import json_schema
from aidbooks.reports.publish import render_files
from aidbooks.reports.render import render_csv
from aidbooks.reports.render import render_html
from aidbooks.reports.render import render_markdown
from tests.report_fixtures import example_books
from tests.report_fixtures import make_key
from tests.report_fixtures import publish

REPORTS = Path(i18n.__file__).resolve().parent
LOCALE = REPORTS / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> PublicReport:
    books = example_books(make_key(tmp_path_factory.mktemp("key")))
    folder = publish(books, tmp_path_factory.mktemp("r") / "2025-Q2", "2025-Q2")
    return PublicReport.model_validate_json((folder / "report.json").read_bytes())


def test_published_schema_is_the_model() -> None:
    assert (REPORTS / "schema" / "report-1.schema.json").read_text() == json_schema()


def test_suppressed_values_are_null_never_numbers(quarter: PublicReport) -> None:
    data = json.loads(quarter.to_json())
    nulls = [k for k, v in _walk(data) if v is None]
    assert nulls, "a quarter of the example fund hides something"
    assert (
        len([k for k in nulls if k.split(".")[-1] not in ("gift_cards", "bail")])
        >= quarter.privacy.suppressed
    )
    for key, value in _walk(data):
        if isinstance(value, str) and key.split(".")[-1] in (
            "amount",
            "raised",
            "granted",
            "gross",
            "fees",
            "net",
            "closing",
        ):
            assert re.fullmatch(r"-?\d+(\.\d+)?", value), key


def _walk(node: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(node, dict):
        return [
            kv for k, v in node.items() for kv in _walk(v, f"{prefix}.{k}" if prefix else k)
        ]
    if isinstance(node, list):
        return [kv for i, v in enumerate(node) for kv in _walk(v, f"{prefix}.{i}")]
    return [(prefix, node)]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_page_is_self_contained(quarter: PublicReport, lang: str) -> None:
    page = render_html(quarter, lang, ("en", "es"))
    assert "<script" not in page
    assert '<link rel="icon" href="data:,">' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert not re.match(r"(?i)(https?:)?//", attribute), attribute
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page and 'name="viewport"' in page
    assert page.count("<svg") == 2


def test_rendering_is_deterministic(quarter: PublicReport) -> None:
    one = render_files(quarter, ("html", "md", "csv", "json"), ("en", "es"))[1]
    two = render_files(quarter, ("html", "md", "csv", "json"), ("en", "es"))[1]
    assert one == two


def test_markdown_escapes_table_cells(quarter: PublicReport) -> None:
    odd = quarter.model_copy(update={"fund": "Fund | with pipe"})
    assert "Fund \\| with pipe" in render_markdown(odd, "en")


def test_csv_hidden_value_is_empty(quarter: PublicReport) -> None:
    assert quarter.bail is not None and quarter.bail.posted is None
    assert "posted,\n" in render_csv(quarter)["csv/bail.csv"]


def test_money_formats_per_language() -> None:
    en = i18n.Formatter("en", "USD", Decimal(1))
    es = i18n.Formatter("es", "USD", Decimal(1))
    assert en.money(Decimal(12345)) == "$12,345"
    assert es.money(Decimal(12345)) == "12.345\xa0US$"
    assert i18n.Formatter("en", "USD", Decimal("0.01")).money(Decimal("5.5")) == "$5.50"
    assert es.month("2025-03") == "marzo de 2025"
    assert en.month("2025-Q1") == "1st quarter 2025"


def test_compiled_catalogs_match_their_sources() -> None:
    """Each committed ``.mo`` holds the same messages as its ``.po``.

    The catalogs are compared parsed, message by message: the bytes a tool writes
    (its ``Generated-By`` header, its hash table) differ between Babel versions and
    say nothing about whether the translations are current.
    """
    for lang in i18n.LANGUAGES:
        if lang == "en":
            continue
        folder = LOCALE / lang / "LC_MESSAGES"
        with (folder / "aidbooks.po").open("rb") as handle:
            source = read_po(handle)
        with (folder / "aidbooks.mo").open("rb") as handle:
            compiled = read_mo(handle)
        assert _messages(compiled) == _messages(source), f"run make i18n ({lang})"


def _messages(catalog: Catalog) -> dict[object, object]:
    """The translations of a catalog (without its header), as a compiled file keeps them.

    A compiled catalog keeps only translated, non-fuzzy messages.
    """
    return {
        _key(message.id): _key(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def _key(text: object) -> object:
    """A plural message is a tuple in a ``.po`` and a list in a ``.mo``."""
    return tuple(text) if isinstance(text, list | tuple) else text


def _forms(text: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A ``.po`` message's id or string as its forms: one, or several for a plural."""
    if text is None or isinstance(text, str):
        return (text or "",)
    return tuple(text)


def test_every_message_is_extracted_and_translated() -> None:
    method_map = [("**.py", "python"), ("templates/**.j2", "jinja2")]
    options = {
        "templates/**.j2": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    found = set()
    for _file, _line, extracted, _comments, _context in extract_from_dir(
        str(REPORTS),
        method_map,
        options,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.add(extracted if isinstance(extracted, str) else extracted[0])
    with (LOCALE / "aidbooks.pot").open("rb") as handle:
        template = {
            m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id
        }
    assert found == template, "run make i18n"
    for lang in i18n.LANGUAGES:
        if lang == "en":
            continue
        with (LOCALE / lang / "LC_MESSAGES" / "aidbooks.po").open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            ids, strings = _forms(message.id), _forms(message.string)
            assert all(strings) and not message.fuzzy, (lang, ids[0])
            for s in strings:
                assert set(PLACEHOLDER.findall(s)) == set(PLACEHOLDER.findall(ids[-1])), (
                    lang,
                    ids[0],
                )
