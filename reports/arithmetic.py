"""Does a published report add up? Checks anyone can run on ``report.json`` alone.

Every table's rows sum to its total, each fund's row balances (opening + received
− spent = closing), each row's cash and non-cash add up to its amount, and net is
gross minus fees. Where a value is hidden the sum cannot be checked exactly; then
the published rows must not exceed the total (grants, fees and costs are never
negative in a sound report, so the hidden part is what is left over).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from aidbooks.reports.model import PublicReport

Number = Decimal | int | None


def _sum_check(
    what: str,
    parts: Sequence[Number],
    total: Number,
    problems: list[str],
    signed: bool = False,
) -> None:
    if total is None:
        return
    known = [p for p in parts if p is not None]
    subtotal = sum(known, Decimal(0))
    if len(known) == len(parts):
        if subtotal != total:
            problems.append(f"{what}: the rows add up to {subtotal}, the total is {total}")
    elif not signed and all(p >= 0 for p in known) and subtotal > total:
        problems.append(
            f"{what}: the published rows ({subtotal}) exceed the total ({total})"
        )


def _equal(what: str, left: Number, right: Number, problems: list[str]) -> None:
    if left is not None and right is not None and left != right:
        problems.append(f"{what}: {left} is not {right}")


def problems(report: PublicReport) -> list[str]:
    """Every way the published numbers fail to add up (empty: they all do)."""
    out: list[str] = []
    t = report.totals
    cats = report.categories
    _sum_check("categories amount", [r.amount for r in cats], t.granted, out)
    _sum_check("categories cash", [r.cash for r in cats], t.granted_cash, out)
    _sum_check("categories non-cash", [r.noncash for r in cats], t.granted_noncash, out)
    _sum_check("categories grants", [r.grants for r in cats], t.grants, out)
    for row in cats:
        if row.cash is not None and row.noncash is not None:
            _equal(
                f"categories {row.name}: cash + non-cash",
                row.cash + row.noncash,
                row.amount,
                out,
            )
    if t.granted_cash is not None and t.granted_noncash is not None:
        _equal(
            "granted: cash + non-cash", t.granted_cash + t.granted_noncash, t.granted, out
        )
    _sum_check(
        "months raised", [r.raised for r in report.months], t.raised, out, signed=True
    )
    _sum_check("months granted", [r.granted for r in report.months], t.granted, out)
    _sum_check(
        "channels raised", [r.gross for r in report.channels], t.raised, out, signed=True
    )
    _sum_check("channels fees", [r.fees for r in report.channels], t.fees, out)
    _sum_check(
        "channels net", [r.net for r in report.channels], t.net_raised, out, signed=True
    )
    for channel in report.channels:
        if channel.gross is not None and channel.fees is not None:
            _equal(
                f"channel {channel.name}: gross - fees",
                channel.gross - channel.fees,
                channel.net,
                out,
            )
    if t.raised is not None and t.fees is not None:
        _equal("raised - fees", t.raised - t.fees, t.net_raised, out)
    _sum_check("operations", [r.amount for r in report.operations], t.operations, out)
    _sum_check(
        "cash on hand", [r.amount for r in report.on_hand], t.on_hand_end, out, signed=True
    )
    for fund in report.funds:
        values = (fund.opening, fund.received, fund.spent, fund.closing)
        if all(v is not None for v in values):
            assert fund.opening is not None and fund.received is not None
            assert fund.spent is not None
            _equal(
                f"fund {fund.name}: opening + received - spent",
                fund.opening + fund.received - fund.spent,
                fund.closing,
                out,
            )
    return out
