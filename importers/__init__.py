"""Importers: platform exports → Beancount entries, with nobody's name reaching the books.

One beangulp importer per platform, on one shared base (:mod:`.base`, :mod:`.csvbase`,
:mod:`.booking`): money as ``Decimal`` from the text, ids as strings, timestamps
turned into the fund's local date (``fund.timezone``) with the raw text kept in
``timestamp`` metadata, layouts identified by their header and columns read by
name, donors and recipients turned into codes derived with the fund's key.

=========================  ================================================================
module                     exports
=========================  ================================================================
:mod:`.venmo`              statement (current, 2021, 2017 web CSV), charity profile
:mod:`.paypal`             activity download (business en/es/de, personal), statement en/es
:mod:`.cashapp`            transaction history (v1, v2)
:mod:`.stripe`             balance history (primary), activity report, payments, payouts
:mod:`.opencollective`     transactions CSV (field keys or labels)
:mod:`.bank`               Chase-style checking CSV, OFX/QFX (read by :mod:`.ofx`)
:mod:`.mapped`             any CSV through ``[imports.mapped.<name>]``; ActBlue preset
=========================  ================================================================

:func:`build` returns the importers configured for a fund; :func:`identify` picks
the one for a file. ``aidbooks import`` (:mod:`aidbooks.cmd_import`) and Fava's
import page (:mod:`.fava`) both use them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aidbooks.importers.bank import ChaseImporter
from aidbooks.importers.bank import OfxImporter
from aidbooks.importers.base import ExportImporter
from aidbooks.importers.cashapp import CashAppImporter
from aidbooks.importers.csvread import HEAD_BYTES
from aidbooks.importers.csvread import read_text
from aidbooks.importers.mapped import MappedImporter
from aidbooks.importers.opencollective import OpenCollectiveImporter
from aidbooks.importers.paypal import PayPalImporter
from aidbooks.importers.records import ImportFileError
from aidbooks.importers.settings import Settings
from aidbooks.importers.stripe import StripeImporter
from aidbooks.importers.venmo import VenmoImporter
from aidbooks.plugins.policy import MappedSource

BUILTIN: tuple[type[ExportImporter], ...] = (
    VenmoImporter,
    PayPalImporter,
    CashAppImporter,
    StripeImporter,
    OpenCollectiveImporter,
    ChaseImporter,
    OfxImporter,
)


def build(settings: Settings | None) -> list[ExportImporter]:
    """The importers of a fund: the built-in ones, then every mapped source.

    The ActBlue preset is active unless the policy configures a source with
    ``preset = "actblue"`` itself.
    """
    out: list[ExportImporter] = [cls(settings) for cls in BUILTIN]
    mapped = dict(settings.policy.imports.mapped) if settings else {}
    if not any(source.preset == "actblue" for source in mapped.values()):
        mapped = {"actblue": MappedSource(preset="actblue"), **mapped}
    out.extend(MappedImporter(name, source, settings) for name, source in mapped.items())
    return out


def identify(path: str, importers: Sequence[ExportImporter]) -> ExportImporter | None:
    """The importer for a file, or None. Reads the head of the file once.

    Built-in importers win over mapped sources (a loose mapping may also match a
    built-in platform's header).

    Raises:
      ImportFileError: the file cannot be read, or two importers of the same rank
        claim it.
    """
    head = read_text(path, HEAD_BYTES)
    for rank in (True, False):
        found = [
            imp
            for imp in importers
            if isinstance(imp, MappedImporter) is not rank and imp.sniff(head)
        ]
        if len(found) > 1:
            raise ImportFileError(
                "is recognised by more than one importer "
                f"({', '.join(i.name for i in found)})",
                "give the mapped source an 'identify' list of columns only its export has",
                path,
            )
        if found:
            return found[0]
    return None


__all__ = ["BUILTIN", "ExportImporter", "Settings", "build", "identify"]
