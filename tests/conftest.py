"""Shared fixtures: the repository, the example fund, and ways to run the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Beancount decides at import time whether load_file() uses its pickle cache, so the
# fixture below comes too late for modules that import it first: without this, an
# in-process load slower than 1 s writes ledger/.main.beancount.picklecache and the
# test comparing ledger/ with the generator's output fails now and then.
os.environ.setdefault("BEANCOUNT_DISABLE_LOAD_CACHE", "1")

import pytest
from click.testing import CliRunner
from hypothesis import settings

# CI (``CI=true``) draws the same examples on every run, so a landing is never decided
# by the luck of the draw; on a developer's machine (and in ``make fuzz``) the
# examples are random, and a counterexample found there is kept in .hypothesis/.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep every test away from the real ~/.config and the real key."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AIDBOOKS_KEY_FILE", raising=False)
    monkeypatch.delenv("AIDBOOKS_LEDGER", raising=False)
    monkeypatch.setenv("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
    yield


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
