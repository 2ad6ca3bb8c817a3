"""An adversary holding ALL of a fund's published reports, against the books' truth.

Reports are published with the real CLI (in-process) from a copy of the example
fund; :mod:`tests.attacker` reads the ``report.json`` files as plain dicts and
bounds every number a reader may want with one linear programme. The truth comes
from the books through Beancount's own loader (not through aidbooks' reports): for
every month, quarter and the year, and every aid category, the amount granted, the
number of grants and the distinct households. A cell is sensitive when it covers
fewer than ``min_cell`` households (read from the published privacy block) or
fails the p% rule (total - largest - second largest < 15% of the largest
household's total). No sensitive cell may be pinned down closer than
``max(25% of it, $5)`` (counts: 25%, at least 1) on either side.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner

from aidbooks.cli import cli
from aidbooks.plugins.keys import write_key_file
from tests import smallbooks
from tests.attacker import Attack
from tests.attacker import Exposure
from tests.attacker import Measure
from tests.attacker import Query
from tests.attacker import Truth
from tests.attacker import exposed
from tests.attacker import period_months
from tests.helpers import LEDGER

pytestmark = pytest.mark.slow  # publishing up to 17 reports with the CLI

YEAR = "2025"
MONTHS = tuple(f"{YEAR}-{m:02d}" for m in range(1, 13))
QUARTERS = tuple(f"{YEAR}-Q{q}" for q in range(1, 5))
PERIODS = (*MONTHS, *QUARTERS, YEAR)
#: Months, then their quarter, then the year: the order the CLI accepts.
IN_ORDER = (
    *MONTHS[0:3], QUARTERS[0], *MONTHS[3:6], QUARTERS[1],
    *MONTHS[6:9], QUARTERS[2], *MONTHS[9:12], QUARTERS[3], YEAR,
)  # fmt: skip
P_RULE = Decimal("0.15")
AID = "Expenses:Aid:"

# ------------------------------------------------------------------- the truth


@dataclass(frozen=True)
class Posting:
    month: str
    category: str
    amount: Decimal
    recipient: str


def aid_postings(ledger: Path) -> list[Posting]:
    """Every posting to ``Expenses:Aid:<Category>`` in the books, with its household."""
    entries, errors, _options = loader.load_file(str(ledger))
    assert not errors, errors
    out: list[Posting] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            if not posting.account.startswith(AID) or posting.units is None:
                continue
            recipient = (posting.meta or {}).get("recipient") or entry.meta.get("recipient")
            number = posting.units.number
            assert number is not None
            out.append(
                Posting(
                    entry.date.strftime("%Y-%m"),
                    posting.account.removeprefix(AID),
                    Decimal(number),
                    str(recipient),
                )
            )
    return out


def sensitive(by_household: dict[str, Decimal], min_cell: int) -> bool:
    """Fewer than ``min_cell`` households, or the p% rule fails."""
    if len(by_household) < min_cell:
        return True
    top = sorted((abs(v) for v in by_household.values()), reverse=True)
    return sum(top) - top[0] - top[1] < P_RULE * top[0]


def truths(
    postings: Iterable[Posting],
    min_cell: int,
    periods: Sequence[str] = PERIODS,
    measures: Sequence[Measure] = ("amount", "grants", "households"),
    vintage: int = 0,
) -> list[Truth]:
    """One truth per period, category and measure that has grants in the books."""
    cells: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    month_of = {m: [p for p in periods if m in period_months(p)] for m in MONTHS}
    for posting in postings:
        for period in month_of.get(posting.month, []):
            cell = cells[period, posting.category]
            cell[posting.recipient] = (
                cell.get(posting.recipient, Decimal(0)) + posting.amount
            )
            counts[period, posting.category] += 1 if posting.amount > 0 else 0
    out: list[Truth] = []
    for (period, category), by_household in sorted(cells.items()):
        is_sensitive = sensitive(by_household, min_cell)
        values = {
            "amount": float(sum(by_household.values(), Decimal(0))),
            "grants": float(counts[period, category]),
            "households": float(len(by_household)),
        }
        for measure in measures:
            query = Query(
                measure,
                period_months(period),
                (category,),
                vintage=vintage,
                label=f"{period} {category} {measure}",
            )
            out.append(Truth(query, values[measure], is_sensitive))
    return out


# --------------------------------------------------------------- publishing


def cli_runner(key: Path) -> CliRunner:
    return CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)})


def publish(
    runner: CliRunner, ledger: Path, reports: Path, label: str, formats: str = "json"
) -> dict[str, Any]:
    """``aidbooks report`` of ``label`` into ``reports/<label>``; its report.json."""
    out = reports / label
    result = runner.invoke(
        cli,
        ["report", str(ledger), "--period", label, "--out", str(out), "--format", formats],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, (label, result.output, result.stderr)
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


@dataclass
class Published:
    ledger: Path
    reports: list[dict[str, Any]]
    postings: list[Posting]

    @property
    def min_cell(self) -> int:
        return int(self.reports[0]["privacy"]["min_cell"])


def publish_all(folder: Path, labels: Sequence[str]) -> Published:
    key = folder / "fund.key"
    write_key_file(key)
    books = folder / "books"
    shutil.copytree(
        LEDGER.parent, books, ignore=shutil.ignore_patterns("template", "published", ".*")
    )
    ledger = books / "main.beancount"
    runner = cli_runner(key)
    reports = [publish(runner, ledger, folder / "reports", label) for label in labels]
    return Published(ledger, reports, aid_postings(ledger))


@pytest.fixture(scope="module")
def quarters_then_year(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_all(tmp_path_factory.mktemp("quarters"), (*QUARTERS, YEAR))


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_all(tmp_path_factory.mktemp("everything"), IN_ORDER)


def explain(found: Sequence[Exposure]) -> str:
    return f"{len(found)} sensitive cell(s) pinned down:\n" + "\n".join(
        f"  {e}" for e in found
    )


# -------------------------------------------------------------------- (a)-(d)


def test_quarters_then_the_year_keep_every_sensitive_cell_wide(
    quarters_then_year: Published,
) -> None:
    """Q1..Q4, then 2025: no sensitive cell narrower than the protection level.

    The differencing the control once missed: Q1 merges Bail into "Other aid" with
    Medicine, the year shows Medicine alone, the other quarters show it too.
    """
    published = quarters_then_year
    attack = Attack(published.reports)
    assert attack.feasible()
    found = exposed(attack, truths(published.postings, published.min_cell))
    assert not found, explain(found)


def test_every_month_quarter_and_the_year_keep_every_sensitive_cell_wide(
    everything: Published,
) -> None:
    """All twelve months, the four quarters and the year, published in order."""
    published = everything
    attack = Attack(published.reports)
    assert attack.feasible()
    found = exposed(attack, truths(published.postings, published.min_cell))
    assert not found, explain(found)


def fee_rates(published: Published) -> tuple[dict[str, float], float]:
    """Each channel's rate (fees / gross of the year) and the largest monthly
    deviation from it: a platform's public price list, as side knowledge."""
    months = {r["period"]["label"]: r for r in published.reports}
    year = months[YEAR]
    rates = {
        str(c["name"]): float(Decimal(c["fees"]) / Decimal(c["gross"]))
        for c in year["channels"]
        if c["gross"] not in (None, "0") and c["fees"] is not None
    }
    slack = 0.0
    for label in MONTHS:
        for c in months[label]["channels"]:
            name = str(c["name"])
            if name in rates and c["gross"] is not None and c["fees"] is not None:
                deviation = abs(float(c["fees"]) - rates[name] * float(c["gross"]))
                slack = max(slack, deviation + 2.0)  # two units of rounding
    return rates, slack


