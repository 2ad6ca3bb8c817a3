"""``aidbooks key``: the fund's key — which key the books record, and rotation.

    aidbooks key show   [--ledger FILE]           the key's fingerprint, the books', the retired keys
    aidbooks key rotate [--ledger FILE] [--lost]  a new key; the old one kept as retired

The key derives every imported code and seals every report; the books record its
fingerprint (``custom "aid-key"``, see :mod:`aidbooks.plugins.keys` and
docs/keys.md), and every command refuses a key that is not the books' current one.

``show`` prints the key file's fingerprint, whether the books record it as their
current key, and how many retired keys the file keeps (exit 1 when the key is not
the books').

``rotate`` — holding the books' writer lock, so no import runs meanwhile — makes a
new key, rewrites the key file atomically (0600) with the new key first and the
old keys kept as ``retired`` lines (the importers keep deriving every family's and
donor's existing code from them, and ``verify`` checks seals made with them), then
appends the new fingerprint to ``codes.beancount``, dated today in the fund's zone
(or the day after the books' latest record). If the books cannot be written, the
key file is put back as it was. Books that record no key yet get the old key's
fingerprint first, dated the day they begin. A key file whose rotation did not reach
these books (it retired their key, its current key is not recorded) is not rotated
again: its current key is recorded.

``rotate --lost`` is for a key file that is gone (no backup): it creates a new key
file, with nothing retired, and records the new fingerprint. Codes made with the
lost key cannot be derived again: the importers give every family and donor a new
code, which is linked to the family's code at the next review (``aidbooks code link
NEW --to OLD``), and the fund can no longer check the seals of published reports.

A key derived from ``$AIDBOOKS_PASSPHRASE`` cannot be rotated: a passphrase keeps no
retired key. Nothing of the key itself is ever printed.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from pathlib import Path

import click
from beancount.core import data

from aidbooks.books import ledger_path
from aidbooks.books import load_books
from aidbooks.cmd_code import declaration_file
from aidbooks.plugins import keys
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.errors import KeyFileError
from aidbooks.plugins.errors import UnrecordedKeyError
from aidbooks.plugins.errors import WrongKeyError
from aidbooks.plugins.fsutil import atomic_append_text
from aidbooks.plugins.fsutil import path_kind
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.plugins.writer import writer_lock

_LEDGER_HELP = (
    "The main ledger file (default: $AIDBOOKS_LEDGER, else ledger/main.beancount)."
)


@click.group()
def key() -> None:
    """Show and rotate the fund's key (it derives codes and seals reports)."""


def _books(path: Path) -> tuple[keys.KeyHistory, dt.date | None]:
    """The keys the books record, and the day they begin (their first ``open``)."""
    entries, _errors, _options = load_books(path, checks=False)
    history = keys.recorded_keys(entries)
    first_open = min((e.date for e in entries if isinstance(e, data.Open)), default=None)
    return history, first_open


def _shown(filename: object, books_dir: Path) -> str:
    """A file of the books, relative to their folder when it is inside it."""
    name = str(filename)
    try:
        return str(Path(name).relative_to(books_dir))
    except ValueError:
        return name


def _plural(count: int, word: str) -> str:
    if count == 0:
        return f"no {word}"
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@key.command("show")
@click.option("--ledger", "ledger", default=None, help=_LEDGER_HELP)
def show(ledger: str | None) -> None:
    """Print the key's fingerprint and whether it is the key of these books."""
    path = ledger_path(ledger)
    policy = load_policy(policy_path_for(path))
    key_path = policy.key_path()
    ring = keys.read_key_ring(key_path)
    history, _first = _books(path)
    mine = keys.fingerprint(ring.current)
    click.echo(f"key file:    {key_path}")
    click.echo(f"fingerprint: {mine}")
    click.echo(f"retired:     {_plural(len(ring.retired), 'key')} kept in the key file")
    current = history.current
    if current is None:
        click.echo(
            "the books:   record no key yet (the next 'aidbooks import' records this one)"
        )
        return
    try:
        keys.check_books_key(ring, history)
    except WrongKeyError as exc:
        click.echo(f"the books:   {exc.what}")
        raise SystemExit(1) from None
    retired = len(history.fingerprints()) - 1
    click.echo(
        f"the books:   this is their key, recorded on {current.date.isoformat()} "
        f"({_shown(current.meta.get('filename'), path.parent)}:"
        f"{current.meta.get('lineno', 0)}); they record "
        f"{_plural(retired, 'retired key')} before it"
    )


def _today(policy: Policy) -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(policy.fund.timezone)).date()


