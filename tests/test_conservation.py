"""Money is conserved end to end: exports → import → check → report.

Generated exports of every platform (:mod:`tests.exports`: Venmo, PayPal (its
English and its German download), Cash App, Stripe, Open Collective, a Chase-style
bank CSV, an OFX statement and a column-mapped GoFundMe CSV — donations, refunds,
fees, payouts, grants, purchases, pending and failed rows, planted names in every personal column) are imported
together into new books, ``aidbooks check`` must pass, and the year's
``report.json`` must publish, **to the cent** (``privacy.rounding = 0``):

* per channel, the gross raised, the fees and the net, equal to the sums of the
  exports' own rows (computed in :mod:`tests.exports`, not by aidbooks);
* the totals raised, fees and net raised;
* the money on hand at the end: the opening balance plus every flow in and out.

Which numbers does the disclosure control leave alone? Money raised, fees and
money on hand concern donors and platforms, not households: they are published
whatever ``min_cell`` says (the test asserts none of them is ``null``). Grants
are counted per household and may be merged or hidden, so they are not compared
here cell by cell; they enter through the total on hand, which is published (its
split by kind — bank, platforms, in transit — may be partly hidden).
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.exports import YEAR_2025
from tests.exports import Export
from tests.exports import bank_rows
from tests.exports import cashapp_history
from tests.exports import cashapp_rows
from tests.exports import chase_csv
from tests.exports import gofundme_csv
from tests.exports import gofundme_rows
from tests.exports import ofx_statement
from tests.exports import opencollective_rows
from tests.exports import opencollective_transactions
from tests.exports import paypal_activity
from tests.exports import paypal_activity_german
from tests.exports import paypal_rows
from tests.exports import people
from tests.exports import stripe_balance
from tests.exports import stripe_rows
from tests.exports import venmo_rows
from tests.exports import venmo_statement
from tests.helpers import invoke
from tests.hostile import budget
from tests.hostile import leaks
from tests.hostile import tree_text
from tests.importing import GOFUNDME_MAPPING

OPENING = Decimal("1000000.00")

all_exports = st.tuples(
    venmo_rows(names=people, moments=YEAR_2025).map(venmo_statement),
    paypal_rows(currencies=("USD",), moments=YEAR_2025).map(paypal_activity),
    paypal_rows(currencies=("USD",), moments=YEAR_2025).map(paypal_activity_german),
    cashapp_rows(moments=YEAR_2025).map(cashapp_history),
    stripe_rows(currencies=("usd",), moments=YEAR_2025).map(stripe_balance),
    opencollective_rows().map(opencollective_transactions),
    bank_rows().map(chase_csv),
    bank_rows().map(ofx_statement),
    gofundme_rows().map(gofundme_csv),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """New books: an opening balance, cents in reports, the GoFundMe mapping."""
    root = tmp_path_factory.mktemp("conservation")
    books, key = root / "books", root / "secret" / "fund.key"
    code, _out, err = invoke(CliRunner(), "init", str(books), "--key-file", str(key))
    assert code == 0, err
    (books / "books" / "opening.beancount").write_text(
        f'\n2025-01-01 * "Opening balances"\n  Assets:Bank:Checking  {OPENING} USD\n'
        "  Equity:Opening-Balances\n"
    )
    policy = books / "aidbooks.toml"
    text = policy.read_text().replace("[privacy]", "[privacy]\nrounding = 0")
    policy.write_text(text + GOFUNDME_MAPPING)
    return books, key


def _cents(value: Decimal | int) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


@budget(4, shrink=False)
@given(exports=all_exports)
@pytest.mark.slow  # imports and reports for real
def test_report_totals_equal_the_sums_of_the_exports(
    exports: tuple[Export, ...],
    base: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("run")
    books, key = work / "books", base[1]
    shutil.copytree(base[0], books)
    downloads = work / "downloads"
    downloads.mkdir()
    for export in exports:
        (downloads / export.name).write_bytes(export.payload)
    runner = CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)})
    ledger = str(books / "main.beancount")

    code, out, err = invoke(runner, "import", str(downloads), "--ledger", ledger)
    assert code == 0, out + err
    # the exports stay where they are, as they were: aidbooks never deletes them
    assert all((downloads / e.name).read_bytes() == e.payload for e in exports)
    assert "not recognised" not in out, out
    assert not leaks(out + err) and not leaks(tree_text(books))
    code, out, err = invoke(runner, "check", ledger)
    assert code == 0, out + err
    report = work / "report"
    code, out, err = invoke(
        runner,
        "report",
        ledger,
        "--period",
        "2025",
        "--out",
        str(report),
        "--format",
        "json",
    )
    assert code == 0, out + err
    published = json.loads((report / "report.json").read_text())

    gross: defaultdict[str, Decimal] = defaultdict(Decimal)
    fees: defaultdict[str, Decimal] = defaultdict(Decimal)
    on_hand = OPENING
    for export in exports:
        for name, value in export.gross.items():
            gross[name] += value
        for name, value in export.fees.items():
            fees[name] += value
        on_hand += export.on_hand
    channels = {c["name"]: c for c in published["channels"]}
    expected = {name for name in set(gross) | set(fees) if gross[name] or fees[name]}
    assert set(channels) == expected, (sorted(channels), sorted(expected))
    for name in expected:
        row = channels[name]
        assert row["gross"] == _cents(gross[name]), name
        assert row["fees"] == _cents(fees[name]), name
        assert row["net"] == _cents(gross[name] - fees[name]), name
    totals = published["totals"]
    raised, charged = sum(gross.values(), Decimal(0)), sum(fees.values(), Decimal(0))
    assert totals["raised"] == _cents(raised)
    assert totals["fees"] == _cents(charged)
    assert totals["net_raised"] == _cents(raised - charged)
    assert totals["on_hand_end"] == _cents(on_hand)
    kinds = [kind["amount"] for kind in published["on_hand"]]
    if None not in kinds:  # a kind may be hidden (it could reveal a grant)
        assert sum(Decimal(amount) for amount in kinds) == on_hand
    money = [totals[k] for k in ("raised", "fees", "net_raised", "on_hand_end")]
    for value in (*money, *(v for c in channels.values() for v in c.values())):
        assert value is not None  # money raised, fees, on hand: never suppressed
