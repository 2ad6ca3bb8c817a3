"""Render a :class:`~aidbooks.reports.model.PublicReport`: HTML page, Markdown, CSV.

Renderers read only the public report — what the disclosure control let through —
never the books. Every output is a pure function of the report and the language,
so ``aidbooks verify`` can render again and compare byte for byte.

* **HTML** (``report.<lang>.html``): one self-contained page (Jinja2). Styles and
  charts are inline; there is no script, no web font, no image from elsewhere,
  and a Content-Security-Policy that forbids any request, so opening the page
  tells nobody that someone read it. Readable on a phone (tables scroll
  sideways), printable (a print stylesheet drops the navigation and keeps tables
  whole). Charts (pygal, inline SVG) repeat numbers that are in a table next to
  them.
* **Markdown** (``report.<lang>.md``): the same tables, to paste into a chat or a
  newsletter.
* **CSV** (``csv/<table>.csv``): one file per table, language-neutral (English
  column names, ISO months, plain decimal amounts, empty for a hidden value).
* **index.html**: a small page linking to each language.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment
from jinja2 import PackageLoader
from jinja2 import StrictUndefined

from aidbooks.reports import charts
from aidbooks.reports.cells import OTHER_AID
from aidbooks.reports.i18n import Formatter
from aidbooks.reports.i18n import translations
from aidbooks.reports.model import PublicReport
from aidbooks.reports.rounding import unit_of

LANGUAGE_NAMES = {"en": "English", "es": "Español", "so": "Soomaali"}


def html_name(lang: str) -> str:
    """File name of the page in ``lang``."""
    return f"report.{lang}.html"


def markdown_name(lang: str) -> str:
    """File name of the Markdown in ``lang``."""
    return f"report.{lang}.md"


@cache
def _environment(lang: str, autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("aidbooks.reports", "templates"),
        autoescape=autoescape,  # noqa: S701 - off only for Markdown, escaped by |md
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["md"] = _md_cell
    return env


def _md_cell(text: object) -> str:
    """Escape text for a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


class Value:
    """A published value and how to show it (``hidden`` when suppressed)."""

    def __init__(self, text: str, hidden: bool, number: Decimal | int | None) -> None:
        self.text = text
        self.hidden = hidden
        self.number = number

    def __str__(self) -> str:
        return self.text


class View:
    """Everything a template shows, formatted for one language."""

    def __init__(self, report: PublicReport, lang: str, languages: tuple[str, ...]) -> None:
        self.report = report
        self.lang = lang
        unit = unit_of(report.privacy.rounding)
        self.f = Formatter(lang, report.currency, unit)
        f = self.f
        n = report.privacy.min_cell
        self.hidden_text = f.ngettext(
            "fewer than %(n)s household", "fewer than %(n)s households", n
        ) % {"n": n}
        self.languages = [
            {"code": code, "name": LANGUAGE_NAMES.get(code, code), "href": html_name(code)}
            for code in languages
        ]
        self.period_name = f.period(report.period.label, report.period.kind)
        self.has_quarters = any("-Q" in row.period for row in report.months)
        self.other_aid = OTHER_AID

    # values -------------------------------------------------------------
    def money(self, value: Decimal | None) -> Value:
        """An amount, or the hidden marker."""
        if value is None:
            return Value(self.hidden_text, True, None)
        return Value(self.f.money(value), False, value)

    def count(self, value: int | None) -> Value:
        """A count, or the hidden marker."""
        if value is None:
            return Value(self.hidden_text, True, None)
        return Value(self.f.number(value), False, value)

    def word(self, text: str) -> str:
        """A word from the books, translated when known."""
        return self.f.word(text)

    # charts -------------------------------------------------------------
    def _axis(self, number: float) -> str:
        return self.f.money(Decimal(str(round(number))))

    def months_chart(self) -> str:
        """Inline SVG of the months table (empty when there is nothing to draw)."""
        rows = self.report.months
        if not rows:
            return ""
        return charts.months_chart(
            [self.f.short_month(r.period) for r in rows],
            [r.raised for r in rows],
            [r.granted for r in rows],
            (self.f.gettext("Raised"), self.f.gettext("Granted")),
            self._axis,
            self.f.gettext("Chart: money raised and granted, month by month"),
        )

    def categories_chart(self) -> str:
        """Inline SVG of aid by type (empty when there is nothing to draw)."""
        rows = self.report.categories
        if not rows:
            return ""
        # pygal draws horizontal bars bottom-up; reverse so the chart reads like the table
        return charts.categories_chart(
            [self.word(r.name) for r in reversed(rows)],
            [r.amount for r in reversed(rows)],
            self.f.gettext("Granted"),
            self._axis,
            self.f.gettext("Chart: aid by type of assistance"),
        )


