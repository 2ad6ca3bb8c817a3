"""``make bench`` works: a smoke run of the harness on tiny books, one round.

The figures of such a run mean nothing (tiny books are all start-up time); this
only shows that every row of the table gets a number, so ``make bench`` on real
sizes will too. The benchmark itself is ``make bench`` (bench/RESULTS.md).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import ROOT

NUMBER = re.compile(r"^\**[+-]?\d+(\.\d+)?(×|%| s)?\b")


@pytest.mark.slow  # runs the bench harness for real
def test_the_harness_measures_every_row_on_tiny_books(tmp_path: Path) -> None:
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench.py"),
            "--sizes",
            "600",
            "--runs",
            "1",
            "--books",
            str(tmp_path / "books"),
            "--out",
            str(out),
            "--json",
            str(raw),
            "--history-sizes",
            "600",
            "--history-years",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text()
    assert text in result.stdout  # printed as well as written
    table = [line for line in text.splitlines() if line.startswith("| ")]
    head = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert head == ["what", "compared with", "target", "600", "met", "growth"]
    rows = json.loads(raw.read_text())["rows"]
    assert len(rows) == 9
    body = table[1 : 1 + len(rows)]
    fava = importlib.util.find_spec("aidbooks.cmd_serve") is not None
    for line, row in zip(body, rows, strict=True):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(head), line
        assert cells[0] == row["what"]
        if row["fava"] and not fava:
            assert cells[3] == "not yet measurable"
            continue
        assert NUMBER.match(cells[3]), line  # every row produced a number
        assert isinstance(row["values"]["600"], float), row
        assert cells[4] in {"yes", "no (600)"}
    # the history row published the year with its 16 months and quarters recorded
    assert "history: making and recording a report" in text
    assert "2021-12" in text and "(14 earlier)" in text
    # the second import added nothing
    again = next(r for r in rows if "again" in r["what"])
    assert again["values"]["600"] == 0.0 and again["met"] == "yes"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # runs the bench harness for real
def test_books_are_cached_and_made_again_when_stale(tmp_path: Path) -> None:
    bench = _harness()
    said: list[str] = []
    first = bench.ensure_books(tmp_path, 600, 7, said.append)
    assert len(said) == 1 and first.main.is_file() and first.statement.is_file()
    off = first.main_off.read_text().splitlines()
    assert not any(line.startswith("plugin ") for line in off)
    assert any(line.startswith("plugin ") for line in first.main.read_text().splitlines())
    assert bench.ensure_books(tmp_path, 600, 7, said.append) == first
    assert len(said) == 1  # cached
    stamp = tmp_path / "n600.stamp"
    stamp.write_text(stamp.read_text().replace(bench.generator_key(7), "0" * 16))
    again = bench.ensure_books(tmp_path, 600, 7, said.append)
    assert len(said) == 2 and again == first  # stale: made again, the same books
    assert bench.generator_key(8) != bench.generator_key(7)
