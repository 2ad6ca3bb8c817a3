"""``report.json``: the published report as a pydantic model (schema ``aidbooks.report/1``).

This is the contract of docs/design.md#reportjson: amounts are decimal
strings, a suppressed value is ``null`` (never a number), and every figure is an
aggregate the disclosure control let through. The JSON Schema of this model is
published with every report (``report.schema.json``) and kept in the repository
(``reports/schema/report-1.schema.json``; a test checks the two agree).

The model is also what the renderers (HTML, Markdown, CSV) read: a rendered page
never sees more than the JSON holds.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PlainSerializer
from pydantic import WithJsonSchema

SCHEMA: Literal["aidbooks.report/1"] = "aidbooks.report/1"

_AMOUNT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
    "description": "An exact decimal amount in the report's currency.",
}

Amount = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema(_AMOUNT_SCHEMA),
]
#: An amount, or null when it is suppressed to protect households.
Hidden = Amount | None
#: A count, or null when it is suppressed.
HiddenCount = Annotated[int | None, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PeriodInfo(_Model):
    """The whole month, quarter or year the report covers."""

    label: str = Field(pattern=r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
    kind: Literal["year", "quarter", "month"]
    start: dt.date
    end: dt.date


class Totals(_Model):
    """Headline figures of the period."""

    raised: Hidden = Field(description="Gross donations and grants received.")
    fees: Hidden = Field(description="Fees paid to platforms and the bank.")
    net_raised: Hidden = Field(description="raised - fees.")
    granted: Hidden = Field(description="Aid given to households (cash and non-cash).")
    granted_cash: Hidden
    granted_noncash: Hidden = Field(description="Gift cards and goods, at cost.")
    grants: HiddenCount = Field(description="Number of grants.")
    corrections: Hidden = Field(
        default=None,
        description="Aid booked in this period as corrections to periods already "
        "published (corrects:), included in granted.",
    )
    operations: Hidden = Field(description="Operating costs.")
    on_hand_end: Hidden = Field(
        description="Money in bank, cash box, platforms, in transit."
    )


class Households(_Model):
    """Households helped (grants or bail) and the median grant."""

    count: HiddenCount
    median_grant: Hidden = Field(
        description="The median grant, rounded to privacy.median_step; null unless "
        "it is taken over at least twice privacy.min_cell grants."
    )


class CategoryRow(_Model):
    """Aid by type of assistance (Form 990 Schedule I, Part III)."""

    name: str
    merged: list[str] = Field(
        default_factory=list,
        description="Always empty: 'Other aid' names none of the categories it holds "
        "(they are the fund's categories not listed on their own).",
    )
    amount: Hidden
    cash: Hidden
    noncash: Hidden
    grants: HiddenCount
    households: HiddenCount
    suppressed: bool


class ChannelRow(_Model):
    """Money raised through one channel."""

    name: str
    gross: Hidden
    fees: Hidden
    net: Hidden


class MonthRow(_Model):
    """Raised and granted in one month (or a quarter, when its months are merged)."""

    period: str
    raised: Hidden
    granted: Hidden
    suppressed: bool


class OperationsRow(_Model):
    """One kind of operating cost."""

    name: str
    amount: Hidden


class OnHandRow(_Model):
    """Money on hand at the end of the period, by kind of account."""

    kind: Literal["bank", "cash", "platforms", "in_transit"]
    amount: Hidden


class GiftCards(_Model):
    """Gift cards bought in bulk and handed out as grants."""

    bought: Hidden
    handed_out: Hidden
    on_hand_end: Hidden


class Bail(_Model):
    """Bail and bonds posted (a revolving fund: the money comes back)."""

    posted: Hidden
    returned: Hidden
    outstanding_end: Hidden
    bonds: HiddenCount
    households: HiddenCount


class FundRow(_Model):
    """One fund: opening + received - spent = closing."""

    name: str
    restricted: bool
    opening: Hidden
    received: Hidden
    spent: Hidden
    closing: Hidden


class Privacy(_Model):
    """How the numbers were protected."""

    min_cell: int = Field(
        description="Smallest number of households a published cell covers."
    )
    p_percent: Amount = Field(
        description="The p% rule: an amount is published only when the households "
        "other than the two largest hold at least p% of the largest one's part."
    )
    rounding: Amount = Field(description="Amounts are rounded to this unit (0: cents).")
    median_step: Amount = Field(description="The median grant is rounded to this.")
    suppressed: int = Field(description="Number of values not published.")
    earlier_reports: list[str] = Field(
        default_factory=list,
        description="Earlier reports taken into account against differencing.",
    )


class PublicReport(_Model):
    """A published transparency report (``report.json``)."""

    schema_: Literal["aidbooks.report/1"] = Field(default=SCHEMA, alias="schema")
    fund: str
    period: PeriodInfo
    currency: str
    totals: Totals
    households: Households
    categories: list[CategoryRow]
    channels: list[ChannelRow]
    months: list[MonthRow]
    operations: list[OperationsRow]
    on_hand: list[OnHandRow]
    gift_cards: GiftCards | None
    bail: Bail | None
    funds: list[FundRow]
    privacy: Privacy
    artifacts: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 of every other artifact of the report, by relative path.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self) -> str:
        """The canonical bytes of ``report.json`` (sorted keys, two-space indent)."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def json_schema() -> str:
    """The JSON Schema of ``report.json``, as published."""
    schema = PublicReport.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:aidbooks:schema:report:1"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
