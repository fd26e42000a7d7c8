"""The `watchkeeper` command: thin commands, each delegating to one library function.

Exit codes: 0 clean; 1 the command ran but found problems (collection errors, failed
verification); 2 usage or setup errors (bad flags, no credentials, unreadable database).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from watchkeeper import __version__
from watchkeeper.cli_analyst import register as register_analyst
from watchkeeper.cli_common import (
    HELP_MARKUP,
    AttestationsOption,
    BenchmarkOption,
    ConfigOption,
    DbOption,
    ProfileOption,
    err,
    note_external_id_flag,
    out,
    print_results,
    progress,
    user_errors,
)
from watchkeeper.cli_notify import register as register_notify
from watchkeeper.cli_pattern import pattern_app
from watchkeeper.cli_report import register as register_report
from watchkeeper.config import load_file, resolve_db
from watchkeeper.queries import DEFAULT_BENCHMARK

if TYPE_CHECKING:
    from watchkeeper.collector import CollectOutcome

# Commands import what they run inside their bodies: a command then loads only its own part
# of watchkeeper (no AWS SDK for `check`, no DuckDB for `pattern`), which keeps start-up short.

app = typer.Typer(
    name="watchkeeper",
    help="Prove, with evidence, that CloudTrail monitoring pages a human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)
app.add_typer(pattern_app, name="pattern")


def _version(value: bool) -> None:
    if value:
        print(f"watchkeeper {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """watchkeeper: CIS AWS Foundations monitoring controls, proven end to end."""


@app.command()
@user_errors
def collect(
    db: DbOption = None,
    config: ConfigOption = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile [env AWS_PROFILE]")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(help="Send every AWS call here (an emulator) [env AWS_ENDPOINT_URL]"),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            "-r",
            help="Region to collect (repeatable); default: every region enabled for each account",
        ),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            "-a",
            help="Account id to collect (repeatable); needs "
            "--role-name for accounts other than the caller's",
        ),
    ] = None,
    organization: Annotated[
        bool, typer.Option(help="Collect every active account of the caller's organization")
    ] = False,
    role_name: Annotated[str | None, typer.Option(help="Role to assume in other accounts")] = None,
    external_id: Annotated[
        str | None,
        typer.Option(help="External id for AssumeRole [env WATCHKEEPER_EXTERNAL_ID]"),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Parallel account/region workers [8]")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(help="I/N: collect only this worker's share of the accounts (then `import`)"),
    ] = None,
    max_attempts: Annotated[
        int, typer.Option(min=1, max=50, help="Attempts per API call (adaptive retries)")
    ] = 10,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the final summary")] = False,
) -> None:
    """Snapshot trails, log groups, metric filters, alarms, topics, subscriptions and
    Security Hub status into the DuckDB file."""
    from watchkeeper.collector import collect as run_collect
    from watchkeeper.progress import reporter_for
    from watchkeeper.settings import CollectFlags, collect_request

    note_external_id_flag(external_id)
    request = collect_request(
        CollectFlags(
            db=db,
            accounts=tuple(account or ()),
            organization=organization or None,
            role_name=role_name,
            external_id=external_id,
            regions=tuple(region or ()),
            profile=profile,
            endpoint_url=endpoint_url,
            concurrency=concurrency,
            max_attempts=max_attempts,
            shard=shard,
        ),
        load_file(config),
    )
    reporter = reporter_for(quiet, err)
    with progress(reporter):
        outcome = run_collect(request, reporter)
    _print_outcome(outcome, request.db)
    if outcome.errors:
        raise typer.Exit(1)


def _print_outcome(outcome: CollectOutcome, db: Path) -> None:
    snap = outcome.snapshot
    regions = "enabled regions" if snap.regions is None else f"{len(snap.regions)} region(s)"
    out.print(
        f"snapshot {snap.snapshot_id} {snap.status} in {db}: {len(snap.accounts)} account(s), "
        f"{regions}, {snap.api_calls} API calls ({snap.api_retries} retries), "
        f"{len(outcome.errors)} collection error(s)",
        highlight=False,
    )
    out.print(f"sha256 {snap.sha256}", highlight=False)
    # One plain line per error: readable in cron mail and CI logs, greppable.
    for e in outcome.errors[:50]:
        err.print(
            f"collection error: {e.account_id or '-'} {e.region or '-'} "
            f"{e.service}:{e.operation} {e.error_code}: {e.message[:200]}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if len(outcome.errors) > 50:
        err.print(f"… and {len(outcome.errors) - 50} more (table collection_error)")


@app.command()
@user_errors
def snapshots(
    db: DbOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """List the snapshots in the database, newest last."""
    from watchkeeper.store import connect, list_snapshots

    con = connect(resolve_db(db, load_file(config)), read_only=True)
    try:
        snaps = list_snapshots(con)
    finally:
        con.close()
    if as_json:
        print(json.dumps([_jsonable(s.__dict__) for s in snaps], indent=2))
        return
    table = Table()
    for col in ("id", "started", "status", "accounts", "regions", "calls", "errors", "sha256"):
        table.add_column(col)
    for s in snaps:
        table.add_row(
            str(s.snapshot_id),
            s.started_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            s.status,
            str(len(s.accounts)),
            "enabled" if s.regions is None else str(len(s.regions)),
            str(s.api_calls if s.api_calls is not None else "-"),
            str(s.error_count if s.error_count is not None else "-"),
            (s.sha256 or "-")[:16],
        )
    out.print(table)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}


@app.command()
@user_errors
def verify(db: DbOption = None, config: ConfigOption = None) -> None:
    """Recompute every snapshot's SHA-256 and check the chain; exit 1 on any mismatch."""
    from watchkeeper.store import connect, verify_snapshots

    con = connect(resolve_db(db, load_file(config)), read_only=True)
    try:
        results = verify_snapshots(con)
    finally:
        con.close()
    bad = [r for r in results if not r.ok]
    for r in results:
        mark = "ok" if r.ok else "MISMATCH"
        detail = f": {r.problem}" if r.problem else ""
        out.print(f"snapshot {r.snapshot_id} ({r.status}) {mark}{detail}", highlight=False)
    if bad:
        err.print(f"{len(bad)} snapshot(s) failed verification")
        raise typer.Exit(1)
    out.print(f"all {len(results)} snapshot(s) verified")


