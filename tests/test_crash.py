"""Crash safety: ``kill -9`` in the middle of a write loses nothing.

``aidbooks import`` of three exports (Venmo, PayPal, Stripe) changes four files of
the books in one commit (:func:`aidbooks.plugins.fsutil.commit_files`). A real
``aidbooks import`` process is stopped with SIGKILL

* exactly at each step of the commit — the test hook ``$AIDBOOKS_PAUSE_AT`` makes
  the process announce the step on stderr and wait there to be killed
  (:func:`aidbooks.plugins.fsutil.checkpoint`, inert unless the variable names
  the step) — and
* at random moments of an ordinary run (no hook),

and then the books must be **untouched or completely imported** once any
aidbooks command has opened them (``aidbooks check`` finishes an interrupted
commit), ``aidbooks check`` must pass, and running the same import again must
end in exactly the books one clean import makes.

``aidbooks report`` writes its folder under a hidden temporary name and renames
it into place (swapping it with the old one in one step when it replaces a
report): killed at each step, the report's folder is the old complete report or
the new complete one — ``aidbooks verify`` passes on it — and never a half; a
half-written temporary folder fails ``aidbooks verify``.
"""

from __future__ import annotations

import json
import os
import random
import resource
import select
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks.plugins.writer import JOURNAL_NAME
from tests.helpers import BIN
from tests.helpers import invoke
from tests.hostile import funded_books
from tests.hostile import tree_digest
from tests.importing import DATA
from tests.serving import start

EXPORTS = [
    DATA / "venmo" / "statement-2025-05.csv",
    DATA / "paypal" / "activity-en.csv",
    DATA / "stripe" / "balance-history.csv",
]
#: Commit steps, and what the books must be once an aidbooks command opened them.
IMPORT_STEPS = {
    "import:booked": "before",  # everything read and booked, nothing written
    "commit:staged": "before",  # new versions staged beside the files, no journal
    "commit:journal": "after",  # the commit point: the journal is on disk
    "commit:renamed-one": "after",  # one file renamed, the others not yet
    "commit:renamed-all": "after",  # all renamed, the journal not yet removed
}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("key") / "fund.key"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, key: Path) -> Path:
    """New books with an opening balance (so the imported grants are covered)."""
    return funded_books(tmp_path_factory.mktemp("base") / "books", key)


