"""Run ``aidbooks serve`` for real in a subprocess, and stop it by its PID.

The tests of ``serve`` and the browser test of the Aid page share these helpers.
Nothing here stops a process it did not start.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from queue import Queue
from typing import IO

from tests.helpers import BIN

AID_URL = re.compile(r"The Aid page: (http://\S+)")
BASE_URL = re.compile(r"Fava is serving the books at (http://\S+)")


def free_port() -> int:
    """A port nobody listens on right now on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running ``aidbooks serve`` process and what it printed so far."""

    process: subprocess.Popen[str]
    base: str
    aid: str
    stdout: list[str]
    stderr: list[str]
    pumps: list[threading.Thread]

    @property
    def port(self) -> int:
        return int(self.base.rstrip("/").rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        """Send ``sig`` to the server's PID; returns (exit code, its stderr)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:  # its pipes are closed however it ended (else: ResourceWarning)
            for pump in self.pumps:
                pump.join(timeout=10)
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        return self.process.returncode, "".join(self.stderr)


@contextlib.contextmanager
def serving(ledger: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``aidbooks serve LEDGER`` on a free port for a ``with`` block; it must stop
    cleanly (exit 0) at the end."""
    running = start(ledger, "--port", str(free_port()), env=env)
    try:
        yield running
    finally:
        code, err = running.stop()
        assert code == 0, err


def start(
    ledger: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    aid_page: bool = True,
) -> Server:
    """Start ``aidbooks serve LEDGER ARGS...`` and wait until it prints its URLs.

    With ``aid_page=False``, wait only for Fava's URL (books without the Aid page).
    Threads read its stdout and stderr line by line for as long as it runs (a
    select() on a buffered pipe can miss lines already read ahead).
    """
    full_env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1", **(env or {}))
    process = subprocess.Popen(
        [str(BIN / "aidbooks"), "serve", str(ledger), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
    assert process.stdout is not None and process.stderr is not None
    queue: Queue[str | None] = Queue()
    out: list[str] = []
    err: list[str] = []
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, out, queue), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, err, None), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    deadline = time.monotonic() + timeout
    base = aid = ""
    while not (aid or (base and not aid_page)):
        try:
            line = queue.get(timeout=max(deadline - time.monotonic(), 0.01))
        except Empty:
            break
        if line is None:
            break
        if match := BASE_URL.search(line):
            base = match.group(1)
        if match := AID_URL.search(line):
            aid = match.group(1)
    server = Server(process, base, aid, out, err, pumps)
    if not (aid or (base and not aid_page)):
        server.stop(signal.SIGKILL)
        raise AssertionError(
            f"aidbooks serve did not start: {out!r} {''.join(err)[-2000:]!r}"
        )
    return server


def _pump(stream: IO[str], into: list[str], queue: Queue[str | None] | None) -> None:
    for line in stream:
        into.append(line)
        if queue is not None:
            queue.put(line)
    if queue is not None:
        queue.put(None)


def get(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, str]:
    """(status, text) of one HTTP request; error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def listening(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net)."""
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            found.add(_address(address, width))
    return found


def _address(hex_text: str, width: int) -> str:
    raw = bytes.fromhex(hex_text)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6 prints each 32-bit word in host (little-endian) order
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)
