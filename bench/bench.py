"""``make bench``: aidbooks measured against bare Beancount, side by side, in one run.

    .venv/bin/python bench/bench.py                       # 10k, 100k, 300k; 3 runs each
    .venv/bin/python bench/bench.py --sizes 10000 --runs 5
    make bench SIZES=10000,100000 RUNS=5

For every size the example fund's generator (``python -m aidbooks.example``) makes
books of about that many transactions, cached under ``bench/books/`` and made again
when the generator, the template or the seed changes (their hash is the key). Then
every command below runs in turn, once per round, for ``--runs`` rounds (so a change
in the machine's load hits all of them alike), each in its own process, measured
with ``time.perf_counter`` (wall), and ``os.wait4`` (CPU time and peak resident
memory of exactly that process):

* ``bean-check -C`` on the books (the baseline of every ratio) and on the same books
  without their ``plugin`` lines (the rules alone: plugins on vs off);
* ``aidbooks check`` and ``aidbooks check --strict``;
* ``aidbooks report`` of the year, all four formats, one language;
* ``aidbooks import`` of a Venmo statement with as many rows as the books have
  transactions, into a fresh copy of the books; in the first round the same
  statement is imported a second time, which must add nothing (checked: the
  summary says 0 imported and no file of the books changed);
* the Fava row: see :func:`fava_row`;
* the history row (100k books by default, ``--history-sizes``): books of the same
  size spread over five years (``--years 5``), with every month, quarter and year
  of the first four and the months and quarters of the fifth recorded in the
  release history (84 releases, made once by ``bench/history.py`` and cached; ``--history-years``);
  then ``aidbooks report`` of the fifth year, the heaviest report there is (its
  16 siblings are in view), against ``bean-check -C`` on those books. The
  in-process time of every release made for the cache is kept, and the notes show
  how making the year's report grows from one year of history to five.

Each figure is the median of the rounds. The table shows ratios, which are what
count on a shared, noisy machine (absolute times are context and are listed below
it), one column per size so that growth shows: a ratio must not get worse from the
smallest books to the largest. The table goes to stdout and to ``--out``
(``bench/RESULTS.md``, linked from the README), with the machine and its load
average during the run; the raw samples go to ``--json`` (default
``bench/results/latest.json``, not committed).

Exit status: 0 when every command ran as expected (whether or not targets are met),
1 when one failed (its cell says so), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_SIZES = (10_000, 100_000, 300_000)
DEFAULT_RUNS = 3
SEED = 2025
PERIOD = "2025"  # the example fund's year (aidbooks.example.DEFAULT_YEAR)
#: Bump when the statement written by :func:`venmo_statement` changes.
STATEMENT_VERSION = 1
#: What the cached books are made from: their hash is the cache key.
GENERATOR_SOURCES = (
    "aidbooks/example.py",
    "aidbooks/cmd_init.py",
    "plugins/accounts.py",
    "plugins/codes.py",
    "plugins/policy.py",
    "ledger/template",
)
NOT_YET = "not yet measurable"
#: The history row: five calendar years of books; the report timed is the last year.
HISTORY_FIRST, HISTORY_YEARS = 2021, 5
DEFAULT_HISTORY_SIZES = (100_000,)
#: What the recorded releases depend on besides the books (their hash is in the key).
HISTORY_SOURCES = ("reports", "plugins", "aidbooks/cmd_report.py", "bench/history.py")


# ------------------------------------------------------------------ the books


@dataclasses.dataclass(frozen=True)
class Books:
    """One size of generated books, ready to measure."""

    size: int
    folder: Path
    transactions: int

    @property
    def main(self) -> Path:
        return self.folder / "main.beancount"

    @property
    def main_off(self) -> Path:
        """The same books without their ``plugin`` lines (the rules switched off)."""
        return self.folder / "main-off.beancount"

    @property
    def statement(self) -> Path:
        return self.folder.parent / f"{self.folder.name}-venmo.csv"


def generator_key(seed: int, extra: Sequence[str] = (), salt: str = "") -> str:
    """A hash of everything the generated books depend on (and of ``extra`` sources)."""
    digest = hashlib.sha256(f"seed={seed};statement={STATEMENT_VERSION}{salt}".encode())
    for name in (*GENERATOR_SOURCES, *extra):
        path = ROOT / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        )
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ensure_books(cache: Path, size: int, seed: int, log: Callable[[str], None]) -> Books:
    """Return books of about ``size`` transactions, generating them if the cache is stale."""
    key = generator_key(seed)
    folder = cache / f"n{size}"
    stamp = cache / f"n{size}.stamp"
    if stamp.is_file() and folder.is_dir():
        recorded = json.loads(stamp.read_text())
        if recorded.get("key") == key:
            return Books(size, folder, int(recorded["transactions"]))
    log(f"generating books of {size:,} transactions (cache key {key})")
    cache.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".n{size}-", dir=cache))
    try:
        made = subprocess.run(
            [
                str(BIN / "python"),
                "-m",
                "aidbooks.example",
                "--out",
                str(staging / "books"),
                "--transactions",
                str(size),
                "--seed",
                str(seed),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        wrote = re.search(r"wrote (\d+) transactions", made.stdout + made.stderr)
        if wrote is None:
            raise RuntimeError(f"the generator did not say what it wrote: {made.stderr}")
        count = int(wrote.group(1))
        main = staging / "books" / "main.beancount"
        lines = main.read_text().splitlines(keepends=True)
        off = [line for line in lines if not line.startswith("plugin ")]
        (staging / "books" / "main-off.beancount").write_text("".join(off))
        books = Books(size, folder, count)
        venmo_statement(staging / "statement.csv", count, seed)
        shutil.rmtree(folder, ignore_errors=True)
        (staging / "books").rename(folder)
        (staging / "statement.csv").rename(books.statement)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stamp.write_text(json.dumps({"key": key, "transactions": count, "seed": seed}))
    return books


@dataclasses.dataclass(frozen=True)
class History:
    """Five years of books with 84 releases recorded (see the module docstring)."""

    size: int
    folder: Path
    transactions: int
    #: label -> seconds to make and record that release in-process (books loaded once)
    made: dict[str, float]
    years: int = HISTORY_YEARS

    @property
    def period(self) -> str:
        """The report the row times: the last year, its months and quarters recorded."""
        return str(HISTORY_FIRST + self.years - 1)

    @property
    def main(self) -> Path:
        return self.folder / "books" / "main.beancount"

    @property
    def key(self) -> Path:
        return self.folder / "bench.key"


def ensure_history(
    cache: Path,
    size: int,
    seed: int,
    log: Callable[[str], None],
    years: int = HISTORY_YEARS,
) -> History:
    """Return the history books of about ``size`` transactions, making them if stale."""
    key = generator_key(seed, HISTORY_SOURCES, f";years={years}")
    folder = cache / f"h{size}-y{years}"
    stamp = cache / f"h{size}-y{years}.stamp"
    if stamp.is_file() and folder.is_dir():
        recorded = json.loads(stamp.read_text())
        if recorded.get("key") == key:
            made = recorded["made"]
            return History(size, folder, int(recorded["transactions"]), made, years)
    last = HISTORY_FIRST + years - 1
    log(
        f"making {years} year(s) of books of {size:,} transactions and recording "
        f"their releases up to {last} (cache key {key}; once, it takes a while)"
    )
    cache.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".h{size}-", dir=cache))
    try:
        made = subprocess.run(
            [str(BIN / "python"), "-m", "aidbooks.example", "--out",
             str(staging / "books"), "--transactions", str(size), "--seed", str(seed),
             "--year", str(HISTORY_FIRST), "--years", str(years)],
            capture_output=True,
            text=True,
            check=True,
        )  # fmt: skip
        wrote = re.search(r"wrote (\d+) transactions", made.stdout + made.stderr)
        if wrote is None:
            raise RuntimeError(f"the generator did not say what it wrote: {made.stderr}")
        count = int(wrote.group(1))
        (staging / "bench.key").write_text(os.urandom(32).hex() + "\n")
        (staging / "bench.key").chmod(0o600)
        env = dict(os.environ, AIDBOOKS_KEY_FILE=str(staging / "bench.key"))
        subprocess.run(
            [str(BIN / "python"), str(ROOT / "bench" / "history.py"),
             str(staging / "books" / "main.beancount"), "--years",
             f"{HISTORY_FIRST}-{last}", "--upto", str(last), "--json",
             str(staging / "made.json")],
            env=env,
            check=True,
        )  # fmt: skip
        times = json.loads((staging / "made.json").read_text())
        shutil.rmtree(folder, ignore_errors=True)
        (staging / "made.json").unlink()
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    stamp.write_text(json.dumps({"key": key, "transactions": count, "made": times}))
    return History(size, folder, count, times, years)


def history_growth(history: History) -> str:
    """How making a December's and a year's report grew with the history."""
    parts = []
    for index, year in enumerate(range(HISTORY_FIRST, HISTORY_FIRST + history.years)):
        december = history.made.get(f"{year}-12")
        made = history.made.get(str(year))
        if december is not None:
            parts.append(f"{year}-12 {december:.1f} s ({17 * index + 14} earlier)")
        if made is not None:
            parts.append(f"{year} {made:.1f} s ({17 * index + 16} earlier)")
    return (
        "history: making and recording a report in-process (books loaded once), "
        "as the history grew: " + "; ".join(parts)
        if parts
        else "history: no in-process times recorded"
    )


def venmo_statement(path: Path, rows: int, seed: int) -> None:
    """A Venmo personal statement (current layout) with ``rows`` rows over the year.

    Invented people only: 70% donations to the fund, 25% payments from the fund to
    a neighbour (grants to new recipient codes), 5% transfers to the bank.
    """
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
            day = dt.date(int(PERIOD), 1, 1) + dt.timedelta(days=rng.randrange(365))
            stamp = f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
            kind = rng.random()
            cents = rng.randrange(500, 50000)
            value = f"{cents // 100:,}.{cents % 100:02d}"
            row = [""] * 22
            row[1] = str(5_000_000_000_000_000_000 + n)
            row[2] = stamp
            row[19] = "Venmo"
            if kind < 0.7:  # a donation
                fields = {3: "Payment", 4: "Complete", 5: "thanks, friends"}
                fields |= {6: rng.choice(donors), 7: "Fund", 8: f"+ ${value}"}
                fields |= {10: "0", 12: "0", 15: "Venmo balance"}
            elif kind < 0.95:  # money sent to a neighbour
                fields = {3: "Payment", 4: "Complete", 5: "groceries"}
                fields |= {6: "Fund", 7: rng.choice(people), 8: f"- ${value}"}
                fields |= {10: "0", 12: "0", 14: "Venmo balance"}
            else:  # a transfer to the bank
                fields = {3: "Standard Transfer", 4: "Issued", 8: f"- ${value}"}
                fields |= {15: "Example Bank *0000"}
            for index, text in fields.items():
                row[index] = text
            writer.writerow(row)


# --------------------------------------------------------------- measuring


@dataclasses.dataclass
class Sample:
    """One run of one command."""

    wall: float  # seconds
    cpu: float  # user + system seconds of the process
    rss: float  # peak resident set, MiB
    status: int
    out: str = ""
    #: Beancount's stage timings in ms, for ``bean-check -v`` (the last of each name).
    stages: dict[str, float] = dataclasses.field(default_factory=dict)


def measure(command: Sequence[str], env: dict[str, str], work: Path) -> Sample:
    """Run ``command`` once; wall time, CPU time and peak memory of that process alone."""
    out_path, err_path = work / "stdout.txt", work / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=work)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(errors="replace") + err_path.read_text(errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    found = {name: float(ms) for name, ms in _STAGE.findall(text)}
    return Sample(wall, cpu, usage.ru_maxrss / 1024, proc.returncode, text, found)


def tree_digest(folder: Path) -> str:
    """A hash of every file's path and bytes under ``folder``."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(folder)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


