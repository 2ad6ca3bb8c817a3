"""Shared pieces of the report tests: a fund key and the example fund's reports."""

from __future__ import annotations

import shutil
from pathlib import Path

from aidbooks.books import load_books
from aidbooks.plugins.keys import write_key_file
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.reports.manifest import neighbours
from aidbooks.reports.period import parse_period
from aidbooks.reports.publish import build
from aidbooks.reports.publish import write_folder
from aidbooks.reports.verify import Books
from tests.helpers import LEDGER


def make_key(folder: Path) -> Path:
    """A fund key file (0600) in ``folder``."""
    path = folder / "fund.key"
    write_key_file(path)
    return path


def example_books(key_path: Path, ledger: Path = LEDGER) -> Books:
    """The example fund loaded once, with a key."""
    entries, errors, options = load_books(ledger)
    assert not errors
    key = bytes.fromhex(key_path.read_text().strip())
    return Books(entries, options, load_policy(policy_path_for(ledger)), key)


def publish(
    books: Books, out: Path, label: str, languages: tuple[str, ...] = ("en", "es")
) -> Path:
    """Write the report of ``label`` into ``out`` through the library (no CLI)."""
    period = parse_period(label)
    previous, context = neighbours(out, books.policy.fund.name, period)
    assert books.key is not None, "a report is sealed with the fund key"
    built = build(
        books.entries,
        books.options_map,
        books.policy,
        period,
        books.key,
        languages=languages,
        previous=previous.link() if previous else None,
        context=context,
    )
    write_folder(out, built.files)
    return out


def copy_ledger(to: Path) -> Path:
    """A copy of the example fund's books (the main file inside it)."""
    shutil.copytree(LEDGER.parent, to, ignore=shutil.ignore_patterns("template", ".*"))
    return to / "main.beancount"
