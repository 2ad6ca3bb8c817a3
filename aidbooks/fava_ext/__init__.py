"""The treasurer's page in Fava: "Aid", what in the books needs attention.

Enabled in every ``aidbooks init`` ledger (and the example fund) by::

    2025-01-01 custom "fava-extension" "aidbooks.fava_ext"

and started with ``aidbooks serve``. The page (``/<fund>/extension/Aid/``) shows the
sections of :mod:`aidbooks.overview`: restricted funds and which are close to
empty, reconciliation of bank, platform and clearing accounts, grants waiting,
households near their cap (by code), bail and bonds by age, the findings of every
``aidbooks check`` check with a link to the entry in Fava's editor, and a preview
of the next quarter's public report with the numbers it would suppress.

**Computed once per load of the books.** Fava calls :meth:`Aid.after_load_file`
after every (re)load; it reads the policy, runs the checks and builds the overview
of the whole books there, so a request only renders what is ready. A view under
Fava's time or account filter is built on its first request and kept until the
next load (at most :data:`KEEP` filtered views). Fava reloads the books when a
ledger file changes; a change to ``aidbooks.toml``, which Fava does not watch,
reloads them too, on the next page (:meth:`Aid.before_request`).

Fava's filters: the time filter sets the funds' period and the day the other
sections look at (grants waiting are those dated inside it); the account filter
narrows the reconciliation, bail and grants-waiting tables. Fava's advanced filter
(``filter=``) does not apply. Findings always cover the whole books.

The extension also makes Fava's **Import** page save through ``aidbooks import``'s
pipeline (:mod:`aidbooks.fava_import`): into ``imports/``, new recipient codes
declared, atomic and journaled, instead of Fava writing into ``main.beancount``.

The page is local to the treasurer: it shows recipient codes (never names; the
books hold none) and no narration or payee. Nothing on it is sent anywhere: it
has no script of its own and loads nothing beyond Fava's own files.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from beancount.core import account as account_names
from fava.context import g
from fava.core.filters import Match
from fava.ext import FavaExtensionBase
from flask import request

from aidbooks import fava_import
from aidbooks.overview import LOW_DAYS
from aidbooks.overview import Overview
from aidbooks.overview import Scope
from aidbooks.overview import build
from aidbooks.overview import run_checks
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import load_policy
from aidbooks.plugins.policy import policy_path_for
from aidbooks.preview import Preview

if TYPE_CHECKING:
    from collections.abc import Callable

    from aidbooks import check

#: Filtered views kept per load (the unfiltered one is always kept).
KEEP = 16

ViewKey = tuple[str, str]  # (time filter, account filter)


class _Loaded:
    """What one load of the books gives the page: the policy, the checks, the views."""

    def __init__(self, ledger: Any) -> None:
        self.path = Path(ledger.beancount_file_path)
        self.policy_path = policy_path_for(self.path)
        self.policy_stamp = _stamp(self.policy_path)
        self.books = (ledger.all_entries, list(ledger.load_errors), ledger.options)
        self.error = ""
        self.policy: Policy | None = None
        self.report: check.Report | None = None
        self.previews: dict[str, Preview] = {}
        self.views: OrderedDict[ViewKey, Overview] = OrderedDict()
        self.lock = threading.Lock()
        try:
            self.policy = load_policy(self.policy_path)
        except AidbooksError as exc:
            self.error = exc.line()
            return
        try:
            self.report = run_checks(self.books, self.path, self.policy)
            self.views["", ""] = self.build(Scope())
        except Exception as exc:  # never break Fava's load; say what went wrong
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self.error = (
                f"internal error ({type(exc).__name__} in {Path(frame.filename).name}:"
                f"{frame.lineno}); please report it"
            )
            self.policy = None

    def build(self, scope: Scope) -> Overview:
        assert self.policy is not None
        return build(self.books, self.path, self.policy, scope, self.report, self.previews)

    def view(self, key: ViewKey, scope: Callable[[], Scope]) -> Overview | None:
        """The overview under Fava's filters ``key``, built on first use."""
        if self.policy is None:
            return None
        with self.lock:
            found = self.views.get(key)
            if found is not None:
                self.views.move_to_end(key)
                return found
            found = self.views[key] = self.build(scope())
            while len(self.views) > KEEP + 1:
                oldest = next(k for k in self.views if k != ("", ""))
                del self.views[oldest]
            return found


class Aid(FavaExtensionBase):
    """The "Aid" page (``templates/Aid.html``)."""

    report_title = "Aid"
    #: A fund is close to empty with fewer days left than this.
    low_days = LOW_DAYS

    def __init__(self, ledger: Any, config: str | None = None) -> None:
        super().__init__(ledger, config)
        fava_import.install(ledger)  # Fava's Import page saves as `aidbooks import`
        self._loaded: _Loaded | None = None
        #: How many times the books were loaded (and the page computed).
        self.loads = 0
        #: Seconds the last computation took: the extension's share of a reload
        #: (docs/performance.md, "Fava's reload").
        self.compute_seconds = 0.0

    def after_load_file(self) -> None:
        """Compute the page for the books just (re)loaded."""
        start = time.perf_counter()
        self._loaded = _Loaded(self.ledger)
        self.compute_seconds = time.perf_counter() - start
        self.loads += 1

    def before_request(self) -> None:
        """Reload the books when ``aidbooks.toml`` changed (Fava does not watch it).

        The rules that run during the load read the policy too, so the whole load
        is redone, as Fava does for a changed ledger file (and, like Fava, only for
        pages, not for its JSON API).
        """
        loaded = self._loaded
        if loaded is None or request.blueprint == "json_api":
            return
        if _stamp(loaded.policy_path) != loaded.policy_stamp:
            self.ledger.load_file()

    # ------------------------------------------------------------ for the template
    @property
    def problem(self) -> str:
        """Why the page cannot be shown (an invalid ``aidbooks.toml``), or empty."""
        loaded = self._state()
        return loaded.error

    def overview(self) -> Overview | None:
        """The overview under the current request's time and account filters."""
        time = request.args.get("time", "").strip()
        account = request.args.get("account", "").strip()
        return self._state().view((time, account), lambda: _scope(time, account))

    def editor_url(self, filename: str, lineno: int) -> str:
        """Fava's editor at ``filename:lineno``."""
        from fava.application import url_for  # noqa: PLC0415 (needs the app)

        return url_for("report", report_name="editor", file_path=filename, line=str(lineno))

    @staticmethod
    def money(value: Decimal) -> str:
        """``1,234.50``."""
        return f"{value:,.2f}"

    def _state(self) -> _Loaded:
        if self._loaded is None:  # Fava always loads first; a safety net only
            self._loaded = _Loaded(self.ledger)
        return self._loaded


def _stamp(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of a file, or None when it is missing."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _scope(time: str, account: str) -> Scope:
    """Fava's filters as a :class:`Scope` (the time range Fava itself parsed)."""
    begin = end = None
    if time:
        date_range = g.filtered.date_range
        if date_range is not None:
            begin, end = date_range.begin, date_range.end
    keeps = None
    if account:
        match = Match(account)

        def keeps(name: str) -> bool:
            return account_names.has_component(name, account) or match(name)

    return Scope(begin, end, keeps)