_STAGE = re.compile(r"Operation: '([^']+)'\s+Time:\s+(\d+) ms")
_PLUGIN_STAGES = ("beancount.ops.", "beancount.plugins.", "aidbooks.")
#: A stage named like a plugin that is not one (the validation after the plugins).
_NOT_PLUGINS = ("beancount.ops.validate",)


def _plugin_stages(stages: dict[str, float]) -> dict[str, float]:
    """The stages of ``bean-check -v`` that are plugin lines (inside run_transformations)."""
    return {
        k: v
        for k, v in stages.items()
        if k.startswith(_PLUGIN_STAGES) and k not in _NOT_PLUGINS
    }


def rules_in_process(on: Sample, off: Sample) -> float | None:
    """The aidbooks rules' share of the load, from inside two ``bean-check -v`` runs.

    The rules' time is what the aidbooks plugin lines took (their run, and the
    loader's re-sort after each) plus the rest of the plugin stage beyond what the
    same stage has without them (importing the plugin modules); the load is the
    whole load without them. Less noisy than the difference of two wall times.
    """
    with_rules, without = on.stages, off.stages
    try:
        total_on = with_rules["run_transformations"]
        total_off = without["run_transformations"]
        load = without["beancount.loader (total)"]
    except KeyError:
        return None
    plugins_on = _plugin_stages(with_rules)
    plugins_off = _plugin_stages(without)
    ours = sum(v for k, v in plugins_on.items() if k.startswith("aidbooks."))
    rest_on = total_on - sum(plugins_on.values())
    rest_off = total_off - sum(plugins_off.values())
    return (ours + rest_on - rest_off) / load


