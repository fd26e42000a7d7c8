"""SHA-256 over a snapshot's canonical content, recomputed from the stored rows.

The hash is computed from what the database holds (not from what the collector meant to
write), so `verify` recomputes it the same way and any edited, added or removed row in any
table of the snapshot changes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import json
import tempfile
from collections.abc import Iterator
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
COLUMN_SINCE: dict[tuple[str, str], int] = {
    ("snapshot", "collector_host"): 2,
    ("aws_sns_topic", "subscriptions_listed"): 4,
    ("aws_sns_topic", "kms_key_manager"): 4,
    ("aws_sns_topic", "kms_key_described"): 4,
    ("aws_cloudtrail_trail", "raw_deep"): 6,
    ("aws_cloudwatch_log_group", "raw_deep"): 6,
    ("aws_cloudwatch_alarm", "raw_deep"): 6,
    ("aws_sns_topic", "raw_deep"): 6,
    ("aws_sns_topic_subscription", "raw_deep"): 6,
    ("aws_securityhub_hub", "raw_deep"): 6,
    ("aws_organizations_account", "raw_deep"): 8,
    **{
        ("aws_cloudwatch_alarm", column): 7
        for column in (
            "alarm_type",
            "alarm_rule",
            "actions_suppressor",
            "actions_suppressor_wait_period",
            "actions_suppressor_extension_period",
            "actions_suppressed_by",
            "actions_suppressed_reason",
        )
    },
}
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
# Characters of a table's lines sorted in memory; more are sorted in runs on disk.
_SORT_BUDGET = 32 * 1024 * 1024


def _line(columns: list[str], values: tuple[Any, ...]) -> str:
    record = {c: _canonical(v) for c, v in sorted(zip(columns, values, strict=True))}
    return _ENCODER.encode(record)


def _table_lines(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    snapshot_id: int,
    spill: contextlib.ExitStack,
) -> tuple[int, Iterator[str]]:
    """How many rows the table has in the snapshot, and their canonical lines, sorted.

    Sorted serialised lines make the hash independent of insertion and scan order. Past
    _SORT_BUDGET characters, sorted runs of lines go to temporary files (closed with
    ``spill``) and are merged back: hashing a table of any size takes about that much
    memory, and the order (so the hash) is the same as one in-memory sort's.
    """
    names = sorted(columns)  # selected in key order, so each row zips into a sorted dict
    select = ", ".join(f'"{c}"' for c in names)
    cursor = con.execute(
        f"SELECT {select} FROM history.{table} WHERE snapshot_id = ?", [snapshot_id]
    )
    convert = [i for i, c in enumerate(names) if columns[c] not in _PLAIN_TYPES]
    encode = _ENCODER.encode
    lines: list[str] = []
    size = count = 0
    runs: list[Iterator[str]] = []
    while batch := cursor.fetchmany(_BATCH):
        rows: list[Any] = batch
        if convert:
            rows = [list(r) for r in batch]
            for r in rows:
                for i in convert:
                    r[i] = _canonical(r[i])
        new = [encode(dict(zip(names, r, strict=True))) for r in rows]
        lines += new
        count += len(new)
        size += sum(map(len, new))
        if size > _SORT_BUDGET:
            runs.append(_spill_sorted(lines, spill))
            lines, size = [], 0
    lines.sort()
    if not runs:
        return count, iter(lines)
    return count, heapq.merge(*runs, lines)


def _spill_sorted(lines: list[str], spill: contextlib.ExitStack) -> Iterator[str]:
    """Sort ``lines`` into a temporary file; the lines back, in order, as it is read."""
    lines.sort()
    # JSON text holds no raw newline, and "\n" alone ends a line when read back.
    run = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")  # noqa: SIM115
    fh = spill.enter_context(run)  # closed (and so deleted) once the table is hashed
    for start in range(0, len(lines), _BATCH):
        fh.write("".join(line + "\n" for line in lines[start : start + _BATCH]))
    fh.seek(0)
    return (line[:-1] for line in fh)


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
        with contextlib.ExitStack() as spill:
            count, lines = _table_lines(con, table, columns, snapshot_id, spill)
            h.update(f"\n{table} {count}\n".encode())
            while chunk := list(itertools.islice(lines, _BATCH)):
                h.update("".join(line + "\n" for line in chunk).encode())
    return h.hexdigest()
