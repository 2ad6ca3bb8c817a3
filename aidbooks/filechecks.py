"""Checks of the books' files rather than their entries: policy, secrets, comments.

Beancount plugins see directives only. Four things an auditor must know lie
outside them:

``policy``
    ``aidbooks.toml`` parsed fine (an invalid file stops every command with exit 2
    before this runs) but still does not fit the books: a restricted fund's category
    has no ``Expenses:Aid:<Category>`` (or ``Assets:Receivable:<Category>``) account,
    an unrestricted fund lists categories that restrict nothing, the fund's currency
    is not the books' operating currency, the key file is configured inside the
    books folder.
``secrets``
    a file that is an aidbooks key (64 hex characters, maybe followed by the
    retired keys a rotation keeps) or the configured key file lies inside the books
    folder or is tracked by git (``git ls-files`` of the repository holding the
    books); the key file is readable by other users. A
    missing key file is not a finding: an auditor checks the books without the key.
``published``
    the release history (``published/`` beside the main file, see
    :mod:`aidbooks.plugins.releases`) is whole, and no published period changed
    since it was published: a transaction dated in a closed month that was not
    there (or was different) then is a finding at its line; recorded transactions
    that are gone are a finding at the release's ``closed.txt``. Corrections are
    booked in an open period with ``corrects: "<period>"``.
``comments``
    a raw-text scan of every ledger file for personal data in comments (``;`` to the
    end of the line, and lines Beancount skips, such as org-mode headings), with the
    same detectors as the ``no-pii`` rule (``aidbooks.plugins.pii.Scanner``), read
    exactly as Beancount's lexer reads the file (a ``;`` inside a string is text).

Each check returns :class:`Finding` objects; none ever quotes the personal data or
the key it found.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from beancount.core import data

from aidbooks.plugins import accounts
from aidbooks.plugins import keys
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.pii import Scanner
from aidbooks.plugins.pii import describe
from aidbooks.plugins.policy import Policy
from aidbooks.plugins.policy import key_line
from aidbooks.plugins.policy import policy_path_for
from aidbooks.plugins.releases import CLOSED
from aidbooks.plugins.releases import CORRECTS
from aidbooks.plugins.releases import changes
from aidbooks.reports.history import closed_months
from aidbooks.reports.history import read_history


@dataclass(frozen=True)
class Finding:
    """One problem found by a check, at a place in a file.

    Attributes:
      check: The name of the check that found it.
      filename: Absolute path of the file (a ledger file, the policy, a key file).
      lineno: Line in that file, 0 when the finding is about the whole file.
      message: What is wrong and how to fix it; never the personal data found.
      entry: The Beancount directive at fault, when there is one (for Fava links).
    """

    check: str
    filename: str
    lineno: int
    message: str
    entry: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Context:
    """What the file checks need: the books as loaded, the policy, the environment."""

    ledger: Path
    policy: Policy
    entries: list[data.Directive]
    options_map: dict[str, Any]
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def folder(self) -> Path:
        """The books folder: the main ledger file's folder."""
        return self.ledger.resolve().parent

    @property
    def policy_file(self) -> Path:
        """Where ``aidbooks.toml`` is (or would be)."""
        return policy_path_for(self.ledger)


# ------------------------------------------------------------------------- policy


