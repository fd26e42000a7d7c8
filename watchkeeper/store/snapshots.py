"""Snapshot lifecycle: begin (incomplete) → rows in batches (batches.py) → complete.

A collection holds the database's write lock only for these short steps — the begin, each
batch, and the final transaction that writes the rest and seals the snapshot — so a
long-running collection does not block readers, and a second `collect` on the same file
waits for the lock instead of failing or corrupting anything. A run that dies before the
end (or inside the last step, which rolls back) leaves its snapshot `incomplete`, out of
the plain table names, and every earlier snapshot untouched.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from watchkeeper import __version__
from watchkeeper.store.bulk import encode_rows, insert_encoded
from watchkeeper.store.db import RESOURCE_TABLES, SCHEMA_VERSION, column_types, connect
from watchkeeper.store.integrity import snapshot_digest
from watchkeeper.store.model import Collection, SnapshotInfo, VerifyResult

DEFAULT_LOCK_TIMEOUT = 120.0


def begin_snapshot(
    db: str | Path,
    accounts: list[str],
    regions: list[str] | None,
    caller_arn: str | None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> int:
    """Record a new, incomplete snapshot and return its id."""
    con = connect(db, lock_timeout=lock_timeout)
    try:
        row = con.execute(
            "INSERT INTO snapshot (started_at, status, tool_version, schema_version, caller_arn, "
            "collector_host, accounts, regions) VALUES (?, 'incomplete', ?, ?, ?, ?, ?, ?) "
            "RETURNING snapshot_id",
            [
                datetime.now(UTC),
                __version__,
                SCHEMA_VERSION,
                caller_arn,
                socket.gethostname(),
                json.dumps(accounts),
                None if regions is None else json.dumps(regions),
            ],
        ).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def complete_snapshot(
    db: str | Path,
    snapshot_id: int,
    collection: Collection,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> SnapshotInfo:
    """Write the collection's rows and errors and mark the snapshot complete, atomically
    (rows already streamed under ``snapshot_id`` by a SnapshotWriter are part of it)."""
    con = connect(db, lock_timeout=lock_timeout, refresh_views=False)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            columns = {t: list(c) for t, c in column_types(con).items()}
            own = {"snapshot_id": snapshot_id}  # the same in every row: not in the encoded text
            for table in RESOURCE_TABLES:
                chunks = [*collection.encoded.get(table, [])]
                if collection.tables.get(table):
                    chunks.append(encode_rows(collection.tables[table]))
                insert_encoded(con, f"history.{table}", columns[table], chunks, own)
            errors = encode_rows([dataclasses.asdict(e) for e in collection.errors])
            insert_encoded(
                con, "history.collection_error", columns["collection_error"], [errors], own
            )
            previous = con.execute(
                "SELECT snapshot_id, sha256 FROM snapshot WHERE status = 'complete' "
                "ORDER BY finished_at DESC, snapshot_id DESC LIMIT 1"
            ).fetchone()
            con.execute(
                "UPDATE snapshot SET finished_at = ?, caller_arn = ?, accounts = ?, regions = ?, "
                "api_calls = ?, api_retries = ?, error_count = ?, previous_snapshot_id = ?, "
                "previous_sha256 = ? WHERE snapshot_id = ?",
                [
                    datetime.now(UTC),
                    collection.caller_arn,
                    json.dumps(collection.accounts),
                    None if collection.regions is None else json.dumps(collection.regions),
                    collection.api_calls,
                    collection.api_retries,
                    len(collection.errors),
                    previous[0] if previous else None,
                    previous[1] if previous else None,
                    snapshot_id,
                ],
            )
            digest = snapshot_digest(con, snapshot_id)
            con.execute(
                "UPDATE snapshot SET sha256 = ?, status = 'complete' WHERE snapshot_id = ?",
                [digest, snapshot_id],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        info = get_snapshot(con, snapshot_id)
        assert info is not None
        return info
    finally:
        con.close()


_SNAPSHOT_COLUMNS = (
    "snapshot_id, started_at, finished_at, status, tool_version, caller_arn, accounts, "
    "regions, api_calls, api_retries, error_count, sha256, previous_snapshot_id, previous_sha256"
)


def _info(row: tuple[Any, ...]) -> SnapshotInfo:
    return SnapshotInfo(
        snapshot_id=row[0],
        started_at=row[1],
        finished_at=row[2],
        status=row[3],
        tool_version=row[4],
        caller_arn=row[5],
        accounts=json.loads(row[6]) if row[6] else [],
        regions=json.loads(row[7]) if row[7] else None,
        api_calls=row[8],
        api_retries=row[9],
        error_count=row[10],
        sha256=row[11],
        previous_snapshot_id=row[12],
        previous_sha256=row[13],
    )


def list_snapshots(con: duckdb.DuckDBPyConnection) -> list[SnapshotInfo]:
    rows = con.execute(f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshot ORDER BY snapshot_id").fetchall()
    return [_info(r) for r in rows]


def get_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> SnapshotInfo | None:
    row = con.execute(
        f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshot WHERE snapshot_id = ?", [snapshot_id]
    ).fetchone()
    return _info(row) if row else None


def verify_snapshots(con: duckdb.DuckDBPyConnection) -> list[VerifyResult]:
    """Recompute every complete snapshot's hash and check each chain link."""
    results: list[VerifyResult] = []
    snapshots = list_snapshots(con)
    by_id = {s.snapshot_id: s for s in snapshots}
    for snap in snapshots:
        if snap.status != "complete":
            problem = None if snap.sha256 is None else "incomplete snapshot carries a hash"
            results.append(VerifyResult(snap.snapshot_id, snap.status, problem is None, problem))
            continue
        problem = None
        actual = snapshot_digest(con, snap.snapshot_id)
        if snap.sha256 is None:
            problem = "complete snapshot has no stored hash"
        elif actual != snap.sha256:
            problem = f"content hash mismatch: stored {snap.sha256[:12]}…, now {actual[:12]}…"
        elif snap.previous_snapshot_id is not None:
            prev = by_id.get(snap.previous_snapshot_id)
            if prev is None:
                problem = f"previous snapshot {snap.previous_snapshot_id} is missing"
            elif prev.sha256 != snap.previous_sha256:
                problem = f"chain broken: snapshot {prev.snapshot_id}'s hash changed"
        results.append(VerifyResult(snap.snapshot_id, snap.status, problem is None, problem))
    return results
