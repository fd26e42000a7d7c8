"""Every one of the 16 topics passes in a compliant account and fails in a broken one;
the `check` and `controls` commands, their formats and exit codes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.awsfake.scenarios import Estate
from tests.conftest import copy_db
from watchkeeper.cli import app
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CheckRequest, check

GOOD, BAD = "111122223333", "444455556666"
R = "us-east-1"
runner = CliRunner()


@pytest.fixture(scope="module")
def collected_two_accounts(module_estate: Estate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GOOD: a correct chain for every control; BAD: each chain broken in a different way.
    Built and collected once for the module; each test checks its own copy."""
    estate = module_estate
    db = tmp_path_factory.mktemp("two-accounts") / "wk.duckdb"
    controls = load_catalog().controls("cis-v5.0.0")
    for acct_id in (GOOD, BAD):
        a = estate.account(acct_id)
        a.log_group("cloudtrail-logs")
        a.trail("org-audit-trail", log_group="cloudtrail-logs")
        topic = a.topic("security-alerts")
        a.subscribe(topic, "soc@example.com")
        for i, c in enumerate(controls):
            if c.kind != "metric_filter_alarm":
                continue
            pattern = c.required_patterns[0]
            metric = f"{c.topic}-count"
            # BAD alternates between a narrowed filter and a muted alarm.
            if acct_id == BAD and i % 2:
                pattern = "{ (" + pattern.strip()[1:-1] + ') && ($.awsRegion = "xx-none-1") }'
            a.metric_filter("cloudtrail-logs", c.topic, pattern, metric)
            a.alarm(
                f"{c.topic}-alarm",
                metric,
                "CISBenchmark",
                [topic],
                actions_enabled=not (acct_id == BAD and i % 2 == 0),
            )
        if acct_id == GOOD:
            a.enable_security_hub(R)
    collect(
        CollectRequest(
            db=db,
            accounts=(GOOD, BAD),
            role_name="reader",
            regions=(R,),
            aws=AwsOptions(endpoint_url=estate.proxy_endpoint),
        )
    )
    return db


@pytest.fixture
def two_accounts(collected_two_accounts: Path, tmp_path: Path) -> Path:
    return copy_db(collected_two_accounts, tmp_path)


def test_every_topic_passes_and_fails(two_accounts: Path):
    run = check(CheckRequest(db=two_accounts))
    by = {(r.topic, r.account_id): r for r in run.results}
    topics = {c.topic for c in load_catalog().controls("cis-v5.0.0")}
    assert len(topics) == 16
    for t in topics:
        assert by[(t, GOOD)].status == "pass", (t, by[(t, GOOD)].reason)
        assert by[(t, BAD)].status == "fail", (t, by[(t, BAD)].reason)
    assert run.counts() == {"pass": 16, "fail": 16, "error": 0, "manual": 0}


def test_results_are_stored_per_run(two_accounts: Path):
    first = check(CheckRequest(db=two_accounts, controls=("4.5",)))
    second = check(CheckRequest(db=two_accounts, controls=("4.5", "4.16")))
    assert second.run_id == (first.run_id or 0) + 1
    con = duckdb.connect(str(two_accounts), read_only=True)
    rows = con.execute(
        "SELECT run_id, count(*) FROM control_result GROUP BY 1 ORDER BY 1"
    ).fetchall()
    con.close()
    assert rows == [(first.run_id, 2), (second.run_id, 4)]


def test_control_sql_runs_in_a_plain_duckdb_session(two_accounts: Path):
    check(CheckRequest(db=two_accounts, controls=("4.5",)))
    sql = (
        Path(__file__).parents[2] / "watchkeeper/queries/sql/control_metric_filter.sql"
    ).read_text()
    con = duckdb.connect(str(two_accounts), read_only=True)  # no watchkeeper functions here
    con.execute("SET VARIABLE benchmark = 'cis-v5.0.0'")
    con.execute("SET VARIABLE control_id = '4.5'")
    rows = con.execute(sql).fetchall()
    con.close()
    assert [(r[2], r[3]) for r in rows] == [(GOOD, True), (BAD, False)]