_TOTAL = re.compile(r"total: (\d+) rows read, (\d+) imported, (\d+) duplicates")


def imported(sample: Sample) -> tuple[int, int] | None:
    """(imported, duplicates) from ``aidbooks import``'s summary."""
    found = _TOTAL.search(sample.out)
    return (int(found.group(2)), int(found.group(3))) if found else None


#: Command name -> what it is (the rows refer to these names).
COMMANDS = {
    "bean-check": "bean-check -C -v",
    "bean-check-off": "bean-check -C -v, plugin lines removed",
    "check": "aidbooks check",
    "strict": "aidbooks check --strict",
    "report": "aidbooks report (html,md,csv,json; en)",
    "import": "aidbooks import (first)",
    "import-again": "aidbooks import (same file again)",
    "fava-income": "Fava income statement page and its JSON, one fetch (MiB: the server)",
    "fava-aid": "Fava Aid page, one fetch (MiB: the server)",
    "history-bean-check": "bean-check -C -v, the books of the history row",
    "history-report": "aidbooks report of their last year, every earlier release recorded",
}


@dataclasses.dataclass
class SizeResult:
    books: Books
    samples: dict[str, list[Sample]] = dataclasses.field(default_factory=dict)
    failures: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    loads: list[float] = dataclasses.field(default_factory=list)

    def add(self, name: str, sample: Sample, expect: int = 0) -> None:
        self.samples.setdefault(name, []).append(sample)
        self.loads.append(os.getloadavg()[0])
        if sample.status != expect and name not in self.failures:
            tail = " | ".join(sample.out.strip().splitlines()[-3:])[:300]
            self.failures[name] = f"exit {sample.status}: {tail}"

    def median(self, name: str, field: str = "wall") -> float | None:
        if name in self.failures or not self.samples.get(name):
            return None
        values: list[float] = [getattr(s, field) for s in self.samples[name]]
        return statistics.median(values)


