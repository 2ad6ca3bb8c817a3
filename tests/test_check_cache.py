"""``aidbooks check`` never replays a stale verdict from Beancount's pickle cache.

Beancount caches a load in ``.<ledger>.picklecache`` keyed on the ledger files'
names, sizes and times only: after a rule's code changes, a cached load on unchanged
books replays the old rule's verdict. ``aidbooks check`` must see the new one, with
a cache written by ``bean-check`` itself lying beside the ledger, and must leave that
cache alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader

from aidbooks.check import check_ledger
from aidbooks.check import select
from tests.helpers import run
from tests.smallbooks import BOOKS
from tests.smallbooks import line_of
from tests.smallbooks import main_text
from tests.smallbooks import write_books

RULE = '''\
"""A fund's own rule, kept beside its ledger (option "insert_pythonpath")."""
import collections
import time

__plugins__ = ("rule",)

LocalRuleError = collections.namedtuple("LocalRuleError", "source message entry")
REJECT = {reject!r}


def rule(entries, options_map):
    time.sleep({sleep!r})  # a slow load, so that bean-check writes its cache
    errors = [
        LocalRuleError(entry.meta, "the fund's rule rejects this grant", entry)
        for entry in entries
        if getattr(entry, "narration", None) in REJECT
    ]
    return entries, errors
'''


def set_rule(folder: Path, reject: tuple[str, ...], slow: bool = False) -> None:
    """Write the rule; ``slow`` makes a load take longer than Beancount's 1 s cache
    threshold, so that ``bean-check`` writes ``.main.beancount.picklecache``."""
    text = RULE.format(reject=reject, sleep=1.1 if slow else 0.0)
    (folder / "localrule.py").write_text(text)


def bean_check_writes_its_cache(folder: Path, main: Path, cache: Path) -> bytes:
    """Run bean-check as a treasurer would (cache on) with an accepting rule."""
    set_rule(folder, (), slow=True)
    written = run("bean-check", str(main))
    assert (written.returncode, written.stdout, written.stderr) == (0, "", ""), written
    assert cache.is_file()
    return cache.read_bytes()


@pytest.mark.slow  # the fund's rule sleeps past Beancount's 1 s cache threshold
def test_a_changed_rule_changes_the_verdict_even_with_a_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BEANCOUNT_DISABLE_LOAD_CACHE", raising=False)  # as users run it
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    folder = tmp_path / "books"
    main = write_books(
        folder,
        main=main_text(plugins=("localrule",), extra='option "insert_pythonpath" "TRUE"\n'),
    )
    books = folder / "books.beancount"
    cache = folder / ".main.beancount.picklecache"
    rejected = (
        f"{books}:{line_of(books, 'Rent assistance')}: other: "
        "the fund's rule rejects this grant\n"
    )

    # 1. bean-check caches the verdict of a rule that accepts everything
    bean_check_writes_its_cache(folder, main, cache)
    assert run("aidbooks", "check", str(main)).returncode == 0

    # 2. the rule changes, the books do not: bean-check replays the stale verdict ...
    set_rule(folder, ("Rent assistance",))
    stale = run("bean-check", str(main))
    assert (stale.returncode, stale.stdout, stale.stderr) == (0, "", "")
    # ... aidbooks check reports the new one, and leaves the cache alone
    stamp = (cache.stat().st_mtime_ns, cache.read_bytes())
    result = run("aidbooks", "check", str(main))
    assert (result.returncode, result.stdout) == (1, rejected), result
    assert (cache.stat().st_mtime_ns, cache.read_bytes()) == stamp
    # bean-check without its cache agrees with aidbooks (and deletes the cache)
    assert run("bean-check", "-C", str(main)).returncode == 1
    assert not cache.exists()

    # 3. bean-check caches the rejecting verdict; the rule changes back: aidbooks
    #    follows the rule, not the cache (which bean-check itself cannot reread here:
    #    the cached errors are of a class from the fund's own module)
    set_rule(folder, ("Rent assistance",), slow=True)
    assert run("bean-check", str(main)).returncode == 1
    stamp = (cache.stat().st_mtime_ns, cache.read_bytes())
    set_rule(folder, ())
    result = run("aidbooks", "check", str(main))
    assert (result.returncode, result.stdout) == (0, "")
    assert (cache.stat().st_mtime_ns, cache.read_bytes()) == stamp


def test_check_neither_reads_nor_writes_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, with Beancount's cache switched on for every load."""
    monkeypatch.setattr(loader, "_load_file", loader._load_file)  # restored afterwards
    monkeypatch.setattr(loader, "PICKLE_CACHE_THRESHOLD", 0)
    loader.initialize(True)
    main = write_books(tmp_path / "books")
    cache = main.parent / ".main.beancount.picklecache"
    report = check_ledger(main, select([]))
    assert report.ok and not cache.exists()
    loader.load_file(str(main))  # the control: Beancount's own load does cache
    assert cache.is_file()
    stamp = (cache.stat().st_mtime_ns, cache.read_bytes())
    (main.parent / "books.beancount").write_text(BOOKS.replace("4400.00", "4300.00"))
    report = check_ledger(main, select(["assertions"]))
    assert not report.ok
    assert (cache.stat().st_mtime_ns, cache.read_bytes()) == stamp
