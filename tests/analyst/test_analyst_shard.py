"""--shard I/N splits accounts deterministically; import merges the shards into one
snapshot equal to a single full collection (rows, verdicts, verifiable hash)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.analyst.conftest import collect_into
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from watchkeeper.analyst.evidence import HISTORY_TABLES
from watchkeeper.analyst.export import export
from watchkeeper.analyst.shard import import_snapshots
from watchkeeper.collector.shard import ShardError, parse_shard, shard_accounts, shard_of
from watchkeeper.emulator import MotoServer
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.store import connect, verify_snapshots

Cli = Callable[..., Result]
# One account per shard of 3 (shard_of is a stable hash: these never move).
ACCOUNTS = ["100000000001", DEFAULT_ACCOUNT, "100000000003"]


def test_shard_split_is_deterministic_partition():
    accounts = [f"{i:012d}" for i in range(1000, 1100)]
    parts = [shard_accounts(accounts, f"{i}/4") for i in range(1, 5)]
    assert sorted(a for p in parts for a in p) == accounts
    assert all(len(p) > 10 for p in parts)  # spread, not all in one shard
    # Membership depends only on the account id, not on the rest of the list.
    assert shard_accounts(list(reversed(accounts[:50])), "2/4") == [
        a for a in reversed(accounts[:50]) if a in parts[1]
    ]
    assert [shard_of(a, 3) for a in ACCOUNTS] == [1, 2, 3]
    assert shard_accounts(ACCOUNTS + ACCOUNTS, "1/1") == ACCOUNTS
    assert parse_shard(" 2 / 3 ") == (2, 3)
    for bad in ("0/3", "4/3", "1/0", "a/b", "1", "-1/2"):
        with pytest.raises(ShardError):
            parse_shard(bad)


# Clocks moto reads at request time (as AWS does): they differ between any two runs.
CLOCKS = {"aws_cloudtrail_trail": ", latest_delivery_time, raw_status"}


def rows(db: Path, snapshot_id: int) -> dict[str, list[Any]]:
    con = connect(db, read_only=True)
    out = {}
    for table in HISTORY_TABLES:
        skip = CLOCKS.get(table, "")
        cur = con.execute(
            f"SELECT * EXCLUDE (snapshot_id{skip}) FROM history.{table} WHERE snapshot_id = ?",
            [snapshot_id],
        )
        out[table] = sorted(cur.fetchall(), key=repr)
    con.close()
    return out


def statuses(db: Path, snapshot_id: int) -> list[tuple[str, str, str]]:
    run = check(CheckRequest(db=db, snapshot_id=snapshot_id, store=False))
    return sorted((r.control_id, r.account_id, r.status) for r in run.results)


def test_three_shards_imported_equal_one_full_collection(
    estate: Estate, moto_server: MotoServer, tmp_path: Path, cli: Cli
):
    estate.account(ACCOUNTS[0]).chain("member")
    estate.account(DEFAULT_ACCOUNT).chain()
    estate.account(ACCOUNTS[2]).log_group("only-a-log-group")
    url = moto_server.url
    opts = {"role_name": "wk-reader"}

    full_db = tmp_path / "full.duckdb"
    full = collect_into(full_db, url, accounts=tuple(ACCOUNTS), **opts)
    shards = []
    for i in (1, 2, 3):
        mine = shard_accounts(ACCOUNTS, f"{i}/3")
        assert len(mine) == 1
        shard_db = tmp_path / f"shard{i}.duckdb"
        collect_into(shard_db, url, accounts=tuple(mine), **opts)
        shards.append(shard_db)
    # Shard 3 travels as a Parquet export, the others as DuckDB files.
    export(shards[2], str(tmp_path / "shard3-parquet"))
    sources = [shards[0], shards[1], tmp_path / "shard3-parquet"]

    target = tmp_path / "merged.duckdb"
    collect_into(target, url, accounts=(DEFAULT_ACCOUNT,))  # an earlier snapshot to chain to
    res = cli("import", *map(str, sources), "--db", str(target))
    assert res.exit_code == 0, res.output
    con = connect(target, read_only=True)
    merged, status, accounts, prev = con.execute(
        "SELECT snapshot_id, status, accounts, previous_snapshot_id FROM snapshot "
        "ORDER BY snapshot_id DESC LIMIT 1"
    ).fetchone()
    assert status == "complete" and prev == merged - 1
    assert sorted(json.loads(accounts)) == sorted(ACCOUNTS)
    assert all(v.ok for v in verify_snapshots(con))
    con.close()

    assert rows(target, merged) == rows(full_db, full)
    assert statuses(target, merged) == statuses(full_db, full)


def test_import_refuses_overlap_and_self(estate: Estate, moto_server: MotoServer, tmp_path: Path):
    estate.account().chain()
    db1 = tmp_path / "a.duckdb"
    collect_into(db1, moto_server.url)
    db2 = tmp_path / "b.duckdb"
    collect_into(db2, moto_server.url)
    with pytest.raises(ShardError, match="shards must not overlap"):
        import_snapshots(tmp_path / "t.duckdb", [db1, db2])
    with pytest.raises(ShardError, match="is the target"):
        import_snapshots(db1, [db1])
    with pytest.raises(ShardError, match="nothing to import"):
        import_snapshots(db1, [])
    empty = tmp_path / "empty.duckdb"
    connect(empty).close()
    with pytest.raises(ShardError, match="no complete snapshot"):
        import_snapshots(tmp_path / "t2.duckdb", [empty])


def _schema2_file(path: Path) -> None:
    """A database as schema 2 left it: no aws_organizations_* tables."""
    from watchkeeper.store import Collection, begin_snapshot, complete_snapshot

    col = Collection(caller_arn=None, accounts=["111122223333"], regions=["us-east-1"])
    row = {
        "account_id": "111122223333",
        "region": "us-east-1",
        "partition": "aws",
        "arn": "arn:aws:::111122223333",
        "access_method": "caller",
        "collection_status": "ok",
    }
    col.add("aws_account", [row])
    complete_snapshot(path, begin_snapshot(path, col.accounts, col.regions, None), col)
    import duckdb

    raw = duckdb.connect(str(path))
    for table in ("root", "organizational_unit", "account"):
        raw.execute(f"DROP TABLE history.aws_organizations_{table}")
    raw.execute("UPDATE snapshot SET schema_version = 2")
    raw.execute("UPDATE watchkeeper_meta SET value = '2' WHERE key = 'schema_version'")
    raw.close()


def test_an_older_file_is_read_and_imported_without_the_newer_tables(tmp_path: Path):
    from watchkeeper.analyst.evidence import open_evidence

    old = tmp_path / "schema2.duckdb"
    _schema2_file(old)
    con = open_evidence(old)  # attached as it is: not migrated
    try:
        for table in ("history.aws_organizations_account", "aws_organizations_organizational_unit"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM aws_account").fetchall() == [(1,)]
    finally:
        con.close()
    info = import_snapshots(tmp_path / "merged.duckdb", [old])
    merged = connect(tmp_path / "merged.duckdb", read_only=True)
    try:
        assert merged.execute("SELECT account_id FROM aws_account").fetchall() == [
            ("111122223333",)
        ]
        assert all(r.ok for r in verify_snapshots(merged))
    finally:
        merged.close()
    assert info.status == "complete"
