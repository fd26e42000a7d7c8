"""How commands join the app: every command module has ``register(app)``, which calls
:func:`add_commands` with its commands and groups (one way, for all of them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import typer

# Help texts are read as Markdown: as Rich markup (typer's default), every
# "[env WATCHKEEPER_DB]"-style note in them is taken for a style tag and dropped from --help.
HELP_MARKUP: Literal["markdown"] = "markdown"

Command = Callable[..., None]


def group(help: str, *, no_args_is_help: bool) -> typer.Typer:
    """A command group (`watchkeeper pattern …`), to be added with :func:`add_commands`."""
    return typer.Typer(
        help=help,
        no_args_is_help=no_args_is_help,
        add_completion=False,
        rich_markup_mode=HELP_MARKUP,
    )


def add_commands(app: typer.Typer, commands: Mapping[str, Command | typer.Typer]) -> None:
    """Add commands and groups to ``app`` under their names, in order. A name already
    there is left alone, so registering a module twice changes nothing."""
    present = {c.name for c in app.registered_commands}
    present |= {g.name for g in app.registered_groups}
    for name, item in commands.items():
        if name in present:
            continue
        if isinstance(item, typer.Typer):
            app.add_typer(item, name=name)
        else:
            app.command(name)(item)