def wait_for_quiet(
    limit: float | None, patience: float, log: Callable[[str], None]
) -> None:
    """Wait (up to ``patience`` seconds) until the 1-minute load average is below ``limit``."""
    if limit is None:
        return
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        log(f"  load {os.getloadavg()[0]:.2f} > {limit}: waiting")
        time.sleep(30)


#: Groups of commands ``--only`` can pick.
GROUPS = ("check", "report", "import", "fava", "history")


def run_size(
    books: Books,
    runs: int,
    env: dict[str, str],
    work: Path,
    log: Callable[[str], None],
    quiet: float | None = None,
    patience: float = 0,
    groups: Sequence[str] = GROUPS,
    history: History | None = None,
) -> SizeResult:
    """Measure every command on one size of books, ``runs`` rounds."""
    result = SizeResult(books)
    if history is not None:
        result.notes.append(history_growth(history))
        for file in history.folder.rglob("*"):
            if file.is_file():
                file.read_bytes()
    aidbooks, bean_check = str(BIN / "aidbooks"), str(BIN / "bean-check")
    main = str(books.main)
    for file in books.folder.rglob("*"):  # the books in the page cache for every run
        if file.is_file():
            file.read_bytes()
    for round_ in range(runs):
        wait_for_quiet(quiet, patience, log)
        log(f"  round {round_ + 1}/{runs} (load {os.getloadavg()[0]:.2f})")
        # -v only adds Beancount's log of its stage timings (see Sample.stages).
        result.add("bean-check", measure([bean_check, "-C", "-v", main], env, work))
        if "check" in groups:
            result.add("check", measure([aidbooks, "check", main], env, work))
            off = [bean_check, "-C", "-v", str(books.main_off)]
            result.add("bean-check-off", measure(off, env, work))
            result.add("strict", measure([aidbooks, "check", "--strict", main], env, work))
        if "report" in groups:
            out = work / f"report-{round_}" / PERIOD
            report = [aidbooks, "report", main, "--period", PERIOD, "--lang", "en"]
            report += ["--format", "html,md,csv,json", "--out", str(out)]
            result.add("report", measure(report, env, work))
            shutil.rmtree(out.parent, ignore_errors=True)
        if "import" in groups:
            import_round(books, env, work, result, again=round_ == 0)
        if history is not None:
            history_round(history, env, work, result, round_)
    inside = _inside_breakdown(result)
    if inside:
        result.notes.append(inside)
    if "fava" in groups:
        wait_for_quiet(quiet, patience, log)
        fava_row(books, runs, env, work, result, log)
    return result


def _inside_breakdown(result: SizeResult) -> str:
    """Where the rules' time goes inside ``bean-check -v`` (medians, ms)."""
    ons, offs = (
        result.samples.get("bean-check", []),
        result.samples.get("bean-check-off", []),
    )
    plugin = [
        sum(v for k, v in s.stages.items() if k.startswith("aidbooks."))
        for s in ons
        if s.stages
    ]
    rest = [
        (on.stages["run_transformations"] - sum(_plugin_stages(on.stages).values()))
        - (off.stages["run_transformations"] - sum(_plugin_stages(off.stages).values()))
        for on, off in zip(ons, offs, strict=False)
        if "run_transformations" in on.stages and "run_transformations" in off.stages
    ]
    load = [s.stages["beancount.loader (total)"] for s in offs if s.stages]
    if not (plugin and rest and load):
        return ""
    return (
        f"inside bean-check -v (medians): the aidbooks plugin line"
        f" {statistics.median(plugin):.0f} ms (Beancount's re-sort after it included),"
        f" importing the plugin modules (the rest of the plugin stage beyond the same"
        f" stage without them) {statistics.median(rest):.0f} ms; the whole load"
        f" without the rules {statistics.median(load):.0f} ms"
    )


