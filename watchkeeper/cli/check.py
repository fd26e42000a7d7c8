"""`check`: judge the controls on a snapshot, store the verdicts, gate CI on them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from watchkeeper.cli.errors import ExitCode, user_errors
from watchkeeper.cli.notes import note_renamed_keys
from watchkeeper.cli.options import (
    AccountFilterOption,
    AllResultsOption,
    AttestationsOption,
    BenchmarkOption,
    ConfigOption,
    ControlsOption,
    DbOption,
    OuOption,
    ProfileAliasOption,
    StrictnessOption,
)
from watchkeeper.cli.output import err
from watchkeeper.cli.registry import add_commands
from watchkeeper.cli.summary_view import print_all_results, print_summary
from watchkeeper.config import load_file, resolve_db

# Each command imports what it runs (see cli/__init__.py).

FAIL_ON = ("fail", "error", "never")


@user_errors
def check(
    db: DbOption = None,
    config: ConfigOption = None,
    benchmark: BenchmarkOption = None,
    control: ControlsOption = None,
    account: AccountFilterOption = None,
    ou: OuOption = None,
    snapshot: Annotated[
        int | None, typer.Option(help="Snapshot id; judge this one [latest per account]")
    ] = None,
    strictness: StrictnessOption = None,
    profile: ProfileAliasOption = None,
    attestations: AttestationsOption = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="Output format; table, json, csv, junit or markdown"),
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here")] = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 on: fail (fail or error), error (error only), never")
    ] = "fail",
    all_results: AllResultsOption = False,
) -> None:
    """Judge the CIS monitoring controls on a snapshot and store the verdicts."""
    from watchkeeper.queries.check import CheckRequest
    from watchkeeper.queries.check import check as run_check
    from watchkeeper.reports import formats
    from watchkeeper.settings import check_settings

    if fmt not in ("table", *formats.FORMATS):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    if fail_on not in FAIL_ON:
        raise typer.BadParameter(f"unknown value {fail_on!r}", param_hint="--fail-on")
    cfg = load_file(config)
    note_renamed_keys(cfg, "check")
    settings = check_settings(benchmark, strictness or profile, attestations, cfg)
    run = run_check(
        CheckRequest(
            db=resolve_db(db, cfg),
            benchmark=settings.benchmark,
            controls=tuple(control or ()),
            accounts=tuple(account or ()),
            ous=tuple(ou or ()),
            snapshot_id=snapshot,
            profile=settings.profile,
            attestations=settings.attestations,
        )
    )
    show = print_all_results if all_results else print_summary
    if output is not None:
        with output.open("w", encoding="utf-8") as fh:
            if fmt == "table":  # the same view, as plain text at 80 columns
                show(run, console=Console(file=fh, width=80, no_color=True))
            else:
                fh.write(formats.render(run, fmt))
        err.print(f"wrote {output}")
    elif fmt == "table":
        show(run)
    else:
        sys.stdout.write(formats.render(run, fmt))
    counts = run.counts()
    failing = counts["fail"] + counts["error"] if fail_on == "fail" else counts["error"]
    if fail_on != "never" and failing:
        raise typer.Exit(ExitCode.FINDINGS)


def register(app: typer.Typer) -> None:
    add_commands(app, {"check": check})