def check_policy(ctx: Context) -> list[Finding]:
    """Find what a valid ``aidbooks.toml`` still gets wrong about these books."""
    policy_file = str(ctx.policy_file)
    findings: list[Finding] = []

    def at(*keys: str) -> int:
        return key_line(policy_file, *keys) or 0

    opened = {e.account for e in ctx.entries if isinstance(e, data.Open)}
    for name, fund in sorted(ctx.policy.funds.items()):
        if not fund.restricted:
            if fund.categories:
                findings.append(
                    Finding(
                        "policy",
                        policy_file,
                        at("funds", name, "categories"),
                        f"funds.{name}.categories: restricts nothing because the fund "
                        "is not restricted; set restricted = true or remove the "
                        "categories",
                    )
                )
            continue
        for category in fund.categories:
            candidates = (f"{accounts.AID}{category}", f"{accounts.RECEIVABLE}{category}")
            if not any(account in opened for account in candidates):
                findings.append(
                    Finding(
                        "policy",
                        policy_file,
                        at("funds", name, "categories"),
                        f"funds.{name}.categories: no account {candidates[0]} is opened "
                        f"in the books, so the fund can never pay for {category}; fix "
                        "the spelling or open the account",
                    )
                )
    currencies = list(ctx.options_map.get("operating_currency") or [])
    currency = ctx.policy.fund.currency
    if currencies and currency not in currencies:
        findings.append(
            Finding(
                "policy",
                policy_file,
                at("fund", "currency"),
                f"fund.currency: is {currency} but the books' operating currency is "
                f"{', '.join(currencies)}; make them the same",
            )
        )
    key = ctx.policy.key_path(dict(ctx.environ))
    from_env = bool(ctx.environ.get("AIDBOOKS_KEY_FILE"))
    where = "$AIDBOOKS_KEY_FILE" if from_env else "privacy.key_file"
    line = 0 if from_env else at("privacy", "key_file")
    if not key.is_absolute():
        findings.append(
            Finding(
                "policy",
                policy_file,
                line,
                f"{where}: is a relative path, which points into the books folder; use "
                'an absolute path outside the books such as "~/.config/aidbooks/fund.key"',
            )
        )
    elif _inside(key, ctx.folder):
        findings.append(
            Finding(
                "policy",
                policy_file,
                line,
                f"{where}: points inside the books folder, so every copy of the books "
                "would carry the key; move the key outside the books and change the path",
            )
        )
    return findings


def _inside(path: Path, folder: Path) -> bool:
    real = Path(os.path.realpath(path))
    base = Path(os.path.realpath(folder))
    return real == base or base in real.parents


# ------------------------------------------------------------------------ secrets

_HEX = re.compile(rb"[0-9a-fA-F]{64}")
_KEY_SIZES = range(64, keys.KEY_FILE_LIMIT + 1)