def _env(key: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["AIDBOOKS_KEY_FILE"] = str(key)
    env.update(extra)
    return env


def _import_args(books: Path) -> list[str]:
    return [
        str(BIN / "aidbooks"),
        "import",
        *map(str, EXPORTS),
        "--ledger",
        str(books / "main.beancount"),
    ]


@pytest.fixture(scope="module")
def after(
    base: Path, key: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The books one clean import makes."""
    books = tmp_path_factory.mktemp("reference") / "books"
    shutil.copytree(base, books)
    done = subprocess.run(
        _import_args(books), env=_env(key), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _check_passes(books, key)
    return tree_digest(books)


def _pause_and_kill(args: list[str], env: dict[str, str], step: str) -> None:
    """Run ``args`` until it announces ``step`` on stderr, then SIGKILL it."""
    with subprocess.Popen(
        args,
        env={**env, "AIDBOOKS_PAUSE_AT": step},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as process:  # leaving the block closes its stderr and waits for it
        assert process.stderr is not None
        seen = b""
        deadline = time.monotonic() + 180
        try:
            while f"paused at {step}".encode() not in seen:
                left = deadline - time.monotonic()
                assert left > 0, f"never reached {step}: {seen!r}"
                ready, _, _ = select.select([process.stderr], [], [], left)
                chunk = os.read(process.stderr.fileno(), 4096) if ready else b""
                assert chunk or process.poll() is None, f"ended before {step}: {seen!r}"
                seen += chunk
        finally:
            process.send_signal(signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL


def _check_passes(books: Path, key: Path) -> None:
    code, out, err = invoke(
        CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}),
        "check",
        str(books / "main.beancount"),
    )
    assert code == 0, out + err


def _finish_and_compare(
    books: Path, key: Path, before: dict[str, str], after: dict[str, str]
) -> str:
    """Let aidbooks open the books; return which state they are in."""
    _check_passes(books, key)  # finishes an interrupted commit first
    state = tree_digest(books)
    assert not (books / JOURNAL_NAME).exists()
    if state == before:
        outcome = "before"
    elif state == after:
        outcome = "after"
    else:
        changed = sorted(k for k in set(state) | set(after) if state.get(k) != after.get(k))
        raise AssertionError(f"half imported: {changed}")
    # the same import again ends in exactly the clean import's books
    code, out, err = invoke(
        CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}),
        "import",
        *map(str, EXPORTS),
        "--ledger",
        str(books / "main.beancount"),
    )
    assert code == 0, out + err
    assert tree_digest(books) == after
    return outcome


@pytest.mark.parametrize("step", list(IMPORT_STEPS))
def test_import_killed_at_each_step_of_its_commit(
    step: str, base: Path, key: Path, after: dict[str, str], tmp_path: Path
) -> None:
    books = tmp_path / "books"
    shutil.copytree(base, books)
    before = tree_digest(books)
    _pause_and_kill(_import_args(books), _env(key), step)
    if step == "commit:renamed-one":  # on disk, right after the kill: half imported
        raw = tree_digest(books)
        assert raw != before and (books / JOURNAL_NAME).exists()
    assert _finish_and_compare(books, key, before, after) == IMPORT_STEPS[step]


@pytest.mark.slow  # kills real aidbooks processes
def test_import_killed_at_random_moments(
    base: Path, key: Path, after: dict[str, str], tmp_path: Path
) -> None:
    """No hook: SIGKILL after a random delay, over the whole run."""
    start = time.monotonic()
    probe = tmp_path / "probe"
    shutil.copytree(base, probe)
    subprocess.run(_import_args(probe), env=_env(key), capture_output=True, check=True)
    duration = time.monotonic() - start
    rng = random.Random()
    outcomes = []
    for number in range(4):
        books = tmp_path / f"books{number}"
        shutil.copytree(base, books)
        before = tree_digest(books)
        with subprocess.Popen(
            _import_args(books),
            env=_env(key),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as process:  # waits for it on the way out
            time.sleep(rng.uniform(0.5, 1.0) * duration)
            process.send_signal(signal.SIGKILL)
        outcomes.append(_finish_and_compare(books, key, before, after))
    assert set(outcomes) <= {"before", "after"}


# ------------------------------------------------------------------ reports
@pytest.fixture(scope="module")
def report_books(base: Path, key: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    books = tmp_path_factory.mktemp("reportbooks") / "books"
    shutil.copytree(base, books)
    code, out, err = invoke(
        CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}),
        "import",
        *map(str, EXPORTS),
        "--ledger",
        str(books / "main.beancount"),
    )
    assert code == 0, out + err
    return books


def _report_args(books: Path, out: Path) -> list[str]:
    return [
        str(BIN / "aidbooks"),
        "report",
        str(books / "main.beancount"),
        "--period",
        "2025-05",
        "--out",
        str(out),
        "--lang",
        "en",
        # a draft: replacing a folder is what is tested, and a recorded period is
        # closed (published again, it is written as recorded)
        "--draft",
    ]


def _verify(folder: Path, key: Path, ledger: Path | None = None) -> tuple[int, str]:
    args = ["verify", str(folder)]
    if ledger is not None:
        args += ["--ledger", str(ledger)]
    code, out, err = invoke(CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}), *args)
    return code, out + err


def _hidden(parent: Path, name: str) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(f".{name}."))


@pytest.mark.parametrize("step", ["report:writing", "report:staged"])
@pytest.mark.slow  # kills real aidbooks processes
def test_first_report_killed_while_written(
    step: str, report_books: Path, key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "2025-05"
    _pause_and_kill(_report_args(report_books, out), _env(key), step)
    assert not out.exists()  # nothing carries the report's name
    leftovers = _hidden(out.parent, out.name)
    assert len(leftovers) == 1
    code, text = _verify(leftovers[0], key)
    if step == "report:writing":  # half written: no manifest, not a report
        assert code == 1 and "manifest.json: missing" in text
    # publishing again works and verifies against the books
    code, text = invoke(
        CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}), *_report_args(report_books, out)[1:]
    )[:2]
    assert code == 0, text
    assert _verify(out, key, report_books / "main.beancount")[0] == 0


@pytest.mark.parametrize(
    ("step", "expected"),
    [("report:writing", "old"), ("report:staged", "old"), ("report:swapped", "new")],
)
@pytest.mark.slow  # kills real aidbooks processes
def test_replacing_a_report_killed_at_each_step(
    step: str, expected: str, report_books: Path, key: Path, tmp_path: Path
) -> None:
    books = tmp_path / "books"
    shutil.copytree(report_books, books)
    out = tmp_path / "reports" / "2025-05"
    code, text = invoke(
        CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}), *_report_args(books, out)[1:]
    )[:2]
    assert code == 0, text
    old = tree_digest(out)
    # the books change (a late donation in May), so the new report differs
    with (books / "books" / "opening.beancount").open("a") as handle:
        handle.write(
            '\n2025-05-20 * "Donation"\n  Assets:Bank:Checking  75.00 USD\n'
            "  Income:Donations:Check\n"
        )
    _pause_and_kill(_report_args(books, out), _env(key), step)
    state = tree_digest(out)
    assert _verify(out, key)[0] == 0  # whatever carries the name is a whole report
    with_books = _verify(out, key, books / "main.beancount")[0]
    if expected == "old":
        assert state == old and with_books == 1  # the old report, of the old books
    else:
        assert state != old and with_books == 0  # the new report, of these books


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_leaves_the_books_untouched(
    base: Path, key: Path, tmp_path: Path
) -> None:
    """A write that fails half way (here the file size limit, as a full disk would)
    is one line, exit 2, and the books are as before — no staged file left."""
    books = tmp_path / "books"
    shutil.copytree(base, books)
    before = tree_digest(books)
    done = subprocess.run(
        _import_args(books),
        env=_env(key),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_file_size_limit(1500),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "the books cannot be written (File too large)" in lines[0]
    assert "nothing was written" in lines[0]
    assert tree_digest(books) == before


@pytest.mark.slow  # kills real aidbooks processes
def test_serve_finishes_an_interrupted_import_before_fava_shows_the_books(
    base: Path, key: Path, after: dict[str, str], tmp_path: Path
) -> None:
    """Killed half way through its renames, an import is finished by ``aidbooks
    serve`` before Fava loads the books: Fava never shows it half done."""
    books = tmp_path / "books"
    shutil.copytree(base, books)
    _pause_and_kill(_import_args(books), _env(key), "commit:renamed-one")
    assert (books / JOURNAL_NAME).exists()
    server = start(
        books / "main.beancount", "--port", "0", env={"AIDBOOKS_KEY_FILE": str(key)}
    )
    try:
        url = server.aid.removesuffix("/extension/Aid/")
        with urllib.request.urlopen(f"{url}/api/journal", timeout=60) as response:
            entries = json.load(response)["data"]
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert tree_digest(books) == after
    shown = {
        prefix: sum(1 for e in entries if f"{prefix}-id" in e.get("meta", {}))
        for prefix in ("venmo", "paypal", "stripe")
    }
    assert shown == {"venmo": 11, "paypal": 11, "stripe": 7}, shown


@pytest.mark.parametrize(
    ("journal", "message"),
    [
        (b"\x00garbage", "the journal of an interrupted write is damaged"),
        (b'{"version": 1, "moves": [["../../x", "y"]]}', "names a file outside the books"),
    ],
)
def test_a_damaged_journal_is_one_clear_line(
    base: Path, key: Path, tmp_path: Path, journal: bytes, message: str
) -> None:
    """A journal aidbooks did not write (or a disk error) is never trusted: one line,
    exit 2, and nothing is renamed."""
    books = tmp_path / "books"
    shutil.copytree(base, books)
    (books / JOURNAL_NAME).write_bytes(journal)
    before = tree_digest(books)
    code, out, err = invoke(
        CliRunner(env={"AIDBOOKS_KEY_FILE": str(key)}),
        "check",
        str(books / "main.beancount"),
    )
    assert code == 2, out + err
    assert len(err.strip().splitlines()) == 1 and message in err
    assert tree_digest(books) == before
