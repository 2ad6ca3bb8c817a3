"""``aidbooks serve [FILE] [--port N] [--read-only]``: Fava on the books, for this computer only.

Starts Fava with the aidbooks extension (the "Aid" page, :mod:`aidbooks.fava_ext`)
on the loopback address ``127.0.0.1`` and prints the URL. **Fava has no login of
any kind** (its maintainers leave that to a proxy in front of it), so whoever can
reach the address can read every entry of the books and change them. That is why:

* only a loopback address is accepted for ``--host`` (``127.0.0.1``, ``::1``,
  ``localhost``). Anything else is refused (exit 2) unless
  ``--i-understand-fava-has-no-login`` is given too, and then a warning says why it
  is dangerous. To use Fava from another computer, keep it on loopback and use an
  SSH tunnel (``ssh -L 5000:127.0.0.1:5000 books-host``) or a reverse proxy with a
  login and TLS;
* ``--read-only`` (for auditors) switches on Fava's read-only mode, which refuses
  every request that would change something (POST, PUT, DELETE). It does **not**
  hide anything: every GET still works, including the whole ledger source
  (``/api/source``) and the documents. The command says so.

How it runs: ``fava.application.create_app`` makes Fava's WSGI app and cheroot
serves it, as Fava's own command line does without ``--debug``; running the server
here lets ``serve`` bind first (a port in use is one line and exit 2, before big
books are loaded), then load the books (so the first page is fast and the Aid page
is ready), then print the URL. ``--port 0`` takes any free port (the URL says
which). SIGINT (Ctrl+C) and SIGTERM stop it cleanly (exit 0). Fava reloads the books
by itself when a file changes, e.g. after ``aidbooks import``.

Fava's import page lists and extracts as in Fava: ``aidbooks init`` books name their
``import_config.py`` (:mod:`aidbooks.importers.fava`), which needs the fund's key;
its *Save* runs ``aidbooks import``'s pipeline (:mod:`aidbooks.fava_import`).
"""

from __future__ import annotations

import errno
import gc
import ipaddress
import os
import re
import signal
import sys
import types
from pathlib import Path
from typing import Any

import click

from aidbooks.books import ledger_path
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.writer import finish_interrupted

#: The flag that lets ``--host`` name an address other computers can reach.
DANGER_FLAG = "--i-understand-fava-has-no-login"
#: The line that enables the Aid page in a ledger.
EXTENSION_LINE = 'custom "fava-extension" "aidbooks.fava_ext"'
#: The extension's page, under Fava's URL of the books.
AID_PAGE = "extension/Aid/"

NO_LOGIN = (
    "Fava has no login: anyone who can reach {where} can read every entry of the "
    "books (recipient codes, amounts, dates, the whole ledger source){change}"
)
READ_ONLY_LIMITS = (
    "Read-only: Fava refuses every change (POST, PUT, DELETE), but whoever can open "
    "the page still reads everything: every entry, the documents and the whole "
    "ledger source (GET /api/source)."
)


