"""diff and timeline over three snapshots with known changes (see conftest.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from click.testing import Result

from tests.analyst.conftest import NO_STOP, History
from watchkeeper.analyst.diff import DriftError, diff
from watchkeeper.analyst.history import VerdictSource
from watchkeeper.analyst.timeline import Gap, TimelineData, find_gaps, timeline_section
from watchkeeper.api import connect
from watchkeeper.store import connect as store_connect
from watchkeeper.svg import timeline_svg

Cli = Callable[..., Result]


def _changes(d, table):  # type: ignore[no-untyped-def]
    return {(r.change, tuple(r.key.values())) for r in d.resources if r.table == table}


def test_diff_first_change(history_db: History):
    con = connect(history_db.db)
    d = diff(con, history_db.a, history_db.b)
    acct = history_db.account
    assert d.accounts == [acct]
    filt = [r for r in d.resources if r.table == "aws_cloudwatch_log_metric_filter"]
    assert len(filt) == 1 and filt[0].change == "changed"
    assert [f.field for f in filt[0].fields] == ["filter_pattern"]
    assert filt[0].fields[0].after == NO_STOP
    assert ("added", (acct, "us-east-1", f"arn:aws:sns:us-east-1:{acct}:extra-alerts")) in (
        _changes(d, "aws_sns_topic")
    )
    assert {r.table for r in d.resources} == {"aws_cloudwatch_log_metric_filter", "aws_sns_topic"}
    [v] = [v for v in d.verdicts if v.control_id == "4.5"]
    assert (v.before, v.after) == ("pass", "fail")
    assert "StopLogging" in v.reason
    con.close()


def test_diff_defaults_to_latest_against_previous(history_db: History):
    con = connect(history_db.db)
    d = diff(con)
    assert (d.from_snapshot, d.to_snapshot) == (history_db.b, history_db.c)
    acct = history_db.account
    assert ("removed", (acct, "us-east-1", f"arn:aws:sns:us-east-1:{acct}:extra-alerts")) in (
        _changes(d, "aws_sns_topic")
    )
    assert ("added", (acct, "us-east-1", "app-logs")) in _changes(d, "aws_cloudwatch_log_group")
    assert [(v.control_id, v.before, v.after) for v in d.verdicts] == [("4.5", "fail", "pass")]
    # Nothing changed A → C except the new log group (and its count-free neighbours).
    d_ac = diff(con, history_db.a, history_db.c)
    assert d_ac.verdicts == []
    assert {r.table for r in d_ac.resources} == {"aws_cloudwatch_log_group"}
    with pytest.raises(DriftError, match="does not exist"):
        diff(con, 999, history_db.c)
    with pytest.raises(DriftError, match="no complete snapshot before"):
        diff(con, None, history_db.a)
    con.close()


def test_stored_and_computed_verdicts_agree(history_db: History):
    con = connect(history_db.db)
    with VerdictSource(con) as source:
        stored = source.stored(history_db.b)
        assert stored is not None
        assert source.stored(history_db.a) is None
        assert source.stored(history_db.c) is not None
        computed = source.computed_verdicts(history_db.b)
    key = lambda v: (v.control_id, v.account_id, v.status)  # noqa: E731
    assert sorted(map(key, stored)) == sorted(map(key, computed))
    con.close()


def test_computing_verdicts_on_a_writable_database_leaves_no_trace(history_copy: History):
    con = store_connect(history_copy.db)
    tables = con.execute("SELECT count(*) FROM check_run").fetchone()
    with VerdictSource(con) as source:
        statuses = {v.control_id: v.status for v in source.computed_verdicts(history_copy.b)}
    assert statuses["4.5"] == "fail"
    assert con.execute("SELECT count(*) FROM check_run").fetchone() == tables
    con.close()


def test_timeline(history_db: History):
    con = connect(history_db.db)
    data = timeline_section(con, controls=("4.5", "4.4"))
    assert [s for s, _ in data.snapshots] == [history_db.a, history_db.b, history_db.c]
    lanes = {lane.control_id: lane for lane in data.lanes}
    assert set(lanes) == {"4.4", "4.5"}
    assert [p.status for p in lanes["4.5"].points] == ["pass", "fail", "pass"]
    assert not lanes["4.5"].held_throughout and not lanes["4.5"].gaps
    assert all(p.status == "fail" for p in lanes["4.4"].points)
    assert data.computed == [history_db.a]  # B and C come from their stored runs

    # Snapshots are seconds apart: a one-second max gap flags every interval, and a
    # period that starts a day earlier has a leading gap.
    first = data.snapshots[0][1]
    strict = timeline_section(
        con, controls=("4.5",), since=first - timedelta(days=1), max_gap=timedelta(seconds=0)
    )
    gaps = strict.lanes[0].gaps
    assert gaps[0].start == first - timedelta(days=1) and gaps[0].end == first
    assert len(gaps) == 3
    assert timeline_section(con, controls=("4.5",), until=first).lanes == []
    con.close()


def test_find_gaps():
    t0 = datetime(2026, 7, 1, tzinfo=UTC)
    day = timedelta(days=1)
    nightly = [t0 + i * day for i in range(10)]
    assert find_gaps(nightly, timedelta(hours=36)) == []
    missing = nightly[:3] + nightly[6:]
    assert find_gaps(missing, timedelta(hours=36)) == [Gap(t0 + 2 * day, t0 + 6 * day)]
    quarter = find_gaps(nightly, timedelta(hours=36), t0 - 5 * day, t0 + 12 * day)
    assert quarter == [Gap(t0 - 5 * day, t0), Gap(t0 + 9 * day, t0 + 12 * day)]
    assert find_gaps([], timedelta(hours=1), t0, t0 + day) == [Gap(t0, t0 + day)]
    assert Gap(t0, t0 + day).hours == 24


def test_timeline_svg_is_well_formed(history_db: History):
    con = connect(history_db.db)
    data = timeline_section(con, controls=("4.5",))
    con.close()
    svg = timeline_svg(data)
    root = ET.fromstring(svg)
    rects = [e for e in root.iter("{http://www.w3.org/2000/svg}rect") if e.get("fill") != "#eeeeee"]
    fills = [r.get("fill") for r in rects]
    assert fills == ["#2e7d32", "#c62828", "#2e7d32"]
    empty = TimelineData("cis-v5.0.0", None, None, timedelta(hours=1), [], [])
    ET.fromstring(timeline_svg(empty))


def test_cli_diff_and_timeline(history_db: History, cli: Cli, tmp_path):
    db = str(history_db.db)
    res = cli("diff", "--db", db, "--from", str(history_db.a), "--to", str(history_db.b))
    assert res.exit_code == 0, res.output
    assert "~ aws_cloudwatch_log_metric_filter" in res.stdout
    assert "filter_pattern:" in res.stdout and "4.5" in res.stdout
    res = cli("diff", "--db", db, "-f", "json")
    data = json.loads(res.stdout)
    assert data["summary"]["aws_sns_topic"]["removed"] == 1
    res = cli("diff", "--db", db, "--from", "999")
    assert res.exit_code == 2 and "999" in res.stderr

    res = cli("timeline", "--db", db, "-c", "4.5")
    assert res.exit_code == 0, res.output
    assert "PFP" in res.stdout and "NOT held throughout" in res.stdout
    res = cli("timeline", "--db", db, "-c", "4.5", "-f", "json", "--since", "2000-01-01")
    lane = json.loads(res.stdout)["lanes"][0]
    assert lane["gaps"][0]["start"].startswith("2000-01-01")
    out = tmp_path / "t.svg"
    res = cli("timeline", "--db", db, "-c", "4.5", "-f", "svg", "-o", str(out))
    assert res.exit_code == 0 and out.read_text().startswith("<svg")
    res = cli("timeline", "--db", db, "--since", "yesterday")
    assert res.exit_code == 2 and "--since" in res.stderr
    res = cli("timeline", "--db", db, "-c", "9.99")
    assert res.exit_code == 2


def test_cli_timeline_and_diff_filters_are_honoured(history_copy: History, cli: Cli):
    history_db = history_copy
    db = str(history_db.db)
    # A field that moves on every run, moved for certain (moto's own stamps may fall in the
    # same second when the collections are quick).
    con = duckdb.connect(db)
    con.execute(
        "UPDATE history.aws_cloudwatch_alarm SET state_value = 'ALARM' WHERE snapshot_id = ?",
        [history_db.c],
    )
    con.close()

    def timeline(*args: str) -> dict[str, Any]:
        res = cli("timeline", "--db", db, "-c", "4.5", "-f", "json", *args)
        assert res.exit_code == 0, res.output
        data: dict[str, Any] = json.loads(res.stdout)
        return data

    assert [lane["account_id"] for lane in timeline("-a", history_db.account)["lanes"]] == [
        history_db.account
    ]
    assert timeline("-a", "999999999999")["lanes"] == []
    assert timeline("--until", "2000-01-01")["snapshots"] == []
    [lane] = timeline()["lanes"]
    assert lane["gaps"] == []
    # Snapshots are seconds apart: a max gap of well under a second flags both intervals.
    [strict] = timeline("--max-gap-hours", "0.00001")["lanes"]
    assert len(strict["gaps"]) == 2
    res = cli("timeline", "--db", db, "--max-gap-hours", "0")
    assert res.exit_code == 2

    def tables(*args: str) -> set[str]:
        res = cli("diff", "--db", db, "--from", str(history_db.a), "--to", str(history_db.c), *args)
        assert res.exit_code == 0, res.output
        return set(json.loads(res.stdout)["summary"])

    # Fields that move on every run show up only when asked for.
    assert tables("-f", "json") == {"aws_cloudwatch_log_group"}
    assert tables("-f", "json", "--all-fields") >= {
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_alarm",
    }
