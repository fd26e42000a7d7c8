"""SHA-256 over a snapshot's canonical content, recomputed from the stored rows.

The hash is computed from what the database holds (not from what the collector meant to
write), so `verify` recomputes it the same way and any edited, added or removed row in any
table of the snapshot changes it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from watchkeeper.store.db import RESOURCE_TABLES, column_types

# Snapshot columns that the hash covers. status and sha256 are about the hash itself;
# everything else that describes the run is covered.
_META_COLUMNS = (
    "snapshot_id",
    "started_at",
    "finished_at",
    "tool_version",
    "schema_version",
    "caller_arn",
    "accounts",
    "regions",
    "api_calls",
    "api_retries",
    "error_count",
    "previous_snapshot_id",
    "previous_sha256",
    "collector_host",
)
# Columns added by a later schema: hashed only for snapshots written under that schema, so a
# migrated file keeps every older snapshot's hash verifiable.
COLUMN_SINCE: dict[tuple[str, str], int] = {("snapshot", "collector_host"): 2}
# Tables added by a later schema, the same way: an older snapshot's hash never had a
# "<table> 0" section for them, so they are left out of it entirely.
TABLE_SINCE: dict[str, int] = {
    "aws_organizations_root": 3,
    "aws_organizations_organizational_unit": 3,
    "aws_organizations_account": 3,
}


def _canonical(value: Any) -> Any:
    # Text, integers, booleans and NULL are already canonical: the bulk of every snapshot.
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    return value


# One encoder for every line: json.dumps would build a new one per call. Keys are not
# sorted here: callers hand over dicts already in sorted-key order (the definition of a line
# is json.dumps(..., sort_keys=True) with these settings).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Column types whose Python values are already canonical (str, int, bool or None).
_PLAIN_TYPES = frozenset({"VARCHAR", "JSON", "INTEGER", "BIGINT", "BOOLEAN"})
# Rows fetched, and lines hashed, per step: a large table is never held twice in memory.
_BATCH = 2000


def _line(columns: list[str], values: tuple[Any, ...]) -> str:
    record = {c: _canonical(v) for c, v in sorted(zip(columns, values, strict=True))}
    return _ENCODER.encode(record)


def _table_lines(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], snapshot_id: int
) -> list[str]:
    """The sorted canonical lines of one table's rows in the snapshot."""
    names = sorted(columns)  # selected in key order, so each row zips into a sorted dict
    select = ", ".join(f'"{c}"' for c in names)
    cursor = con.execute(
        f"SELECT {select} FROM history.{table} WHERE snapshot_id = ?", [snapshot_id]
    )
    convert = [i for i, c in enumerate(names) if columns[c] not in _PLAIN_TYPES]
    encode = _ENCODER.encode
    lines: list[str] = []
    while batch := cursor.fetchmany(_BATCH):
        rows: list[Any] = batch
        if convert:
            rows = [list(r) for r in batch]
            for r in rows:
                for i in convert:
                    r[i] = _canonical(r[i])
        lines += [encode(dict(zip(names, r, strict=True))) for r in rows]
    # Sorted serialised lines: independent of insertion and scan order.
    lines.sort()
    return lines


def snapshot_digest(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> str:
    """The SHA-256 of snapshot ``snapshot_id`` as the database holds it now."""
    h = hashlib.sha256()
    found = con.execute(
        "SELECT schema_version FROM snapshot WHERE snapshot_id = ?", [snapshot_id]
    ).fetchall()
    if not found:
        raise KeyError(snapshot_id)
    written_under = int(found[0][0])

    def hashed(table: str, column: str) -> bool:
        return COLUMN_SINCE.get((table, column), 1) <= written_under

    meta_columns = [c for c in _META_COLUMNS if hashed("snapshot", c)]
    row = con.execute(
        f"SELECT {', '.join(meta_columns)} FROM snapshot WHERE snapshot_id = ?", [snapshot_id]
    ).fetchall()[0]
    h.update(b"snapshot\n")
    h.update(_line(meta_columns, row).encode())
    types = column_types(con)
    for table in (*RESOURCE_TABLES, "collection_error"):
        if TABLE_SINCE.get(table, 1) > written_under:
            continue
        columns = {c: t for c, t in types[table].items() if c != "snapshot_id" and hashed(table, c)}
        lines = _table_lines(con, table, columns, snapshot_id)
        h.update(f"\n{table} {len(lines)}\n".encode())
        for start in range(0, len(lines), _BATCH):
            h.update("".join(line + "\n" for line in lines[start : start + _BATCH]).encode())
    return h.hexdigest()
