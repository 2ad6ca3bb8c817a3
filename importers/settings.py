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
      key: The fund's secret key (derives donor and recipient codes).
      fund_zone: ``fund.timezone``: imported rows are booked on this local date.
      scanner: The personal-data detectors, configured with ``privacy.allow``.
      books_dir: The folder of the main ledger file.
    """

    policy: Policy
    key: bytes
    fund_zone: dt.tzinfo
    scanner: Scanner
    books_dir: Path

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
        """Settings from an already loaded policy."""
        if key is None:
            key = keys.read_key_file(policy.key_path())
        scanner = Scanner(policy.privacy.allow, policy.privacy.organisations)
        return cls(policy, key, zone(policy.fund.timezone), scanner, folder)
