"""The checks of the books' files: comments, secrets, policy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aidbooks.check import check_ledger
from aidbooks.check import select
from aidbooks.filechecks import comments
from aidbooks.filechecks import looks_like_key
from tests.smallbooks import POLICY
from tests.smallbooks import line_of
from tests.smallbooks import write_books

KEY_TEXT = "0f" * 32 + "\n"


def findings(
    main: Path, name: str, environ: dict[str, str] | None = None
) -> list[tuple[str, int, str]]:
    report = check_ledger(main, select([name]), environ=environ or {})
    return [(f.filename, f.lineno, f.message) for f in report.findings]


# ---------------------------------------------------------------- comments


def test_comments_are_read_as_beancount_reads_them() -> None:
    text = (
        '2025-01-01 * "Rent; paid by check" ; a real comment\n'  # 1
        '  memo: "semi;colon \\" still in the string ; here"\n'  # 2
        '  Assets:Cash  1 USD ; another "quoted ; part\n'  # 3
        '2025-01-02 * "a string\n'  # 4: a string that spans lines
        "that goes on ; inside it\n"  # 5
        'and ends" ; after it\n'  # 6
        "* An org-mode heading\n"  # 7
        "; a whole-line comment\n"  # 8
        "! a flagged line the lexer skips\n"  # 9
        '2025-01-03 * "ends with a backslash \\\\" ; comment after \\\\\n'  # 10
    )
    assert comments(text.encode()) == [
        (1, " a real comment"),
        (3, ' another "quoted ; part'),
        (6, " after it"),
        (7, " An org-mode heading"),
        (8, " a whole-line comment"),
        (9, " a flagged line the lexer skips"),
        (10, " comment after \\\\"),
    ]


_STRING_PIECES = st.sampled_from(["a", " ", ";", '\\"', "\\\\", "\n"])
_COMMENT_PIECES = st.sampled_from(["x", " ", ";", '"', "\\"])


@given(
    st.lists(
        st.tuples(
            st.lists(_STRING_PIECES, max_size=8).map("".join),
            st.one_of(st.none(), st.lists(_COMMENT_PIECES, max_size=6).map("".join)),
        ),
        max_size=8,
    )
)
def test_comments_match_a_slow_tokenizer(lines: list[tuple[str, str | None]]) -> None:
    """Property: the fast scan agrees with tokenizing every string, character by
    character (escaped quotes, backslashes and strings spanning lines included)."""
    body = "\n".join(
        f'2025-01-01 * "{s}"' + (f" ;{c}" if c is not None else "") for s, c in lines
    )
    expected = []
    line, in_string, i = 1, False, 0
    while i < len(body):
        ch = body[i]
        if ch == "\n":
            line += 1
        elif in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == ";":
            end = body.find("\n", i)
            end = len(body) if end < 0 else end
            expected.append((line, body[i + 1 : end]))
            i = end
            continue
        i += 1
    assert comments(body.encode()) == expected


def test_comment_with_personal_data_is_a_finding_without_the_data(tmp_path: Path) -> None:
    main = write_books(tmp_path / "books")
    books = tmp_path / "books" / "books.beancount"
    books.write_text(
        books.read_text()
        + "\n; call her back on +1 (612) 555-0199 or jo.doe@example.org\n"
        + '2025-01-31 note Assets:Bank:Checking "checked; call 612-555-0199"\n'
    )
    [(filename, lineno, message)] = findings(main, "comments")
    assert (filename, lineno) == (str(books), line_of(books, "call her back"))
    assert "e-mail address" in message and "phone number" in message
    assert "555" not in message and "example.org" not in message


def test_allowed_strings_in_comments_pass(tmp_path: Path) -> None:
    policy = POLICY.replace(
        "[funds.legal]", 'allow = ["@riverside-pantry"]\n\n[funds.legal]'
    )
    main = write_books(tmp_path / "books", policy=policy)
    books = tmp_path / "books" / "books.beancount"
    books.write_text(books.read_text() + "\n;@riverside-pantry\n")
    assert findings(main, "comments") == []
    books.write_text(books.read_text() + ";@someone-else\n")
    assert len(findings(main, "comments")) == 1


# ----------------------------------------------------------------- secrets


def test_key_like_files_are_recognised(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_text(KEY_TEXT)
    assert looks_like_key(key)
    for text in ("0f" * 31 + "\n", "zz" * 32, "0f" * 40, ""):
        key.write_text(text)
        assert not looks_like_key(key), text


def test_key_outside_the_books_and_private_passes(tmp_path: Path) -> None:
    key = tmp_path / "secret" / "fund.key"
    key.parent.mkdir()
    key.write_text(KEY_TEXT)
    key.chmod(0o600)
    main = write_books(tmp_path / "books", key_file=key)
    assert findings(main, "secrets") == []
    assert findings(main, "secrets", {"AIDBOOKS_KEY_FILE": str(key)}) == []


def test_key_readable_by_others_is_a_finding(tmp_path: Path) -> None:
    key = tmp_path / "secret" / "fund.key"
    key.parent.mkdir()
    key.write_text(KEY_TEXT)
    key.chmod(0o640)
    main = write_books(tmp_path / "books", key_file=key)
    [(filename, lineno, message)] = findings(main, "secrets")
    assert (filename, lineno) == (str(key), 0)
    assert f"chmod 600 {key}" in message
    assert KEY_TEXT.strip() not in message
    # the same through $AIDBOOKS_KEY_FILE
    other = tmp_path / "elsewhere.key"
    other.write_text(KEY_TEXT)
    other.chmod(0o604)
    [(filename, _, _)] = findings(main, "secrets", {"AIDBOOKS_KEY_FILE": str(other)})
    assert filename == str(other)


def test_configured_key_inside_the_books_is_found_whatever_it_holds(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    key = folder / "private" / "fund.secret"
    main = write_books(folder, key_file=key)
    key.parent.mkdir()
    key.write_text("passphrase-ish, not hex\n")
    key.chmod(0o600)
    assert [(f, n) for f, n, _ in findings(main, "secrets")] == [(str(key), 0)]


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "HOME": str(folder),
            "PATH": "/usr/bin:/bin",
        },
    )


def test_key_tracked_by_git_outside_the_books_folder_is_a_finding(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    main = write_books(repo / "books")
    key = repo / "config" / "old.key"
    key.parent.mkdir()
    key.write_text(KEY_TEXT)
    key.chmod(0o600)
    _git(repo, "init", "-q")
    _git(repo, "add", "books", "config")
    assert [(f, n) for f, n, _ in findings(main, "secrets")] == [(str(key), 0)]
    [(_, _, message)] = findings(main, "secrets")
    assert "tracked by git" in message
    _git(repo, "rm", "-q", "--cached", "config/old.key")
    assert findings(main, "secrets") == []


def test_books_outside_any_repository_skip_the_git_part(tmp_path: Path) -> None:
    main = write_books(tmp_path / "books")
    assert findings(main, "secrets") == []


# ------------------------------------------------------------------ policy


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (('["Legal"]', '["Legal", "Lawyers"]'), "categories", "Expenses:Aid:Lawyers"),
        (("restricted = true", "restricted = false"), "categories", "restricts nothing"),
        (('currency = "USD"', 'currency = "EUR"'), "currency", "operating currency is USD"),
    ],
)
def test_policy_that_does_not_fit_the_books(
    tmp_path: Path, change: tuple[str, str], key: str, expected: str
) -> None:
    policy = POLICY.replace(*change)
    assert policy != POLICY
    main = write_books(tmp_path / "books", policy=policy)
    toml = tmp_path / "books" / "aidbooks.toml"
    [(filename, lineno, message)] = findings(main, "policy")
    assert (filename, lineno) == (str(toml), line_of(toml, key))
    assert expected in message


def test_a_bail_category_may_be_a_receivable(tmp_path: Path) -> None:
    main = write_books(
        tmp_path / "books", policy=POLICY.replace('["Legal"]', '["Legal", "Bail"]')
    )
    assert findings(main, "policy") == []


def test_key_file_inside_the_books_or_relative(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    main = write_books(folder, key_file=folder / "keys" / "fund.key")
    toml = folder / "aidbooks.toml"
    [(filename, lineno, message)] = findings(main, "policy")
    assert (filename, lineno) == (str(toml), line_of(toml, "key_file"))
    assert message.startswith("privacy.key_file: points inside the books folder")
    main = write_books(folder, key_file=Path("keys/fund.key"))
    [(_, lineno, message)] = findings(main, "policy")
    assert lineno == line_of(toml, "key_file") and "relative path" in message
    env = {"AIDBOOKS_KEY_FILE": str(folder / "fund.key")}
    main = write_books(folder)
    [(filename, lineno, message)] = findings(main, "policy", env)
    assert (filename, lineno) == (str(toml), 0)
    assert message.startswith("$AIDBOOKS_KEY_FILE: points inside the books folder")


def test_no_policy_file_is_the_defaults_and_passes(tmp_path: Path) -> None:
    main = write_books(tmp_path / "books", policy=None)
    assert findings(main, "policy") == []
