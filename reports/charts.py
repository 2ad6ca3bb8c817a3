"""Charts for the report page, drawn by pygal and inlined as plain SVG.

The page must make no request of its own, so pygal's JavaScript (tooltips,
fetched from a CDN by default) is switched off and every ``<script>`` and
comment is taken out of the SVG; its ids are fixed (pygal draws a random one),
so the same report renders to the same bytes and ``aidbooks verify`` can
re-render and compare. Fonts are the reader's own (``system-ui``), never fetched.

Charts are decoration: every number in a chart is also in the table next to it
(the accessible form), and a hidden value is a gap in the chart, never a bar.
Amounts become floats only here, to be drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from decimal import Decimal

import pygal
from lxml import etree
from pygal.style import Style

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
RAISED = "#2b6cb0"
GRANTED = "#c05621"

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#767676",
    colors=(RAISED, GRANTED, "#2f855a", "#6b46c1", "#b7791f"),
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    tooltip_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    no_data_font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
    value_font_size=12,
)


def _points(values: Sequence[Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _svg(chart: pygal.graph.graph.Graph, name: str, label: str) -> str:
    """Render ``chart`` to clean, deterministic, script-free SVG markup."""
    chart.uuid = name
    tree = chart.render_tree()
    for node in list(tree.iter()):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag.endswith("script") or not tag:
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    tree.attrib["role"] = "img"
    tree.attrib["aria-label"] = label
    tree.attrib["focusable"] = "false"
    tree.attrib.pop("width", None)
    tree.attrib.pop("height", None)
    return str(etree.tostring(tree, encoding="unicode"))


def _config(formatter: Callable[[float], str], height: int) -> dict[str, object]:
    return {
        "style": _STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 800,
        "height": height,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "show_y_guides": True,
        "value_formatter": formatter,
        "print_values": False,
        "margin": 8,
        "truncate_label": -1,
        "truncate_legend": -1,
        "missing_value_fill_truncation": "either",
    }


def months_chart(
    labels: Sequence[str],
    raised: Sequence[Decimal | None],
    granted: Sequence[Decimal | None],
    names: tuple[str, str],
    formatter: Callable[[float], str],
    label: str,
) -> str:
    """Bars of money raised and granted, month by month."""
    chart = pygal.Bar(**_config(formatter, 380))
    chart.x_labels = list(labels)
    chart.add(names[0], _points(raised))
    chart.add(names[1], _points(granted))
    return _svg(chart, "months", label)


def categories_chart(
    labels: Sequence[str],
    amounts: Sequence[Decimal | None],
    name: str,
    formatter: Callable[[float], str],
    label: str,
) -> str:
    """Horizontal bars of aid by type of assistance."""
    height = 120 + 34 * max(1, len(labels))
    config = _config(formatter, height)
    config["show_legend"] = False
    config["show_minor_x_labels"] = False
    config["x_labels_major_count"] = 6
    chart = pygal.HorizontalBar(**config)
    chart.x_labels = list(labels)
    chart.add(name, _points(amounts))
    return _svg(chart, "categories", label)
