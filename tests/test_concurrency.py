"""Concurrent use of the same books.

* Two ``aidbooks import`` processes started at once on the same books: one waits
  for the other (the books' writer lock), and the books end exactly as after the
  two imports one after the other (in either order). With a short
  ``$AIDBOOKS_LOCK_TIMEOUT`` the second one stops with one clear line instead,
  having written nothing.
* Intake volunteers issuing codes at the same moment (``aidbooks code new
  --ledger``): every printed code is declared in the books (once the
  read-append-replace of ``codes.beancount`` could drop one).
* An import while ``aidbooks serve`` (Fava) serves the books: Fava, over real
  HTTP, shows the new entries without a restart — also when the import creates a
  file under ``imports/`` that Fava was not watching yet.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.helpers import BIN
from tests.hostile import funded_books
from tests.hostile import tree_digest
from tests.importing import DATA
from tests.serving import start

# every test here runs several real aidbooks processes at once
pytestmark = pytest.mark.slow

VENMO = DATA / "venmo" / "statement-2025-05.csv"
PAYPAL = DATA / "paypal" / "activity-en.csv"
STRIPE = DATA / "stripe" / "balance-history.csv"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("key") / "fund.key"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, key: Path) -> Path:
    return funded_books(tmp_path_factory.mktemp("base") / "books", key)


def _env(key: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "AIDBOOKS_KEY_FILE": str(key), **extra}


def _import(books: Path, *exports: Path) -> list[str]:
    return [
        str(BIN / "aidbooks"),
        "import",
        *map(str, exports),
        "--ledger",
        str(books / "main.beancount"),
    ]


def _sequential(base: Path, key: Path, work: Path, *order: Path) -> dict[str, str]:
    books = work / "books"
    shutil.copytree(base, books)
    for export in order:
        done = subprocess.run(
            _import(books, export),
            env=_env(key),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return tree_digest(books)


def test_two_imports_at_once_end_as_one_after_the_other(
    base: Path, key: Path, tmp_path: Path
) -> None:
    one_then_two = _sequential(base, key, tmp_path / "a", VENMO, PAYPAL)
    two_then_one = _sequential(base, key, tmp_path / "b", PAYPAL, VENMO)
    for attempt in range(3):
        books = tmp_path / f"race{attempt}" / "books"
        shutil.copytree(base, books)
        with (
            subprocess.Popen(
                _import(books, VENMO),
                env=_env(key),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ) as first,
            subprocess.Popen(
                _import(books, PAYPAL),
                env=_env(key),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ) as second,
        ):
            for process in (first, second):
                out, err = process.communicate(timeout=300)
                assert process.returncode == 0, out + err
        assert tree_digest(books) in (one_then_two, two_then_one)


def test_the_second_import_fails_clearly_while_the_first_holds_the_books(
    base: Path, key: Path, tmp_path: Path
) -> None:
    books = tmp_path / "books"
    shutil.copytree(base, books)
    before = tree_digest(books)
    with subprocess.Popen(
        _import(books, VENMO),
        env=_env(key, AIDBOOKS_PAUSE_AT="import:booked"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as holder:  # leaving the block closes its stderr and waits for it
        try:
            assert holder.stderr is not None
            line = holder.stderr.readline()  # it holds the lock from here on
            assert b"paused at import:booked" in line
            second = subprocess.run(
                _import(books, PAYPAL),
                env=_env(key, AIDBOOKS_LOCK_TIMEOUT="0.5"),
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
        finally:
            holder.send_signal(signal.SIGKILL)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another import is running on these books" in lines[0]
    assert "nothing was written" in lines[0]
    assert tree_digest(books) == before


def test_codes_issued_at_the_same_moment_are_all_declared(
    base: Path, tmp_path: Path
) -> None:
    books = tmp_path / "books"
    shutil.copytree(base, books)
    printed = []
    with contextlib.ExitStack() as stack:  # closes every pipe and waits, also on failure
        processes = [
            stack.enter_context(
                subprocess.Popen(
                    [
                        str(BIN / "aidbooks"),
                        "code",
                        "new",
                        "--ledger",
                        str(books / "main.beancount"),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            for _ in range(6)
        ]
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
            printed.append(out.strip())
    declared = re.findall(
        r'"aid-recipient" "(R-[^"]+)"', (books / "codes.beancount").read_text()
    )
    assert sorted(declared) == sorted(printed)


# ------------------------------------------------------------------ Fava
@contextlib.contextmanager
def fava(ledger: Path, key: Path) -> Iterator[str]:
    """``aidbooks serve`` on a free loopback port; yields the URL of the books."""
    server = start(ledger, "--port", "0", env={"AIDBOOKS_KEY_FILE": str(key)})
    try:
        yield server.aid.removesuffix("/extension/Aid/")
    finally:
        code, err = server.stop()
        assert code == 0, err


def _ids(url: str, prefix: str) -> set[str]:
    with urllib.request.urlopen(f"{url}/api/journal", timeout=60) as response:
        entries = json.load(response)["data"]
    return {
        str(entry["meta"][f"{prefix}-id"])
        for entry in entries
        if f"{prefix}-id" in entry.get("meta", {})
    }


T = TypeVar("T")


def _eventually(probe: Callable[[], T], timeout: float = 30) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_fava_shows_what_an_import_adds_while_it_serves(
    base: Path, key: Path, tmp_path: Path
) -> None:
    books = tmp_path / "books"
    shutil.copytree(base, books)
    with fava(books / "main.beancount", key) as url:
        assert _ids(url, "stripe") == set()
        # Stripe rows are donations, fees and payouts: no new code, so the import
        # only creates imports/stripe.beancount, a file Fava did not watch
        done = subprocess.run(
            _import(books, STRIPE),
            env=_env(key),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "new recipient codes" not in done.stdout
        shown = _eventually(lambda: _ids(url, "stripe"))
        written = set(
            re.findall(
                r'stripe-id: "([^"]+)"',
                (books / "imports" / "stripe.beancount").read_text(),
            )
        )
        assert written and shown == written
        # a second import into files Fava already watches
        done = subprocess.run(
            _import(books, VENMO),
            env=_env(key),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        venmo = _eventually(lambda: _ids(url, "venmo"))
        assert venmo and len(venmo) == 11
