"""`email` and `run`: deliver the latest stored run, or do the whole scheduled job.

Exit codes (ExitCode): 0 clean; 1 findings (fail/error verdicts, collection errors); 2 usage
or setup error; 3 the report was written but the e-mail could not be delivered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.errors import ExitCode, user_errors
from watchkeeper.cli.notes import check_strictness, note_external_id_flag, note_renamed_keys
from watchkeeper.cli.options import (
    AWS_PROFILE_HELP,
    BENCHMARK_HELP,
    ORGANIZATION_HELP,
    STRICTNESS_HELP,
    AccountsOption,
    AllResultsOption,
    AttestationsOption,
    BenchmarkOption,
    CheckProfileAliasOption,
    ConfigOption,
    DbOption,
    DeepOption,
    EndpointUrlOption,
    ExternalIdOption,
    ProfileAliasOption,
    QuietOption,
    RegionsOption,
    RoleNameOption,
    StrictnessOption,
)
from watchkeeper.cli.output import err, out, print_collection_errors, progress
from watchkeeper.cli.registry import add_commands
from watchkeeper.cli.summary_view import print_all_results, print_summary
from watchkeeper.config import load_file, resolve_db
from watchkeeper.reports import REPORT_FORMATS

if TYPE_CHECKING:
    from watchkeeper.pipeline import EmailOutcome, RunOutcome

# Each command imports what it runs (see cli/__init__.py).

MAX_ERROR_LINES = 20

# The e-mail options `email` and `run` share.
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
MaxAttachmentOption = Annotated[
    float | None,
    typer.Option(
        "--max-attachment-mb",
        help="Size limit of the e-mail in MB, measured on the encoded message (base64 makes "
        "attachments 4/3 their size on disk); over it the reports are sent zipped, else only "
        "the failing items [10, SES's ceiling; env WATCHKEEPER_EMAIL_MAX_ATTACHMENT_MB]",
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


@user_errors
def email(
    db: DbOption = None,
    config: ConfigOption = None,
    to: ToOption = None,
    cc: CcOption = None,
    sender: FromOption = None,
    transport: TransportOption = None,
    attach: AttachOption = None,
    only_on_change: OnlyOnChangeOption = None,
    max_attachment_mb: MaxAttachmentOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_username: SmtpUserOption = None,
    smtp_password_file: SmtpPasswordFileOption = None,
    ses_region: SesRegionOption = None,
    ses_endpoint_url: SesEndpointOption = None,
    benchmark: Annotated[
        str | None,
        typer.Option("--benchmark", "-b", help=f"{BENCHMARK_HELP}; the latest run of it"),
    ] = None,
    strictness: Annotated[
        str | None,
        typer.Option(
            "--strictness",
            callback=check_strictness,
            help=f"{STRICTNESS_HELP}; the latest run judged so",
        ),
    ] = None,
    profile: ProfileAliasOption = None,
    run_id: Annotated[int | None, typer.Option("--run-id", help="This stored run")] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here; the reports, in a dated folder [./watchkeeper-reports]",
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
            profile=strictness or profile,
            run_id=run_id,
        )
    )
    _print_email(outcome)
    raise typer.Exit(ExitCode(outcome.exit_code))


def _print_email(outcome: EmailOutcome) -> None:
    if outcome.error:
        err.print(f"[red]error:[/red] {escape(outcome.error)}", highlight=False, soft_wrap=True)
        kept = sorted({str(p.parent) for p in outcome.files.values()})
        if kept:
            err.print(f"the report is kept in {', '.join(kept)}", highlight=False, soft_wrap=True)
    else:
        # stdout: with --quiet under cron, stderr (mailed by cron) carries only errors.
        out.print(outcome.detail, highlight=False, markup=False, soft_wrap=True)


@user_errors
def run(
    db: DbOption = None,
    config: ConfigOption = None,
    account: AccountsOption = None,
    organization: Annotated[
        bool | None,
        typer.Option("--organization/--no-organization", help=ORGANIZATION_HELP),
    ] = None,
    role_name: RoleNameOption = None,
    external_id: ExternalIdOption = None,
    region: RegionsOption = None,
    aws_profile: Annotated[str | None, typer.Option("--aws-profile", help=AWS_PROFILE_HELP)] = None,
    endpoint_url: EndpointUrlOption = None,
    deep: DeepOption = None,
    benchmark: BenchmarkOption = None,
    strictness: StrictnessOption = None,
    check_profile: CheckProfileAliasOption = None,
    attestations: AttestationsOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write here; one dated folder per run [./watchkeeper-runs]"
        ),
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help=f"Output format; {', '.join(REPORT_FORMATS)} (repeatable) [html, pdf, json, csv]",
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
    max_attachment_mb: MaxAttachmentOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_username: SmtpUserOption = None,
    smtp_password_file: SmtpPasswordFileOption = None,
    ses_region: SesRegionOption = None,
    ses_endpoint_url: SesEndpointOption = None,
    quiet: QuietOption = False,
    all_results: AllResultsOption = False,
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
    note_renamed_keys(cfg, "check")
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
            deep=deep,
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
        check=check_settings(benchmark, strictness or check_profile, attestations, cfg),
        run=settings,
        email=mail,
    )
    reporter = reporter_for(quiet, err)
    with progress(reporter):
        outcome = run_job(job, reporter)
    _print_run(outcome, quiet, all_results)
    raise typer.Exit(ExitCode(outcome.exit_code))


def _print_run(outcome: RunOutcome, quiet: bool, all_results: bool) -> None:
    if not quiet:
        # The view `check` prints: it reads at 80 columns at any number of accounts.
        (print_all_results if all_results else print_summary)(outcome.run)
    counts = outcome.run.counts()
    out.print(
        f"run {outcome.run.run_id}: snapshot {outcome.collected.snapshot.snapshot_id}, "
        f"{len(outcome.collected.errors)} collection error(s), "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; reports in {outcome.folder}",
        highlight=False,
        soft_wrap=True,
    )
    print_collection_errors(outcome.collected.errors, MAX_ERROR_LINES)
    if outcome.email is not None:
        _print_email(outcome.email)


def register(app: typer.Typer) -> None:
    add_commands(app, {"email": email, "run": run})
