"""A fund with a long release history, for the benchmark's ``history`` row.

    .venv/bin/python bench/history.py BOOKS/main.beancount --years 2021-2024

records in the books' release history (``published/``) every month, quarter and
year of the years named, in the order a fund publishes them (each month when it
is over, a quarter after its third month, the year after its December), exactly
as ``aidbooks report`` records them, but with the books loaded once, and prints
how long each release took to make. The key comes from ``$AIDBOOKS_KEY_FILE``.

Then ``aidbooks report BOOKS/main.beancount --period P`` is what the benchmark
times: publishing the next report of a fund with that history.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from aidbooks.books import load_books
from aidbooks.plugins.keys import read_key_file
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.plugins.releases import closed_text
from aidbooks.reports.history import read_history
from aidbooks.reports.history import record
from aidbooks.reports.period import Period
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import build


def release_order(first: int, last: int, upto: str | None = None) -> list[Period]:
    """Every month, quarter and year of ``first``..``last`` in publication order.

    ``upto``: stop before this label (the report the benchmark then times).
    """
    labels: list[str] = []
    for year in range(first, last + 1):
        for month in range(1, 13):
            labels.append(f"{year}-{month:02d}")
            if month % 3 == 0:
                labels.append(f"{year}-Q{month // 3}")
        labels.append(str(year))
    if upto is not None:
        labels = labels[: labels.index(upto)]
    return [parse_period(label) for label in labels]


def record_history(
    ledger: Path, periods: list[Period], log: bool = True
) -> list[tuple[str, float]]:
    """Record a release of each of ``periods`` in the books at ``ledger``.

    Returns:
      (label, seconds to make and record it) for each.
    """
    policy = load_policy(policy_path_for(ledger))
    key = read_key_file(policy.key_path())
    entries, errors, options = load_books(ledger)
    if errors:
        raise SystemExit(f"{ledger}: the books have {len(errors)} error(s)")
    times: list[tuple[str, float]] = []
    for period in periods:
        started = time.perf_counter()
        history = read_history(ledger)
        link = history[-1].link() if history else None
        context = [release.published() for release in history]
        built = build(
            entries, options, policy, period, key, ("json",), ("en",), link, context
        )
        record(ledger, period, built.files, closed_text(entries, period.label))
        seconds = time.perf_counter() - started
        times.append((period.label, seconds))
        if log:
            print(f"  {period.label}: {seconds:.2f} s", file=sys.stderr, flush=True)
    return times


def main(argv: list[str] | None = None) -> int:
    """Command-line entry (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--years", required=True, help="FIRST-LAST, e.g. 2021-2024")
    parser.add_argument("--upto", default=None, help="stop before this period")
    parser.add_argument("--json", type=Path, default=None, help="write label -> seconds")
    args = parser.parse_args(argv)
    first, _, last = args.years.partition("-")
    periods = release_order(int(first), int(last or first), args.upto)
    times = record_history(args.ledger, periods)
    total = sum(t for _, t in times)
    print(f"{len(times)} releases recorded in {total:.1f} s", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(dict(times), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
