"""aidbooks: open-source books for grassroots mutual-aid funds.

The faces live here — the ``aidbooks`` command line, the auditor's ``check``
runner, the Fava extension and ``serve``. The rules live one floor down in
:mod:`aidbooks.plugins` (the ``plugins/`` folder), importers in
:mod:`aidbooks.importers` and reports in :mod:`aidbooks.reports`.
"""

from __future__ import annotations

__version__ = "0.1.0"