@app.command()
@user_errors
def check(
    db: DbOption = None,
    config: ConfigOption = None,
    benchmark: BenchmarkOption = None,
    control: Annotated[
        list[str] | None,
        typer.Option("--control", "-c", help="Control id, topic or Security Hub id (repeatable)"),
    ] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="Only these accounts")
    ] = None,
    snapshot: Annotated[
        int | None, typer.Option(help="Judge this snapshot (default: latest per account)")
    ] = None,
    profile: ProfileOption = None,
    attestations: AttestationsOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv, junit or markdown")
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here")] = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 on: fail (fail or error), error (error only), never")
    ] = "fail",
) -> None:
    """Judge the CIS monitoring controls on a snapshot and store the verdicts."""
    from watchkeeper.queries.check import CheckRequest
    from watchkeeper.queries.check import check as run_check
    from watchkeeper.reports import formats
    from watchkeeper.settings import check_settings

    if fmt not in ("table", *formats.FORMATS):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    if fail_on not in ("fail", "error", "never"):
        raise typer.BadParameter(f"unknown value {fail_on!r}", param_hint="--fail-on")
    cfg = load_file(config)
    settings = check_settings(benchmark, profile, attestations, cfg)
    run = run_check(
        CheckRequest(
            db=resolve_db(db, cfg),
            benchmark=settings.benchmark,
            controls=tuple(control or ()),
            accounts=tuple(account or ()),
            snapshot_id=snapshot,
            profile=settings.profile,
            attestations=settings.attestations,
        )
    )
    if output is not None:
        with output.open("w", encoding="utf-8") as fh:
            if fmt == "table":  # the same table, as plain text
                print_results(run, console=Console(file=fh, width=160, no_color=True))
            else:
                fh.write(formats.render(run, fmt))
        err.print(f"wrote {output}")
    elif fmt == "table":
        print_results(run)
    else:
        sys.stdout.write(formats.render(run, fmt))
    counts = run.counts()
    failing = counts["fail"] + counts["error"] if fail_on == "fail" else counts["error"]
    if fail_on != "never" and failing:
        raise typer.Exit(1)