@key.command("rotate")
@click.option("--ledger", "ledger", default=None, help=_LEDGER_HELP)
@click.option(
    "--lost",
    is_flag=True,
    help="The key file is gone and no backup has it: make a new key (every code "
    "derived from now on is new; see docs/keys.md).",
)
def rotate(ledger: str | None, lost: bool) -> None:
    """Replace the fund's key; the old key stays in the key file, retired."""
    path = ledger_path(ledger)
    policy = load_policy(policy_path_for(path))
    if os.environ.get("AIDBOOKS_PASSPHRASE"):
        raise KeyFileError(
            "the key is derived from $AIDBOOKS_PASSPHRASE, and a passphrase cannot keep "
            "a retired key, so it cannot be rotated",
            "keep the passphrase (every code stays as it is), or unset "
            f"$AIDBOOKS_PASSPHRASE to rotate the key file; see {keys.KEYS_DOC}",
        )
    key_path = policy.key_path()
    today = _today(policy)
    target = declaration_file(path)
    books = _shown(target, path.parent)
    with writer_lock(path.parent, "another aidbooks command is writing these books"):
        history, first_open = _books(path)
        if lost:
            _rotate_lost(key_path, history, today, target, books)
            return
        ring = keys.read_key_ring(key_path)
        try:
            keys.check_books_key(ring, history, str(key_path))
        except UnrecordedKeyError:
            mine = keys.fingerprint(ring.current)
            _append(target, keys.record_line(mine, keys.next_record_date(history, today)))
            click.echo(
                f"recorded the key file's current key ({mine}) in {books}: it had retired "
                "the books' key, but the rotation had not reached these books. The key "
                "was not rotated again."
            )
            return
        lines = ""
        if history.current is None:  # books made before keys were recorded
            start = first_open or today
            old = keys.fingerprint(ring.current)
            lines = keys.record_line(old, start)
            history = keys.KeyHistory((keys.RecordedKey(old, start, {}),))
        new = ring.rotated()
        fingerprint = keys.fingerprint(new.current)
        date = keys.next_record_date(history, today)
        lines += keys.record_line(fingerprint, date)
        keys.replace_key_file(key_path, new)
        try:
            _append(target, lines)
        except BaseException:
            keys.replace_key_file(key_path, ring)  # the books still record the old key
            raise
    click.echo(
        f"rotated the key: new fingerprint {fingerprint}, recorded in {books} on "
        f"{date.isoformat()}; {key_path} keeps "
        f"{_plural(len(new.retired), 'retired key')}, so every code stays as it is."
    )
    click.echo(
        "Back up the key file again now: a backup made before today lacks the new key."
    )


def _rotate_lost(
    key_path: Path, history: keys.KeyHistory, today: dt.date, target: Path, books: str
) -> None:
    """A new key for books whose key is lost (``--lost``), under the writer lock."""
    kind, reason = path_kind(key_path)
    if kind != "missing":
        raise KeyFileError(
            f"is still there ({reason}), and --lost is for a key file that is gone",
            "run 'aidbooks key rotate' without --lost to rotate it; if it is damaged, "
            "move it aside (a backup may still restore it) and run again",
            str(key_path),
        )
    new = keys.write_key_file(key_path)
    fingerprint = keys.fingerprint(new)
    date = keys.next_record_date(history, today)
    note = (
        f"; {date.isoformat()}: the key before this one was lost: codes derived from now "
        "on are new; link each to the family's code (aidbooks code link NEW --to OLD)\n"
    )
    try:
        _append(target, note + keys.record_line(fingerprint, date))
    except BaseException:
        key_path.unlink(missing_ok=True)  # the books still record the lost key
        raise
    click.echo(
        f"new key (the old one is lost): fingerprint {fingerprint}, recorded in {books} "
        f"on {date.isoformat()}; key file {key_path} created."
    )
    click.echo(
        "Every family and donor gets a new code at their next import: link each new "
        "recipient code to the family's code with 'aidbooks code link NEW --to OLD' at "
        f"the next review ({keys.KEYS_DOC}). Back up the new key file now."
    )


def _append(target: Path, text: str) -> None:
    """Append ``text`` to a file of the books (the caller holds the writer lock).

    Raises:
      AidbooksError: it cannot be written (it is then unchanged).
    """
    try:
        atomic_append_text(target, text)
    except OSError as exc:
        raise AidbooksError(
            f"cannot be written ({exc.strerror})",
            "check its permissions, then rotate again; the key file is unchanged",
            str(target),
        ) from None
