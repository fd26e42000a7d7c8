"""`fix`: plan the steps that mend failing chains (the default), or apply them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli.errors import ExitCode, fail, user_errors
from watchkeeper.cli.options import (
    AWS_PROFILE_HELP,
    ROLE_NAME_HELP,
    AccountFilterOption,
    ConfigOption,
    ControlsOption,
    DbOption,
    EndpointUrlOption,
    ExternalIdOption,
    OuOption,
    RegionFilterOption,
)
from watchkeeper.cli.output import err
from watchkeeper.cli.registry import add_commands
from watchkeeper.config import load_file, resolve_db

if TYPE_CHECKING:
    from watchkeeper.fix.plan import PlanRequest
    from watchkeeper.fix.steps import Plan

# Each command imports what it runs (see cli/__init__.py).

FORMATS = ("text", "sh", "terraform", "cloudformation", "json")


@user_errors
def fix(
    db: DbOption = None,
    config: ConfigOption = None,
    run: Annotated[int | None, typer.Option(help="Check run id; plan from it [latest]")] = None,
    control: ControlsOption = None,
    account: AccountFilterOption = None,
    ou: OuOption = None,
    region: RegionFilterOption = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply/--plan",
            help="Apply the plan, or only print it (--plan, the default)",
            show_default=False,
        ),
    ] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="Output format; text, sh, terraform, cloudformation or json"
        ),
    ] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here")] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            help="Subscriber to add where a topic has none confirmed, PROTOCOL:ENDPOINT "
            "(repeatable), e.g. email:secops@example.com"
        ),
    ] = None,
    logs_role_arn: Annotated[
        str | None,
        typer.Option(
            help="Role CloudTrail assumes to write to CloudWatch Logs (its ARN; {account} "
            "stands for each account's id)"
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking")] = False,
    role_name: Annotated[
        str | None,
        typer.Option(
            help=f"{ROLE_NAME_HELP}; --apply: the fixer's write role (e.g. watchkeeper-fixer), "
            "assumed in every account written to [the caller's own credentials]"
        ),
    ] = None,
    collect_role_name: Annotated[
        str | None,
        typer.Option(
            help="Role the re-collection after --apply assumes in other accounts (the reader "
            "role, e.g. watchkeeper-reader)"
        ),
    ] = None,
    external_id: ExternalIdOption = None,
    profile: Annotated[str | None, typer.Option(help=AWS_PROFILE_HELP)] = None,
    endpoint_url: EndpointUrlOption = None,
) -> None:
    """Plan (default) or apply the steps that turn failing chains into passing ones."""
    from watchkeeper.fix.formats import render
    from watchkeeper.fix.plan import FixOptions, PlanRequest, build_plan, parse_subscriber

    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    if apply and not yes and not sys.stdin.isatty():
        # Before anything is read: a job without a terminal learns it at once.
        raise fail("--apply writes to AWS: give --yes to apply when not on a terminal")
    cfg = load_file(config)
    request = PlanRequest(
        db=resolve_db(db, cfg),
        run_id=run,
        controls=tuple(control or ()),
        accounts=tuple(account or ()),
        ous=tuple(ou or ()),
        regions=tuple(region or ()),
        options=FixOptions(tuple(parse_subscriber(n) for n in notify or ()), logs_role_arn),
    )
    plan = build_plan(request)
    if not apply:
        text = render(plan, fmt, role_name)
        if output is not None:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {output}")
        else:
            sys.stdout.write(text)
        return
    if not plan.steps:
        print(render(plan, "text"), end="")
        print("Nothing to apply.")
        return
    if not yes:
        print(render(plan, "text"), end="")
        if not typer.confirm(f"Apply these {len(plan.steps)} step(s)?", default=False):
            err.print("nothing applied")
            raise typer.Exit(ExitCode.OK)
    _apply(request, plan, role_name, collect_role_name, external_id, profile, endpoint_url)


def _apply(
    request: PlanRequest,
    plan: Plan,
    role_name: str | None,
    collect_role_name: str | None,
    external_id: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> None:
    from watchkeeper.collector.aws import AwsOptions
    from watchkeeper.fix.apply import ApplyRequest, apply_fix

    outcome = apply_fix(
        ApplyRequest(
            request,
            AwsOptions(profile=profile, endpoint_url=endpoint_url),
            role_name,
            external_id,
            collect_role_name,
        ),
        plan,
    )
    for s in outcome.log:
        print(f"step {s.step} {s.api_call} {s.account_id} {s.region}: {s.status}: {s.message}")
    print(
        f"remediation run {outcome.remediation_id} by {outcome.applied_by}: "
        f"{len(outcome.writes)} write call(s); snapshot {outcome.snapshot_after}, "
        f"check run {outcome.check_run_after}"
    )
    for o in outcome.outcomes:
        print(
            f"{o.control_id} {o.account_id}: {o.before} → {o.after or 'not re-checked'} ({o.note})"
        )
    if outcome.failed:
        raise typer.Exit(ExitCode.FINDINGS)


def register(app: typer.Typer) -> None:
    add_commands(app, {"fix": fix})
