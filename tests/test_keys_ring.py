"""The key file's ring (current + retired keys), the fingerprint, the books' record."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from beancount import loader

from aidbooks.plugins import keys
from aidbooks.plugins.errors import KeyFileError
from aidbooks.plugins.errors import RetiredKeyError
from aidbooks.plugins.errors import UnrecordedKeyError
from aidbooks.plugins.errors import WrongKeyError
from aidbooks.reports.manifest import key_id

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
THIRD = bytes(range(2, 34))


def test_the_fingerprint_is_the_seal_key_id_of_published_reports() -> None:
    # The value reports sealed before the fingerprint moved to plugins/keys carry.
    assert keys.fingerprint(KEY) == "7868c5b929f77edb"
    assert key_id(KEY) == keys.fingerprint(KEY)
    assert keys.FINGERPRINT.fullmatch(keys.fingerprint(OTHER))


def test_a_one_line_key_file_is_a_ring_with_nothing_retired(tmp_path: Path) -> None:
    path = tmp_path / "fund.key"
    key = keys.write_key_file(path)
    assert path.read_text() == key.hex() + "\n"  # the format of every existing key file
    assert keys.read_key_ring(path) == keys.KeyRing(key, ())
    assert keys.read_key_file(path) == key


def test_retired_keys_are_kept_in_the_file_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "fund.key"
    keys.write_key_file(path, KEY)
    ring = keys.read_key_ring(path).rotated(OTHER).rotated(THIRD)
    keys.replace_key_file(path, ring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == (
        f"{THIRD.hex()}\nretired {OTHER.hex()}\nretired {KEY.hex()}\n"
    )
    assert keys.read_key_ring(path) == keys.KeyRing(THIRD, (OTHER, KEY))
    assert keys.read_key_file(path) == THIRD  # existing callers get the current key
    assert ring.with_fingerprint(keys.fingerprint(KEY)) == KEY
    assert ring.with_fingerprint("0" * 16) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "retired " + KEY.hex() + "\n",  # a retired key before the current one
        KEY.hex() + "\n" + OTHER.hex() + "\n",  # two current keys
        KEY.hex() + "\nretired " + KEY.hex() + "\n",  # the same key twice
        KEY.hex() + "\nretired 1234\n",
        KEY.hex()[:-2] + "\n",
    ],
)
def test_a_malformed_ring_is_refused_without_quoting_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fund.key"
    path.write_text(text)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="not an aidbooks key") as info:
        keys.read_key_ring(path)
    assert KEY.hex() not in info.value.line()


def test_comments_and_blank_lines_are_allowed(tmp_path: Path) -> None:
    assert keys.parse_key_ring(
        f"# the fund's key\n\n{KEY.hex()}\n# retired on 2026-01-01\nretired {OTHER.hex()}\n"
    ) == keys.KeyRing(KEY, (OTHER,))


def _history(text: str) -> keys.KeyHistory:
    entries, errors, _ = loader.load_string(text)
    assert not errors
    return keys.recorded_keys(entries)


def test_the_latest_dated_record_is_current_and_the_others_are_its_history() -> None:
    a, b, c = (keys.fingerprint(k) for k in (KEY, OTHER, THIRD))
    history = _history(
        f'2025-06-01 custom "aid-key" "{b}"\n'
        f'2025-01-01 custom "aid-key" "{a}"\n'
        f'2025-09-01 custom "aid-key" "{c}"\n'
        '2025-12-01 custom "aid-key" "not a fingerprint"\n'
    )
    assert [r.fingerprint for r in history.records] == [a, b, c]
    assert history.current is not None and history.current.fingerprint == c
    assert history.retired_on(a) == dt.date(2025, 6, 1)
    assert history.retired_on(b) == dt.date(2025, 9, 1)
    assert history.retired_on(c) is None
    assert keys.recorded_keys([]).current is None


def test_the_next_record_is_dated_after_every_earlier_one() -> None:
    history = _history(f'2026-03-01 custom "aid-key" "{keys.fingerprint(KEY)}"\n')
    assert keys.next_record_date(history, dt.date(2026, 5, 1)) == dt.date(2026, 5, 1)
    assert keys.next_record_date(history, dt.date(2026, 3, 1)) == dt.date(2026, 3, 2)
    assert keys.next_record_date(keys.KeyHistory(), dt.date(2026, 3, 1)) == dt.date(
        2026, 3, 1
    )


def test_check_books_key_names_the_wrong_the_retired_and_the_unrecorded_key() -> None:
    a, b = keys.fingerprint(KEY), keys.fingerprint(OTHER)
    history = _history(
        f'2025-01-01 custom "aid-key" "{a}"\n2025-06-01 custom "aid-key" "{b}"\n'
    )
    keys.check_books_key(keys.KeyRing(OTHER, (KEY,)), history)
    keys.check_books_key(keys.KeyRing(THIRD), keys.KeyHistory())  # nothing recorded yet
    with pytest.raises(RetiredKeyError) as retired:
        keys.check_books_key(keys.KeyRing(KEY), history, "/k/fund.key")
    assert retired.value.line() == (
        f"/k/fund.key: this key was retired on 2025-06-01 (fingerprint {a}; the books' "
        f"current key is {b}). Use the current key file, the one rotated that day; see "
        "docs/keys.md."
    )
    with pytest.raises(WrongKeyError) as wrong:
        keys.check_books_key(keys.KeyRing(THIRD), history, "/k/fund.key")
    assert not isinstance(wrong.value, RetiredKeyError)
    assert wrong.value.line() == (
        f"/k/fund.key: this key is not the key of these books (fingerprint "
        f"{keys.fingerprint(THIRD)}, the books record {b}). Use the key file these "
        "books were made with; see docs/keys.md."
    )
    with pytest.raises(UnrecordedKeyError, match="a rotation did not reach"):
        keys.check_books_key(keys.KeyRing(THIRD, (OTHER, KEY)), history)
    for error in (retired.value, wrong.value):
        assert KEY.hex() not in error.line() and THIRD.hex() not in error.line()