def history_round(
    history: History, env: dict[str, str], work: Path, result: SizeResult, round_: int
) -> None:
    """Publish the next report of the fund with a long history, then take it back."""
    henv = dict(env, AIDBOOKS_KEY_FILE=str(history.key))
    main = str(history.main)
    base = [str(BIN / "bean-check"), "-C", "-v", main]
    result.add("history-bean-check", measure(base, henv, work))
    out = work / f"history-{round_}"
    report = [str(BIN / "aidbooks"), "report", main, "--period", history.period]
    report += ["--lang", "en", "--format", "html,md,csv,json", "--out", str(out)]
    result.add("history-report", measure(report, henv, work))
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(history.main.parent / "published" / history.period, ignore_errors=True)


def import_round(
    books: Books, env: dict[str, str], work: Path, result: SizeResult, again: bool
) -> None:
    """Import the statement into a fresh copy of the books; with ``again``, twice."""
    copy = work / "import-books"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(books.folder, copy)
    ledger = str(copy / "main.beancount")
    load = [str(BIN / "aidbooks"), "import", str(books.statement), "--ledger", ledger]
    first = measure(load, env, work)
    result.add("import", first)
    if again and "import" not in result.failures:
        before = tree_digest(copy)
        second = measure(load, env, work)
        result.add("import-again", second)
        first_counts, again_counts = imported(first), imported(second)
        if first_counts is None or again_counts is None:
            result.failures["import-again"] = "no summary line from aidbooks import"
        elif again_counts[0] != 0 or tree_digest(copy) != before:
            result.failures["import-again"] = (
                f"the second import added {again_counts[0]} transactions"
                " or changed the books"
            )
        else:
            result.notes.append(
                f"import: {first_counts[0]:,} transactions imported;"
                f" again: 0 imported, {again_counts[1]:,} duplicates, books unchanged"
            )
    shutil.rmtree(copy, ignore_errors=True)


def fava_row(
    books: Books,
    runs: int,
    env: dict[str, str],
    work: Path,
    result: SizeResult,
    log: Callable[[str], None],
) -> None:
    """Fava's Aid page against its income statement page, once the books are loaded.

    ``aidbooks serve`` starts Fava on the books (it loads them before it prints the
    URLs). Each page is then fetched over HTTP as a browser asks the server for it:
    the income statement is the page and the JSON of ``api/income_statement`` (Fava
    renders it in the browser), the Aid page is one server-rendered page. Each is
    fetched once first (Fava computes the income statement's tree on the first
    request), then ``max(runs, 5)`` times each, in turn; the figures are the medians
    of those, the first fetch is in the notes. The server is stopped by its PID.
    """
    if not fava_available():
        result.notes.append(f"Fava: {NOT_YET} (no `aidbooks serve` in this version)")
        return
    serve = [str(BIN / "aidbooks"), "serve", str(books.main), "--port", "0"]
    err_path = work / "serve-stderr.txt"
    unbuffered = dict(env, PYTHONUNBUFFERED="1")  # its URLs reach the pipe at once
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            serve, stdout=subprocess.PIPE, stderr=err, env=unbuffered, text=True
        )
    try:
        aid = _aid_url(proc)
        if aid is None:
            tail = err_path.read_text(errors="replace").strip().splitlines()[-2:]
            result.failures["fava-aid"] = (
                "aidbooks serve printed no Aid page: " + " | ".join(tail)
            )
            return
        root = aid[: -len(AID_PAGE)]
        income = [root + "income_statement/", root + "api/income_statement"]
        first_income, first_aid = _fetch(income), _fetch([aid])
        for _ in range(max(runs, 5)):
            result.add("fava-income", Sample(_fetch(income), 0.0, 0.0, 0))
            result.add("fava-aid", Sample(_fetch([aid]), 0.0, 0.0, 0))
        result.notes.append(
            f"Fava: first fetch after the load: income statement {first_income:.3f} s,"
            f" Aid page {first_aid:.3f} s"
        )
    except (OSError, ValueError) as exc:
        result.failures["fava-aid"] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        _stop(proc, result, log)


AID_PAGE = "extension/Aid/"