class _Stop(BaseException):
    """Raised by the SIGINT/SIGTERM handler to leave the server loop.

    A ``BaseException`` (not ``Exception``): cheroot's serve loop logs and swallows
    every ``Exception``.
    """


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and every loopback address (``127.0.0.0/8``, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def bind_host(host: str) -> str:
    """The address to bind: ``localhost`` is ``127.0.0.1`` (as Fava does: no IPv6 lookup)."""
    host = host.strip()
    return "127.0.0.1" if host.lower() == "localhost" else host.strip("[]")


def url_of(host: str, port: int) -> str:
    """``http://host:port/`` (IPv6 addresses in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def check_host(host: str, allow_any: bool) -> str | None:
    """Refuse a non-loopback ``host`` unless ``allow_any``; returns a warning or None.

    Raises:
      AidbooksError: a non-loopback host without the flag (exit 2).
    """
    if is_loopback(host):
        return None
    danger = NO_LOGIN.format(where=f"{host}", change=" and change them")
    if not allow_any:
        raise AidbooksError(
            f"refusing --host {host}: {danger}",
            "keep the default 127.0.0.1 and reach it through an SSH tunnel "
            "(ssh -L 5000:127.0.0.1:5000 HOST) or a reverse proxy with a login and TLS; "
            f"if you really must, add {DANGER_FLAG}",
        )
    return (
        f"aidbooks: WARNING: serving the books on {host}, not on this computer only. "
        f"{danger}. Put a reverse proxy with a login and TLS in front of it, and stop "
        "this server as soon as you are done."
    )


def _on_signal(signum: int, frame: types.FrameType | None) -> None:
    raise _Stop(signum)


@click.command()
@click.argument("file", required=False)
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    "-H",
    default="127.0.0.1",
    show_default=True,
    help=f"Address to listen on: loopback only, unless {DANGER_FLAG}.",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Fava refuses every change (but still shows everything, source included).",
)
@click.option(
    DANGER_FLAG,
    "allow_any_host",
    is_flag=True,
    help="Allow a --host other computers can reach. Fava has no login.",
)
def serve(
    file: str | None, port: int, host: str, read_only: bool, allow_any_host: bool
) -> None:
    """Start Fava with the Aid page on FILE, for this computer only (127.0.0.1).

    FILE defaults to $AIDBOOKS_LEDGER, else ledger/main.beancount. Fava has no
    login: keep it on loopback. Stop it with Ctrl+C.
    """
    warning = check_host(host, allow_any_host)
    path = ledger_path(file)
    finish_interrupted(path.parent)  # Fava must never show an import half done
    from cheroot.wsgi import Server  # noqa: PLC0415 (lazy: the CLI stays fast)
    from fava.application import create_app  # noqa: PLC0415

    app = create_app([str(path)], read_only=read_only)
    server = Server((bind_host(host), port), app)
    previous = {
        sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        _bind(server, host, port)
        if warning:
            click.echo(warning, err=True)
        ledger = _load(app, path)
        bound_host, bound_port = server.bind_addr[:2]
        base = url_of(bound_host, bound_port)
        slug = app.config["LEDGERS"].first_slug()
        click.echo(f"Fava is serving the books at {base}")
        if ledger.extensions.get_extension("Aid") is not None:
            click.echo(f"The Aid page: {base}{slug}/{AID_PAGE}")
        else:
            click.echo(
                f"aidbooks: these books do not enable the Aid page; add this line to "
                f"{path.name}: 2025-01-01 {EXTENSION_LINE}",
                err=True,
            )
        errors = len(ledger.errors)
        if errors:
            click.echo(
                f"aidbooks: Fava reports {errors} error{'s' if errors != 1 else ''}: "
                "see its Errors page.",
                err=True,
            )
        if read_only:
            click.echo(f"aidbooks: {READ_ONLY_LIMITS}", err=True)
        if not warning:
            click.echo(
                "aidbooks: for this computer only (Fava has no login). Stop with Ctrl+C.",
                err=True,
            )
        server.serve()
    except _Stop:
        pass
    finally:
        for sig in previous:  # a second Ctrl+C must not interrupt the clean stop
            signal.signal(sig, signal.SIG_IGN)
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("aidbooks: stopped.", err=True)


def _bind(server: Any, host: str, port: int) -> None:
    """Bind and listen (cheroot's ``prepare``); a taken port is one line, exit 2."""
    try:
        server.prepare()
    except OSError as exc:
        # cheroot folds the bind errors into one message: "... [Errno 98] Address
        # already in use)"; the last errno in it is the one that counted.
        codes = re.findall(r"\[Errno (\d+)\]", str(exc))
        code = int(codes[-1]) if codes else exc.errno
        if code == errno.EADDRINUSE:
            raise AidbooksError(
                f"port {port} on {host} is already in use",
                "choose another with --port N (--port 0 takes any free port), or stop "
                "the program that uses it",
            ) from None
        reason = os.strerror(code) if code else type(exc).__name__
        raise AidbooksError(
            f"cannot listen on {host} port {port} ({reason})",
            "choose another --port (ports below 1024 need administrator rights)",
        ) from None


def _load(app: Any, path: Path) -> Any:
    """Load the books now (Fava would on the first request), the collector paused."""
    click.echo(f"aidbooks: loading {path}...", err=True)
    sys.stderr.flush()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return app.config["LEDGERS"].ledgers[0]
    finally:
        if enabled:
            gc.freeze()
            gc.enable()
