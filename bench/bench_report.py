"""Measure ``aidbooks report`` against bare ``bean-check -C`` on the same books.

    .venv/bin/python -m aidbooks.example --out /tmp/rep-100k --transactions 100000
    .venv/bin/python bench/bench_report.py /tmp/rep-100k/main.beancount [--runs 3] [--period 2025]

Runs the two commands alternately (so drift in the machine's load hits both),
prints every wall time, the medians and their ratio. The target (issue 6) is a
ratio of at most 1.1. This is a benchmark, not a test: on a shared machine the
figures are noisy, so report the ratio together with the load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0,):
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[:400]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--period", default="2025")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        key = work / "bench.key"
        subprocess.run(
            [str(BIN / "python"), "-c", f"from pathlib import Path; from aidbooks.plugins.keys import write_key_file; write_key_file(Path({str(key)!r}))"],
            check=True,
        )
        env = dict(os.environ, AIDBOOKS_KEY_FILE=str(key), BEANCOUNT_DISABLE_LOAD_CACHE="1")
        check = [str(BIN / "bean-check"), "-C", str(args.ledger)]
        report = [str(BIN / "aidbooks"), "report", str(args.ledger), "--period", args.period, "--out", str(work / "out" / args.period)]
        base: list[float] = []
        ours: list[float] = []
        for run in range(args.runs):
            base.append(timed(check, env))
            ours.append(timed(report, env))
            print(f"run {run + 1}: bean-check -C {base[-1]:.2f} s, aidbooks report {ours[-1]:.2f} s", flush=True)
        b, o = statistics.median(base), statistics.median(ours)
        print(f"median: bean-check -C {b:.2f} s, aidbooks report {o:.2f} s, ratio {o / b:.2f} (target <= 1.10)")
        print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