def _aid_url(proc: subprocess.Popen[str]) -> str | None:
    """The Aid page's URL, from what ``aidbooks serve`` prints once the books are loaded."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("The Aid page: "):
            url = line.split(": ", 1)[1].strip()
            return url if url.endswith(AID_PAGE) else None
    return None


def _fetch(urls: Sequence[str]) -> float:
    """Seconds to GET every URL in turn (each must answer 200)."""
    start = time.perf_counter()
    for url in urls:
        with urllib.request.urlopen(url, timeout=600) as answer:  # noqa: S310 (loopback)
            answer.read()
            if answer.status != 200:
                raise ValueError(f"{url} answered {answer.status}")
    return time.perf_counter() - start


def _stop(
    proc: subprocess.Popen[str], result: SizeResult, log: Callable[[str], None]
) -> None:
    """Stop the server we started (by its PID) and note its peak memory."""
    proc.terminate()
    deadline = time.monotonic() + 60
    try:
        pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
        while pid == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == 0:  # it did not stop: kill it (our own child, by its PID)
            proc.kill()
            pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
    except ChildProcessError:
        return
    rss = usage.ru_maxrss / 1024
    for name in ("fava-income", "fava-aid"):
        for sample in result.samples.get(name, []):
            sample.rss = rss
    log(f"  aidbooks serve stopped (peak {rss:.0f} MiB)")


def fava_available() -> bool:
    """True when this version has ``aidbooks serve`` and its Aid page."""
    return importlib.util.find_spec("aidbooks.cmd_serve") is not None


# ------------------------------------------------------------------ the table


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the table: a measured value per size and its target."""

    what: str
    compared: str
    target: str
    limit: float
    value: Callable[[SizeResult], float | str | None]
    show: Callable[[float], str]
    #: how much worse the largest size may be than the smallest and still be "flat"
    growth_slack: float = 0.05
    #: the commands it needs: none of them run (``--only``) reads "not measured"
    commands: tuple[str, ...] = ()


def _ratio(name: str, base: str = "bean-check", field: str = "wall") -> Callable[..., Any]:
    def value(r: SizeResult) -> float | None:
        ours, theirs = r.median(name, field), r.median(base, field)
        return None if ours is None or theirs is None else ours / theirs

    return value


def _rules(r: SizeResult) -> float | None:
    on, off = r.median("bean-check"), r.median("bean-check-off")
    return None if on is None or off is None else on / off - 1


def _rules_inside(r: SizeResult) -> float | None:
    pairs = zip(
        r.samples.get("bean-check", []), r.samples.get("bean-check-off", []), strict=False
    )
    shares = [x for x in (rules_in_process(on, off) for on, off in pairs) if x is not None]
    return statistics.median(shares) if shares else None


def _again(r: SizeResult) -> float | None:
    if "import-again" in r.failures or not r.samples.get("import-again"):
        return None
    counts = imported(r.samples["import-again"][0])
    return None if counts is None else float(counts[0])


def _fava(r: SizeResult) -> float | str | None:
    ours, theirs = r.median("fava-aid"), r.median("fava-income")
    if ours is None or theirs is None:
        return NOT_YET
    return ours


def _fava_ratio(r: SizeResult) -> float | None:
    ours, theirs = r.median("fava-aid"), r.median("fava-income")
    return None if ours is None or not theirs else ours / theirs


def _history(r: SizeResult) -> float | str | None:
    if "history-report" not in r.samples and "history-report" not in r.failures:
        return "—"
    ours, theirs = r.median("history-report"), r.median("history-bean-check")
    return None if ours is None or theirs is None else ours / theirs


def _times(x: float) -> str:
    return f"{x:.2f}×"


ROWS = (
    Row("`aidbooks check` (basic), wall", "`bean-check -C`", "≤ 1.00×", 1.0, _ratio("check"), _times, commands=("check",)),
    Row(
        "`aidbooks check` (basic), peak memory",
        "`bean-check -C`",
        "≤ 1.10×",
        1.1,
        _ratio("check", field="rss"),
        _times,
        commands=("check",),
    ),
    Row("`aidbooks check --strict`, wall", "`bean-check -C`", "≤ 1.15×", 1.15, _ratio("strict"), _times, commands=("strict",)),
    Row(
        "the rules alone (plugins on vs off)",
        "`bean-check -C` without the `plugin` lines",
        "≤ +5%",
        0.05,
        _rules,
        lambda x: f"{x:+.1%}",
        growth_slack=0.02,
        commands=("bean-check-off",),
    ),
    Row(
        "`aidbooks report` (4 formats, en), wall",
        "`bean-check -C`",
        "≤ 1.10×",
        1.1,
        _ratio("report"),
        _times,
        commands=("report",),
    ),
    Row(
        f"`aidbooks report` of a year, every earlier release recorded (default {HISTORY_YEARS} years: {17 * HISTORY_YEARS - 1}), wall",
        "`bean-check -C` on those books",
        "≤ 1.10×",
        1.1,
        _history,
        _times,
    ),
    Row(
        "`aidbooks import` of an N-row Venmo statement, wall",
        "`bean-check -C` on those books",
        "≤ 1.50×",
        1.5,
        _ratio("import"),
        _times,
        commands=("import",),
    ),
    Row(
        "the same import again: transactions added",
        "—",
        "0",
        0.0,
        _again,
        lambda x: f"{x:.0f}",
        growth_slack=0.0,
        commands=("import-again",),
    ),
    Row(
        "Fava Aid page after first load",
        "Fava's income statement page",
        "≤ 0.5 s and ≤ 2×",
        0.5,
        _fava,
        lambda x: f"{x:.2f} s",
    ),
)  # fmt: skip


