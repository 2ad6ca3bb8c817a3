"""A last look at everything a report would publish, before it is written.

The disclosure control decides which numbers may go out; this guard makes sure
nothing else slipped into the files by mistake (a template change, a strange
account name):

* no recipient, volunteer or donor code (``R-…``, ``V-…``, ``D-…``);
* no day: the only full dates allowed are the period's first and last day;
* no personal data in the words that come from the books or the policy: the
  fund's name, and the names of aid categories, channels, kinds of costs and
  funds, checked with the shared PII scanner (account components and fund names
  as identifiers, so ``MariaGarcia`` or ``maria-garcia`` is read as two words).

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
from aidbooks.reports.cells import OTHER_AID
from aidbooks.reports.model import PublicReport

_CODE = re.compile(
    r"(?<![0-9A-Za-z])[RVD]-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}(?![0-9A-Za-z])"
)
_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


#: What each kind of word is, and how to fix it, for the one-line message.
_WHERE = {
    "aid category": (
        "an aid category (an Expenses:Aid account)",
        "rename the Expenses:Aid account so that it names a kind of assistance, "
        "not a person",
    ),
    "channel": (
        "a channel (an Income:Donations or Expenses:Fees account)",
        "rename the account so that it names the platform or the way money came in, "
        "not a person",
    ),
    "kind of operating cost": (
        "a kind of operating cost (an Expenses account)",
        "rename the account so that it names a kind of cost, not a person",
    ),
    "fund": (
        "a fund's name (fund: in the books or [funds.<name>] in aidbooks.toml)",
        "rename the fund so that it names a purpose, not a person",
    ),
    "fund name": (
        "the fund's name (fund.name in aidbooks.toml)",
        "change fund.name in aidbooks.toml so that it names the fund, not a person",
    ),
}


def book_words(report: PublicReport) -> list[tuple[str, str]]:
    """(what, text) of every word in the report that comes from the books or the
    policy (the fund's name first; "Other aid" is the report's own)."""
    words: list[tuple[str, str]] = [("fund name", report.fund)]
    words += [("aid category", r.name) for r in report.categories if r.name != OTHER_AID]
    words += [("aid category", n) for r in report.categories for n in r.merged]
    words += [("channel", r.name) for r in report.channels]
    words += [("kind of operating cost", r.name) for r in report.operations]
    words += [("fund", r.name) for r in report.funds]
    return words


def check_words(report: PublicReport, policy: Policy) -> None:
    """Refuse names that hold personal data: the fund's, accounts', funds'.

    Raises:
      AidbooksError: one line naming which name to fix and the kind of personal
        data, never the text found (exit 2).
    """
    scanner = Scanner(policy.privacy.allow, policy.privacy.organisations)
    for what, text in book_words(report):
        if what == "fund name":
            kinds = scanner.kinds(text)
        else:  # an account component or a fund's name: words glued together
            kinds = scanner.identifier_kinds(text)
        if kinds:
            name, fix = _WHERE[what]
            raise AidbooksError(
                f"refusing to publish: {name} looks like it holds {describe(kinds)}",
                fix,
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
