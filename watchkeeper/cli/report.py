"""``watchkeeper report``: judge a snapshot and write the evidence report and machine formats.

Thin: flags → :class:`~watchkeeper.reports.render.ReportRequest` → ``write_reports``.
The main report puts exceptions first; ``--account``/``--ou`` write those accounts'
evidence packs instead, ``--evidence-packs DIR`` writes both.
Exit codes: 0 written; 2 usage or setup errors (bad flags, unreadable database), one line on
stderr. Failing controls do not change the exit code: use ``watchkeeper check`` to gate CI.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.errors import user_errors
from watchkeeper.cli.notes import note_renamed_keys
from watchkeeper.cli.options import (
    SINCE_HELP,
    AccountFilterOption,
    AttestationsOption,
    BenchmarkOption,
    ConfigOption,
    DbOption,
    OuOption,
    ProfileAliasOption,
    StrictnessOption,
)
from watchkeeper.cli.registry import add_commands
from watchkeeper.config import load_file, resolve_db
from watchkeeper.reports import REPORT_FORMATS

__all__ = ["register", "report"]


@user_errors
def report(
    db: DbOption = None,
    config: ConfigOption = None,
    benchmark: BenchmarkOption = None,
    snapshot: Annotated[
        int | None, typer.Option("--snapshot", help="Snapshot id; report on this one [latest]")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help=f"Output format; comma-separated: {', '.join(REPORT_FORMATS)}"
        ),
    ] = "html,pdf",
    output: Annotated[Path, typer.Option("--output", "-o", help="Write here; a directory")] = Path(
        "watchkeeper-report"
    ),
    title: Annotated[str | None, typer.Option("--title", help="Title on the cover")] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact/--no-redact", help="Mask subscriber e-mail addresses, URLs and numbers"
        ),
    ] = True,
    paper: Annotated[str, typer.Option("--paper", help="PDF paper size: a4 or letter")] = "a4",
    strictness: StrictnessOption = None,
    profile: ProfileAliasOption = None,
    attestations: AttestationsOption = None,
    timeline: Annotated[
        bool, typer.Option(help="Add each control's verdict over all snapshots, with a chart")
    ] = False,
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help=SINCE_HELP)] = None,
    account: AccountFilterOption = None,
    ou: OuOption = None,
    evidence_packs: Annotated[
        Path | None,
        typer.Option(
            "--evidence-packs",
            help="Also write each account's evidence pack (HTML, PDF) into this directory "
            "[every account, or those of --account/--ou]",
        ),
    ] = None,
) -> None:
    """Write the evidence report (HTML, PDF) and machine formats for a snapshot."""
    from watchkeeper.reports.render import ReportRequest, write_reports
    from watchkeeper.settings import check_settings

    cfg = load_file(config)
    note_renamed_keys(cfg, "check")
    settings = check_settings(benchmark, strictness or profile, attestations, cfg)
    result = write_reports(
        ReportRequest(
            db=resolve_db(db, cfg),
            benchmark=settings.benchmark,
            snapshot_id=snapshot,
            formats=(fmt,),
            output_dir=output,
            title=title,
            redact=redact,
            paper=paper,
            profile=settings.profile,
            attestations=settings.attestations,
            timeline=timeline,
            since=since.date() if since else None,
            accounts=tuple(account or ()),
            ous=tuple(ou or ()),
            evidence_packs=evidence_packs,
        )
    )
    counts = result.run.counts()
    typer.echo(
        f"snapshot {result.run.snapshot.id}: "
        + ", ".join(f"{n} {status}" for status, n in counts.items()),
        err=True,
    )
    for path in result.files.values():
        typer.echo(str(path))
    for path in result.packs:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the watchkeeper app."""
    add_commands(app, {"report": report})
