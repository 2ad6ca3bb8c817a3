"""Golden tests: every fixture (each platform, each layout) imports exactly as recorded.

The expected text sits next to each fixture as ``<file>.beancount``: a header with
what the summary lists (rows, skipped rows with reasons, problems, the statement's
balance) and the declarations and entries written. Expected files are rewritten
only on purpose::

    AIDBOOKS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_importers_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from beancount import loader

from tests.importing import DATA
from tests.importing import fixtures
from tests.importing import golden_text

UPDATE = os.environ.get("AIDBOOKS_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: str(p.relative_to(DATA)))
def test_fixture_matches_golden(path: Path) -> None:
    expected_path = path.with_name(path.name + ".beancount")
    actual = golden_text(path)
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), "no golden file; run with AIDBOOKS_UPDATE_GOLDEN=1 once"
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: str(p.relative_to(DATA)))
def test_golden_is_valid_beancount(path: Path) -> None:
    """What the importer writes parses and balances: against empty books every
    account it needs comes with its open directive, every code with its declaration."""
    text = path.with_name(path.name + ".beancount").read_text(encoding="utf-8")
    _entries, errors, _ = loader.load_string(text)
    assert [e.message for e in errors] == []
