"""``aidbooks init DIR``: new books from the template in ``ledger/template``.

Writes ``DIR/main.beancount`` (options, the rule plugins, includes), the chart of
accounts, ``codes.beancount``, ``books/``, ``imports/``, ``aidbooks.toml``, a
``.gitignore`` that keeps downloads and keys out of git and a short README for the
treasurer. Creates the fund's key (0600) at ``privacy.key_file`` if none exists
there — always outside the books — and records its fingerprint in
``codes.beancount`` (``custom "aid-key"``: commands refuse any other key). Refuses a
non-empty DIR (exit 2) and then touches nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import click
import jinja2

from aidbooks.importers.timeparse import YEARS
from aidbooks.plugins import accounts
from aidbooks.plugins import keys
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.fsutil import fsync_dir
from aidbooks.plugins.fsutil import path_kind
from aidbooks.plugins.policy import DEFAULT_CATEGORIES
from aidbooks.plugins.policy import FundSection

#: Rule plugins switched on in new books: every basic rule, by one line (see
#: :mod:`aidbooks.plugins.basic`).
PLUGINS: tuple[str, ...] = ("aidbooks.plugins.basic",)

#: Extra lines for Fava (extension, import config), appended to main.beancount.
FAVA_LINES: tuple[str, ...] = (
    # the importers: Fava's import page runs import_config.py on downloads/
    '{{ open_date }} custom "fava-option" "import-config" "import_config.py"',
    '{{ open_date }} custom "fava-option" "import-dirs" "downloads"',
    # the treasurer's page "Aid": aidbooks/fava_ext
    '{{ open_date }} custom "fava-extension" "aidbooks.fava_ext"',
)

#: Template file -> where it goes in the new books.
FILES = {
    "main.beancount": "main.beancount",
    "accounts.beancount": "accounts.beancount",
    "codes.beancount": "codes.beancount",
    "books/opening.beancount": "books/opening.beancount",
    "books/grants.beancount": "books/grants.beancount",
    "imports/codes.beancount": "imports/codes.beancount",
    "aidbooks.toml": "aidbooks.toml",
    "gitignore": ".gitignore",
    "import_config.py": "import_config.py",
    "README.md": "README.md",
}
EXTRA_DIRS = ("downloads", "documents")


def slug(name: str) -> str:
    """A file-name-safe form of the fund's name."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "fund"


def render_template(context: dict[str, object]) -> dict[str, str]:
    """Render every template file with ``context``; returns target path -> text."""
    base = resources.files("aidbooks.template")
    # Plain-text books, not HTML: escaping would corrupt them.
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
    )
    out: dict[str, str] = {}
    for source, target in FILES.items():
        text = base.joinpath(source).read_text(encoding="utf-8")
        out[target] = env.from_string(text).render(**context)
    return out


def template_context(
    name: str,
    currency: str = "USD",
    timezone: str = "America/Chicago",
    key_file: str = "",
    open_date: str = "2020-01-01",
    plugins: tuple[str, ...] | None = None,
    key_fingerprint: str = "",
) -> dict[str, object]:
    """The values the template is rendered with (``key_fingerprint``: the fund's
    key, recorded in ``codes.beancount``; the example fund records none)."""
    return {
        "name": name,
        "currency": currency,
        "timezone": timezone,
        "key_file": key_file or f"~/.config/aidbooks/{slug(name)}.key",
        "open_date": open_date,
        "plugins": PLUGINS if plugins is None else plugins,
        "fava_lines": [line.replace("{{ open_date }}", open_date) for line in FAVA_LINES],
        "platforms": accounts.PLATFORMS,
        "channels": accounts.CHANNELS,
        "fee_channels": accounts.FEE_CHANNELS,
        "categories": DEFAULT_CATEGORIES,
        "key_fingerprint": key_fingerprint,
    }


def _start_date(text: str | None) -> dt.date:
    """The ``--start`` date (default: 1 January of last year).

    Raises:
      AidbooksError: not a YYYY-MM-DD date (exit 2, nothing changed).
    """
    if text is None:
        return dt.date(dt.date.today().year - 1, 1, 1)
    try:
        day = dt.date.fromisoformat(text.strip())
        if day.year not in YEARS:
            raise ValueError(text)
        return day
    except ValueError:
        raise AidbooksError(
            "--start is not a date",
            "give the day the books begin as YYYY-MM-DD (--start 2023-01-01); "
            "nothing was changed",
        ) from None


