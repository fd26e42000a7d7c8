"""The dashboard over HTTP (Starlette's TestClient): the security rules, deep links,
escaping of hostile names, masking, downloads and the SQL console's limits."""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.reports.conftest import EVIL_FILTER, WEBHOOK
from tests.serve.conftest import BAD, GOOD, TOKEN, ServeStore
from watchkeeper.cli import ExitCode
from watchkeeper.cli import app as cli_app
from watchkeeper.serve import ServeError, ServeSettings, check_settings
from watchkeeper.serve.app import create_app
from watchkeeper.serve.console import ConsoleLimits
from watchkeeper.store import connect

LOCAL = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def client(serve_store: ServeStore) -> Iterator[TestClient]:
    app = create_app(serve_store.db, limits=ConsoleLimits(max_rows=50, timeout=1.5))
    with TestClient(app, base_url=LOCAL) as c:
        yield c
    app.state.dashboard.close()


@pytest.fixture(scope="module")
def token_client(serve_store: ServeStore) -> Iterator[TestClient]:
    app = create_app(serve_store.db, token=TOKEN)
    with TestClient(app, base_url="http://dashboard.example.net") as c:
        yield c
    app.state.dashboard.close()


# --- the SQL console cannot write, read files or run long --------------------------------

REFUSED_SQL = {
    "insert": ("INSERT INTO snapshot (snapshot_id) VALUES (99)", "INSERT statements"),
    "delete": ("DELETE FROM history.aws_account", "DELETE statements"),
    "copy to": ("COPY (SELECT 1) TO '/tmp/wk-serve-leak.csv'", "COPY statements"),
    "attach": ("ATTACH '/tmp/wk-serve-other.duckdb' AS other", "ATTACH statements"),
    "install": ("INSTALL httpfs", "statements are not allowed"),
    "load": ("LOAD httpfs", "statements are not allowed"),
    "set": ("SET enable_external_access = true", "SET statements"),
    "create temp": ("CREATE TEMP TABLE t AS SELECT 1", "CREATE statements"),
    "read_csv passwd": ("SELECT * FROM read_csv('/etc/passwd')", "disabled by configuration"),
    "read_text passwd": ("SELECT content FROM read_text('/etc/passwd')", "disabled by config"),
    "second statement writes": ("SELECT 1; DROP VIEW aws_account", "DROP statements"),
}


@pytest.mark.parametrize("sql, message", REFUSED_SQL.values(), ids=REFUSED_SQL.keys())
def test_console_refuses_what_is_not_a_read(client: TestClient, sql: str, message: str):
    page = client.get("/sql", params={"q": sql})
    assert page.status_code == 400
    assert message in page.text
    assert "root:x:" not in page.text
    download = client.get("/sql/download.csv", params={"q": sql})
    assert download.status_code == 400 and message in download.text


