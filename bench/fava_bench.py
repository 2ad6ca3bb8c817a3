"""Time the Aid page against Fava's own income statement, over HTTP, under ``aidbooks serve``.

    .venv/bin/python -m aidbooks.example --out /tmp/fava-100k --transactions 100000
    .venv/bin/python bench/fava_bench.py /tmp/fava-100k/main.beancount [--runs 7] [--json]

Starts ``aidbooks serve FILE --port 0`` (its own process, stopped by its PID at the
end), waits until it prints its URL (the books are loaded and the Aid page computed
by then: ``ready``), makes one warm-up request of each page, then ``--runs`` rounds
of, in turn:

* ``aid`` — ``GET /<fund>/extension/Aid/`` (rendered on the server, whole page);
* ``income_html`` — ``GET /<fund>/income_statement/`` (Fava renders the shell only);
* ``income_api`` — ``GET /<fund>/api/income_statement`` (the data the shell fetches:
  what a browser waits for before the income statement shows);

and prints the median of each, and ``aid / (income_html + income_api)``. It also
loads the books once in this process with Fava's ``FavaLedger`` and reports what the
Aid page's computation adds to each load (``compute``, timed by the extension
itself) against the whole load (``load``).

A benchmark, not a test. On a shared machine the figures move with the load: look
at the ratios, and say what else was running. :func:`measure` returns the same
figures for ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
URL_LINE = re.compile(r"The Aid page: (http://\S+)")


def _get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:  # noqa: S310 (loopback)
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - start


def serve_timings(ledger: Path, runs: int = 7) -> dict[str, float]:
    """Median seconds of each page over HTTP (see the module docstring)."""
    env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1")
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "aidbooks"), "serve", str(ledger), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "Fava is serving the books at ..."
        match = URL_LINE.search(process.stdout.readline())
        if match is None:
            raise RuntimeError(
                "aidbooks serve printed no Aid page URL: do these books enable it?"
            )
        aid = match.group(1)
        ready = time.perf_counter() - start
        base = aid.removesuffix("extension/Aid/")
        pages = {
            "aid": aid,
            "income_html": base + "income_statement/",
            "income_api": base + "api/income_statement",
        }
        first = {name: _get(url) for name, url in pages.items()}  # warm-up
        times: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(runs):
            for name, url in pages.items():
                times[name].append(_get(url))
    finally:
        process.terminate()
        process.wait(timeout=60)
    out = {name: statistics.median(values) for name, values in times.items()}
    out.update({f"{name}_first": value for name, value in first.items()})
    out["ready"] = ready
    out["aid_over_income"] = out["aid"] / (out["income_html"] + out["income_api"])
    return out


def load_timings(ledger: Path) -> dict[str, float]:
    """One load of the books by Fava in this process; what the Aid page adds to it."""
    from fava.core import FavaLedger  # noqa: PLC0415

    start = time.perf_counter()
    fava_ledger = FavaLedger(str(ledger))
    load = time.perf_counter() - start
    aid = fava_ledger.extensions.get_extension("Aid")
    compute = float(getattr(aid, "compute_seconds", float("nan")))
    return {"load": load, "compute": compute, "compute_share": compute / load}


def measure(ledger: Path, runs: int = 7) -> dict[str, float]:
    """Every figure of this benchmark, in seconds (and two ratios)."""
    return {**serve_timings(ledger, runs), **load_timings(ledger)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure(args.ledger.resolve(), args.runs)
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
        return 0
    print(f"books: {args.ledger}  (load average {os.getloadavg()[0]:.2f})")
    print(f"serve ready (load + Aid page):   {figures['ready']:8.3f} s")
    print(f"Aid page, first request:         {figures['aid_first']:8.3f} s")
    print(f"Aid page (median of {args.runs}):         {figures['aid']:8.3f} s")
    print(f"income statement HTML (median):  {figures['income_html']:8.3f} s")
    print(f"income statement API (median):   {figures['income_api']:8.3f} s")
    print(f"Aid / (income HTML + API):       {figures['aid_over_income']:8.2f}")
    print(
        f"Fava load {figures['load']:.2f} s, of which the Aid page's computation "
        f"{figures['compute']:.2f} s ({figures['compute_share']:.0%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
