"""`watchkeeper collect / snapshots / verify` as a user runs them: exit codes and messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import Estate
from watchkeeper.cli import app
from watchkeeper.store import connect, verify_snapshots

runner = CliRunner()


def wk(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_collect_clean_run_exits_0_and_lists_snapshot(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()
    code, out, _ = wk(
        "collect", "--db", str(db), "--endpoint-url", proxy.url, "-r", "us-east-1", "-q"
    )
    assert code == 0, out
    assert "snapshot 1 complete" in out and "0 collection error(s)" in out
    code, out, _ = wk("snapshots", "--db", str(db), "--json")
    assert code == 0
    snaps = json.loads(out)
    assert [(s["snapshot_id"], s["status"]) for s in snaps] == [(1, "complete")]
    code, out, _ = wk("verify", "--db", str(db))
    assert code == 0 and "all 1 snapshot(s) verified" in out


def test_collect_with_errors_exits_1_and_prints_them(estate: Estate, proxy: FaultProxy, db: Path):
    proxy.add(
        Rule(
            "logs",
            "DescribeLogGroups",
            status=403,
            code="AccessDeniedException",
            message="no logs:DescribeLogGroups",
        )
    )
    code, out, err = wk("collect", "--db", str(db), "--endpoint-url", proxy.url, "-r", "us-east-1")
    assert code == 1
    assert "1 collection error(s)" in out
    assert "AccessDeniedException" in err and "DescribeLogGroups" in err


def test_db_path_from_environment(
    estate: Estate, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    target = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("WATCHKEEPER_DB", str(target))
    code, _, _ = wk("collect", "--endpoint-url", proxy.url, "-r", "us-east-1", "-q")
    assert code == 0 and target.exists()


def test_missing_credentials_is_one_clear_line(
    proxy: FaultProxy, db: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, out, err = wk("collect", "--db", str(db), "--endpoint-url", proxy.url, "-r", "us-east-1")
    assert code == 2
    assert err.count("\n") == 1 and "no AWS credentials found" in err
    assert "Traceback" not in out + err
    assert not db.exists()  # nothing was started


def test_unknown_profile_is_one_clear_line(db: Path):
    code, _, err = wk("collect", "--db", str(db), "--profile", "nope", "-r", "us-east-1")
    assert code == 2 and "profile 'nope' not found" in err


def test_corrupt_and_foreign_database_files(tmp_path: Path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 100)
    code, _, err = wk("snapshots", "--db", str(bad))
    assert code == 2 and err.startswith("error: cannot open database") and "Traceback" not in err
    foreign = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    code, _, err = wk("verify", "--db", str(foreign))
    assert code == 2 and "not a watchkeeper database" in err
    code, _, err = wk("snapshots", "--db", str(tmp_path / "missing.duckdb"))
    assert code == 2 and "no watchkeeper database" in err


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "new.duckdb"
    connect(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE watchkeeper_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    code, _, err = wk("snapshots", "--db", str(path))
    assert code == 2 and "newer watchkeeper" in err


def test_verify_exits_1_on_tampering(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()
    assert (
        wk("collect", "--db", str(db), "--endpoint-url", proxy.url, "-r", "us-east-1", "-q")[0] == 0
    )
    con = duckdb.connect(str(db))
    con.execute("UPDATE history.aws_sns_topic_subscription SET endpoint = 'attacker@example.com'")
    con.close()
    code, out, _ = wk("verify", "--db", str(db))
    assert code == 1 and "MISMATCH" in out


def _cli(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )


@pytest.mark.serial
def test_killed_collection_leaves_earlier_snapshots_intact(
    estate: Estate, proxy: FaultProxy, db: Path
):
    estate.account().chain()
    base = ("collect", "--db", str(db), "--endpoint-url", proxy.url, "-r", "us-east-1", "-q")
    assert wk(*base)[0] == 0
    # Slow the second run down so it can be killed in the middle of collecting.
    proxy.add(Rule("cloudwatch", "DescribeAlarms", delay=30))
    proc = _cli(*base)
    deadline = time.monotonic() + 30
    while proxy.count("cloudwatch", "DescribeAlarms") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = connect(db, read_only=True)
    try:
        statuses = con.execute("SELECT snapshot_id, status FROM snapshot ORDER BY 1").fetchall()
        assert statuses == [(1, "complete"), (2, "incomplete")]
        assert all(r.ok for r in verify_snapshots(con))
        # The plain views still show snapshot 1.
        assert con.execute("SELECT DISTINCT snapshot_id FROM aws_cloudwatch_alarm").fetchall() == [
            (1,)
        ]
    finally:
        con.close()


@pytest.mark.serial
def test_second_writer_waits_for_the_lock(estate: Estate, proxy: FaultProxy, db: Path):
    from watchkeeper.store import StoreLockedError

    connect(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(3)",
            str(db),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    with pytest.raises(StoreLockedError, match="in use by another watchkeeper process"):
        connect(db, lock_timeout=0)
    started = time.monotonic()
    con = connect(db, lock_timeout=20)  # waits until the holder exits
    con.close()
    assert time.monotonic() - started > 0.5
    holder.wait()


def test_new_database_is_owner_only(tmp_path: Path):
    path = tmp_path / "fresh.duckdb"
    connect(path).close()
    assert path.stat().st_mode & 0o777 == 0o600
