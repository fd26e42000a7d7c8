"""A file written by schema 1 is migrated in place on first use, with a backup, and every
older snapshot still verifies."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from watchkeeper.store import (
    SCHEMA_VERSION,
    Collection,
    begin_snapshot,
    complete_snapshot,
    connect,
    verify_snapshots,
)
from watchkeeper.store.integrity import snapshot_digest

ACCOUNT_ROW = {
    "account_id": "111122223333",
    "region": "us-east-1",
    "partition": "aws",
    "arn": "arn:aws:::111122223333",
    "access_method": "caller",
    "collection_status": "ok",
}


def _write_schema1_file(path: Path) -> None:
    """What watchkeeper with schema 1 left behind: no collector_host column, snapshots
    marked schema 1 and sealed (hash and chain) by schema 1's rules."""
    for _ in range(2):
        col = Collection(
            caller_arn="arn:aws:iam::111122223333:user/a",
            accounts=["111122223333"],
            regions=["us-east-1"],
        )
        col.add("aws_account", [ACCOUNT_ROW])
        col.add(
            "aws_cloudwatch_alarm",
            [
                {
                    "account_id": "111122223333",
                    "region": "us-east-1",
                    "name": "a",
                    "arn": "arn:x",
                    "threshold": 1.0,
                }
            ],
        )
        complete_snapshot(path, begin_snapshot(path, col.accounts, col.regions, None), col)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE snapshot DROP COLUMN collector_host")
    con.execute("UPDATE snapshot SET schema_version = 1")
    con.execute("UPDATE watchkeeper_meta SET value = '1' WHERE key = 'schema_version'")
    previous = None
    for (sid,) in con.execute("SELECT snapshot_id FROM snapshot ORDER BY 1").fetchall():
        con.execute(
            "UPDATE snapshot SET previous_sha256 = ? WHERE snapshot_id = ?", [previous, sid]
        )
        digest = snapshot_digest(con, sid)
        con.execute("UPDATE snapshot SET sha256 = ? WHERE snapshot_id = ?", [digest, sid])
        previous = digest
    con.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_schema1_file_is_migrated_with_backup_and_verifies(tmp_path: Path, read_only: bool):
    path = tmp_path / "old.duckdb"
    _write_schema1_file(path)
    before = path.read_bytes()

    con = connect(path, read_only=read_only)  # first use migrates, even for a reader
    try:
        assert con.execute(
            "SELECT value FROM watchkeeper_meta WHERE key = 'schema_version'"
        ).fetchall() == [(str(SCHEMA_VERSION),)]
        hosts = con.execute("SELECT collector_host FROM snapshot").fetchall()
        assert hosts == [(None,), (None,)]
        assert all(r.ok for r in verify_snapshots(con))
    finally:
        con.close()
    backup = tmp_path / "old.duckdb.schema1.bak"
    assert backup.read_bytes() == before
    # New snapshots after the migration carry the host and chain onto the old ones.
    col = Collection(caller_arn=None, accounts=["111122223333"], regions=["us-east-1"])
    col.add("aws_account", [ACCOUNT_ROW])
    info = complete_snapshot(path, begin_snapshot(path, col.accounts, col.regions, None), col)
    con = connect(path, read_only=True)
    try:
        assert con.execute(
            "SELECT collector_host IS NOT NULL FROM snapshot WHERE snapshot_id = ?",
            [info.snapshot_id],
        ).fetchall() == [(True,)]
        assert all(r.ok for r in verify_snapshots(con))
        # Tampering with a migrated, older snapshot is still caught.
    finally:
        con.close()
    raw = duckdb.connect(str(path))
    raw.execute("UPDATE history.aws_cloudwatch_alarm SET threshold = 9 WHERE snapshot_id = 1")
    raw.close()
    con = connect(path, read_only=True)
    try:
        bad = [r.snapshot_id for r in verify_snapshots(con) if not r.ok]
    finally:
        con.close()
    assert bad == [1]


def test_schema3_topics_migrate_and_verify(tmp_path: Path):
    """Schema 4 adds the SNS subscriber and KMS key columns: a schema-3 snapshot with a
    topic still verifies after the migration, and its new columns read NULL (not asked)."""
    path = tmp_path / "v3.duckdb"
    col = Collection(caller_arn=None, accounts=["111122223333"], regions=["us-east-1"])
    col.add("aws_account", [ACCOUNT_ROW])
    topic = {
        "account_id": "111122223333",
        "region": "us-east-1",
        "topic_arn": "arn:aws:sns:us-east-1:111122223333:alerts",
        "name": "alerts",
        "attributes_collected": True,
        "kms_master_key_id": "alias/aws/sns",
    }
    col.add("aws_sns_topic", [topic])
    complete_snapshot(path, begin_snapshot(path, col.accounts, col.regions, None), col)
    con = duckdb.connect(str(path))
    for column in ("subscriptions_listed", "kms_key_manager", "kms_key_described"):
        con.execute(f"ALTER TABLE history.aws_sns_topic DROP COLUMN {column}")
    con.execute("UPDATE snapshot SET schema_version = 3, previous_sha256 = NULL")
    con.execute("UPDATE watchkeeper_meta SET value = '3' WHERE key = 'schema_version'")
    con.execute("UPDATE snapshot SET sha256 = ?", [snapshot_digest(con, 1)])
    con.close()

    con = connect(path, read_only=True)
    try:
        assert all(r.ok for r in verify_snapshots(con))
        assert con.execute(
            "SELECT kms_master_key_id, subscriptions_listed, kms_key_manager FROM aws_sns_topic"
        ).fetchall() == [("alias/aws/sns", None, None)]
    finally:
        con.close()
    raw = duckdb.connect(str(path))
    raw.execute("UPDATE history.aws_sns_topic SET kms_master_key_id = NULL")
    raw.close()
    con = connect(path, read_only=True)
    try:
        assert [r.ok for r in verify_snapshots(con)] == [False]
    finally:
        con.close()
