"""Parquet export: layout, manifest, re-read with DuckDB (same rows, same verdicts), S3
upload against the moto server, and the Athena/Trino DDL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from click.testing import Result

from tests.analyst.conftest import History
from watchkeeper.analyst.evidence import HISTORY_TABLES, RESULT_TABLES, open_evidence
from watchkeeper.analyst.export import ExportError, ddl, export, read_manifest
from watchkeeper.analyst.history import VerdictSource
from watchkeeper.api import connect
from watchkeeper.emulator import MotoServer
from watchkeeper.store import connect as store_connect

Cli = Callable[..., Result]


def table_rows(con: duckdb.DuckDBPyConnection, table: str, snapshots: list[int]) -> list[Any]:
    qualified = f"history.{table}" if table in HISTORY_TABLES else table
    where = "list_contains(?, snapshot_id)"
    if table == "check_run":
        where = "run_id IN (SELECT run_id FROM control_result WHERE list_contains(?, snapshot_id))"
    rows = con.execute(f"SELECT * FROM {qualified} WHERE {where}", [snapshots]).fetchall()
    return sorted(rows, key=repr)


def assert_same_rows(original: Path, exported: Path, snapshots: list[int]) -> None:
    src = store_connect(original, read_only=True)
    out = open_evidence(exported)
    for table in ("snapshot", *HISTORY_TABLES, *RESULT_TABLES):
        assert table_rows(src, table, snapshots) == table_rows(out, table, snapshots), table
    src.close()
    out.close()


def verdicts(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> list[tuple[str, str, str]]:
    with VerdictSource(con) as source:
        return sorted(
            (v.control_id, v.account_id, v.status) for v in source.computed_verdicts(snapshot_id)
        )


def test_export_reread_same_rows_and_results(history_db: History, tmp_path: Path):
    out = tmp_path / "export"
    result = export(history_db.db, str(out))
    snaps = [history_db.a, history_db.b, history_db.c]
    assert result.snapshots == snaps
    acct = history_db.account
    part = out / "aws_cloudwatch_alarm" / f"snapshot_id={history_db.b}" / f"account_id={acct}"
    assert list(part.glob("*.parquet"))
    assert list((out / "snapshot" / f"snapshot_id={history_db.a}").glob("*.parquet"))

    manifest = read_manifest(out)
    assert [s["snapshot_id"] for s in manifest["snapshots"]] == snaps
    entry = manifest["tables"]["aws_cloudwatch_alarm"]
    assert entry["rows"] == 3 and entry["partition_by"] == ["snapshot_id", "account_id"]
    for f in entry["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert manifest["tables"]["collection_error"]["files"] == []  # a clean collection
    # The stored check runs (of B and C) travel with them (verdicts queryable in Athena too).
    assert manifest["tables"]["check_run"]["rows"] == 2
    assert manifest["tables"]["control_result"]["rows"] == 32
    assert (out / "check_run" / "data_0.parquet").exists()

    assert_same_rows(history_db.db, out, snaps)
    # The control SQL runs unchanged on the Parquet files and decides the same.
    src = store_connect(history_db.db, read_only=True)
    pq = open_evidence(out)
    for s in snaps:
        assert verdicts(pq, s) == verdicts(src, s)
    # Plain names (latest per account) work on the files too.
    assert pq.execute("SELECT max(snapshot_id) FROM aws_account").fetchone() == (history_db.c,)
    # So does plain DuckDB with hive partitioning, no watchkeeper involved.
    raw = duckdb.connect()
    n = raw.execute(
        f"SELECT count(*) FROM read_parquet('{out}/aws_sns_topic/**/*.parquet', "
        "hive_partitioning = true) WHERE snapshot_id = ?",
        [history_db.b],
    ).fetchone()
    assert n == (2,)
    src.close()
    pq.close()


def test_export_selected_snapshot_and_errors(history_db: History, tmp_path: Path):
    out = tmp_path / "one"
    result = export(history_db.db, str(out), [history_db.b])
    assert result.snapshots == [history_db.b]
    assert_same_rows(history_db.db, out, [history_db.b])
    with pytest.raises(ExportError, match="not an empty directory"):
        export(history_db.db, str(out))
    with pytest.raises(ExportError, match="no snapshot 99"):
        export(history_db.db, str(tmp_path / "x"), [99])


def test_export_to_s3_through_moto(
    history_db: History, moto_server: MotoServer, tmp_path: Path, monkeypatch, cli: Cli
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="wk-evidence")
    res = cli("export", "--db", str(history_db.db), "--output", "s3://wk-evidence/audit/2026q3")
    assert res.exit_code == 0, res.output
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="wk-evidence")
        for o in page.get("Contents", [])
    ]
    assert "audit/2026q3/manifest.json" in keys
    assert any(k.startswith("audit/2026q3/aws_cloudtrail_trail/snapshot_id=") for k in keys)
    # Download and re-read: the bucket holds the same evidence.
    local = tmp_path / "down"
    for key in keys:
        target = local / key.removeprefix("audit/2026q3/")
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file("wk-evidence", key, str(target))
    snaps = [history_db.a, history_db.b, history_db.c]
    assert_same_rows(history_db.db, local, snaps)
    res = cli("export", "--db", str(history_db.db), "--output", "s3://nobucket-here/x")
    assert res.exit_code == 2 and "upload to s3://nobucket-here/x failed" in res.stderr


def test_ddl_for_athena_and_trino(cli: Cli, history_db: History, tmp_path: Path):
    athena = ddl("athena", "s3://b/p/")
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS watchkeeper.aws_cloudwatch_alarm (" in athena
    assert "PARTITIONED BY (`snapshot_id` int, `account_id` string)" in athena
    assert "LOCATION 's3://b/p/aws_cloudwatch_alarm/';" in athena
    assert "MSCK REPAIR TABLE watchkeeper.snapshot;" in athena
    alarm = athena.split("watchkeeper.aws_cloudwatch_alarm (")[1].split(")")[0]
    assert "`account_id`" not in alarm and "`alarm_actions` string" in alarm
    trino = ddl("trino", "s3://b/p")
    assert "partitioned_by = ARRAY['snapshot_id', 'account_id']" in trino
    block = trino.split("hive.watchkeeper.aws_account (")[1].split(")")[0].strip().splitlines()
    assert block[-2:] == ['  "snapshot_id" integer,', '  "account_id" varchar']
    assert "timestamp(6)" in trino
    assert "LOCATION 's3://b/p/check_run/';\n" in athena  # unpartitioned: no repair
    assert "external_location = 's3://b/p/check_run');" in trino
    with pytest.raises(ExportError):
        ddl("hive", "s3://b")
    out = tmp_path / "e"
    res = cli("export", "--db", str(history_db.db), "-o", str(out), "--ddl", "trino")
    assert res.exit_code == 0 and "CREATE TABLE IF NOT EXISTS hive.watchkeeper" in res.stdout
    assert json.loads((out / "manifest.json").read_text())["format"] == "watchkeeper-parquet/1"


def test_control_sql_runs_unchanged_on_the_export(history_db: History, tmp_path: Path, cli: Cli):
    out = tmp_path / "export"
    export(history_db.db, str(out))
    sql = (
        Path(__file__).parents[2] / "watchkeeper/queries/sql/control_metric_filter.sql"
    ).read_text()

    def passed(con: duckdb.DuckDBPyConnection) -> list[tuple[str, bool]]:
        con.execute("SET VARIABLE benchmark = 'cis-v5.0.0'")
        con.execute("SET VARIABLE profile = 'full'")
        found = []
        for control in ("4.4", "4.5"):
            con.execute("SET VARIABLE control_id = ?", [control])
            found += [
                (control, r[0], r[1])
                for r in con.execute(
                    f"SELECT account_id, passed FROM ({sql.rstrip().rstrip(';')})"
                ).fetchall()
            ]
        return found

    on_db = connect(history_db.db)  # checked: the chain views are stored in the file
    on_files = connect(out)  # watchkeeper.connect on an export directory
    assert (
        passed(on_files)
        == passed(on_db)
        == [
            ("4.4", history_db.account, False),
            ("4.5", history_db.account, True),
        ]
    )
    on_db.close()
    on_files.close()
    res = cli("query", "--db", str(out), "-f", "csv", "select count(*) as n from aws_sns_topic")
    assert res.exit_code == 0 and res.stdout == "n\n1\n"
    res = cli("timeline", "--db", str(out), "-c", "4.5")
    assert res.exit_code == 0 and "PFP" in res.stdout
