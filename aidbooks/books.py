"""Finding and loading the books for the command line.

``FILE`` arguments default to ``$AIDBOOKS_LEDGER``, else ``ledger/main.beancount``
under the current folder (docs/design.md#defaults-and-output).

:func:`load_books` loads once, for everything a command needs, and deliberately
never uses Beancount's pickle cache: the cache key covers only the ledger files, not
the rule code, so it can replay a stale verdict after aidbooks is upgraded or a rule
is edited. Python's cyclic garbage collector is paused during the load (the load
builds hundreds of thousands of small acyclic objects, and collecting them costs
about a quarter of the load time). Afterwards the loaded objects are moved to the
collector's permanent generation (``gc.freeze()``) before it is switched back on:
otherwise its first passes would walk every one of the million objects the load
made, for nothing (they are freed by reference counting as usual).

``extra_validations`` run after the load, exactly as Beancount would run them, but
are not handed to Beancount: ``beancount.ops.validation.validate`` appends them to
its module-level list in place (``VALIDATIONS += extra``), so in a long-lived process
every load would run them once more.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data
from beancount.parser import booking

from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.fsutil import path_kind
from aidbooks.plugins.writer import finish_interrupted

#: aidbooks' rules: plugins that only report (``aidbooks.plugins.basic``, ...).
RULES_PREFIX = "aidbooks.plugins."

DEFAULT_LEDGER = Path("ledger") / "main.beancount"

Books = tuple[list[data.Directive], list[Any], dict[str, Any]]


def ledger_path(argument: str | os.PathLike[str] | None) -> Path:
    """Resolve the ledger a command works on and check that it is a readable file.

    Raises:
      AidbooksError: the file is missing, a folder or unreadable (exit 2).
    """
    raw = argument or os.environ.get("AIDBOOKS_LEDGER") or DEFAULT_LEDGER
    path = Path(raw).expanduser()
    kind, reason = path_kind(path)
    if kind == "missing":
        hint = (
            "pass the main ledger file, set $AIDBOOKS_LEDGER, or run 'aidbooks init DIR'"
            if argument is None
            else "check the path"
        )
        what = "no such ledger file" if reason.startswith("no such") else reason
        raise AidbooksError(what, hint, str(path))
    if kind == "folder":
        candidate = path / "main.beancount"
        if path_kind(candidate)[0] == "file":
            return candidate.resolve()
        raise AidbooksError(
            "is a folder, not a ledger file", "pass the main .beancount file", str(path)
        )
    if kind != "file":
        # a named pipe would block the load for ever; a device would never end
        raise AidbooksError(
            f"cannot be read ({reason})", "pass the main .beancount file", str(path)
        )
    if not os.access(path, os.R_OK):
        raise AidbooksError("cannot be read", "check its permissions", str(path))
    return path.resolve()


def load_books(
    path: Path,
    extra_validations: list[Callable[..., Any]] | None = None,
    checks: bool = True,
) -> Books:
    """Load the books at ``path`` without the pickle cache, with the GC paused.

    An import a crash interrupted after its commit point is finished first
    (:func:`aidbooks.plugins.writer.finish_interrupted`), so no aidbooks command
    ever sees the books half imported.

    ``checks=False`` gives the same entries without checking them: Beancount's
    validation and aidbooks' rules (plugins that only report, returning the entries
    unchanged: :func:`aidbooks.plugins.rules.as_plugin`) are not run, so the errors
    are those of parsing, booking and the other plugins only. For a command that
    reads the books and never reports on them (``aidbooks import``): about a fifth
    of a load.

    Returns:
      (entries, errors, options_map) as Beancount's loader does.

    Raises:
      AidbooksError: an interrupted import cannot be finished (exit 2).
    """
    finish_interrupted(path.parent)
    enabled = gc.isenabled()
    gc.disable()
    try:
        if checks:
            entries, errors, options_map = loader._load(
                [(str(path), True)], None, None, None
            )
        else:
            entries, errors, options_map = _load_unchecked(path)
        for validation in extra_validations or ():
            errors.extend(validation(entries, options_map))
        return entries, errors, options_map
    except (OSError, SystemError, UnicodeError) as exc:
        # Beancount's C parser reports a failed read (EIO, a file that vanished)
        # as a SystemError whose cause is the OSError.
        cause = exc if isinstance(exc, OSError) else exc.__context__ or exc.__cause__
        reason = getattr(cause, "strerror", None) or "a file cannot be read"
        raise AidbooksError(
            f"the books cannot be read ({reason})",
            "check the main file and the files it includes",
            str(path),
        ) from None
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def _load_unchecked(path: Path) -> Books:
    """Beancount's load (:func:`beancount.loader._load`) without validation and
    without aidbooks' rules: parse, book, then the plugins that change entries."""
    entries, errors, options_map = loader._parse_recursive([(str(path), True)], None, None)
    entries.sort(key=data.entry_sortkey)
    entries, booking_errors = booking.book(entries, options_map)
    errors.extend(booking_errors)
    plugins = options_map["plugin"]
    options_map["plugin"] = [
        (name, config) for name, config in plugins if not name.startswith(RULES_PREFIX)
    ]
    try:
        entries, errors = loader.run_transformations(entries, errors, options_map, None)
    finally:
        options_map["plugin"] = plugins
    return entries, errors, options_map
