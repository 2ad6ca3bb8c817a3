"""Fava's import page for these books: the aidbooks importers, set up from aidbooks.toml.

main.beancount names this file in ``custom "fava-option" "import-config"``. Fava runs
it with ``runpy.run_path`` and does not put this folder on ``sys.path``, so it finds
its own folder (and that folder's aidbooks.toml and key) through ``__file__``.
Downloads in ``downloads/`` show up on Fava's Import page. ``aidbooks import`` uses
the same importers and prints a full summary.
"""

from pathlib import Path

from aidbooks.importers.fava import config_for

CONFIG, HOOKS = config_for(Path(__file__).resolve().parent)
