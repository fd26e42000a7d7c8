"""Rows streamed into the store in batches: invisible until their snapshot completes, kept
as an incomplete snapshot when the run dies, and the file free between batches."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.store import (
    Collection,
    SnapshotWriter,
    begin_snapshot,
    complete_snapshot,
    connect,
    encode_rows,
    verify_snapshots,
)

_ACCOUNT = "111122223333"


def _group(i: int) -> dict[str, object]:
    return {
        "account_id": _ACCOUNT,
        "region": "us-east-1",
        "name": f"group-{i}",
        "arn": f"arn:aws:logs:us-east-1:{_ACCOUNT}:log-group:group-{i}",
        "raw": {"logGroupName": f"group-{i}"},
    }


def _account() -> dict[str, object]:
    return {
        "account_id": _ACCOUNT,
        "region": "us-east-1",
        "partition": "aws",
        "arn": f"arn:aws:::{_ACCOUNT}",
        "access_method": "caller",
        "collection_status": "ok",
    }


def _collection() -> Collection:
    col = Collection(caller_arn=None, accounts=[_ACCOUNT], regions=["us-east-1"])
    col.add("aws_account", [_account()])
    return col


def _until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _counts(db: Path) -> tuple[int, int, list[tuple[int, str]]]:
    """(rows in history, rows in the plain view, snapshots and their status)."""
    con = connect(db, read_only=True)
    try:
        history = con.execute("SELECT count(*) FROM history.aws_cloudwatch_log_group").fetchall()
        shown = con.execute("SELECT count(*) FROM aws_cloudwatch_log_group").fetchall()
        snaps = con.execute("SELECT snapshot_id, status FROM snapshot ORDER BY 1").fetchall()
        return history[0][0], shown[0][0], snaps
    finally:
        con.close()


def test_streamed_rows_stay_out_of_the_plain_tables_until_complete(tmp_path: Path) -> None:
    db = tmp_path / "wk.duckdb"
    first = begin_snapshot(db, [_ACCOUNT], ["us-east-1"], None)
    complete_snapshot(db, first, _collection())
    sid = begin_snapshot(db, [_ACCOUNT], ["us-east-1"], None)
    with SnapshotWriter(db, sid, batch_bytes=1) as writer:
        for i in range(3):
            writer.add("aws_cloudwatch_log_group", encode_rows([_group(i)]))
        writer.add("aws_cloudwatch_log_group", encode_rows([]))  # nothing: no batch
        # In the store already, under the incomplete snapshot: no plain name shows them.
        _until(lambda: writer.batches_written == 3)
        assert _counts(db) == (3, 0, [(first, "complete"), (sid, "incomplete")])
    complete_snapshot(db, sid, _collection())
    assert _counts(db) == (3, 3, [(first, "complete"), (sid, "complete")])
    assert all(r.ok for r in verify_snapshots(connect(db, read_only=True)))


def test_a_run_that_dies_leaves_its_snapshot_incomplete_and_earlier_ones_shown(
    tmp_path: Path,
) -> None:
    db = tmp_path / "wk.duckdb"
    first = begin_snapshot(db, [_ACCOUNT], ["us-east-1"], None)
    with SnapshotWriter(db, first) as writer:
        writer.add("aws_cloudwatch_log_group", encode_rows([_group(0)]))
    complete_snapshot(db, first, _collection())
    sid = begin_snapshot(db, [_ACCOUNT], ["us-east-1"], None)
    with pytest.raises(KeyboardInterrupt), SnapshotWriter(db, sid, batch_bytes=1) as writer:
        writer.add("aws_cloudwatch_log_group", encode_rows([_group(1), _group(2)]))
        raise KeyboardInterrupt  # the run is stopped before it completes its snapshot
    history, shown, snaps = _counts(db)
    assert (shown, snaps) == (1, [(first, "complete"), (sid, "incomplete")])
    assert history in (1, 3)  # the batch may or may not have been written
    results = verify_snapshots(connect(db, read_only=True))
    assert [(r.snapshot_id, r.ok) for r in results] == [(first, True), (sid, True)]


def test_a_failed_batch_is_raised_and_nothing_waits_for_ever(tmp_path: Path) -> None:
    db = tmp_path / "wk.duckdb"
    sid = begin_snapshot(db, [_ACCOUNT], None, None)
    writer = SnapshotWriter(db, sid, batch_bytes=1)
    writer.add("aws_cloudwatch_log_group", encode_rows([{**_group(0), "colour": "red"}]))
    with pytest.raises(ValueError, match=r"has no column\(s\) \['colour'\]"):
        for i in range(1, 50):  # the error reaches a later add (or, at the latest, close)
            writer.add("aws_cloudwatch_log_group", encode_rows([_group(i)]))
        writer.close()
    with pytest.raises(ValueError, match="colour"):
        writer.close()
    unknown = SnapshotWriter(db, sid)
    unknown.add("aws_no_such_table", encode_rows([{"a": 1}]))
    with pytest.raises(ValueError, match=r"no table history\.aws_no_such_table"):
        unknown.close()


def test_the_file_is_free_between_batches(tmp_path: Path) -> None:
    db = tmp_path / "wk.duckdb"
    sid = begin_snapshot(db, [_ACCOUNT], None, None)
    with SnapshotWriter(db, sid, batch_bytes=1) as writer:
        writer.add("aws_cloudwatch_log_group", encode_rows([_group(0)]))
        _until(lambda: writer.batches_written == 1)
        # Another process can open the file (for reading, or to write its own batch).
        opened = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()", db],
            capture_output=True,
            timeout=60,
        )
        assert opened.returncode == 0, opened.stderr
        writer.add("aws_cloudwatch_log_group", encode_rows([_group(1)]))
    assert _counts(db)[0] == 2