controls_app = typer.Typer(
    help="The controls catalog.", no_args_is_help=False, rich_markup_mode=HELP_MARKUP
)
app.add_typer(controls_app, name="controls")


@controls_app.callback(invoke_without_command=True)
def controls_list(
    ctx: typer.Context,
    benchmark: Annotated[str, typer.Option("--benchmark", "-b")] = DEFAULT_BENCHMARK,
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
        raise typer.Exit(2) from None
    table = Table(title=f"{benchmark}: {len(items)} monitoring controls")
    for col in ("id", "topic", "title", "level", "assessment", "Security Hub"):
        table.add_column(col, overflow="fold")
    for c in items:
        table.add_row(
            c.control_id, c.topic, c.title, f"L{c.level}", c.assessment, c.security_hub_id or "-"
        )
    out.print(table)


@controls_app.command("show")
def controls_show(
    key: Annotated[str, typer.Argument(help="Control id (4.5), topic or Security Hub id")],
    benchmark: Annotated[str, typer.Option("--benchmark", "-b")] = DEFAULT_BENCHMARK,
) -> None:
    """Print one control: its text, required patterns and the SQL that decides it."""
    from watchkeeper.queries.catalog import CatalogError, load_catalog
    from watchkeeper.queries.check import control_sql

    catalog = load_catalog()
    try:
        c = catalog.find(catalog.resolve_benchmark(benchmark), key)
    except CatalogError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None
    print(f"{c.control_id} {c.title}")
    print(
        f"benchmark {c.benchmark} · topic {c.topic} · level {c.level} · {c.assessment}"
        f" · Security Hub {c.security_hub_id or '-'}"
    )
    for heading, text in (
        ("Description", c.description),
        ("Rationale", c.rationale),
        ("Impact", c.impact),
        ("Audit", c.audit),
        ("Remediation", c.remediation),
    ):
        print(f"\n{heading}\n{text}")
    if c.required_patterns:
        print("\nRequired pattern(s) (a filter must cover at least one)")
        for p in c.required_patterns:
            print(f"  {p}")
    if c.notes:
        print(f"\nNotes\n{c.notes}")
    print(
        f"\nSQL (SET VARIABLE benchmark = '{c.benchmark}'; "
        f"SET VARIABLE control_id = '{c.control_id}';)\n"
    )
    print(control_sql(c))


@app.command("iam-policy")
def iam_policy(
    kind: Annotated[
        str,
        typer.Argument(help="reader (role in each account), caller (who runs collect) or trust"),
    ] = "reader",
    role_name: Annotated[str, typer.Option(help="Role name for the caller policy")] = (
        "watchkeeper-reader"
    ),
    caller_account: Annotated[
        str, typer.Option(help="Account that runs collect, for the trust policy")
    ] = "111111111111",
) -> None:
    """Print the least-privilege IAM policies watchkeeper needs."""
    from watchkeeper.collector import permissions

    policies: dict[str, Callable[[], str]] = {
        "reader": permissions.reader_policy,
        "caller": lambda: permissions.caller_policy(role_name),
        "trust": lambda: permissions.trust_policy(caller_account),
    }
    if kind not in policies:
        err.print(f"error: unknown policy {kind!r}; choose reader, caller or trust")
        raise typer.Exit(2)
    print(policies[kind]())


register_report(app)
register_notify(app)
register_analyst(app)


def main() -> None:
    app(prog_name="watchkeeper")


if __name__ == "__main__":
    main()