def test_console_reads_and_the_store_is_unchanged(client: TestClient, serve_store: ServeStore):
    page = client.get("/sql", params={"q": "SELECT count(*) AS n FROM history.aws_account"})
    assert page.status_code == 200 and 'id="sql-result"' in page.text
    con = connect(serve_store.db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM snapshot").fetchone() == (2,)
    finally:
        con.close()


@pytest.mark.serial
def test_statement_timeout_interrupts_the_query(client: TestClient):
    started = time.monotonic()
    page = client.get("/sql", params={"q": "SELECT count(*) FROM range(1000000000000) a"})
    elapsed = time.monotonic() - started
    assert page.status_code == 400
    assert "statement timeout: stopped after 1.5 s" in page.text
    assert elapsed < 6
    # The worker is usable again afterwards.
    assert client.get("/sql", params={"q": "SELECT 42"}).status_code == 200


def test_row_limit_keeps_the_first_rows_and_says_so(client: TestClient):
    got = client.get("/sql/download.csv", params={"q": "SELECT range AS i FROM range(500)"})
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["i"] and len(rows) == 51  # the module's limit is 50
    assert got.headers["x-watchkeeper-truncated"] == "first 50 rows"
    page = client.get("/sql", params={"q": "SELECT range FROM range(500)", "limit": "7"})
    assert page.text.count("<tr><td") == 7 and "the first 7" in page.text


# --- who may connect ----------------------------------------------------------------------


def test_no_token_refused_off_loopback(serve_store: ServeStore, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("WATCHKEEPER_TOKEN", raising=False)
    with pytest.raises(ServeError, match=r"refusing to serve on 0\.0\.0\.0 without a token"):
        check_settings(ServeSettings(db=serve_store.db, host="0.0.0.0"))
    result = CliRunner().invoke(
        cli_app, ["serve", "--db", str(serve_store.db), "--host", "192.0.2.10"]
    )
    assert result.exit_code == ExitCode.USAGE
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: refusing to serve on 192.0.2.10")
    monkeypatch.setenv("WATCHKEEPER_TOKEN", TOKEN)
    assert check_settings(ServeSettings(db=serve_store.db, host="0.0.0.0")).token == TOKEN
    assert check_settings(ServeSettings(db=serve_store.db, host="::1")).host == "::1"


def test_without_token_only_loopback_host_names_are_answered(client: TestClient):
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
    rebound = client.get("/", headers={"host": "attacker.example:8765"})
    assert rebound.status_code == 403


def test_with_a_token_every_request_needs_it(token_client: TestClient):
    token_client.cookies.clear()
    for path in ("/", "/sql?q=select+1", "/static/serve.js", "/runs/1/download/json"):
        assert token_client.get(path).status_code == 401, path
    assert token_client.get("/", params={"token": "wrong-" + TOKEN}).status_code == 401
    bearer = token_client.get("/", headers={"authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200
    once = token_client.get(
        "/controls/4.5", params={"token": TOKEN, "benchmark": "cis-v5.0.0"}, follow_redirects=False
    )
    assert once.status_code == 303
    assert once.headers["location"] == "/controls/4.5?benchmark=cis-v5.0.0"
    cookie = once.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "wk_token=" in cookie
    assert token_client.get("/controls/4.5?benchmark=cis-v5.0.0").status_code == 200
    token_client.cookies.clear()


HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    "path", ["/", "/no/such/page", "/sql?q=INSERT+INTO+x+VALUES(1)", "/static/serve.js"]
)
def test_strict_security_headers_on_every_response(client: TestClient, path: str):
    got = client.get(path)
    for name, part in HEADERS.items():
        assert part in got.headers[name]
    csp = got.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_nothing_writes(client: TestClient):
    for path in ("/", "/sql", "/runs/1/download/json"):
        assert client.post(path, data={"q": "DELETE FROM snapshot"}).status_code == 405


# --- what the pages show ------------------------------------------------------------------

PAGES = {
    "overview": ("/", ["Latest run per benchmark", "4.5", BAD]),
    "control deep link": ("/controls/4.5?benchmark=cis-v5.0.0", ["Verdicts per account", BAD]),
    "control filtered": ("/controls/4.5?benchmark=cis-v5.0.0&status=fail&account=4444", [BAD]),
    "account": (f"/accounts/{BAD}", ["Collection errors", "4.16"]),
    "evidence": (f"/accounts/{BAD}/evidence/4.5", ["StopLogging", "test-metric-filter"]),
    "history": ("/history?control=4.5", ["Timeline per control and account", "Snapshots"]),
    "diff": ("/history/diff?from=1&to=2", ["aws_sns_topic_subscription", "removed"]),
    "sql": ("/sql", ["aws_cloudwatch_log_metric_filter", "jsonb_array_elements"]),
    "downloads": ("/runs", ["/download/pdf", "/download/ocsf"]),
}


@pytest.mark.parametrize("path, expected", PAGES.values(), ids=PAGES.keys())
def test_every_page_kind_renders(client: TestClient, path: str, expected: list[str]):
    got = client.get(path)
    assert got.status_code == 200, got.text[-500:]
    for text in expected:
        assert text in got.text, text


def test_control_filter_narrows_the_verdicts(client: TestClient):
    everyone = client.get("/controls/4.5?benchmark=cis-v5.0.0").text
    only_pass = client.get("/controls/4.5?benchmark=cis-v5.0.0&status=pass").text
    assert GOOD in everyone and BAD in everyone
    assert BAD not in only_pass.split('id="verdict-table"')[1]


def test_a_pinned_run_stays_pinned(client: TestClient, serve_store: ServeStore):
    first = client.get(f"/accounts/{GOOD}/evidence/4.5?run={serve_store.first_run}").text
    latest = client.get(f"/accounts/{GOOD}/evidence/4.5").text
    assert f"Run <b>{serve_store.first_run}</b>" in first and "PASS" in first
    assert f"Run <b>{serve_store.second_run}</b>" in latest and "FAIL" in latest


NOT_FOUND = {
    "unknown control": ("/controls/9.99", 404),
    "unknown account": ("/accounts/000000000000", 404),
    "unknown run": ("/?run=999", 404),
    "run not a number": ("/?run=abc", 400),
    "unknown benchmark": ("/history?benchmark=cis-v0.1", 400),
    "bad status": ("/controls/4.5?status=maybe", 400),
}


@pytest.mark.parametrize("path, status", NOT_FOUND.values(), ids=NOT_FOUND.keys())
def test_bad_deep_links_say_what_is_wrong(client: TestClient, path: str, status: int):
    got = client.get(path)
    assert got.status_code == status
    assert 'class="error-line"' in got.text and "Traceback" not in got.text


HOSTILE_PAGES = (
    f"/accounts/{BAD}/evidence/4.5",
    "/controls/4.5?benchmark=cis-v5.0.0&status=fail",
    "/sql?q=SELECT+name+FROM+aws_cloudwatch_log_metric_filter",
    "/history/diff?from=1&to=2",
)


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_hostile_names_are_rendered_inert(client: TestClient, path: str):
    text = client.get(path).text
    assert "<script>alert(1)" not in text
    if "evidence" in path or "sql" in path:
        assert "ct-&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # The only script element is our own file.
    assert text.count("<script") == 1 and '<script src="/static/serve.js" defer>' in text


def test_subscriber_endpoints_are_masked(client: TestClient, serve_store: ServeStore):
    for path in (f"/accounts/{GOOD}/evidence/4.5?run={serve_store.first_run}", f"/accounts/{GOOD}"):
        text = client.get(path).text
        assert "secops@example.com" not in text
        assert WEBHOOK not in text and "s3cr3t" not in text


# --- downloads ----------------------------------------------------------------------------

TRAVERSAL = (
    "/runs/1/download/..%2F..%2F..%2Fetc%2Fpasswd",
    "/runs/1/download/%2e%2e%2fwk.duckdb",
    "/runs/1/download/../../etc/passwd",
    "/static/..%2Fapp.py",
    "/static/%2e%2e%2f%2e%2e%2fwk.duckdb",
)


@pytest.mark.parametrize("path", TRAVERSAL)
def test_path_traversal_in_downloads_refused(client: TestClient, path: str):
    got = client.get(path)
    assert got.status_code == 404
    assert "root:x:" not in got.text and "DUCK" not in got.text[:64]


def test_downloads_are_the_report_formats(client: TestClient, serve_store: ServeStore):
    run = serve_store.second_run
    as_json = client.get(f"/runs/{run}/download/json")
    assert as_json.status_code == 200
    assert "attachment" in as_json.headers["content-disposition"]
    body = json.loads(as_json.text)
    assert body["run_id"] == run and body["summary"]["fail"] > 0
    assert "secops@example.com" not in as_json.text  # masked as in reports
    rows = list(csv.DictReader(io.StringIO(client.get(f"/runs/{run}/download/csv").text)))
    assert {r["account_id"] for r in rows} == {GOOD, BAD}
    suites = ET.fromstring(client.get(f"/runs/{run}/download/junit").content)
    assert suites.tag == "testsuites" and int(suites.attrib["failures"]) > 0
    for fmt in ("asff", "ocsf"):
        assert json.loads(client.get(f"/runs/{run}/download/{fmt}").text)
    html = client.get(f"/runs/{run}/download/html")
    assert html.headers["content-type"].startswith("text/html")
    assert EVIL_FILTER not in html.text  # escaped in the report too
    assert client.get(f"/runs/{run}/download/exe").status_code == 404


def test_a_store_without_check_runs_says_what_to_do(serve_store: ServeStore, tmp_path: Path):
    db = tmp_path / "no-runs.duckdb"
    shutil.copy(serve_store.db, db)
    con = connect(db)
    try:
        con.execute("DROP TABLE control_result")
        con.execute("DROP TABLE check_run")
    finally:
        con.close()
    app = create_app(db)
    try:
        with TestClient(app, base_url=LOCAL) as c:
            home = c.get("/")
            assert home.status_code == 200 and f"watchkeeper check --db {db}" in home.text
            assert c.get("/controls/4.5").status_code == 404
            assert c.get("/history").status_code == 200  # snapshots are still listed
    finally:
        app.state.dashboard.close()
