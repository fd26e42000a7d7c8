"""`demo`: the whole pipeline against an embedded AWS emulator, offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from watchkeeper.cli.errors import user_errors
from watchkeeper.cli.options import BenchmarkVersionOption, QuietOption
from watchkeeper.cli.output import STATUS_STYLE, err, out, print_results, progress
from watchkeeper.cli.registry import add_commands
from watchkeeper.queries import DEFAULT_BENCHMARK
from watchkeeper.queries.results import control_sort_key

if TYPE_CHECKING:
    from watchkeeper.queries.results import CheckRun

# Each command imports what it runs (see cli/__init__.py).


@user_errors
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Write here; the reports and the database")
    ] = Path("watchkeeper-demo"),
    benchmark: BenchmarkVersionOption = DEFAULT_BENCHMARK,
    quiet: QuietOption = False,
) -> None:
    """Run the whole pipeline against a seeded, embedded AWS emulator: no AWS account, no
    network. Prints the verdicts and the paths of the HTML and PDF reports."""
    from watchkeeper.demo import run_demo
    from watchkeeper.progress import reporter_for

    if not quiet:
        err.print("starting the AWS emulator and seeding a small organisation …")
    reporter = reporter_for(quiet, err)
    with progress(reporter):
        outcome = run_demo(output, benchmark=benchmark, reporter=reporter)
    _print_matrix(outcome.run, {v: k for k, v in outcome.accounts.items()})
    for fmt, path in sorted(outcome.files.items()):
        out.print(f"{fmt.upper()} report: {path}", highlight=False, soft_wrap=True)
    out.print(
        f"database: {outcome.db} (try `watchkeeper check --db {outcome.db}`)", highlight=False
    )


def _print_matrix(run: CheckRun, names: dict[str, str]) -> None:
    """Controls × accounts, then why each failing cell fails: fits a terminal."""
    accounts = sorted({r.account_id for r in run.results}, key=lambda a: (names.get(a, "~"), a))
    cells = {(r.control_id, r.account_id): r for r in run.results}
    controls = sorted(
        {(r.control_id, r.topic) for r in run.results},
        key=lambda c: control_sort_key(c[0]),
    )
    table = Table(title=f"{run.benchmark} · snapshot {run.snapshot.id} · {run.profile} profile")
    table.add_column("control")
    for a in accounts:
        table.add_column(f"{names.get(a, '')}\n{a}", justify="center", no_wrap=True)
    for cid, topic in controls:
        row = [f"{cid} {topic}"]
        for a in accounts:
            r = cells.get((cid, a))
            row.append(f"[{STATUS_STYLE[r.status]}]{r.status.upper()}[/]" if r else "-")
        table.add_row(*row)
    out.print(table)
    print_results(run, only_failing=True)


def register(app: typer.Typer) -> None:
    add_commands(app, {"demo": demo})
