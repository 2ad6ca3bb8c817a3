"""The command line against hostile arguments and paths.

Every path argument of every command — the export to import, ``--ledger``, the
books of ``check``/``report``, ``--out``, the report folder of ``verify``, the key
file — is given each of: a missing file, a folder, a dangling symlink, a symlink
loop, a named pipe, a socket, a character device, an unreadable file, a name that
is not UTF-8, a name with a newline, a name too long for the file system, a path
through a file. The outcome is always a clean exit (0, 1 or 2) with one line on
stderr for exit 2 — never a hang, a traceback or an internal error (exit 3) — and
the books are untouched unless the command succeeded.

**Unreadable files when the tests run as root.** Root reads any file whatever its
mode, so ``chmod 000`` proves nothing there. The tests use files no mode bit
protects: ``/proc/self/mem`` (a regular file whose read fails with ``EIO`` at
offset 0) behind a symlink, a named pipe (reading it would block for ever: it must
be refused, not read), a socket and ``/dev/zero`` (never ends). When the tests run
as an ordinary user, a ``chmod 000`` file is added to the zoo.

A hypothesis test then throws random argument lists (commands, options, values
from the zoo and random text) at the command line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import invoke
from tests.helpers import run
from tests.hostile import budget
from tests.hostile import leaks
from tests.hostile import tree_digest
from tests.importing import DATA

GOOD = DATA / "venmo" / "statement-2025-05.csv"
ROOT = os.geteuid() == 0


def _zoo(folder: Path) -> dict[str, Path]:
    """Paths of every troublesome kind, made in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    zoo: dict[str, Path] = {}
    zoo["missing"] = folder / "missing.csv"
    zoo["folder"] = folder / "a-folder"
    zoo["folder"].mkdir()
    zoo["dangling"] = folder / "dangling.csv"
    zoo["dangling"].symlink_to(folder / "nowhere")
    zoo["loop"] = folder / "loop.csv"
    (folder / "loop2.csv").symlink_to(zoo["loop"])
    zoo["loop"].symlink_to(folder / "loop2.csv")
    zoo["fifo"] = folder / "pipe.csv"
    os.mkfifo(zoo["fifo"])
    zoo["socket"] = folder / "sock.csv"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(zoo["socket"]))
    server.close()
    zoo["device"] = folder / "zero.csv"
    zoo["device"].symlink_to("/dev/zero")
    if os.path.exists("/proc/self/mem"):
        zoo["eio"] = folder / "mem.csv"
        zoo["eio"].symlink_to("/proc/self/mem")
    if not ROOT:
        zoo["mode000"] = folder / "locked.csv"
        shutil.copy(GOOD, zoo["mode000"])
        zoo["mode000"].chmod(0)
    zoo["not-utf8"] = Path(os.fsdecode(bytes(folder) + b"/na\xffme.csv"))
    shutil.copy(GOOD, zoo["not-utf8"])
    zoo["newline"] = folder / "new\nline.csv"
    shutil.copy(GOOD, zoo["newline"])
    zoo["too-long"] = folder / ("x" * 300 + ".csv")
    zoo["through-file"] = folder / "plain.txt" / "child.csv"
    (folder / "plain.txt").write_text("not a folder")
    return zoo


#: Kinds that are a perfectly good export under an odd name.
READABLE = {"not-utf8", "newline"}


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cli")
    code, _out, err = invoke(
        CliRunner(), "init", str(root / "books"), "--key-file", str(root / "k" / "fund.key")
    )
    assert code == 0, err
    yield root


@pytest.fixture(scope="module")
def zoo(place: Path) -> dict[str, Path]:
    return _zoo(place / "zoo")


