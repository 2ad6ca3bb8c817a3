"""aidbooks init: new books that pass bean-check; a second init changes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.helpers import run


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow  # runs aidbooks init and bean-check for real
def test_init_books_pass_bean_check(tmp_path: Path) -> None:
    books = tmp_path / "books"
    key = tmp_path / "secret" / "fund.key"
    result = run(
        "aidbooks", "init", str(books), "--name", "Lakeside Aid", "--key-file", str(key)
    )
    assert result.returncode == 0, result.stderr
    for name in (
        "main.beancount",
        "aidbooks.toml",
        ".gitignore",
        "README.md",
        "accounts.beancount",
        "codes.beancount",
    ):
        assert (books / name).is_file(), name
    assert key.stat().st_mode & 0o777 == 0o600
    assert 'option "title" "Lakeside Aid"' in (books / "main.beancount").read_text()
    assert "downloads/" in (books / ".gitignore").read_text()
    assert "*.key" in (books / ".gitignore").read_text()
    check = run("bean-check", str(books / "main.beancount"))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == "" and check.stderr == ""
    ours = run("aidbooks", "check", str(books / "main.beancount"))
    assert ours.returncode == 0, ours.stdout + ours.stderr


def test_second_init_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    books = tmp_path / "books"
    key = tmp_path / "secret" / "fund.key"
    assert run("aidbooks", "init", str(books), "--key-file", str(key)).returncode == 0
    before = tree_digest(books)
    key_before = key.read_bytes()
    again = run("aidbooks", "init", str(books), "--name", "Other", "--key-file", str(key))
    assert again.returncode == 2
    assert "not empty" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert tree_digest(books) == before
    assert key.read_bytes() == key_before


def test_existing_key_is_kept(tmp_path: Path) -> None:
    key = tmp_path / "fund.key"
    assert (
        run("aidbooks", "init", str(tmp_path / "a"), "--key-file", str(key)).returncode == 0
    )
    first = key.read_bytes()
    result = run("aidbooks", "init", str(tmp_path / "b"), "--key-file", str(key))
    assert result.returncode == 0
    assert "kept" in result.stdout
    assert key.read_bytes() == first


def test_key_inside_the_books_is_refused(tmp_path: Path) -> None:
    books = tmp_path / "books"
    result = run("aidbooks", "init", str(books), "--key-file", str(books / "fund.key"))
    assert result.returncode == 2
    assert "inside the books" in result.stderr
    assert not books.exists()


def test_key_goes_to_policy_default_under_home(tmp_path: Path) -> None:
    books = tmp_path / "books"
    result = run("aidbooks", "init", str(books), "--name", "Hill Street Aid")
    assert result.returncode == 0, result.stderr
    key = Path.home() / ".config" / "aidbooks" / "hill-street-aid.key"
    assert key.is_file()
    assert "hill-street-aid.key" in (books / "aidbooks.toml").read_text()


def test_bad_timezone_is_exit_2(tmp_path: Path) -> None:
    result = run("aidbooks", "init", str(tmp_path / "b"), "--timezone", "Nowhere/Land")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
