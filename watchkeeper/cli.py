"""The `watchkeeper` command: thin commands, each delegating to one library function.

Exit codes: 0 clean; 1 the command ran but found problems (collection errors, failed
verification); 2 usage or setup errors (bad flags, no credentials, unreadable database).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from watchkeeper import __version__
from watchkeeper.collector import AwsOptions, CollectorSetupError, CollectOutcome, CollectRequest
from watchkeeper.collector import collect as run_collect
from watchkeeper.config import ConfigError, load_file, pick, resolve_db
from watchkeeper.progress import RichReporter, reporter_for
from watchkeeper.store import StoreError, connect, list_snapshots, verify_snapshots

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="watchkeeper",
    help="Prove, with evidence, that CloudTrail monitoring pages a human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

USER_ERRORS = (StoreError, CollectorSetupError, ConfigError)


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Errors a user can cause become one line on stderr and exit code 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted; the snapshot in progress stays marked incomplete")
            raise typer.Exit(130) from None

    return wrapper


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file [env WATCHKEEPER_DB; default ./watchkeeper.duckdb]"),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="watchkeeper.toml [env WATCHKEEPER_CONFIG]")
]


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
    max_attempts: Annotated[
        int, typer.Option(min=1, max=50, help="Attempts per API call (adaptive retries)")
    ] = 10,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the final summary")] = False,
) -> None:
    """Snapshot trails, log groups, metric filters, alarms, topics, subscriptions and
    Security Hub status into the DuckDB file."""
    cfg = load_file(config)
    c = "collect"
    request = CollectRequest(
        db=resolve_db(db, cfg),
        accounts=tuple(pick(account, None, cfg.get(c, "accounts"), ())),
        organization=bool(organization or cfg.get(c, "organization")),
        role_name=pick(role_name, "WATCHKEEPER_ROLE_NAME", cfg.get(c, "role_name")),
        external_id=pick(external_id, "WATCHKEEPER_EXTERNAL_ID", cfg.get(c, "external_id")),
        regions=tuple(pick(region, None, cfg.get(c, "regions"), ())),
        aws=AwsOptions(
            profile=pick(profile, None, cfg.get(c, "profile")),
            endpoint_url=pick(endpoint_url, None, cfg.get(c, "endpoint_url")),
            max_attempts=max_attempts,
            concurrency=int(
                pick(concurrency, "WATCHKEEPER_CONCURRENCY", cfg.get(c, "concurrency"), 8)
            ),
        ),
    )
    reporter = reporter_for(quiet, err)
    if isinstance(reporter, RichReporter):
        with reporter:
            outcome = run_collect(request, reporter)
    else:
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


def main() -> None:
    app(prog_name="watchkeeper")


if __name__ == "__main__":
    main()
