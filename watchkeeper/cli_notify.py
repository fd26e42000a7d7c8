"""The `demo`, `email` and `run` commands; each parses flags and calls one library function.

Exit codes: 0 clean; 1 findings (fail/error verdicts, collection errors); 2 usage or setup
error; 3 the report was written but the e-mail could not be delivered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli_common import (
    STATUS_STYLE,
    ConfigOption,
    DbOption,
    err,
    id_key,
    note_external_id_flag,
    out,
    print_results,
    progress,
    user_errors,
)
from watchkeeper.config import load_file, resolve_db
from watchkeeper.queries import DEFAULT_BENCHMARK
from watchkeeper.reports import REPORT_FORMATS

if TYPE_CHECKING:
    from watchkeeper.queries.results import CheckRun

# Each command imports what it runs (see cli.py).


def _print_matrix(run: CheckRun, names: dict[str, str]) -> None:
    """Controls × accounts, then why each failing cell fails: fits a terminal."""
    accounts = sorted({r.account_id for r in run.results}, key=lambda a: (names.get(a, "~"), a))
    cells = {(r.control_id, r.account_id): r for r in run.results}
    controls = sorted(
        {(r.control_id, r.topic) for r in run.results},
        key=lambda c: id_key(c[0]),
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


ToOption = Annotated[
    list[str] | None,
    typer.Option("--to", help="Recipient (repeatable) [env WATCHKEEPER_EMAIL_TO, comma-separated]"),
]
CcOption = Annotated[
    list[str] | None, typer.Option("--cc", help="Copy to (repeatable) [env WATCHKEEPER_EMAIL_CC]")
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="Sender address [env WATCHKEEPER_EMAIL_FROM]")
]
TransportOption = Annotated[str | None, typer.Option("--transport", help="smtp (default) or ses")]
AttachOption = Annotated[
    list[str] | None,
    typer.Option("--attach", help="Attach pdf (default), html, json, csv (repeatable)"),
]
OnlyOnChangeOption = Annotated[
    bool | None,
    typer.Option(
        "--only-on-change/--always",
        help="Send only when a verdict differs from the previous stored run",
    ),
]
SmtpHostOption = Annotated[
    str | None, typer.Option("--smtp-host", help="SMTP server [env WATCHKEEPER_SMTP_HOST]")
]
SmtpPortOption = Annotated[
    int | None,
    typer.Option("--smtp-port", help="SMTP port [587 starttls, 465 tls, 25 none]"),
]
SmtpSecurityOption = Annotated[
    str | None,
    typer.Option("--smtp-security", help="starttls (default), tls (implicit) or none"),
]
SmtpUserOption = Annotated[
    str | None,
    typer.Option("--smtp-username", help="SMTP login [env WATCHKEEPER_SMTP_USERNAME]"),
]
SmtpPasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        "--smtp-password-file",
        help="File holding the SMTP password (or env WATCHKEEPER_SMTP_PASSWORD); "
        "never given on the command line",
    ),
]
SesRegionOption = Annotated[
    str | None, typer.Option("--ses-region", help="SES region [env WATCHKEEPER_SES_REGION]")
]
SesEndpointOption = Annotated[
    str | None,
    typer.Option(
        "--ses-endpoint-url", help="SES endpoint (an emulator) [WATCHKEEPER_SES_ENDPOINT_URL]"
    ),
]


def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where the reports and database go")
    ] = Path("watchkeeper-demo"),
    benchmark: Annotated[
        str, typer.Option("--benchmark", "-b", help="e.g. cis-v5.0.0 [default]")
    ] = DEFAULT_BENCHMARK,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the results")] = False,
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


def email(
    db: DbOption = None,
    config: ConfigOption = None,
    to: ToOption = None,
    cc: CcOption = None,
    sender: FromOption = None,
    transport: TransportOption = None,
    attach: AttachOption = None,
    only_on_change: OnlyOnChangeOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_username: SmtpUserOption = None,
    smtp_password_file: SmtpPasswordFileOption = None,
    ses_region: SesRegionOption = None,
    ses_endpoint_url: SesEndpointOption = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help="Latest run of this benchmark")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Latest run of this profile (full, literal)")
    ] = None,
    run_id: Annotated[int | None, typer.Option("--run-id", help="This stored run")] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Reports go to a dated folder here [./watchkeeper-reports]"
        ),
    ] = None,
) -> None:
    """E-mail the latest stored check run: summary and failing items, PDF attached."""
    from watchkeeper.pipeline import EmailJob, email_latest
    from watchkeeper.settings import EmailFlags, email_output, email_settings

    cfg = load_file(config)
    settings = email_settings(EmailFlags.from_options(locals()), cfg)
    outcome = email_latest(
        EmailJob(
            db=resolve_db(db, cfg),
            settings=settings,
            output=email_output(output, cfg),
            benchmark=benchmark,
            profile=profile,
            run_id=run_id,
        )
    )
    _report_email(outcome.sent, outcome.detail, outcome.error, outcome.files)
    raise typer.Exit(outcome.exit_code)


def _report_email(sent: bool, detail: str, error: str | None, files: dict[str, Path]) -> None:
    if error:
        err.print(f"[red]error:[/red] {escape(error)}", highlight=False, soft_wrap=True)
        kept = sorted({str(p.parent) for p in files.values()})
        if kept:
            err.print(f"the report is kept in {', '.join(kept)}", highlight=False, soft_wrap=True)
    else:
        # stdout: with --quiet under cron, stderr (mailed by cron) carries only errors.
        out.print(detail, highlight=False, markup=False, soft_wrap=True)


def run(
    db: DbOption = None,
    config: ConfigOption = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="Account id (repeatable)")
    ] = None,
    organization: Annotated[
        bool | None,
        typer.Option("--organization/--no-organization", help="Every account of the organization"),
    ] = None,
    role_name: Annotated[str | None, typer.Option(help="Role to assume in other accounts")] = None,
    external_id: Annotated[
        str | None, typer.Option(help="External id for AssumeRole [env WATCHKEEPER_EXTERNAL_ID]")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Region (repeatable)")
    ] = None,
    aws_profile: Annotated[
        str | None, typer.Option("--aws-profile", help="AWS profile [env AWS_PROFILE]")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Send every AWS call here (an emulator)")
    ] = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help="e.g. cis-v5.0.0 [default]")
    ] = None,
    check_profile: Annotated[
        str | None, typer.Option("--check-profile", help="full (default) or literal")
    ] = None,
    attestations: Annotated[Path | None, typer.Option(help="YAML of attested controls")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="One dated folder per run here [./watchkeeper-runs]"),
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help=f"{', '.join(REPORT_FORMATS)} (repeatable) [html, pdf, json, csv]",
        ),
    ] = None,
    send: Annotated[
        bool | None,
        typer.Option("--email/--no-email", help="E-mail the report [default: if recipients set]"),
    ] = None,
    to: ToOption = None,
    cc: CcOption = None,
    sender: FromOption = None,
    transport: TransportOption = None,
    attach: AttachOption = None,
    only_on_change: OnlyOnChangeOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_username: SmtpUserOption = None,
    smtp_password_file: SmtpPasswordFileOption = None,
    ses_region: SesRegionOption = None,
    ses_endpoint_url: SesEndpointOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the final summary")] = False,
) -> None:
    """collect → check → report → e-mail in one command, for cron, systemd timers and CI.
    Exit 0 all pass, 1 findings or collection errors, 2 usage/setup error, 3 not delivered."""
    from watchkeeper.pipeline import RunJob, run_job
    from watchkeeper.progress import reporter_for
    from watchkeeper.settings import (
        CollectFlags,
        EmailFlags,
        check_settings,
        collect_request,
        email_settings,
        run_settings,
        wants_email,
    )

    note_external_id_flag(external_id)
    cfg = load_file(config)
    request = collect_request(
        CollectFlags(
            db=db,
            accounts=tuple(account or ()),
            organization=organization,
            role_name=role_name,
            external_id=external_id,
            regions=tuple(region or ()),
            profile=aws_profile,
            endpoint_url=endpoint_url,
        ),
        cfg,
    )
    settings = run_settings(output, tuple(fmt or ()), send, cfg)
    flags = EmailFlags.from_options(locals())
    # Resolved before collecting, so a config mistake fails in a second, not after an hour.
    # settings.email already folds in --email/--no-email; --email also forces an attempt.
    mail = None
    if settings.email and (send or wants_email(flags, cfg)):
        mail = email_settings(flags, cfg)
    job = RunJob(
        collect=request,
        check=check_settings(benchmark, check_profile, attestations, cfg),
        run=settings,
        email=mail,
    )
    reporter = reporter_for(quiet, err)
    with progress(reporter):
        outcome = run_job(job, reporter)
    if not quiet:
        print_results(outcome.run, only_failing=True)
    counts = outcome.run.counts()
    out.print(
        f"run {outcome.run.run_id}: snapshot {outcome.collected.snapshot.snapshot_id}, "
        f"{len(outcome.collected.errors)} collection error(s), "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; reports in {outcome.folder}",
        highlight=False,
        soft_wrap=True,
    )
    for e in outcome.collected.errors[:20]:
        err.print(
            f"collection error: {e.account_id or '-'} {e.region or '-'} "
            f"{e.service}:{e.operation} {e.error_code}: {e.message[:200]}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if outcome.email is not None:
        em = outcome.email
        _report_email(em.sent, em.detail, em.error, em.files)
    raise typer.Exit(outcome.exit_code)


def register(app: typer.Typer) -> None:
    """Add `demo`, `email` and `run` to the main app."""
    app.command("demo")(user_errors(demo))
    app.command("email")(user_errors(email))
    app.command("run")(user_errors(run))
