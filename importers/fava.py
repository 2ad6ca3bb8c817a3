"""Fava's import page: the importers, configured from the books' own ``aidbooks.toml``.

``aidbooks init`` writes ``import_config.py`` next to ``main.beancount`` and the
lines ``custom "fava-option" "import-config" "import_config.py"`` and
``custom "fava-option" "import-dirs" "downloads"``. Fava runs that file with
``runpy.run_path`` and does not put the books' folder on ``sys.path``, so the file
imports the installed ``aidbooks.importers`` and passes its own folder (from
``__file__``) to :func:`config_for`, which reads that folder's policy and key.

In Fava, ``extract`` books the file with the same rules as ``aidbooks import``
(duplicates left out, personal data refused — a refused row is logged by line
number and left out) and returns the transactions only: Fava's Import page shows
them, and cannot save the ``aid-recipient`` and ``open`` directives a new
recipient or account needs. Saving them is done by the Aid extension
(:mod:`aidbooks.fava_import`), which runs ``aidbooks import``'s own pipeline on
the file: into ``imports/``, new codes declared in ``imports/codes.beancount``,
atomic and journaled. Fava lists only files up to 8 MiB on its import page;
:func:`config_for` lifts that limit, as ``aidbooks import`` has none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aidbooks.importers import build
from aidbooks.importers.base import ExportImporter
from aidbooks.importers.settings import Settings

#: Largest file the import page lists once :func:`config_for` ran (1 GiB).
FILE_LIMIT = 1 << 30


def config_for(folder: Path) -> tuple[list[ExportImporter], list[Callable[..., Any]]]:
    """``(CONFIG, HOOKS)`` for Fava: the fund's importers and no hooks.

    Raises:
      PolicyError / KeyFileError: Fava shows them as an import-config error.
    """
    settings = Settings.for_folder(folder)
    _lift_size_limit()
    importers = build(settings)
    for importer in importers:
        importer.declares = False  # the save declares them (aidbooks.fava_import)
    return importers, []


def _lift_size_limit() -> None:
    """Let Fava's import page list exports over 8 MiB (a module constant in Fava 1.30)."""
    try:
        from fava.core import ingest  # noqa: PLC0415 (only inside Fava)
    except ImportError:  # pragma: no cover - Fava is a dependency
        return
    if hasattr(ingest, "_FILE_TOO_LARGE_THRESHOLD"):
        ingest._FILE_TOO_LARGE_THRESHOLD = FILE_LIMIT