def render_html(report: PublicReport, lang: str, languages: tuple[str, ...]) -> str:
    """The self-contained page in ``lang``."""
    view = View(report, lang, languages)
    return _environment(lang, True).get_template("report.html.j2").render(v=view, r=report)


def render_markdown(report: PublicReport, lang: str) -> str:
    """The report as Markdown in ``lang``."""
    view = View(report, lang, (lang,))
    return _environment(lang, False).get_template("report.md.j2").render(v=view, r=report)


def render_index(report: PublicReport, languages: tuple[str, ...]) -> str:
    """A page linking to the report in each language."""
    views = [View(report, lang, languages) for lang in languages]
    return (
        _environment(languages[0], True)
        .get_template("index.html.j2")
        .render(views=views, r=report)
    )


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                "" if v is None else format(v, "f") if isinstance(v, Decimal) else v
                for v in row
            ]
        )
    return out.getvalue()


def render_csv(report: PublicReport) -> dict[str, str]:
    """One CSV per table, by file name (empty cell: hidden value)."""
    t = report.totals
    files = {
        "totals.csv": _csv(
            ["figure", "value"],
            [
                ["raised", t.raised],
                ["fees", t.fees],
                ["net_raised", t.net_raised],
                ["granted", t.granted],
                ["granted_cash", t.granted_cash],
                ["granted_noncash", t.granted_noncash],
                ["grants", t.grants],
                ["corrections", t.corrections],
                ["operations", t.operations],
                ["on_hand_end", t.on_hand_end],
                ["households", report.households.count],
                ["median_grant", report.households.median_grant],
            ],
        ),
        "categories.csv": _csv(
            [
                "type_of_assistance",
                "households",
                "grants",
                "cash",
                "noncash",
                "amount",
                "includes",
            ],
            [
                [
                    r.name,
                    r.households,
                    r.grants,
                    r.cash,
                    r.noncash,
                    r.amount,
                    ";".join(r.merged),
                ]
                for r in report.categories
            ],
        ),
        "channels.csv": _csv(
            ["channel", "gross", "fees", "net"],
            [[r.name, r.gross, r.fees, r.net] for r in report.channels],
        ),
        "months.csv": _csv(
            ["period", "raised", "granted"],
            [[r.period, r.raised, r.granted] for r in report.months],
        ),
        "operations.csv": _csv(
            ["kind", "amount"], [[r.name, r.amount] for r in report.operations]
        ),
        "on_hand.csv": _csv(
            ["kind", "amount"], [[r.kind, r.amount] for r in report.on_hand]
        ),
        "funds.csv": _csv(
            ["fund", "restricted", "opening", "received", "spent", "closing"],
            [
                [
                    r.name,
                    "yes" if r.restricted else "no",
                    r.opening,
                    r.received,
                    r.spent,
                    r.closing,
                ]
                for r in report.funds
            ],
        ),
    }
    if report.gift_cards is not None:
        g = report.gift_cards
        files["gift_cards.csv"] = _csv(
            ["figure", "value"],
            [
                ["bought", g.bought],
                ["handed_out", g.handed_out],
                ["on_hand_end", g.on_hand_end],
            ],
        )
    if report.bail is not None:
        b = report.bail
        files["bail.csv"] = _csv(
            ["figure", "value"],
            [
                ["posted", b.posted],
                ["returned", b.returned],
                ["outstanding_end", b.outstanding_end],
                ["bonds", b.bonds],
                ["households", b.households],
            ],
        )
    return {f"csv/{name}": text for name, text in files.items()}