def _books(place: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "books"
    shutil.copytree(place / "books", copy)
    return copy


def assert_clean(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, out, err)
    assert "Traceback" not in out + err and "internal error" not in err, err
    assert not leaks(out + err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("aidbooks"), err


def _slots(books: Path, path: Path, out: Path) -> dict[str, list[str]]:
    ledger = str(books / "main.beancount")
    return {
        "import FILE": ["import", str(path), "--ledger", ledger],
        "import --ledger": ["import", str(GOOD), "--ledger", str(path)],
        "check FILE": ["check", str(path)],
        "report FILE": ["report", str(path), "--period", "2024", "--out", str(out)],
        "report --out": ["report", ledger, "--period", "2024", "--out", str(path)],
        "report --previous": [
            "report",
            ledger,
            "--period",
            "2024",
            "--out",
            str(out),
            "--previous",
            str(path),
        ],
        "verify DIR": ["verify", str(path)],
        "verify --ledger": ["verify", str(out), "--ledger", str(path)],
        "code new --ledger": ["code", "new", "--ledger", str(path)],
        "init DIR": ["init", str(path), "--key-file", str(out.parent / "init.key")],
    }


SLOTS = list(_slots(Path("b"), Path("p"), Path("o")))
#: Slots that read the path as a file, where a pipe would block for ever.
BLOCKING = {"fifo"}


#: The odd kinds this machine can make: ``mode000`` only protects a file from a
#: user who is not root; ``eio`` needs Linux's /proc.
KINDS = [
    kind
    for kind in (
        "missing",
        "folder",
        "dangling",
        "loop",
        "socket",
        "device",
        "eio",
        "mode000",
        "not-utf8",
        "newline",
        "too-long",
        "through-file",
    )
    if (kind != "mode000" or not ROOT)
    and (kind != "eio" or os.path.exists("/proc/self/mem"))
]


@pytest.mark.parametrize("slot", SLOTS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_path_argument_with_every_odd_path(
    place: Path, zoo: dict[str, Path], tmp_path: Path, slot: str, kind: str
) -> None:
    books = _books(place, tmp_path)
    before = tree_digest(books)
    args = _slots(books, zoo[kind], tmp_path / "out")[slot]
    env = {"AIDBOOKS_KEY_FILE": str(place / "k" / "fund.key")}
    code, out, err = _invoke(args, env)
    assert_clean(code, out, err)
    must_refuse = slot in (
        "import --ledger",
        "check FILE",
        "report FILE",
        "code new --ledger",
    )
    if slot == "import FILE":
        must_refuse = kind not in {*READABLE, "folder"}  # an empty folder: nothing to do
    if kind not in READABLE and must_refuse:
        assert code == 2, (code, out, err)
    if code == 2:
        assert tree_digest(books) == before


def _invoke(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    runner = CliRunner(env=env)
    return invoke(runner, *args)


@pytest.mark.parametrize(
    "slot", ["import FILE", "import --ledger", "check FILE", "verify DIR"]
)
def test_a_named_pipe_never_blocks(
    place: Path, zoo: dict[str, Path], tmp_path: Path, slot: str
) -> None:
    """A pipe would block a plain open() for ever; a real process must return."""
    books = _books(place, tmp_path)
    args = _slots(books, zoo["fifo"], tmp_path / "out")[slot]
    result = run("aidbooks", *args, timeout=60)
    assert_clean(result.returncode, result.stdout, result.stderr)
    assert result.returncode == 2 or slot == "verify DIR", result.stderr
    if slot == "verify DIR":
        assert result.returncode == 2  # a pipe is not a report folder


def test_odd_key_files(place: Path, zoo: dict[str, Path], tmp_path: Path) -> None:
    """The key file (``$AIDBOOKS_KEY_FILE``) as any odd path: exit 2, one line."""
    books = _books(place, tmp_path)
    before = tree_digest(books)
    for kind, path in zoo.items():
        if kind == "fifo":
            result = run(
                "aidbooks",
                "import",
                str(GOOD),
                "--ledger",
                str(books / "main.beancount"),
                env={"AIDBOOKS_KEY_FILE": str(path)},
                timeout=60,
            )
            code, out, err = result.returncode, result.stdout, result.stderr
        else:
            code, out, err = _invoke(
                ["import", str(GOOD), "--ledger", str(books / "main.beancount")],
                {"AIDBOOKS_KEY_FILE": str(path)},
            )
        assert_clean(code, out, err)
        assert code == 2, (kind, out, err)
        assert tree_digest(books) == before


def test_a_downloads_folder_full_of_odd_files(
    place: Path, zoo: dict[str, Path], tmp_path: Path
) -> None:
    """Pipes, sockets, devices and broken links in a folder are left alone; the
    good exports (whatever their names) are imported."""
    books = _books(place, tmp_path)
    folder = tmp_path / "downloads"
    folder.mkdir()
    for kind in ("fifo", "socket", "dangling", "loop", "device", "not-utf8", "newline"):
        source = zoo[kind]
        target = folder / source.name
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "socket":
            server = socket.socket(socket.AF_UNIX)
            server.bind(str(target))
            server.close()
        elif source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy(source, target)
    result = run(
        "aidbooks",
        "import",
        str(folder),
        "--ledger",
        str(books / "main.beancount"),
        env={"AIDBOOKS_KEY_FILE": str(place / "k" / "fund.key")},
        timeout=120,
    )
    assert_clean(result.returncode, result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("left alone") == 5, result.stdout
    # the summary names the files, as they are called (the threat model says so)
    assert "zero.csv: not recognised, left alone" in result.stdout
    assert "new\\nline.csv (Venmo statement)" in result.stdout  # escaped, on one line
    # the same statement under two names: imported once, a duplicate the second time
    assert "11 imported" in result.stdout and "11 duplicates" in result.stdout


def test_unreadable_books_files(place: Path, tmp_path: Path) -> None:
    """A file the books include that is a pipe, or the imports file being a folder,
    is one clean line — not a hang, not a traceback."""
    books = _books(place, tmp_path)
    (books / "imports" / "venmo.beancount").mkdir()
    result = run(
        "aidbooks",
        "import",
        str(GOOD),
        "--ledger",
        str(books / "main.beancount"),
        env={"AIDBOOKS_KEY_FILE": str(place / "k" / "fund.key")},
        timeout=120,
    )
    assert_clean(result.returncode, result.stdout, result.stderr)
    assert result.returncode == 2


# ------------------------------------------------------------------ random argv
WORDS = (
    "init",
    "code",
    "new",
    "check",
    "import",
    "report",
    "verify",
    "--ledger",
    "--dry-run",
    "--period",
    "--out",
    "--format",
    "--lang",
    "--previous",
    "--kind",
    "--strict",
    "--json",
    "--help",
    "-h",
    "--version",
    "--",
    "-",
    "",
    "2025",
    "2025-Q1",
    "2025-13",
    "2025-Q5",
    "9999",
    "0",
    "-1",
    "html,md,csv,json",
    "html,pdf",
    ",",
    "en,es",
    "xx",
    "recipient",
    "volunteer",
    "donor",
    "R-4F7KM-Q9X2H",
    "Zebulon Quixtarr",
    "\x7f",
    "é",
)


@budget(40)
@given(
    argv=st.lists(
        st.one_of(
            st.sampled_from(WORDS),
            st.sampled_from(
                ["@missing", "@folder", "@dangling", "@not-utf8", "@books", "@good", "@out"]
            ),
            st.text(max_size=12),
        ),
        max_size=7,
    )
)
def test_random_argument_lists(
    argv: list[str],
    place: Path,
    zoo: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("argv")
    books = work / "books"
    shutil.copytree(place / "books", books)
    named = {
        "@books": str(books / "main.beancount"),
        "@good": str(GOOD),
        "@out": str(work / "out"),
        **{f"@{k}": str(v) for k, v in zoo.items()},
    }
    args = [named.get(a, a).replace("\x00", "") for a in argv]
    runner = CliRunner(env={"AIDBOOKS_KEY_FILE": str(place / "k" / "fund.key")})
    # in an empty folder: a command without FILE must not find the repository's
    # example books (ledger/main.beancount under the current folder)
    with contextlib.chdir(work):
        code, out, err = invoke(runner, *args)
    assert code in (0, 1, 2), (args, out, err)
    assert "Traceback" not in out + err and "internal error" not in err, (args, err)
    if code == 2 and err.strip():
        assert len(err.strip().splitlines()) == 1, (args, err)


def test_mode_bits_are_what_protects_the_key(place: Path, tmp_path: Path) -> None:
    """A key file readable by others is refused (one line), whoever runs aidbooks."""
    key = tmp_path / "shared.key"
    shutil.copy(place / "k" / "fund.key", key)
    key.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    books = _books(place, tmp_path)
    code, _out, err = _invoke(
        ["import", str(GOOD), "--ledger", str(books / "main.beancount")],
        {"AIDBOOKS_KEY_FILE": str(key)},
    )
    assert code == 2 and "is readable by other users" in err


def test_a_dry_run_writes_nothing_not_even_a_lock(place: Path, tmp_path: Path) -> None:
    """``--dry-run`` on read-only books (an auditor's copy) works and leaves no file."""
    books = _books(place, tmp_path)
    code, out, err = _invoke(
        ["import", str(GOOD), "--ledger", str(books / "main.beancount"), "--dry-run"],
        {"AIDBOOKS_KEY_FILE": str(place / "k" / "fund.key")},
    )
    assert code == 0, out + err
    assert not (books / ".aidbooks-import.lock").exists()
