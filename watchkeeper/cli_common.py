"""What every command module shares: consoles, the user-error wrapper, result tables."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from watchkeeper.errors import UserError
from watchkeeper.queries import DEFAULT_BENCHMARK
from watchkeeper.queries.results import STATUS_ORDER, CheckRun

if TYPE_CHECKING:
    from watchkeeper.collector import Reporter

P = ParamSpec("P")
R = TypeVar("R")

out = Console()
err = Console(stderr=True)

# Help texts are read as Markdown: as Rich markup (typer's default), every
# "[env WATCHKEEPER_DB]"-style note in them is taken for a style tag and dropped from --help.
HELP_MARKUP: Literal["markdown"] = "markdown"

STATUS_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "manual": "yellow"}


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Errors a user can cause become one line on stderr and exit code 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            # KeyError's str() adds quotes; show its message as written.
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            err.print(f"[red]error:[/red] {escape(str(text))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted; a snapshot in progress stays marked incomplete")
            raise typer.Exit(130) from None

    return wrapper


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file [env WATCHKEEPER_DB; default ./watchkeeper.duckdb]"),
]
BenchmarkOption = Annotated[
    str | None,
    typer.Option(
        "--benchmark",
        "-b",
        help="e.g. cis-v3.0.0; else WATCHKEEPER_BENCHMARK, check.benchmark in the config, "
        f"{DEFAULT_BENCHMARK}",
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        help="full (the whole chain) or literal (the benchmark's audit); else check.profile "
        "in the config, full"
    ),
]
AttestationsOption = Annotated[
    Path | None,
    typer.Option(
        help="YAML of attested controls (SIEM monitoring, v2.0.0+); else check.attestations "
        "in the config"
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="watchkeeper.toml [env WATCHKEEPER_CONFIG]")
]


def progress(reporter: Reporter) -> contextlib.AbstractContextManager[object]:
    """The live progress display while collecting; nothing to open for the log reporter."""
    if isinstance(reporter, contextlib.AbstractContextManager):
        return reporter
    return contextlib.nullcontext()


def note_external_id_flag(external_id: str | None) -> None:
    """Given as a flag, the external id is in argv: say where it belongs instead."""
    if external_id:
        err.print(
            "note: --external-id is visible to other users in the process list; prefer "
            "WATCHKEEPER_EXTERNAL_ID or [collect] external_id in watchkeeper.toml",
            highlight=False,
        )


def fail(message: str) -> typer.Exit:
    """A usage error found by a command itself: one line on stderr; raise the result."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def id_key(control_id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in control_id.split("."))


def print_counts(run: CheckRun, console: Console = out) -> None:
    console.print(
        " · ".join(f"[{STATUS_STYLE[s]}]{n} {s}[/]" for s, n in run.counts().items())
        + (f" · stored as run {run.run_id}" if run.run_id is not None else "")
    )


def print_results(run: CheckRun, *, only_failing: bool = False, console: Console = out) -> None:
    """Failing items first; readable at a glance, coloured on a terminal."""
    table = Table(title=f"{run.benchmark} · snapshot {run.snapshot.id} · {run.profile} profile")
    table.add_column("control", no_wrap=True)
    table.add_column("account", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", overflow="fold")
    shown = [r for r in run.results if not only_failing or r.status in ("fail", "error")]
    for r in sorted(
        shown, key=lambda r: (STATUS_ORDER[r.status], r.account_id, id_key(r.control_id))
    ):
        table.add_row(
            f"{r.control_id} {r.topic}",
            r.account_id,
            f"[{STATUS_STYLE[r.status]}]{r.status.upper()}[/]",
            escape(r.reason),
        )
    if shown:
        console.print(table)
    print_counts(run, console)
