"""Every store connection bounds DuckDB's memory: 512MB unless WATCHKEEPER_MEMORY_LIMIT says
otherwise, and a value DuckDB could not read is one line naming the variable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from watchkeeper.cli import app
from watchkeeper.store import connect

runner = CliRunner()


@dataclass(frozen=True)
class Limit:
    name: str
    env: str | None  # WATCHKEEPER_MEMORY_LIMIT, unset when None
    expected: str  # the value DuckDB is given, set by hand on a bare DuckDB below


LIMITS = [
    Limit("unset: the default", None, "512MB"),
    Limit("empty: the default", "", "512MB"),
    Limit("gigabytes", "2GB", "2GB"),
    Limit("binary units, spaced and padded", " 1.5 GiB ", "1.5GiB"),
]


def _duckdb_shows(limit: str) -> str:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{limit}'")
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    con.close()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("limit", LIMITS, ids=lambda x: x.name)
@pytest.mark.parametrize("read_only", [False, True], ids=["writer", "reader"])
def test_connections_carry_the_limit(
    limit: Limit, read_only: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db = tmp_path / "wk.duckdb"
    connect(db).close()
    if limit.env is None:
        monkeypatch.delenv("WATCHKEEPER_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("WATCHKEEPER_MEMORY_LIMIT", limit.env)
    con = connect(db, read_only=read_only)
    try:
        row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    finally:
        con.close()
    assert row is not None
    shown = str(row[0])
    assert shown == _duckdb_shows(limit.expected)
    assert shown != _duckdb_shows("80%")  # not DuckDB's own default (most of the RAM)


@pytest.mark.parametrize("bad", ["lots", "512", "-1GB", "1GB; DROP TABLE snapshot"])
def test_a_bad_limit_is_one_line_and_opens_nothing(
    bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db = tmp_path / "wk.duckdb"
    connect(db).close()
    monkeypatch.setenv("WATCHKEEPER_MEMORY_LIMIT", bad)
    result = runner.invoke(app, ["snapshots", "--db", str(db)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WATCHKEEPER_MEMORY_LIMIT" in lines[0] and repr(bad) in lines[0]
    # No connection was left open: the file opens for writing at once.
    monkeypatch.delenv("WATCHKEEPER_MEMORY_LIMIT")
    connect(db).close()
