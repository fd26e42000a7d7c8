"""`controls`, `controls show`: the controls catalog, offline."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from watchkeeper.cli.errors import ExitCode
from watchkeeper.cli.options import BenchmarkVersionOption
from watchkeeper.cli.output import err, out
from watchkeeper.cli.registry import add_commands, group
from watchkeeper.queries import DEFAULT_BENCHMARK

# Each command imports what it runs (see cli/__init__.py).


def controls_list(
    ctx: typer.Context, benchmark: BenchmarkVersionOption = DEFAULT_BENCHMARK
) -> None:
    """List the monitoring controls of a benchmark version."""
    if ctx.invoked_subcommand is not None:
        return
    from watchkeeper.queries.catalog import CatalogError, load_catalog

    catalog = load_catalog()
    try:
        items = catalog.controls(catalog.resolve_benchmark(benchmark))
    except CatalogError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    table = Table(title=f"{benchmark}: {len(items)} monitoring controls")
    for col in ("id", "topic", "title", "level", "assessment", "Security Hub"):
        table.add_column(col, overflow="fold")
    for c in items:
        table.add_row(
            c.control_id, c.topic, c.title, f"L{c.level}", c.assessment, c.security_hub_id or "-"
        )
    out.print(table)


def controls_show(
    key: Annotated[str, typer.Argument(help="Control id (4.5), topic or Security Hub id")],
    benchmark: BenchmarkVersionOption = DEFAULT_BENCHMARK,
) -> None:
    """Print one control: its text, intent (with the reasoning), published patterns and
    the SQL that decides it."""
    from watchkeeper.queries.catalog import CatalogError, load_catalog
    from watchkeeper.queries.control_text import control_text

    catalog = load_catalog()
    try:
        c = catalog.find(catalog.resolve_benchmark(benchmark), key)
    except CatalogError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    print(control_text(c))


# `watchkeeper controls` alone lists them: the group's callback is the list command.
controls_app = group("The controls catalog.", no_args_is_help=False)
controls_app.callback(invoke_without_command=True)(controls_list)
add_commands(controls_app, {"show": controls_show})


def register(app: typer.Typer) -> None:
    add_commands(app, {"controls": controls_app})