def test_cli_check_formats_and_exit_codes(two_accounts: Path, tmp_path: Path):
    db = str(two_accounts)
    res = runner.invoke(app, ["check", "--db", db, "--format", "json"])
    assert res.exit_code == 1  # failures present, default --fail-on fail
    doc = json.loads(res.stdout)
    assert doc["benchmark"] == "cis-v5.0.0"
    assert set(doc["snapshot"]) == {"id", "collected_at", "sha256"}
    # The results hash, by its definition (canonical JSON per verdict, a newline after each),
    # over the results as printed; the stored run carries the same one.
    h = hashlib.sha256()
    for r in doc["results"]:
        h.update(json.dumps(r, sort_keys=True).encode() + b"\n")
    assert doc["results_sha256"] == h.hexdigest()
    con = duckdb.connect(db, read_only=True)
    stored = con.execute("SELECT results_sha256 FROM check_run WHERE run_id = ?", [doc["run_id"]])
    assert stored.fetchall() == [(doc["results_sha256"],)]
    con.close()
    first = doc["results"][0]
    for key in (
        "control_id",
        "topic",
        "title",
        "account_id",
        "region",
        "resource",
        "status",
        "reason",
        "evidence",
    ):
        assert key in first
    res = runner.invoke(app, ["check", "--db", db, "--account", GOOD, "--fail-on", "fail"])
    assert res.exit_code == 0, res.stdout
    res = runner.invoke(app, ["check", "--db", db, "--fail-on", "never", "-f", "csv"])
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 32 and {r["status"] for r in rows} == {"pass", "fail"}
    out = tmp_path / "junit.xml"
    res = runner.invoke(
        app, ["check", "--db", db, "-f", "junit", "-o", str(out), "--fail-on", "never"]
    )
    assert res.exit_code == 0
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "32" and root.get("failures") == "16"
    assert len(root.findall("testsuite")) == 16
    res = runner.invoke(
        app, ["check", "--db", db, "-c", "4.5", "-f", "markdown", "--fail-on", "never"]
    )
    assert "| Control | Account | Status | Reason |" in res.stdout
    assert res.stdout.index("FAIL") < res.stdout.index("PASS")


def test_cli_check_user_errors(two_accounts: Path, tmp_path: Path):
    db = str(two_accounts)
    res = runner.invoke(app, ["check", "--db", db, "-c", "4.99"])
    assert res.exit_code == 2 and "unknown control 4.99" in res.stderr
    res = runner.invoke(app, ["check", "--db", db, "--benchmark", "cis-v9"])
    assert res.exit_code == 2 and "cis-v9" in res.stderr
    res = runner.invoke(app, ["check", "--db", db, "--snapshot", "42"])
    assert res.exit_code == 2 and "no snapshot 42" in res.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("attestations:\n  - control: 4.5\n    accounts: ['1']\n")
    res = runner.invoke(app, ["check", "--db", db, "--attestations", str(bad)])
    assert res.exit_code == 2 and "missing justification" in res.stderr


def test_cli_controls_list_and_show():
    res = runner.invoke(app, ["controls", "--benchmark", "cis-v6.0.0"])
    assert res.exit_code == 0 and "5.16" in res.stdout
    res = runner.invoke(app, ["controls", "show", "4.5", "--benchmark", "cis-v5.0.0"])
    assert res.exit_code == 0
    assert "CloudTrail configuration changes" in res.stdout
    assert "StopLogging" in res.stdout and "wk_control_chain" in res.stdout
    res = runner.invoke(app, ["controls", "show", "CloudWatch.5"])
    assert res.exit_code == 0 and res.stdout.startswith("4.5 ")


def test_cli_check_table_to_a_file(two_accounts: Path, tmp_path: Path):
    out = tmp_path / "results.txt"
    res = runner.invoke(app, ["check", "--db", str(two_accounts), "-c", "4.5", "-o", str(out),
                              "--fail-on", "never"])  # fmt: skip
    assert res.exit_code == 0
    text = out.read_text()
    assert "FAIL" in text and "1 pass" in text and BAD in text
    assert "\x1b[" not in text  # plain text, no terminal colour codes
    assert "| Control |" not in text  # the table asked for, not Markdown
