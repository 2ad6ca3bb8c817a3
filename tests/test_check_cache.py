"""``aidbooks check`` never replays a stale verdict from Beancount's pickle cache.

Beancount caches a load in ``.<ledger>.picklecache`` keyed on the ledger files'
names, sizes and times only: after a rule's code changes, a cached load on unchanged
books replays the old rule's verdict. ``aidbooks check`` must see the new one.
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

__plugins__ = ("rule",)

LocalRuleError = collections.namedtuple("LocalRuleError", "source message entry")
REJECT = {reject!r}


def rule(entries, options_map):
    errors = [
        LocalRuleError(entry.meta, "the fund's rule rejects this grant", entry)
        for entry in entries
        if getattr(entry, "narration", None) in REJECT
    ]
    return entries, errors
'''

WRITE_CACHE = """\
import sys
from beancount import loader
loader.PICKLE_CACHE_THRESHOLD = 0  # cache even a small ledger, as bean-check does big ones
loader.initialize(True)
entries, errors, options = loader.load_file(sys.argv[1])
print(len(errors))
"""


def set_rule(folder: Path, reject: tuple[str, ...]) -> None:
    (folder / "localrule.py").write_text(RULE.format(reject=reject))


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

    # 1. the rule accepts everything; Beancount's own loader caches that verdict
    set_rule(folder, ())
    written = run("python", "-c", WRITE_CACHE, str(main))
    assert written.returncode == 0 and written.stdout.strip() == "0", written
    assert cache.is_file()
    stamp = (cache.stat().st_mtime_ns, cache.read_bytes())
    assert (run("aidbooks", "check", str(main)).returncode) == 0

    # 2. the rule changes, the books do not: the cache is stale
    set_rule(folder, ("Rent assistance",))
    stale = run("bean-check", str(main))
    assert (stale.returncode, stale.stdout, stale.stderr) == (0, "", "")  # replayed
    result = run("aidbooks", "check", str(main))
    assert result.returncode == 1, result
    assert result.stdout == (
        f"{books}:{line_of(books, 'Rent assistance')}: other: "
        "the fund's rule rejects this grant\n"
    )
    # bean-check without the cache agrees with aidbooks
    assert run("bean-check", "-C", str(main)).returncode == 1
    # ... which deleted the cache; rebuild the stale one and check again
    set_rule(folder, ())
    assert run("python", "-c", WRITE_CACHE, str(main)).returncode == 0
    set_rule(folder, ("Rent assistance",))
    assert run("aidbooks", "check", str(main)).returncode == 1
    stamp = (cache.stat().st_mtime_ns, cache.read_bytes())

    # 3. the rule changes back: so does the verdict; the cache is left untouched
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
