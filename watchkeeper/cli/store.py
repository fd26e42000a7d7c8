"""`snapshots` and `verify`: what the evidence store holds, and whether it is intact."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from watchkeeper.cli.errors import ExitCode, user_errors
from watchkeeper.cli.options import ConfigOption, DbOption
from watchkeeper.cli.output import err, out
from watchkeeper.cli.registry import add_commands
from watchkeeper.config import load_file, resolve_db

# Each command imports what it runs (see cli/__init__.py).


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
        raise typer.Exit(ExitCode.FINDINGS)
    out.print(f"all {len(results)} snapshot(s) verified")


def register(app: typer.Typer) -> None:
    add_commands(app, {"snapshots": snapshots, "verify": verify})
