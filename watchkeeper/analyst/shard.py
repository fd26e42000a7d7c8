"""Collect on N machines, merge into one snapshot.

``shard_accounts`` splits the account list by a stable hash of each account id, so every
worker agrees on the split without talking to the others, even if their account listings
were taken at slightly different times. ``import_snapshots`` merges the workers' latest
complete snapshots (DuckDB files or Parquet exports) into ONE new complete snapshot, with
its own id, chain link and SHA-256, exactly as if it had been collected in one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchkeeper.analyst.evidence import HISTORY_TABLES, open_evidence
from watchkeeper.collector.shard import ShardError
from watchkeeper.store import (
    RESOURCE_TABLES,
    Collection,
    CollectionError,
    SnapshotInfo,
    begin_snapshot,
    complete_snapshot,
    get_snapshot,
    list_snapshots,
    rows,
)


@dataclass(frozen=True)
class SourceSnapshot:
    source: Path
    snapshot_id: int
    caller_arn: str | None
    accounts: list[str]  # requested
    regions: list[str] | None
    api_calls: int
    api_retries: int
    collected: set[str]  # accounts with an aws_account row
    tables: dict[str, list[dict[str, Any]]]
    errors: list[CollectionError]


def read_source(source: Path, snapshot_id: int | None = None) -> SourceSnapshot:
    """The latest complete snapshot of ``source`` (or ``snapshot_id``), fully in memory."""
    con = open_evidence(source, analyst=False)
    try:
        if snapshot_id is None:
            complete = [s.snapshot_id for s in list_snapshots(con) if s.status == "complete"]
            if not complete:
                raise ShardError(f"{source} has no complete snapshot to import")
            snapshot_id = max(complete)
        info = get_snapshot(con, snapshot_id)
        if info is None or info.status != "complete":
            raise ShardError(f"{source}: snapshot {snapshot_id} is missing or incomplete")
        tables = {
            table: rows(
                con,
                f"SELECT * EXCLUDE (snapshot_id) FROM history.{table} WHERE snapshot_id = ?",
                [snapshot_id],
            )
            for table in HISTORY_TABLES
        }
    finally:
        con.close()
    errors = [
        CollectionError(
            e["account_id"],
            e["region"],
            e["service"],
            e["operation"],
            e["error_code"],
            e["message"],
        )
        for e in tables.pop("collection_error")
    ]
    return SourceSnapshot(
        source=source,
        snapshot_id=snapshot_id,
        caller_arn=info.caller_arn,
        accounts=info.accounts,
        regions=info.regions,
        api_calls=info.api_calls or 0,
        api_retries=info.api_retries or 0,
        collected={r["account_id"] for r in tables["aws_account"]},
        tables=tables,
        errors=errors,
    )


def merge(parts: list[SourceSnapshot]) -> Collection:
    """One Collection from disjoint shards; an account collected twice is refused."""
    seen: dict[str, Path] = {}
    for p in parts:
        for acct in sorted(p.collected):
            if acct in seen:
                raise ShardError(
                    f"account {acct} is in both {seen[acct]} and {p.source}; "
                    "shards must not overlap"
                )
            seen[acct] = p.source
    callers = sorted({p.caller_arn for p in parts if p.caller_arn})
    regions: list[str] | None = None
    if all(p.regions is not None for p in parts):
        regions = sorted({r for p in parts for r in p.regions or []})
    collection = Collection(
        # Several workers may act as different identities; all of them are recorded.
        caller_arn=", ".join(callers) if callers else None,
        accounts=sorted({a for p in parts for a in p.accounts} | set(seen)),
        regions=regions,
        api_calls=sum(p.api_calls for p in parts),
        api_retries=sum(p.api_retries for p in parts),
    )
    for p in parts:
        for table in RESOURCE_TABLES:
            collection.add(table, p.tables.get(table, []))
        collection.errors.extend(p.errors)
    collection.errors.sort(
        key=lambda e: (e.account_id or "", e.region or "", e.service, e.operation, e.message)
    )
    return collection


def import_snapshots(target_db: str | Path, sources: list[Path]) -> SnapshotInfo:
    """Merge the latest complete snapshot of each source into one new complete snapshot."""
    if not sources:
        raise ShardError("nothing to import: give one or more databases or export directories")
    target = Path(target_db).resolve()
    for s in sources:
        if Path(s).resolve() == target:
            raise ShardError(f"{s} is the target database; import merges other sources into it")
    # Every source is read (and closed) before the target is opened for writing.
    parts = [read_source(Path(s)) for s in sources]
    collection = merge(parts)
    snapshot_id = begin_snapshot(target_db, collection.accounts, collection.regions, None)
    return complete_snapshot(target_db, snapshot_id, collection)
