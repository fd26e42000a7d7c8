"""Ad-hoc SQL: read-only enforcement, Steampipe idioms, output formats, the shell."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import duckdb
import pytest
from click.testing import Result

from tests.analyst.conftest import History
from watchkeeper.analyst.query import QueryError, QueryResult, Shell, execute, render, translate
from watchkeeper.api import connect
from watchkeeper.store import connect as store_connect
from watchkeeper.store import verify_snapshots

Cli = Callable[..., Result]


def test_database_is_read_only_for_queries(history_copy: History, cli: Cli):
    before = history_copy.db.read_bytes()
    con = connect(history_copy.db)
    for sql in (
        "DELETE FROM history.aws_cloudwatch_alarm",
        "UPDATE snapshot SET sha256 = 'x'",
        "DROP TABLE history.aws_account",
        "CREATE TABLE main.mine AS SELECT 1",
    ):
        with pytest.raises(QueryError, match="read-only"):
            execute(con, sql)
    # Scratch work is allowed, in the connection's own temp catalog.
    execute(con, "CREATE TEMP TABLE mine AS SELECT count(*) AS n FROM aws_account")
    assert execute(con, "SELECT n FROM mine").rows == [(1,)]
    con.close()

    res = cli("query", "DELETE FROM history.aws_account", "--db", str(history_copy.db))
    assert res.exit_code == 2
    assert "read-only" in res.stderr and "Traceback" not in res.output
    assert history_copy.db.read_bytes() == before
    with store_connect(history_copy.db, read_only=True) as check_con:
        assert all(v.ok for v in verify_snapshots(check_con))


def test_steampipe_query_runs_unchanged(history_db: History):
    con = connect(history_db.db)
    # As written for Steampipe's aws_cloudtrail_trail (Postgres jsonb idioms).
    sql = """
        select t.name, s ->> 'ReadWriteType' as rw,
               (s ->> 'IncludeManagementEvents')::bool as mgmt
        from aws_cloudtrail_trail as t,
             jsonb_array_elements(t.event_selectors) as s
        where t.is_multi_region_trail and not t.is_shadow
    """
    assert execute(con, sql).rows == [("main-trail", "All", True)]
    # SELECT-list form, element text, containment and -> chains.
    assert execute(
        con,
        "select jsonb_array_elements(event_selectors) ->> 'ReadWriteType' "
        "from aws_cloudtrail_trail",
    ).rows == [("All",)]
    actions = execute(
        con,
        "select a.name, act from aws_cloudwatch_alarm a, "
        "jsonb_array_elements_text(a.alarm_actions) as act",
    ).rows
    assert actions == [("ct-alarm", "arn:aws:sns:us-east-1:123456789012:sec-alerts")]
    select_list = execute(
        con,
        "select name, jsonb_array_elements_text(alarm_actions) as action from aws_cloudwatch_alarm",
    )
    assert select_list.columns == ["name", "action"] and select_list.rows == actions
    assert execute(
        con,
        "select count(*) from aws_cloudwatch_alarm "
        "where alarm_actions @> '[\"arn:aws:sns:us-east-1:123456789012:sec-alerts\"]'::jsonb",
    ).rows == [(1,)]
    assert execute(
        con,
        "select raw -> 'AlarmActions' ->> 0, jsonb_array_length(alarm_actions), "
        "jsonb_typeof(alarm_actions) from aws_cloudwatch_alarm",
    ).rows == [("arn:aws:sns:us-east-1:123456789012:sec-alerts", 1, "array")]
    # watchkeeper's own functions are registered too.
    assert execute(
        con,
        "select wk_covers(filter_pattern, '{ $.eventName = StopLogging }') "
        "from aws_cloudwatch_log_metric_filter",
    ).rows == [(True,)]
    con.close()


def test_translate_only_touches_aliased_set_returning_functions():
    assert (
        translate("select s from t, jsonb_array_elements(t.x -> 'a') as s where true")
        == "select s from t, jsonb_array_elements(t.x -> 'a') as s(s) where true"
    )
    assert translate("from t join jsonb_array_elements_text(y) e on true") == (
        "from t join jsonb_array_elements_text(y) e(e) on true"
    )
    unchanged = [
        "select jsonb_array_elements(x) ->> 'k' from t",
        "from t, jsonb_array_elements(x) as s(v)",
        "from t, jsonb_array_elements(x) where 1=1",
        "select ')' from t, jsonb_array_elements(x)",
        "select name, jsonb_array_elements_text(acts) as action from t",
        "select (select 1 from u), jsonb_array_elements(x) e from t",
    ]
    for sql in unchanged:
        assert translate(sql) == sql


def test_formats():
    res = QueryResult(
        ["name", "doc", "n"], ["VARCHAR", "JSON", "INTEGER"], [("a|b", '{"k": [1]}', None)]
    )
    assert json.loads(render(res, "json")) == [{"name": "a|b", "doc": {"k": [1]}, "n": None}]
    assert render(res, "csv") == 'name,doc,n\na|b,"{""k"": [1]}",\n'
    assert render(res, "markdown").splitlines()[2] == '| a\\|b | {"k": [1]} |  |'
    table = render(res, "table")
    assert "NULL" in table and table.rstrip().endswith("(1 row)")
    with pytest.raises(QueryError, match="unknown format"):
        render(res, "xml")


def test_cli_query_formats_and_output(history_db: History, cli: Cli, tmp_path):
    db = str(history_db.db)
    res = cli("query", "select snapshot_id from snapshot order by 1", "--db", db, "-f", "json")
    assert res.exit_code == 0, res.output
    assert [r["snapshot_id"] for r in json.loads(res.stdout)] == [
        history_db.a,
        history_db.b,
        history_db.c,
    ]
    out = tmp_path / "t.csv"
    res = cli("query", "select name from aws_sns_topic", "--db", db, "-f", "csv", "-o", str(out))
    assert res.exit_code == 0 and out.read_text() == "name\nsec-alerts\n"
    # SQL from stdin when none is given and stdin is not a terminal.
    res = cli("query", "--db", db, "-f", "csv", input="select 40 + 2 as x;\n")
    assert res.stdout == "x\n42\n"
    res = cli("query", "select nope from nowhere", "--db", db)
    assert res.exit_code == 2 and res.stderr.startswith("error: ")
    res = cli("query", "select 1", "--db", str(tmp_path / "missing.duckdb"))
    assert res.exit_code == 2 and "no watchkeeper database" in res.stderr


def test_shell_multiline_dot_commands_and_completion(history_db: History, tmp_path):
    con = connect(history_db.db)
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(con, "csv", out, err)
    script = tmp_path / "q.sql"
    script.write_text("select 7 as seven;")
    lines = iter(
        [
            "select name",
            "  from aws_cloudwatch_log_group",
            "  order by name;",
            ".format json",
            "select 1 as one;",
            ".format csv",
            ".tables sns",
            ".schema aws_sns_topic_subscription",
            f".read {script}",
            "select broken;",
            ".bogus",
            ".quit",
            "select 'never reached';",
        ]
    )
    shell.loop(lambda prompt: next(lines))
    text = out.getvalue()
    assert "name\napp-logs\nct-logs\n" in text
    assert '"one": 1' in text
    assert "aws_sns_topic_subscription" in text and "pending_confirmation,BOOLEAN" in text
    assert "seven\n7\n" in text and "never reached" not in text
    assert "error:" in err.getvalue() and "unknown command .bogus" in err.getvalue()

    assert "aws_cloudtrail_trail" in shell.candidates("aws_cloudt")
    assert "is_multi_region_trail" in shell.candidates("is_multi")
    assert "history.aws_sns_topic" in shell.candidates("history.aws_sns")
    assert "jsonb_array_elements" in shell.candidates("jsonb_array_e")
    assert shell.candidates(".ta") == [".tables"]
    assert shell.complete("aws_securityh", 0) == "aws_securityhub_hub"
    assert shell.complete("aws_securityh", 1) is None
    con.close()


def test_connect_returns_duckdb_with_pandas(history_db: History):
    con = connect(history_db.db)
    assert isinstance(con, duckdb.DuckDBPyConnection)
    df = con.sql("select name, is_logging from aws_cloudtrail_trail where not is_shadow").df()
    assert df.to_dict("records") == [{"name": "main-trail", "is_logging": True}]
    con.close()


def test_cli_query_output_is_refused_for_the_shell(
    history_db: History, cli: Cli, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    import watchkeeper.cli.analyst as cli_analyst

    monkeypatch.setattr(cli_analyst, "stdin_is_terminal", lambda: True)
    out = tmp_path / "never.txt"
    res = cli("query", "--db", str(history_db.db), "-o", str(out))
    assert res.exit_code == 2 and "--output needs SQL" in res.stderr
    assert not out.exists()
