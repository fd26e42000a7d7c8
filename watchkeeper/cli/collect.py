"""`collect`: snapshot the estate into the DuckDB file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli.errors import ExitCode, user_errors
from watchkeeper.cli.notes import note_external_id_flag
from watchkeeper.cli.options import (
    AWS_PROFILE_HELP,
    ORGANIZATION_HELP,
    AccountsOption,
    ConfigOption,
    DbOption,
    DeepOption,
    EndpointUrlOption,
    ExternalIdOption,
    QuietOption,
    RegionsOption,
    RoleNameOption,
)
from watchkeeper.cli.output import err, out, print_collection_errors, progress
from watchkeeper.cli.registry import add_commands
from watchkeeper.config import load_file

if TYPE_CHECKING:
    from watchkeeper.collector import CollectOutcome

# Each command imports what it runs (see cli/__init__.py).

MAX_ERROR_LINES = 50


@user_errors
def collect(
    db: DbOption = None,
    config: ConfigOption = None,
    profile: Annotated[str | None, typer.Option(help=AWS_PROFILE_HELP)] = None,
    endpoint_url: EndpointUrlOption = None,
    region: RegionsOption = None,
    account: AccountsOption = None,
    organization: Annotated[bool, typer.Option(help=ORGANIZATION_HELP)] = False,
    role_name: RoleNameOption = None,
    external_id: ExternalIdOption = None,
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
    deep: DeepOption = None,
    quiet: QuietOption = False,
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
            deep=deep,
        ),
        load_file(config),
    )
    reporter = reporter_for(quiet, err)
    with progress(reporter):
        outcome = run_collect(request, reporter)
    _print_outcome(outcome, request.db)
    if outcome.errors:
        raise typer.Exit(ExitCode.FINDINGS)


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
    print_collection_errors(outcome.errors, MAX_ERROR_LINES)
    if len(outcome.errors) > MAX_ERROR_LINES:
        err.print(f"… and {len(outcome.errors) - MAX_ERROR_LINES} more (table collection_error)")


def register(app: typer.Typer) -> None:
    add_commands(app, {"collect": collect})
