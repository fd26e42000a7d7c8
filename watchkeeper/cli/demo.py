"""`demo`: the whole pipeline against an embedded AWS emulator, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.errors import user_errors
from watchkeeper.cli.options import BenchmarkVersionOption, QuietOption
from watchkeeper.cli.output import err, out, progress
from watchkeeper.cli.registry import add_commands
from watchkeeper.cli.summary_view import print_summary
from watchkeeper.queries import DEFAULT_BENCHMARK

# Each command imports what it runs (see cli/__init__.py).


@user_errors
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Write here; the reports and the database")
    ] = Path("watchkeeper-demo"),
    benchmark: BenchmarkVersionOption = DEFAULT_BENCHMARK,
    quiet: QuietOption = False,
    serve_after: Annotated[
        bool,
        typer.Option(
            "--serve", help="Then serve the dashboard over the demo database on 127.0.0.1"
        ),
    ] = False,
) -> None:
    """Run the whole pipeline against a seeded, embedded AWS emulator: no AWS account, no
    network. Prints the verdicts, the paths of the HTML and PDF reports, and the command
    that serves the dashboard over the demo database."""
    from watchkeeper.demo import run_demo
    from watchkeeper.progress import reporter_for

    if not quiet:
        err.print("starting the AWS emulator and seeding a small organisation …")
    reporter = reporter_for(quiet, err)
    with progress(reporter):
        outcome = run_demo(output, benchmark=benchmark, reporter=reporter)
    print_summary(outcome.run, names={v: k for k, v in outcome.accounts.items()})
    for fmt, path in sorted(outcome.files.items()):
        out.print(f"{fmt.upper()} report: {path}", highlight=False, soft_wrap=True)
    out.print(
        f"database: {outcome.db} (try `watchkeeper check --db {outcome.db}`)", highlight=False
    )
    out.print(f"dashboard: watchkeeper serve --db {outcome.db}", highlight=False, soft_wrap=True)
    if serve_after:
        from watchkeeper.serve import ServeSettings, serve

        serve(
            ServeSettings(db=outcome.db),
            announce=lambda line: err.print(line, highlight=False, soft_wrap=True),
        )


def register(app: typer.Typer) -> None:
    add_commands(app, {"demo": demo})
