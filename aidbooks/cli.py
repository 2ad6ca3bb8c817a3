"""The ``aidbooks`` command line.

Each command lives in its own module (``aidbooks/cmd_<name>.py``) and is imported
only when used, so ``aidbooks --help`` and ``aidbooks code new`` stay fast.

Exit codes (docs/design.md#exit-codes): 0 all good, 1 findings (check/verify failed, rows
rejected), 2 usage or unreadable input. Program errors are printed as one line
``file:line: what is wrong. how to fix.`` — never a traceback, and never with
personal data. Set ``AIDBOOKS_DEBUG=1`` to see the traceback of an internal error.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import os
import sys
import traceback
from typing import Any

import click

from aidbooks import __version__
from aidbooks.plugins.errors import AidbooksError
from aidbooks.plugins.errors import printable

#: command name -> "module:attribute", in the order of ``aidbooks --help``.
COMMANDS: dict[str, str] = {
    "init": "aidbooks.cmd_init:init",
    "code": "aidbooks.cmd_code:code",
    "key": "aidbooks.cmd_key:key",
    "import": "aidbooks.cmd_import:import_",
    "check": "aidbooks.cmd_check:check",
    "report": "aidbooks.cmd_report:report",
    "verify": "aidbooks.cmd_verify:verify",
    "serve": "aidbooks.cmd_serve:serve",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [
            name
            for name, target in COMMANDS.items()
            if importlib.util.find_spec(target.split(":")[0]) is not None
        ]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        if importlib.util.find_spec(module_name) is None:
            return None
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a usage error is one line too (exit 2).

        Click prints a usage error as four lines (usage, hint, blank, error);
        every aidbooks error is one line, so scripts and people read the same
        shape everywhere.
        """
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        for stream in (sys.stdout, sys.stderr):
            # a file name that is not UTF-8 is printed escaped, never a crash
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(errors="backslashreplace")
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `aidbooks` alone: the help
                exc.show()
                sys.exit(0)
            path = exc.ctx.command_path if exc.ctx else (prog_name or "aidbooks")
            # the message may quote what was typed: a control character in it
            # (\x1e is a line break to str.splitlines) would break the one line
            message = printable(exc.format_message().rstrip("."))
            click.echo(f"{path}: {message}. Run '{path} --help' to see how.", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aidbooks: aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AidbooksError as exc:
            click.echo(f"aidbooks: {exc.line()}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("aidbooks: interrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(1)
        except Exception as exc:
            if os.environ.get("AIDBOOKS_DEBUG"):
                raise
            # Never print str(exc): it could quote a row of an export.
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
            click.echo(
                f"aidbooks: internal error ({type(exc).__name__} in {where}). "
                "Please report it; set AIDBOOKS_DEBUG=1 to see the details.",
                err=True,
            )
            ctx.exit(3)


@click.group(
    name="aidbooks", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="aidbooks")
def cli() -> None:
    """Books for mutual-aid funds: prove where every dollar went without saying to whom."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="aidbooks")
