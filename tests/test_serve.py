"""``aidbooks serve``: Fava with the Aid page, on the loopback address only.

Every server here is a real ``aidbooks serve`` process on a real port, stopped by
its own PID (:mod:`tests.serving`).
"""

from __future__ import annotations

import shutil
import signal
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidbooks import cmd_serve
from tests.helpers import invoke
from tests.helpers import run
from tests.importing import DATA
from tests.serving import free_port
from tests.serving import get
from tests.serving import listening
from tests.serving import start


@pytest.fixture
def books(tmp_path: Path, runner: CliRunner) -> Path:
    """New books from ``aidbooks init`` (with their key), and a Venmo export to import."""
    folder = tmp_path / "books"
    code, _out, err = invoke(
        runner, "init", str(folder), "--key-file", str(tmp_path / "k" / "fund.key")
    )
    assert code == 0, err
    shutil.copy(DATA / "venmo" / "statement-2025-05.csv", folder / "downloads")
    return folder / "main.beancount"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "books.example.org"])
def test_refuses_an_address_others_can_reach(books: Path, host: str) -> None:
    port = free_port()
    result = run("aidbooks", "serve", str(books), "--host", host, "--port", str(port))
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert f"refusing --host {host}" in line
    assert "Fava has no login" in line
    assert "ssh -L" in line
    assert cmd_serve.DANGER_FLAG in line
    assert listening(port) == set()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert cmd_serve.is_loopback(host) is loopback


@pytest.mark.slow  # starts aidbooks serve (Fava) for real
def test_serves_on_loopback_only_and_stops_on_sigterm(books: Path) -> None:
    port = free_port()
    server = start(books, "--port", str(port))
    try:
        assert server.base == f"http://127.0.0.1:{port}/"
        assert server.aid == f"{server.base}our-mutual-aid-fund/extension/Aid/"
        assert listening(port) == {"127.0.0.1"}
        status, page = get(server.aid)
        assert status == 200
        assert 'id="aid-funds"' in page
        status, _page = get(server.base + "our-mutual-aid-fund/income_statement/")
        assert status == 200
    finally:
        code, err = server.stop(signal.SIGTERM)
    assert code == 0
    assert "for this computer only (Fava has no login)" in err
    assert err.rstrip().endswith("aidbooks: stopped.")
    assert "Traceback" not in err
    assert listening(port) == set()


@pytest.mark.slow  # starts aidbooks serve (Fava) for real
def test_sigint_stops_it_too(books: Path) -> None:
    server = start(books, "--port", "0")
    assert listening(server.port) == {"127.0.0.1"}
    code, err = server.stop(signal.SIGINT)
    assert code == 0
    assert "aidbooks: stopped." in err
    assert "Traceback" not in err


@pytest.mark.slow  # starts aidbooks serve (Fava) for real
def test_an_address_others_can_reach_with_the_flag_warns(books: Path) -> None:
    port = free_port()
    server = start(books, "--host", "0.0.0.0", "--port", str(port), cmd_serve.DANGER_FLAG)
    try:
        assert listening(port) == {"0.0.0.0"}
    finally:
        code, err = server.stop()
    assert code == 0
    assert "WARNING: serving the books on 0.0.0.0, not on this computer only" in err
    assert "Fava has no login" in err
    assert "reverse proxy with a login and TLS" in err


def test_a_port_in_use_is_one_line_and_exit_2(books: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("aidbooks", "serve", str(books), "--port", str(port), timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"aidbooks: port {port} on 127.0.0.1 is already in use. Choose another with "
        "--port N (--port 0 takes any free port), or stop the program that uses it."
    ]


def test_missing_books_are_one_line(tmp_path: Path) -> None:
    result = run("aidbooks", "serve", str(tmp_path / "nope.beancount"))
    assert result.returncode == 2
    assert result.stderr.startswith("aidbooks: ")
    assert "no such ledger file" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.slow  # starts aidbooks serve (Fava) for real
def test_read_only_refuses_changes_and_says_what_it_does_not_protect(books: Path) -> None:
    server = start(books, "--port", "0", "--read-only")
    slug = server.base + "our-mutual-aid-fund/"
    try:
        main_text = books.read_text()
        status, _ = get(slug + "api/source", "PUT", b'{"file_path": "x", "source": ""}')
        assert status == 401
        # GET requests still read the whole source: the limit the warning names
        status, source = get(slug + f"api/source?filename={books}")
        assert status == 200
        assert "fava-extension" in source
        assert books.read_text() == main_text
    finally:
        code, err = server.stop()
    assert code == 0
    assert "Read-only: Fava refuses every change" in err
    assert "GET /api/source" in err


@pytest.mark.slow  # starts aidbooks serve (Fava) for real
def test_fava_import_page_works_under_serve(books: Path) -> None:
    """The import page (the importers) keeps working when serve starts Fava."""
    server = start(books, "--port", "0")
    slug = server.base + "our-mutual-aid-fund/"
    try:
        status, errors = get(slug + "api/errors")
        assert status == 200
        assert '"data":[]' in errors.replace(" ", "")
        status, imports = get(slug + "api/imports")
        assert status == 200
        assert "statement-2025-05.csv" in imports
        assert "aidbooks.venmo" in imports
        export = books.parent / "downloads" / "statement-2025-05.csv"
        status, extracted = get(
            slug + f"api/extract?filename={export}&importer=aidbooks.venmo"
        )
        assert status == 200
        assert "venmo-id" in extracted
    finally:
        code, _err = server.stop()
    assert code == 0


def test_books_without_the_extension_line_get_told_how_to_enable_it(
    books: Path,
) -> None:
    text = books.read_text()
    books.write_text(text.replace('custom "fava-extension" "aidbooks.fava_ext"', ""))
    server = start(books, "--port", "0", aid_page=False)
    try:
        assert server.aid == ""
        status, _ = get(server.base)  # the server is up: everything is printed
        assert status == 200
        status, _ = get(server.base + "our-mutual-aid-fund/extension/Aid/")
        assert status == 404
    finally:
        code, err = server.stop()
    assert code == 0
    assert "these books do not enable the Aid page; add this line to main.beancount" in err
    assert cmd_serve.EXTENSION_LINE in err
