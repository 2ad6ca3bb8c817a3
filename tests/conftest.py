"""Shared fixtures: the repository, the example fund, and ways to run the CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files (tests/golden/) from the current output",
    )
