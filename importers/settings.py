"""What an import needs from the books' folder: the policy, the key, the detectors.

Both faces build it the same way: ``aidbooks import`` from the ledger it is given,
Fava's import page from the folder of its ``import_config.py`` (Fava runs that file
with ``runpy.run_path`` and does not put the books' folder on ``sys.path``, so the
config passes its own folder here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from aidbooks.importers.timeparse import zone
from aidbooks.plugins import keys
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.policy import POLICY_FILENAME
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy


@dataclass(frozen=True)
class Settings:
    """Everything the importers read from the fund's configuration.

    Attributes:
      policy: The parsed ``aidbooks.toml``.
      key: The fund's current secret key (derives donor and recipient codes).
      fund_zone: ``fund.timezone``: imported rows are booked on this local date.
      scanner: The personal-data detectors, configured with ``privacy.allow``.
      books_dir: The folder of the main ledger file.
      retired: The retired keys the key file keeps (the most recently retired
        first): a code they derived that the books already hold is kept.
      key_file: The key file the keys were read from (None: given directly).
    """

    policy: Policy
    key: bytes
    fund_zone: dt.tzinfo
    scanner: Scanner
    books_dir: Path
    retired: tuple[bytes, ...] = ()
    key_file: Path | None = None

    @property
    def ring(self) -> keys.KeyRing:
        """The current key and the retired ones."""
        return keys.KeyRing(self.key, self.retired)

    @classmethod
    def for_folder(cls, folder: Path, key: bytes | None = None) -> Settings:
        """Settings for the books in ``folder`` (its ``aidbooks.toml`` and key).

        Raises:
          PolicyError: ``aidbooks.toml`` is invalid.
          KeyFileError: the key is missing or unreadable.
        """
        policy = load_policy(folder / POLICY_FILENAME)
        return cls.from_policy(policy, folder, key)

    @classmethod
    def from_policy(
        cls, policy: Policy, folder: Path, key: bytes | None = None
    ) -> Settings:
        """Settings from an already loaded policy (the key ring of its key file,
        unless ``key`` is given)."""
        retired: tuple[bytes, ...] = ()
        key_file = None
        if key is None:
            key_file = policy.key_path()
            ring = keys.read_key_ring(key_file)
            key, retired = ring.current, ring.retired
        scanner = Scanner(policy.privacy.allow, policy.privacy.organisations)
        return cls(
            policy, key, zone(policy.fund.timezone), scanner, folder, retired, key_file
        )
