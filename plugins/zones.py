"""IANA time zones looked up by name, with every failure turned into one error.

``zoneinfo.ZoneInfo(name)`` fails in more ways than its documentation says: an
unknown name raises ``ZoneInfoNotFoundError``, a name with ``..`` or a NUL raises
``ValueError``, but a folder of the zone database (``America``, ``Etc``) raises
``IsADirectoryError`` and a very long name ``OSError`` (file name too long) — which
escaped as internal errors from a one-word typo in ``aidbooks.toml`` or a zone cell
in an export. :func:`iana_zone` is the one place that asks, for the policy and the
importers alike.
"""

from __future__ import annotations

import zoneinfo


class ZoneError(ValueError):
    """A name that is not an IANA time zone (the message never quotes it)."""


def iana_zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the IANA zone called ``name``.

    Raises:
      ZoneError: ``name`` is not a zone of the database.
    """
    if not name or len(name) > 255:
        raise ZoneError("not an IANA time zone")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ZoneError("not an IANA time zone") from None
