"""The `watchkeeper` command: thin commands, each delegating to one library function.

One module per command group; each has ``register(app)``, which adds its commands with
:func:`watchkeeper.cli.registry.add_commands`. Exit codes are :class:`ExitCode`: 0 clean;
1 the command ran but found problems (collection errors, failed verification); 2 usage or
setup errors (bad flags, no credentials, unreadable database); 3 `run`/`email` wrote the
report but could not deliver it; 130 interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper import __version__
from watchkeeper.cli import (
    analyst,
    check,
    collect,
    controls,
    demo,
    fix,
    iam,
    notify,
    pattern,
    report,
    serve,
    store,
)
from watchkeeper.cli.errors import ExitCode
from watchkeeper.cli.registry import HELP_MARKUP

# Commands import what they run inside their bodies: a command then loads only its own part
# of watchkeeper (no AWS SDK for `check`, no DuckDB for `pattern`), which keeps start-up short.

app = typer.Typer(
    name="watchkeeper",
    help="Prove, with evidence, that CloudTrail monitoring pages a human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)


def _version(value: bool) -> None:
    if value:
        print(f"watchkeeper {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """watchkeeper: CIS AWS Foundations monitoring controls, proven end to end."""


# In the order `--help` lists them (groups come after the commands).
for module in (
    collect,
    store,
    check,
    fix,
    iam,
    report,
    serve,
    demo,
    notify,
    analyst,
    pattern,
    controls,
):
    module.register(app)


def main() -> None:
    app(prog_name="watchkeeper")


__all__ = ["ExitCode", "app", "main"]