def looks_like_key(path: Path) -> bool:
    """True for an aidbooks key file: 64 hex characters, maybe followed by the
    ``retired`` keys a rotation keeps (:func:`aidbooks.plugins.keys.parse_key_ring`)."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size not in _KEY_SIZES:
            return False
        with path.open("rb") as handle:
            if not _HEX.fullmatch(handle.read(64)):  # a key file begins with its key
                return False
            handle.seek(0)
            text = handle.read().decode("ascii")
        return keys.parse_key_ring(text) is not None
    except (OSError, UnicodeDecodeError):
        return False


def check_secrets(ctx: Context) -> list[Finding]:
    """Find key files inside the books or in git, and a key readable by others."""
    findings: list[Finding] = []
    key = ctx.policy.key_path(dict(ctx.environ))
    key_real = os.path.realpath(key) if key.is_absolute() else None
    if key.is_absolute() and key.is_file():
        mode = key.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            findings.append(
                Finding(
                    "secrets",
                    str(key),
                    0,
                    "the fund's key file can be read by other users of this computer; "
                    f"run: chmod 600 {key}",
                )
            )

    def is_key(path: Path) -> bool:
        return os.path.realpath(path) == key_real or looks_like_key(path)

    for path in _files_under(ctx.folder):
        if is_key(path):
            findings.append(
                Finding(
                    "secrets",
                    str(path),
                    0,
                    "a key file lies inside the books folder, so every copy of the books "
                    "carries it; move it outside the books (privacy.key_file) and treat "
                    "the key as exposed",
                )
            )
    for path in _tracked_files(ctx.folder):
        if is_key(path):
            findings.append(
                Finding(
                    "secrets",
                    str(path),
                    0,
                    "a key file is tracked by git, so every clone carries it; run "
                    "'git rm --cached' on it, keep it outside the repository and treat "
                    "the key as exposed",
                )
            )
    return findings


def _files_under(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            yield Path(root) / name


def _tracked_files(folder: Path) -> list[Path]:
    """Every file git tracks in the repository that holds ``folder`` ([] if none)."""
    git = ["git", "-c", "core.fsmonitor=false", "-C", str(folder)]
    try:
        top = subprocess.run(
            [*git, "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if top.returncode != 0 or not top.stdout.strip():
            return []
        root = Path(top.stdout.strip())
        listed = subprocess.run(
            [*git, "ls-files", "-z", "--full-name", ":/"],
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if listed.returncode != 0:
        return []
    names = listed.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [root / name for name in names if name]


# ----------------------------------------------------------------------- comments

# Lines the lexer skips whole: org-mode headings and lines starting with a flag.
_SKIPPED_STARTS = b"*:#!&?%"
_SKIPPED = re.compile(rb"\n[*:#!&?%]")
_UNESCAPED_QUOTE = re.compile(rb'(?<!\\)(?:\\\\)*"')


def comments(text: bytes) -> list[tuple[int, str]]:
    """Return ``(line number, text)`` of every comment and skipped line in ``text``.

    Exact for Beancount's lexer, strings spanning lines included, and fast and lean
    on big books: the file stays bytes, only the positions of ``;`` and of skipped
    line starts are visited, and whether one lies inside a string is decided by
    counting the quotes before it (C-speed ``bytes.count``), never by tokenizing
    every string.
    """
    events: list[int] = []
    at = text.find(b";")
    while at >= 0:
        events.append(at)
        at = text.find(b";", at + 1)
    if text[:1] and text[0] in _SKIPPED_STARTS:
        events.append(0)
    events.extend(match.start() + 1 for match in _SKIPPED.finditer(text))
    events.sort()
    found: list[tuple[int, str]] = []
    pos, in_string, skip_until = 0, False, -1
    for at in events:
        if at < skip_until:
            continue
        if text.find(b"\\", pos, at) < 0:
            quotes = text.count(b'"', pos, at)
        else:  # rare: count only quotes after an even run of backslashes
            quotes = len(_UNESCAPED_QUOTE.findall(text, pos, at))
        in_string ^= quotes % 2 == 1
        pos = at
        if in_string:
            continue
        end = text.find(b"\n", at)
        end = len(text) if end < 0 else end
        found.append((at, text[at + 1 : end].decode("utf-8", "replace")))
        pos = skip_until = end
    numbered: list[tuple[int, str]] = []
    line, last = 1, 0
    for at, comment in found:
        line += text.count(b"\n", last, at)
        last = at
        numbered.append((line, comment))
    return numbered


def check_published(ctx: Context) -> list[Finding]:
    """The release history is whole and no published period changed since."""
    try:
        history = read_history(ctx.ledger)
    except AidbooksError as error:
        message = f"{error.what.rstrip('.')}. {error.fix}"
        return [Finding("published", error.filename or str(ctx.ledger), 0, message)]
    return published_changes(ctx.entries, closed_months(history))


def published_changes(
    entries: list[data.Directive], months: Mapping[str, tuple[Any, list[str]]]
) -> list[Finding]:
    """Findings for every change to a closed month (see ``published`` above)."""
    closed = {month: values for month, (_release, values) in months.items()}
    added, gone = changes(entries, closed)
    findings = []
    for entry in added:
        month = entry.date.isoformat()[:7]
        label = months[month][0].period.label
        findings.append(
            Finding(
                "published",
                str(entry.meta.get("filename", "")),
                int(entry.meta.get("lineno", 0)),
                f"this transaction is dated in {month}, inside the published report "
                f"{label}, and was added or changed after it was published. Published "
                f"numbers stand: date it in an open period with {CORRECTS}: "
                f'"{month}" (a correction), or restore what was published',
                entry,
            )
        )
    for month, count in sorted(gone.items()):
        release = months[month][0]
        findings.append(
            Finding(
                "published",
                str(release.folder / CLOSED),
                0,
                f"{count} transaction(s) of {month} that the published report "
                f"{release.period.label} was made from are gone or changed. Restore "
                "them from git, and book the change in an open period as a correction",
            )
        )
    return findings


def check_comments(ctx: Context) -> list[Finding]:
    """Scan the comments of every ledger file for personal data."""
    scanner = Scanner(ctx.policy.privacy.allow, ctx.policy.privacy.organisations)
    findings: list[Finding] = []
    for filename in ctx.options_map.get("include") or [ctx.ledger]:
        try:
            text = Path(filename).read_bytes()
        except OSError:
            continue  # the syntax check reports unreadable files
        for lineno, comment in comments(text):
            kinds = sorted({f.kind for f in scanner.findings(comment.strip())})
            if kinds:
                findings.append(
                    Finding(
                        "comments",
                        str(filename),
                        lineno,
                        f"a comment holds {describe(kinds)}; delete it (comments are "
                        "invisible to the rules but travel with every copy of the books)",
                    )
                )
        del text
    return findings


#: check name -> the function that runs it.
FILE_CHECKS: dict[str, Callable[[Context], list[Finding]]] = {
    "policy": check_policy,
    "secrets": check_secrets,
    "comments": check_comments,
    "published": check_published,
}
