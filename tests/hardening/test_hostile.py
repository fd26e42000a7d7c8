"""Hostile and odd input end to end: names with markup, formula prefixes and Unicode in
every report format; secrets kept out of the DB, output and reports; expired credentials
part-way; bad config files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import CIS_4_5, Estate
from watchkeeper.cli import app
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.reports.render import ReportRequest, write_reports

SCRIPT = "<script>alert('wk')</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'
# Greek, accents and symbols: the machine's fonts (DejaVu) have them; CJK needs a font
# package the project does not install (noted in the README).
UNICODE = "überwachung-Ωμέγα-✓"
runner = CliRunner()


@pytest.fixture
def hostile_db(estate: Estate, proxy: FaultProxy, db: Path) -> Path:
    a = estate.account()
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    topic = a.topic("alerts")
    a.subscribe(topic, "soc@example.com")
    # Filter names allow almost anything; alarm names allow Unicode and punctuation.
    a.metric_filter("ct-logs", SCRIPT, CIS_4_5.replace(" || ($.eventName = StopLogging)", ""), "m1")
    a.alarm(FORMULA, "m1", "CISBenchmark", [topic])
    a.metric_filter("ct-logs", UNICODE, '{ $.userIdentity.type = "Root" }', "m2")
    a.alarm(f"{UNICODE}-alarm", "m2", "CISBenchmark", [topic], actions_enabled=False)
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=AwsOptions(endpoint_url=proxy.url)))
    return db


def test_reports_escape_hostile_names(hostile_db: Path, tmp_path: Path):
    out = write_reports(
        ReportRequest(
            db=hostile_db,
            formats=("html", "pdf", "csv", "markdown", "json", "junit"),
            output_dir=tmp_path / "r",
        )
    )
    html = out.files["html"].read_text()
    assert SCRIPT not in html and "&lt;script&gt;" in html
    assert "<script" not in html.lower()  # self-contained, and no injected markup either
    rows = list(csv.reader(io.StringIO(out.files["csv"].read_text())))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    md = out.files["markdown"].read_text()
    assert SCRIPT not in md
    doc = json.loads(out.files["json"].read_text())
    assert any(SCRIPT in r["reason"] for r in doc["results"])  # data intact in JSON
    pdf_text = "".join(p.extract_text() for p in PdfReader(out.files["pdf"]).pages)
    assert UNICODE in pdf_text
    # Reports are owner-only, like the database.
    for path in out.files.values():
        assert path.stat().st_mode & 0o777 == 0o600, path
    # Subscriber endpoints are masked by default.
    assert "soc@example.com" not in html and "soc@example.com" not in pdf_text


def test_external_id_never_stored_or_printed(
    estate: Estate, proxy: FaultProxy, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    secret = "ext-id-5f3c9a7e1b"
    estate.account("111122223333").chain()
    monkeypatch.setenv("WATCHKEEPER_EXTERNAL_ID", secret)
    res = runner.invoke(
        app,
        [
            "collect",
            "--db",
            str(db),
            "--endpoint-url",
            proxy.url,
            "-r",
            "us-east-1",
            "--account",
            "111122223333",
            "--role-name",
            "reader",
        ],
    )
    assert res.exit_code == 0, res.stderr
    assume = [r for r in proxy.requests if r.operation == "AssumeRole"]
    assert assume and all(secret.encode() in r.body for r in assume)  # it was used
    assert secret not in res.stdout + res.stderr
    out = write_reports(ReportRequest(db=db, formats=("html", "json"), output_dir=tmp_path / "r"))
    for path in out.files.values():
        assert secret not in path.read_text()
    assert secret.encode() not in db.read_bytes()
    wal = Path(str(db) + ".wal")
    assert not wal.exists() or secret.encode() not in wal.read_bytes()


def test_expired_credentials_part_way(estate: Estate, proxy: FaultProxy, db: Path):
    a = estate.account()
    a.chain()
    a.chain(prefix="eu", region="eu-west-1", trail=False)
    # The session's token expires once the first region is done.
    proxy.add(
        Rule(
            "logs",
            region="eu-west-1",
            status=400,
            code="ExpiredTokenException",
            message="The security token included in the request is expired",
        )
    )
    proxy.add(
        Rule(
            "cloudwatch",
            region="eu-west-1",
            status=400,
            code="ExpiredToken",
            message="The security token included in the request is expired",
        )
    )
    outcome = collect(
        CollectRequest(
            db=db,
            regions=("us-east-1", "eu-west-1"),
            aws=AwsOptions(endpoint_url=proxy.url, concurrency=1),
        )
    )
    codes = {(e.region, e.error_code) for e in outcome.errors}
    assert ("eu-west-1", "ExpiredTokenException") in codes
    assert outcome.snapshot.status == "complete"
    results = check(CheckRequest(db=db)).results
    # Never a pass built on missing data: the us-east-1 chain passes on its own evidence,
    # the controls whose only candidates needed eu-west-1 are errors, not failures.
    mine = {r.control_id: r for r in results}
    assert mine["4.5"].status == "pass"
    # The other metric-filter controls have no chain in us-east-1 and could not be read in
    # eu-west-1: each is an error that names the expired reads, never a pass or a fail.
    others = [r for r in results if r.control_id not in ("4.5", "4.16")]
    assert len(others) == 14
    for r in others:
        assert r.status == "error", (r.control_id, r.status, r.reason)
        assert "inputs incomplete: cloudwatch:DescribeAlarms ExpiredToken in eu-west-1" in (
            r.reason
        ), r.reason
        assert "logs:DescribeLogGroups ExpiredTokenException in eu-west-1" in r.reason, r.reason
    # Security Hub was readable in both regions: a plain fail, not an error.
    assert mine["4.16"].status == "fail", mine["4.16"].reason


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[store\ndb = 1", "not valid TOML"),
        ("[collect]\nregions = 5\n", "expected a list of strings"),
        ("store = 3\n", "[store] must be a table"),
    ],
)
def test_bad_config_file_is_one_line(tmp_path: Path, content: str, words: str):
    cfg = tmp_path / "watchkeeper.toml"
    cfg.write_text(content)
    res = runner.invoke(
        app,
        [
            "collect",
            "--config",
            str(cfg),
            "--db",
            str(tmp_path / "x.db"),
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    )
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert words in res.stderr and res.stderr.count("\n") == 1


def test_unreadable_config_file(tmp_path: Path):
    # A directory where the file should be: unreadable even for root (CI runs as root).
    cfg = tmp_path / "watchkeeper.toml"
    cfg.mkdir()
    res = runner.invoke(app, ["snapshots", "--config", str(cfg)])
    assert res.exit_code == 2 and "cannot read config file" in res.stderr


@pytest.mark.parametrize("command", ["collect", "run"])
def test_external_id_flag_warns_about_the_process_list(
    proxy: FaultProxy, db: Path, tmp_path: Path, command: str
):
    extra = ["--format", "json", "--output", str(tmp_path / "runs")] if command == "run" else []
    res = runner.invoke(
        app,
        [
            command,
            "--db",
            str(db),
            "--endpoint-url",
            proxy.url,
            "-r",
            "us-east-1",
            "--external-id",
            "visible-in-ps",
            "-q",
            *extra,
        ],
    )
    # `run` exits 1: the empty account fails its controls.
    assert res.exit_code == (0 if command == "collect" else 1), res.output
    assert "WATCHKEEPER_EXTERNAL_ID" in res.stderr and "visible-in-ps" not in res.stderr