def test_platform_fee_rates_do_not_give_away_hidden_grant_totals(
    everything: Published,
) -> None:
    """With each platform's fee rate known, hidden numbers stay protected.

    Fees are rate x gross: a reader who knows the rate learns a hidden gross from
    its fees (or the fees from the gross), and from there, through the funds'
    received/spent and net raised, what a hidden grant total is.
    """
    published = everything
    rates, slack = fee_rates(published)
    attack = Attack(published.reports, fee_rates=rates, fee_slack=slack)
    assert attack.feasible(), (rates, slack)
    cells = truths(published.postings, published.min_cell)
    found = exposed(attack, cells)
    without = {str(e.truth.query) for e in exposed(Attack(published.reports), cells)}
    new = [e for e in found if str(e.truth.query) not in without]
    assert not found, (
        f"fee rates {rates} (+/- {slack:.2f} a month); "
        f"{len(new)} of these only with the rates\n{explain(found)}"
    )


# ------------------------------------------------------------------------ (e)


@pytest.mark.parametrize("label", ["2025-Q1", "2025"])
def test_a_small_funds_quarter_and_year_render_in_html(tmp_path: Path, label: str) -> None:
    """A small fund's months are merged into their quarter; the page must render."""
    key = tmp_path / "fund.key"
    write_key_file(key)
    ledger = smallbooks.write_books(tmp_path / "books", key_file=key)
    out = tmp_path / "reports" / label
    result = cli_runner(key).invoke(
        cli,
        [
            "report",
            str(ledger),
            "--period",
            label,
            "--out",
            str(out),
            "--format",
            "html,json",
            "--lang",
            "en,es",
        ],
    )
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    assert (out / "report.en.html").exists()
    assert (out / "report.es.html").exists()
    published = json.loads((out / "report.json").read_text())
    rows = [m["period"] for m in published["months"]]
    assert any("Q" in r for r in rows), rows  # a quarter row: the path that failed
