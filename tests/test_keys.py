"""The fund's key and the keyed derivation of codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aidbooks.plugins import codes
from aidbooks.plugins import keys
from aidbooks.plugins.errors import KeyFileError

KEY = bytes(range(32))


def test_derivation_is_stable_keyed_and_domain_separated() -> None:
    donor = keys.derive_code(KEY, "donor", "Donor A")
    assert donor == keys.derive_code(KEY, "donor", "  donor   a ")
    assert codes.kind_of(donor) == "donor"
    assert keys.derive_code(KEY, "recipient", "Donor A") != donor.replace("D-", "R-")
    assert keys.derive_code(bytes(32), "donor", "Donor A") != donor


def test_normalization_merges_trivial_variants() -> None:
    n = keys.normalize_identifier
    assert n("María José") == n("maria jose")
    assert n("Donor.A@Example.org") == n("donor.a@example.org")
    assert n("@Fund-Helper") == n("@fund-helper")
    assert n("(312) 555-0142") == n("+1 312-555-0142")


def test_key_file_round_trip_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "fund.key"
    key = keys.write_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.read_key_file(path) == key
    with pytest.raises(KeyFileError, match="already exists"):
        keys.write_key_file(path)


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fund.key"
    keys.write_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="readable by other users"):
        keys.read_key_file(path)


def test_malformed_or_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "fund.key"
    with pytest.raises(KeyFileError, match="does not exist"):
        keys.read_key_file(path)
    path.write_text("not hex\n")
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="not an aidbooks key") as info:
        keys.read_key_file(path)
    assert "not hex" not in info.value.line()


def test_passphrase_key_is_deterministic() -> None:
    a = keys.key_from_passphrase("correct horse battery staple", "Riverside")
    assert a == keys.key_from_passphrase("correct horse battery staple", "Riverside")
    assert a != keys.key_from_passphrase("correct horse battery staple", "Lakeside")
    assert len(a) == keys.KEY_BYTES
