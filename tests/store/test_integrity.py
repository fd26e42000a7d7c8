"""The snapshot hash keeps its definition, and rows encoded early are stored exactly as rows
handed over as dicts."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.store import (
    RESOURCE_TABLES,
    Collection,
    CollectionError,
    SnapshotWriter,
    begin_snapshot,
    complete_snapshot,
    connect,
    encode_rows,
    integrity,
    verify_snapshots,
)
from watchkeeper.store.bulk import insert_encoded
from watchkeeper.store.integrity import COLUMN_SINCE, TABLE_SINCE, snapshot_digest

_ACCOUNT = "111122223333"
_META = [
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
]


def _rows() -> dict[str, list[dict[str, Any]]]:
    """Rows with every kind of cell: text with quotes and non-ASCII, NULL, booleans,
    integers, doubles, naive and zoned timestamps, nested JSON."""
    account = {
        "account_id": _ACCOUNT,
        "region": "us-east-1",
        "partition": "aws",
        "arn": f"arn:aws:::{_ACCOUNT}",
        "access_method": "caller",
        "collection_status": "ok",
        "account_aliases": ["prod-é"],
        "is_organization_management": False,
        "raw": {"b": 1, "a": [True, None, 2.5]},
    }
    groups = [
        {
            "account_id": _ACCOUNT,
            "region": "us-east-1",
            "name": f'group "{i}" ✓',
            "arn": f"arn:aws:logs:us-east-1:{_ACCOUNT}:log-group:g{i}",
            "creation_time": datetime(2026, 1, 2, 3, 4, 5, 678000) + timedelta(days=i),
            "retention_in_days": None if i % 2 else 90,
            "stored_bytes": 2**40 + i,
            "raw": {"logGroupName": f"g{i}", "nested": {"z": [1, {"y": "ü"}]}},
        }
        for i in range(5)
    ]
    alarms = [
        {
            "account_id": _ACCOUNT,
            "region": "us-east-1",
            "name": f"alarm-{i}",
            "arn": f"arn:aws:cloudwatch:us-east-1:{_ACCOUNT}:alarm:alarm-{i}",
            "threshold": 0.1 * i,
            "actions_enabled": bool(i % 2),
            "alarm_actions": [f"arn:aws:sns:us-east-1:{_ACCOUNT}:t{i}"],
            "state_updated_timestamp": datetime(
                2026, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2))
            ),
            "raw": {"Threshold": 0.1 * i, "When": datetime(2026, 1, 1, tzinfo=UTC)},
        }
        for i in range(4)
    ]
    return {
        "aws_account": [account],
        "aws_cloudwatch_log_group": groups,
        "aws_cloudwatch_alarm": alarms,
    }


def _collection(encoded: bool) -> Collection:
    col = Collection(
        caller_arn="arn:aws:iam::111122223333:user/a", accounts=[_ACCOUNT], regions=None
    )
    for table, rows in _rows().items():
        if encoded:
            col.add_encoded(table, encode_rows(rows))
        else:
            col.add(table, rows)
    col.errors = [CollectionError(_ACCOUNT, "us-east-1", "sns", "ListTopics", "Denied", "no «way»")]
    return col


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def _line(record: dict[str, Any]) -> str:
    return json.dumps(
        {k: _canonical(v) for k, v in record.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _reference_digest(db: Path, snapshot_id: int) -> str:
    """The hash as its definition states it, written out plainly: SHA-256 over the snapshot
    row's line, then per table its name, its row count and its rows' lines, sorted (a
    column added by a later schema than the snapshot's is left out of its lines)."""
    con = connect(db, read_only=True)
    try:
        cur = con.execute(
            f"SELECT {', '.join(_META)} FROM snapshot WHERE snapshot_id = ?", [snapshot_id]
        )
        meta = dict(zip(_META, cur.fetchall()[0], strict=True))
        h = hashlib.sha256(b"snapshot\n" + _line(meta).encode())
        # Columns and tables a later schema added are not part of an older snapshot's hash.
        under = int(meta["schema_version"])
        for table in (*RESOURCE_TABLES, "collection_error"):
            if TABLE_SINCE.get(table, 1) > under:
                continue
            cur = con.execute(
                f"SELECT * EXCLUDE (snapshot_id) FROM history.{table} WHERE snapshot_id = ?",
                [snapshot_id],
            )
            names = [d[0] for d in cur.description]
            keep = [i for i, n in enumerate(names) if COLUMN_SINCE.get((table, n), 1) <= under]
            lines = sorted(_line({names[i]: r[i] for i in keep}) for r in cur.fetchall())
            h.update(f"\n{table} {len(lines)}\n".encode())
            for line in lines:
                h.update(line.encode() + b"\n")
        return h.hexdigest()
    finally:
        con.close()


def _write(db: Path, col: Collection) -> int:
    return complete_snapshot(
        db, begin_snapshot(db, col.accounts, col.regions, col.caller_arn), col
    ).snapshot_id


def _content(db: Path, snapshot_id: int) -> dict[str, list[tuple[Any, ...]]]:
    con = connect(db, read_only=True)
    try:
        return {
            t: con.execute(
                f"SELECT * EXCLUDE (snapshot_id) FROM history.{t} "
                "WHERE snapshot_id = ? ORDER BY ALL",
                [snapshot_id],
            ).fetchall()
            for t in (*RESOURCE_TABLES, "collection_error")
        }
    finally:
        con.close()


@pytest.mark.parametrize("encoded", [False, True])
def test_stored_hash_follows_the_definition(tmp_path: Path, encoded: bool) -> None:
    db = tmp_path / "wk.duckdb"
    sid = _write(db, _collection(encoded))
    con = connect(db, read_only=True)
    stored = con.execute("SELECT sha256 FROM snapshot WHERE snapshot_id = ?", [sid]).fetchall()[0][
        0
    ]
    assert snapshot_digest(con, sid) == stored
    con.close()
    assert stored == _reference_digest(db, sid)


def test_encoded_rows_are_stored_like_dict_rows(tmp_path: Path) -> None:
    db = tmp_path / "wk.duckdb"
    plain = _write(db, _collection(encoded=False))
    early = _write(db, _collection(encoded=True))
    before, after = _content(db, plain), _content(db, early)
    assert before == after
    assert len(after["aws_cloudwatch_log_group"]) == 5
    # The JSON text itself is kept (sorted keys), not only its meaning.
    con = connect(db, read_only=True)
    raw = con.execute(
        "SELECT raw FROM history.aws_account WHERE snapshot_id = ?", [early]
    ).fetchall()
    con.close()
    assert raw == [('{"a": [true, null, 2.5], "b": 1}',)]
    assert all(r.ok for r in verify_snapshots(connect(db, read_only=True)))


def test_edit_of_an_encoded_row_breaks_the_hash(tmp_path: Path) -> None:
    db = tmp_path / "wk.duckdb"
    sid = _write(db, _collection(encoded=True))
    con = connect(db)
    con.execute("UPDATE history.aws_cloudwatch_alarm SET threshold = 7 WHERE name = 'alarm-1'")
    results = verify_snapshots(con)
    con.close()
    assert [(r.snapshot_id, r.ok) for r in results] == [(sid, False)]


def test_unknown_column_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    col = _collection(encoded=True)
    col.add("aws_sns_topic", [{"account_id": _ACCOUNT, "colour": "red"}])
    db = tmp_path / "wk.duckdb"
    sid = begin_snapshot(db, col.accounts, col.regions, None)
    with pytest.raises(ValueError, match=r"history.aws_sns_topic has no column\(s\) \['colour'\]"):
        complete_snapshot(db, sid, col)
    con = connect(db, read_only=True)
    assert con.execute("SELECT status FROM snapshot").fetchall() == [("incomplete",)]
    assert con.execute("SELECT count(*) FROM history.aws_account").fetchall() == [(0,)]
    con.close()


def test_insert_encoded_sets_constants_and_leaves_absent_cells_null(tmp_path: Path) -> None:
    con = connect(tmp_path / "wk.duckdb")
    con.execute("CREATE TABLE t (k INTEGER, a VARCHAR, b BOOLEAN, c JSON)")
    chunks = [
        encode_rows([{"a": "x", "b": True}]),
        encode_rows([]),
        encode_rows([{"c": {"n": 1}, "a": None}]),
    ]
    assert [c.count for c in chunks] == [1, 0, 1]
    insert_encoded(con, "t", ["k", "a", "b", "c"], chunks, {"k": 42})
    assert con.execute("SELECT * FROM t ORDER BY a NULLS LAST").fetchall() == [
        (42, "x", True, None),
        (42, None, None, '{"n": 1}'),
    ]
    con.close()


# --- streamed snapshots hash as before ------------------------------------------------------

# Metadata that differs from run to run, pinned so that a digest can be written down.
_PINNED = {
    "started_at": datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
    "finished_at": datetime(2026, 2, 3, 4, 15, 0, tzinfo=UTC),
    "tool_version": "0.0.0-fixture",
    "collector_host": "fixture-host",
    # The schema the digest below was written under (the hash covers schema_version); a
    # later schema must hash a schema-3 snapshot exactly as schema 3 did.
    "schema_version": 3,
}
# The digest of _collection(encoded=False) computed by the code before rows were streamed
# (commit 274b7b7, schema 3: complete_snapshot with every row in memory, and that
# commit's snapshot_digest), after pinning the metadata above. Streamed, the same rows
# must hash to the same value.
_DIGEST_BEFORE_STREAMING = "25a8b3c417bc07276ba20e8b7e279d6a99769b46a93daa32b22ba1d9dfdbb60e"


def _streamed(db: Path, col: Collection, batch_bytes: int) -> tuple[int, int]:
    """Write ``col``'s rows through a SnapshotWriter (batches of ``batch_bytes``), then
    complete the snapshot with the rest (errors, metadata); (snapshot id, batches)."""
    sid = begin_snapshot(db, col.accounts, col.regions, col.caller_arn)
    rest = Collection(caller_arn=col.caller_arn, accounts=col.accounts, regions=col.regions)
    rest.errors = col.errors
    with SnapshotWriter(db, sid, batch_bytes=batch_bytes) as writer:
        for table, rows in col.tables.items():
            for row in rows:  # one row at a time, as units hand them over
                writer.add(table, encode_rows([row]))
    complete_snapshot(db, sid, rest)
    return sid, writer.batches_written


def _pinned_digest(db: Path, snapshot_id: int) -> str:
    con = connect(db)
    try:
        con.execute(
            f"UPDATE snapshot SET {', '.join(f'{c} = ?' for c in _PINNED)} WHERE snapshot_id = ?",
            [*_PINNED.values(), snapshot_id],
        )
        return snapshot_digest(con, snapshot_id)
    finally:
        con.close()


@pytest.mark.parametrize("batch_bytes", [1, 1500, 1 << 20])
def test_streamed_rows_are_stored_and_hashed_like_one_write(
    tmp_path: Path, batch_bytes: int
) -> None:
    whole_db, streamed_db = tmp_path / "whole.duckdb", tmp_path / "streamed.duckdb"
    whole = _write(whole_db, _collection(encoded=False))
    streamed, batches = _streamed(streamed_db, _collection(encoded=False), batch_bytes)
    # 10 rows: a batch each, a few batches, or one batch at the end.
    assert {1: batches == 10, 1500: 1 < batches < 10, 1 << 20: batches == 1}[batch_bytes]
    assert _content(streamed_db, streamed) == _content(whole_db, whole)
    con = connect(streamed_db, read_only=True)
    stored = con.execute("SELECT sha256 FROM snapshot WHERE snapshot_id = ?", [streamed])
    assert stored.fetchall()[0][0] == snapshot_digest(con, streamed)
    assert all(r.ok for r in verify_snapshots(con))
    con.close()
    # The same estate gives the same hash as the one-write path.
    assert _pinned_digest(streamed_db, streamed) == _pinned_digest(whole_db, whole)


def test_hash_of_a_fixed_snapshot_is_the_one_written_before_streaming(tmp_path: Path) -> None:
    db = tmp_path / "wk.duckdb"
    sid, _ = _streamed(db, _collection(encoded=False), batch_bytes=200)
    # The digest was taken under schema 3: hash this snapshot as one written then (columns
    # added since, NULL here, are left out by COLUMN_SINCE).
    con = connect(db)
    con.execute("UPDATE snapshot SET schema_version = 3 WHERE snapshot_id = ?", [sid])
    con.close()
    assert _pinned_digest(db, sid) == _DIGEST_BEFORE_STREAMING
    assert _reference_digest(db, sid) == _DIGEST_BEFORE_STREAMING


def test_tables_larger_than_the_sort_budget_hash_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wk.duckdb"
    col = _collection(encoded=False)
    col.add(
        "aws_cloudwatch_log_group",
        [
            {**col.tables["aws_cloudwatch_log_group"][0], "name": f"g-{i:03d}-{'é' * (i % 7)}"}
            for i in range(300, 0, -1)
        ],
    )
    sid = _write(db, col)
    con = connect(db, read_only=True)
    in_memory = snapshot_digest(con, sid)
    monkeypatch.setattr(integrity, "_SORT_BUDGET", 2000)  # sorted runs of a few lines
    monkeypatch.setattr(integrity, "_BATCH", 7)
    spilled: list[int] = []
    spill = integrity._spill_sorted
    monkeypatch.setattr(
        integrity, "_spill_sorted", lambda lines, stack: spilled.append(1) or spill(lines, stack)
    )
    assert snapshot_digest(con, sid) == in_memory
    con.close()
    assert len(spilled) > 10
    assert in_memory == _reference_digest(db, sid)
