"""Helpers for tests: run the CLI in-process or for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from aidbooks.cli import cli

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "ledger" / "main.beancount"
BIN = Path(sys.executable).parent


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a console script of this environment (``aidbooks``, ``bean-check``) for real."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
