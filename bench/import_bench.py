"""Benchmark: `aidbooks import` of a big Venmo statement vs `bean-check -C` on big books.

    .venv/bin/python -m aidbooks.example --out /tmp/imp-100k --transactions 100000
    .venv/bin/python bench/import_bench.py /tmp/imp-100k --rows 100000

Writes a synthetic Venmo statement (current layout, invented names) with ``--rows``
rows, copies the books, times ``bean-check -C`` on them, then times ``aidbooks
import`` of the statement into the copy (it loads the books once, with the garbage
collector paused) and a second import of the same file (which must add nothing).
Prints wall-clock seconds and the ratio import / bean-check. One run each: the
machine is shared, so read the figures as rough.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def statement(path: Path, rows: int, seed: int = 5) -> None:
    """A Venmo statement with ``rows`` final rows spread over 2025."""
    rng = random.Random(seed)
    donors = [f"Supporter {i}" for i in range(2000)]
    people = [f"Neighbor {i}" for i in range(300)]
    header = (
        ",ID,Datetime,Type,Status,Note,From,To,Amount (total),Amount (tip),Amount (tax),"
        "Amount (fee),Tax Rate,Tax Exempt,Funding Source,Destination,Beginning Balance,"
        "Ending Balance,Statement Period Venmo Fees,Terminal Location,Year to Date Venmo Fees,"
        "Disclaimer"
    )
    with path.open("w", newline="") as handle:
        handle.write("Account Statement - (@fund) " + "," * 21 + "\n")
        handle.write("Account Activity" + "," * 21 + "\n" + header + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([""] * 16 + ["$0.00"] + [""] * 5)
        for n in range(rows):
            day = 1 + rng.randrange(364)
            month, mday = divmod(day, 31)
            stamp = f"2025-{min(month + 1, 12):02d}-{min(max(mday, 1), 28):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
            kind = rng.random()
            cents = rng.randrange(500, 50000)
            value = f"{cents // 100:,}.{cents % 100:02d}"
            if kind < 0.7:
                row = [
                    "",
                    str(5_000_000_000_000_000_000 + n),
                    stamp,
                    "Payment",
                    "Complete",
                    "thanks, friends",
                    rng.choice(donors),
                    "Fund",
                    f"+ ${value}",
                    "",
                    "0",
                    "",
                    "0",
                    "",
                    "",
                    "Venmo balance",
                    "",
                    "",
                    "",
                    "Venmo",
                    "",
                    "",
                ]
            elif kind < 0.95:
                row = [
                    "",
                    str(5_000_000_000_000_000_000 + n),
                    stamp,
                    "Payment",
                    "Complete",
                    "groceries",
                    "Fund",
                    rng.choice(people),
                    f"- ${value}",
                    "",
                    "0",
                    "",
                    "0",
                    "",
                    "Venmo balance",
                    "",
                    "",
                    "",
                    "",
                    "Venmo",
                    "",
                    "",
                ]
            else:
                row = [
                    "",
                    str(5_000_000_000_000_000_000 + n),
                    stamp,
                    "Standard Transfer",
                    "Issued",
                    "",
                    "",
                    "",
                    f"- ${value}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "Example Bank *0000",
                    "",
                    "",
                    "",
                    "Venmo",
                    "",
                    "",
                ]
            writer.writerow(row)


def timed(
    *args: str, env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "books", type=Path, help="folder made by python -m aidbooks.example"
    )
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aidbooks-import-bench-"))
    try:
        books = work / "books"
        shutil.copytree(args.books, books)
        key = work / "fund.key"
        key.write_text(os.urandom(32).hex() + "\n")
        key.chmod(0o600)
        env = dict(os.environ, AIDBOOKS_KEY_FILE=str(key), BEANCOUNT_DISABLE_LOAD_CACHE="1")
        exports = work / "venmo-statement.csv"
        statement(exports, args.rows)
        main_file = str(books / "main.beancount")
        check_s, check = timed(str(BIN / "bean-check"), "-C", main_file, env=env)
        first_s, first = timed(
            str(BIN / "aidbooks"), "import", str(exports), "--ledger", main_file, env=env
        )
        second_s, second = timed(
            str(BIN / "aidbooks"), "import", str(exports), "--ledger", main_file, env=env
        )
        total = [line for line in first.stdout.splitlines() if line.startswith("total:")]
        again = [line for line in second.stdout.splitlines() if line.startswith("total:")]
        print(f"statement: {args.rows} rows, {exports.stat().st_size / 2**20:.1f} MiB")
        print(f"bean-check -C: {check_s:.2f} s (exit {check.returncode})")
        print(f"aidbooks import: {first_s:.2f} s (exit {first.returncode}) {total}")
        print(f"second import:   {second_s:.2f} s (exit {second.returncode}) {again}")
        print(f"ratio import / bean-check: {first_s / check_s:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
