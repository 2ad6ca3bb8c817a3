"""aidbooks.reports: aggregate the books, apply disclosure control, render, manifest.

The pipeline, one module per step (floor 2: imports only :mod:`aidbooks.plugins`):

    aggregate(entries, options_map, policy, period)  -> Aggregates     aggregate.py
    disclose(aggregates, policy)                      -> PublicReport   disclosure.py
    render_html / render_markdown / render_csv        -> text           render.py
    build(...) / write_folder(out, files)             -> the folder     publish.py
    verify_folder(folder, books)                      -> Outcome        verify.py

For a preview (Fava's "publish preview" of the next quarter)::

    from aidbooks.reports import aggregate, disclose, parse_period

    period = parse_period("2026-Q1")
    public = disclose(aggregate(entries, options_map, policy, period), policy)
    public.totals.granted        # None when suppressed

:func:`~aidbooks.reports.disclosure.plan` returns the same with its reasons (which
cells were sensitive, which were hidden to protect them) for a treasurer's eyes —
never publish those. A preview that should match the real report must pass the
fund's earlier reports: ``aggregate(..., context=periods)`` and
``disclose(..., earlier=reports)``.
"""

from __future__ import annotations

from aidbooks.reports.aggregate import Aggregates
from aidbooks.reports.aggregate import aggregate
from aidbooks.reports.disclosure import Disclosure
from aidbooks.reports.disclosure import disclose
from aidbooks.reports.disclosure import plan
from aidbooks.reports.model import PublicReport
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period

__all__ = [
    "Aggregates",
    "Disclosure",
    "Period",
    "PublicReport",
    "aggregate",
    "disclose",
    "parse_period",
    "plan",
]
