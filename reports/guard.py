"""A last look at everything a report would publish, before it is written.

The disclosure control decides which numbers may go out; this guard makes sure
nothing else slipped into the files by mistake (a template change, a strange
account name):

* no recipient, volunteer or donor code (``R-…``, ``V-…``, ``D-…``);
* no day: the only full dates allowed are the period's first and last day;
* no personal data in the words that come from the books (aid categories,
  channels, kinds of costs, fund names), checked with the shared PII scanner.

A finding stops the report (exit 2); the message names what to fix, never the
text found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from collections.abc import Mapping

from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.pii import describe
from aidbooks.plugins.policy import Policy
from aidbooks.reports.model import PublicReport

_CODE = re.compile(
    r"(?<![0-9A-Za-z])[RVD]-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}(?![0-9A-Za-z])"
)
_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


def book_words(report: PublicReport) -> list[tuple[str, str]]:
    """(what, text) of every word in the report that comes from the books."""
    words: list[tuple[str, str]] = []
    words += [("aid category", r.name) for r in report.categories]
    words += [("aid category", n) for r in report.categories for n in r.merged]
    words += [("channel", r.name) for r in report.channels]
    words += [("kind of operating cost", r.name) for r in report.operations]
    words += [("fund", r.name) for r in report.funds]
    return words


def check_words(report: PublicReport, policy: Policy) -> None:
    """Refuse account or fund names that hold personal data.

    Raises:
      AidbooksError: naming the kind of name and of personal data (exit 2).
    """
    scanner = Scanner(policy.privacy.allow, policy.privacy.organisations)
    for what, text in book_words(report):
        kinds = scanner.kinds(text)
        if kinds:
            raise AidbooksError(
                f"a {what} name in the books looks like it holds {describe(kinds)}",
                "rename the account (or the fund) so that it names a purpose, not a person",
            )


def check_files(files: Mapping[str, bytes], allowed_dates: Iterable[dt.date]) -> None:
    """Refuse files that contain a code or a day other than the period's bounds.

    Raises:
      AidbooksError: naming the file (exit 2; this is a bug or a strange account name).
    """
    allowed = {d.isoformat() for d in allowed_dates}
    for name, payload in files.items():
        text = payload.decode("utf-8", errors="replace")
        if _CODE.search(text):
            raise AidbooksError(
                f"refusing to publish: {name} contains something shaped like a "
                "recipient, volunteer or donor code",
                "rename the account that carries a code, or report this as a bug",
            )
        for match in _DATE.finditer(text):
            if match.group(0) not in allowed:
                raise AidbooksError(
                    f"refusing to publish: {name} contains a day, and reports show "
                    "nothing finer than a month",
                    "rename the account that carries a date, or report this as a bug",
                )