def _undo(staging: Path | None, new_key: Path | None) -> None:
    """Remove what a failed init made: its staging folder, the key it created."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    if new_key is not None:
        with contextlib.suppress(OSError):
            new_key.unlink()


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--name",
    default="Our Mutual Aid Fund",
    show_default=True,
    help="The fund's name (used for the title and the key file name).",
)
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 currency.")
@click.option(
    "--timezone",
    default="America/Chicago",
    show_default=True,
    help="IANA time zone: imports turn platform timestamps into this local date.",
)
@click.option(
    "--key-file",
    default=None,
    help="Where the fund's key lives (default ~/.config/aidbooks/<name>.key, "
    "or $AIDBOOKS_KEY_FILE). Never inside the books.",
)
@click.option(
    "--start",
    default=None,
    metavar="DATE",
    help="The day the books begin (YYYY-MM-DD; default: 1 January of last year). "
    "Imported rows dated earlier are skipped, so start on or before the oldest "
    "export you will import.",
)
def init(
    directory: Path,
    name: str,
    currency: str,
    timezone: str,
    key_file: str | None,
    start: str | None,
) -> None:
    """New books in DIRECTORY from the template (DIRECTORY must be new or empty)."""
    begin = _start_date(start)
    kind, reason = path_kind(directory)
    if (
        os.path.islink(directory)
        or kind in ("file", "special")
        or (kind == "folder" and any(directory.iterdir()))
    ):
        raise AidbooksError(
            "already exists and is not empty",
            "choose a new folder; nothing was changed",
            str(directory),
        )
    if kind == "unusable" or (kind == "missing" and not reason.startswith("no such")):
        raise AidbooksError(
            f"cannot be created ({reason})", "choose a new folder", str(directory)
        )
    try:
        FundSection(name=name, currency=currency, timezone=timezone)
    except Exception as exc:  # pydantic.ValidationError
        msg = str(exc).splitlines()
        detail = msg[2].strip() if len(msg) > 2 else "invalid value"
        raise PolicyError(
            f"invalid --currency or --timezone ({detail})",
            "use an ISO currency code and an IANA time zone",
        ) from None
    raw_key = (
        key_file
        or os.environ.get("AIDBOOKS_KEY_FILE")
        or f"~/.config/aidbooks/{slug(name)}.key"
    )
    key_path = Path(os.path.expanduser(raw_key))
    if _inside(key_path, directory):
        raise AidbooksError(
            "the key file would be inside the books",
            "choose a --key-file outside DIRECTORY; nothing was changed",
            str(key_path),
        )
    # The key is made (or read) first: the new books record its fingerprint.
    created_key = path_kind(key_path)[0] == "missing"
    key = keys.generate_key() if created_key else keys.read_key_file(key_path)
    files = render_template(
        template_context(
            name,
            currency,
            timezone,
            raw_key,
            begin.isoformat(),
            key_fingerprint=keys.fingerprint(key),
        )
    )
    parent = directory.resolve().parent
    staging: Path | None = None
    if created_key:
        keys.write_key_file(key_path, key)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
        for target, text in files.items():
            path = staging / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for extra in EXTRA_DIRS:
            (staging / extra).mkdir(exist_ok=True)
        staging.chmod(0o755)
        os.replace(staging, directory)  # atomic: an empty DIR is replaced, never merged
    except OSError as exc:
        _undo(staging, key_path if created_key else None)
        raise AidbooksError(
            f"cannot be created ({exc.strerror})",
            "check the path and permissions; nothing was changed",
            str(directory),
        ) from None
    except BaseException:
        _undo(staging, key_path if created_key else None)
        raise
    fsync_dir(parent)
    click.echo(f"New books for {name!r} in {directory}/")
    click.echo(f"  main ledger: {directory / 'main.beancount'}")
    click.echo(f"  policy:      {directory / 'aidbooks.toml'}")
    state = "created" if created_key else "already there, kept"
    click.echo(f"  key:         {key_path} ({state}; back it up, never commit it)")
    click.echo(
        f"  books begin: {begin.isoformat()} (imported rows dated earlier are skipped; "
        "set another day with --start)"
    )
    click.echo(f"Next: aidbooks check {directory / 'main.beancount'}")
