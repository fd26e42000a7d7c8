"""Every column of every table and view is documented, and the README carries the
generated section verbatim."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
from click.testing import Result

from tests.analyst.conftest import History
from watchkeeper.analyst import catalog_tables

Cli = Callable[..., Result]
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_table_and_column_is_documented(history_db: History):
    # The fixture database has been checked, so the chain views and reference tables exist.
    con = duckdb.connect(str(history_db.db), read_only=True)
    found = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('main', 'history') AND table_name <> 'watchkeeper_meta'"
    ).fetchall()
    con.close()
    tables = {t for t, _ in found}
    assert {"snapshot", "aws_cloudtrail_trail", "wk_control_chain", "control_result"} <= tables
    undocumented = sorted(
        (t, c)
        for t, c in found
        if t not in catalog_tables.TABLES or c not in catalog_tables.columns(t)
    )
    assert undocumented == []
    # …and nothing documented that no longer exists.
    stale = sorted(
        (t, c)
        for t in catalog_tables.TABLES
        for c in catalog_tables.columns(t)
        if (t, c) not in set(found)
    )
    assert stale == []


def test_readme_contains_generated_section():
    section = catalog_tables.readme_section()
    assert section in README.read_text(encoding="utf-8"), (
        "README.md is out of date: paste the output of `watchkeeper tables --markdown` "
        "(catalog_tables.readme_section()) into its Data model section"
    )


def test_tables_command(cli: Cli):
    res = cli("tables")
    assert res.exit_code == 0 and "aws_sns_topic_subscription" in res.stdout
    res = cli("tables", "history.aws_cloudtrail_trail")
    assert "log_group_arn" in res.stdout
    assert "cloudtrail:DescribeTrails trailList[].CloudWatchLogsLogGroupArn" in res.stdout
    res = cli("tables", "--markdown")
    assert res.stdout == catalog_tables.readme_section()
    res = cli("tables", "trail")
    assert res.exit_code == 2 and "did you mean" in res.stderr