def _size(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def cell(row: Row, result: SizeResult) -> tuple[str, float | None, bool | None]:
    """The text of one cell, its number (None if none) and whether the target is met."""
    if row.commands and not any(
        c in result.samples or c in result.failures for c in row.commands
    ):
        return "not measured", None, None
    value = row.value(result)
    if isinstance(value, str):
        return value, None, None
    if value is None:
        failed = [n for n in result.failures if n in result.samples or n == "import-again"]
        return f"failed ({', '.join(failed) or 'no data'})", None, False
    met = value <= row.limit + 1e-12
    if row.value is _rules:
        inside = _rules_inside(result)
        if inside is not None:
            return f"{row.show(value)} (inside: {inside:.1%})", value, met
    if row.value is _fava:
        income = result.median("fava-income")
        met = met and income is not None and value <= 2 * income
        return (
            f"{row.show(value)} ({value / income:.2f}×)" if income else row.show(value),
            value,
            met,
        )
    return row.show(value), value, met


def growth(row: Row, values: list[float | None]) -> str:
    """How the ratio moves from the smallest books to the largest."""
    numbers = [v for v in values if v is not None]
    if len(numbers) < 2 or len(numbers) != len(values):
        return "—"
    first, last = numbers[0], numbers[-1]
    if row.limit == 0.0 and row.growth_slack == 0.0:
        return "flat" if last == first else "changes"
    scale = abs(first) if first else 1.0
    if last <= first + row.growth_slack * max(scale, 0.01):
        return "no worse" if last > first else "better" if last < first else "flat"
    return f"worse by {(last - first) / scale:+.0%}" if scale else "worse"


#: The targets are set for books of 100,000 transactions and more (the issues say
#: "on 100k-transaction books"); smaller books are shown for growth, and there a
#: fixed start-up cost (imports, about 0.1-0.3 s) weighs on every ratio.
JUDGED_FROM = 100_000


def table(results: list[SizeResult]) -> tuple[str, list[dict[str, Any]]]:
    """The Markdown table of ratios, and the same as data."""
    sizes = [_size(r.books.size) for r in results]
    judged = [r.books.size >= JUDGED_FROM for r in results]
    if not any(judged):
        judged = [True] * len(results)
        met_head = "met"
    else:
        met_head = f"met (≥ {_size(JUDGED_FROM)})"
    head = ["what", "compared with", "target", *sizes, met_head, "growth"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    data: list[dict[str, Any]] = []
    for row in ROWS:
        cells = [cell(row, r) for r in results]
        counted = [
            (s, m) for s, j, (_t, _v, m) in zip(sizes, judged, cells, strict=True) if j
        ]
        verdicts = [m for _s, m in counted if m is not None]
        if not verdicts:
            met = "—"
        elif all(verdicts):
            met = "yes"
        else:
            met = "no (" + ", ".join(s for s, m in counted if m is False) + ")"
        if row.value is _fava:  # the growth of the page against Fava's own page
            trend = growth(row, [_fava_ratio(r) for r in results])
        else:
            trend = growth(row, [v for _t, v, _m in cells])
        texts = [t if m is not False else f"**{t}**" for t, _v, m in cells]
        lines.append(
            "| "
            + " | ".join([row.what, row.compared, row.target, *texts, met, trend])
            + " |"
        )
        data.append(
            {
                "what": row.what,
                "target": row.target,
                "values": {s: v for s, (_t, v, _m) in zip(sizes, cells, strict=True)},
                "cells": {s: t for s, (t, _v, _m) in zip(sizes, cells, strict=True)},
                "fava": row.value is _fava,
                "met": met,
                "growth": trend,
            }
        )
    return "\n".join(lines), data


def context_table(results: list[SizeResult]) -> str:
    """Absolute medians per command and size (context for the ratios)."""
    lines = [
        "| books | transactions | command | wall s | CPU s | peak MiB | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for name, label in COMMANDS.items():
            samples = r.samples.get(name)
            if not samples:
                continue
            wall = statistics.median(s.wall for s in samples)
            cpu = statistics.median(s.cpu for s in samples)
            rss = statistics.median(s.rss for s in samples)
            flag = " (failed)" if name in r.failures else ""
            page = name.startswith("fava")  # a page fetched from the server
            times = f"{wall:.3f} | —" if page else f"{wall:.2f} | {cpu:.2f}"
            lines.append(
                f"| {_size(r.books.size)} | {r.books.transactions:,} | {label}{flag} |"
                f" {times} | {rss:.0f} | {len(samples)} |"
            )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()},"
        f" Beancount {importlib.metadata.version('beancount')}"
    )


def document(results: list[SizeResult], runs: int, started: str, elapsed: float) -> str:
    ratios, _data = table(results)
    loads = [x for r in results for x in r.loads]
    notes = [f"- {_size(r.books.size)}: {n}" for r in results for n in r.notes]
    failures = [
        f"- {_size(r.books.size)}: {name}: {why}"
        for r in results
        for name, why in r.failures.items()
    ]
    parts = [
        "# aidbooks benchmark",
        "",
        "Made by `make bench` (`bench/bench.py`); the figures of the last full run.",
        "",
        f"- run: {started}, {elapsed / 60:.1f} min; each figure is the median of"
        f" {runs} runs, the commands taking turns within each run",
        f"- machine: {machine()}",
        f"- 1-minute load average while measuring (the benchmark's own process counts"
        f" about 1): min {min(loads, default=0):.2f}, median"
        f" {statistics.median(loads) if loads else 0:.2f}, max {max(loads, default=0):.2f}",
        "- books: the example fund's generator (`python -m aidbooks.example"
        " --transactions N`), the basic rules switched on as in every aidbooks ledger",
        "",
        "Ratios measured in one run are what count (the machine is shared and noisy);"
        " a figure in **bold** misses its target. The targets are set for books of"
        f" {_size(JUDGED_FROM)} transactions and more, and *met* judges those; smaller"
        " books show the growth, and there the fixed start-up of a process (imports)"
        " weighs on every ratio. *growth*: the ratio at the largest books against the"
        " smallest. The rules alone: the wall-time difference of `bean-check -C` with and"
        " without the `plugin` line, and in brackets the rules' share of the load"
        " measured inside `bean-check -v` (less noisy).",
        "",
        ratios,
        "",
        "Absolute medians (context only):",
        "",
        context_table(results),
        "",
    ]
    if notes:
        parts += ["Notes:", "", *notes, ""]
    if failures:
        parts += ["Failures:", "", *failures, ""]
    return "\n".join(parts)


# --------------------------------------------------------------------- main


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "sizes are whole numbers, like 10000,100000"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give at least one size above 0")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="transactions, comma-separated",
    )
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="rounds per size")
    parser.add_argument(
        "--books", type=Path, default=ROOT / "bench" / "books", help="cache"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "bench" / "results" / "latest.json"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=None,
        help="before each round, wait until the 1-minute load average is below this",
    )
    parser.add_argument(
        "--patience", type=float, default=1800, help="longest wait, seconds"
    )
    parser.add_argument(
        "--history-sizes",
        type=_sizes,
        default=list(DEFAULT_HISTORY_SIZES),
        help="sizes that also get the history row (of those in --sizes)",
    )
    parser.add_argument(
        "--history-years",
        type=int,
        default=HISTORY_YEARS,
        help="calendar years of books and releases in the history row",
    )
    parser.add_argument(
        "--only",
        type=lambda text: [g.strip() for g in text.split(",") if g.strip()],
        default=list(GROUPS),
        help=f"groups of commands to measure: {','.join(GROUPS)} (default: all)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.history_years < 1:
        parser.error("--history-years must be at least 1")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    clock = time.monotonic()
    # Byte-compile once, so that no measured process pays for it.
    subprocess.run(
        [str(BIN / "python"), "-m", "compileall", "-q", "aidbooks", "plugins", "importers",
         "reports"],
        cwd=ROOT,
        check=False,
        capture_output=True,
    )  # fmt: skip
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="aidbooks-bench-") as tmp:
        work = Path(tmp)
        key = work / "bench.key"
        key.write_text(os.urandom(32).hex() + "\n")
        key.chmod(0o600)
        env = dict(os.environ, AIDBOOKS_KEY_FILE=str(key), BEANCOUNT_DISABLE_LOAD_CACHE="1")
        for size in args.sizes:
            books = ensure_books(args.books.resolve(), size, args.seed, log)
            history = (
                ensure_history(
                    args.books.resolve(), size, args.seed, log, args.history_years
                )
                if "history" in args.only and size in args.history_sizes
                else None
            )
            log(f"{_size(size)}: {books.transactions:,} transactions, {args.runs} runs")
            results.append(
                run_size(
                    books,
                    args.runs,
                    env,
                    work,
                    log,
                    args.quiet_load,
                    args.patience,
                    args.only,
                    history,
                )
            )
    text = document(results, args.runs, started, time.monotonic() - clock)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    _ratios, rows = table(results)
    raw = {
        "started": started,
        "runs": args.runs,
        "machine": machine(),
        "rows": rows,
        "sizes": [
            {
                "size": r.books.size,
                "transactions": r.books.transactions,
                "samples": {
                    name: [dataclasses.asdict(s) | {"out": s.out[-500:]} for s in samples]
                    for name, samples in r.samples.items()
                },
                "failures": r.failures,
                "notes": r.notes,
                "loads": r.loads,
            }
            for r in results
        ],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(raw, indent=1))
    log(f"wrote {args.out} and {args.json}")
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
