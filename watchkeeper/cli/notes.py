"""One-line advice on stderr about how a command was called: a secret in argv, an old flag
spelling, an old config key. The command still runs."""

from __future__ import annotations

from collections.abc import Callable

import typer

from watchkeeper.cli.errors import fail
from watchkeeper.cli.output import err
from watchkeeper.config import FileConfig


def note(text: str) -> None:
    err.print(f"note: {text}", highlight=False, markup=False, soft_wrap=True)


def note_external_id_flag(external_id: str | None) -> None:
    """Given as a flag, the external id is in argv: say where it belongs instead."""
    if external_id:
        err.print(
            "note: --external-id is visible to other users in the process list; prefer "
            "WATCHKEEPER_EXTERNAL_ID or [collect] external_id in watchkeeper.toml",
            highlight=False,
        )


def note_renamed_keys(cfg: FileConfig, section: str) -> None:
    for old, new in cfg.renamed_keys_used(section):
        note(f"[{section}] {old} in {cfg.path} is deprecated; rename it to {new}")


def _strictness_levels() -> tuple[str, ...]:
    # Imported when a value is given, not at start-up: `--help` stays free of DuckDB.
    from watchkeeper.queries.check import PROFILES

    return PROFILES


def check_strictness(value: str | None) -> str | None:
    """Callback of --strictness: an unknown level is a one-line usage error."""
    if value is not None and value not in (levels := _strictness_levels()):
        raise fail(f"unknown strictness {value!r}; choose {' or '.join(levels)}")
    return value


def strictness_alias(old: str, why: str = "") -> Callable[[typer.Context, str | None], str | None]:
    """Callback of a deprecated spelling of --strictness: note it, pass the value on."""

    def callback(ctx: typer.Context, value: str | None) -> str | None:
        # An unknown level is left to the command's own one-line error; a note above that
        # line would make a user error two lines.
        if value is not None and value in _strictness_levels():
            note(f"{old} on `{ctx.info_name}` is deprecated; use --strictness{why}")
        return value

    return callback
