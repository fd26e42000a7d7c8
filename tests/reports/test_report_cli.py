"""`watchkeeper report`: flags to files, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.reports.conftest import Scenario
from watchkeeper.cli import app
from watchkeeper.cli.report import register

if not any(c.name == "report" for c in app.registered_commands):
    register(app)

runner = CliRunner()


def test_report_writes_the_requested_formats(scenario_db: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "report",
            "--db",
            str(scenario_db),
            "--format",
            "html,json,asff",
            "--output",
            str(out),
            "--title",
            "Q4 audit",
            "--paper",
            "letter",
        ],
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "watchkeeper-cis-v5.0.0-snapshot1.asff.json",
        "watchkeeper-cis-v5.0.0-snapshot1.html",
        "watchkeeper-cis-v5.0.0-snapshot1.json",
    ]
    assert str(out / "watchkeeper-cis-v5.0.0-snapshot1.html") in result.stdout
    html = (out / "watchkeeper-cis-v5.0.0-snapshot1.html").read_text()
    assert "Q4 audit" in html and "s****@example.com" in html


def test_no_redact_and_env_db(scenario_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WATCHKEEPER_DB", str(scenario_db))
    result = runner.invoke(
        app, ["report", "--format", "json", "--output", str(tmp_path), "--no-redact"]
    )
    assert result.exit_code == 0, result.output
    assert "secops@example.com" in next(tmp_path.glob("*.json")).read_text()


def test_report_of_a_given_snapshot_stores_the_run(
    scenario: Scenario, scenario_db: Path, tmp_path: Path
):
    import duckdb

    result = runner.invoke(
        app,
        [
            "report",
            "--db",
            str(scenario_db),
            "--snapshot",
            "1",
            "-f",
            "markdown",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(scenario_db), read_only=True)
    try:
        runs = con.execute("SELECT count(*) FROM check_run").fetchone()
    finally:
        con.close()
    assert runs is not None and runs[0] == 2  # the scenario's run, and this one


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "html,docx"], "unknown report format 'docx'"),
        (["--paper", "a5"], "unknown paper size 'a5'"),
        (["--snapshot", "99"], "no snapshot 99"),
        (["--profile", "loose"], "unknown profile 'loose'"),
        (["--benchmark", "cis-v9.9.9"], "unknown benchmark version"),
    ],
)
def test_user_errors_are_one_line_exit_2(scenario_db: Path, tmp_path: Path, args, message):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["report", "--db", str(scenario_db), "-o", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_missing_database_is_a_user_error(tmp_path: Path):
    result = runner.invoke(
        app, ["report", "--db", str(tmp_path / "none.duckdb"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no watchkeeper database at" in result.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_literal_profile_and_attestations_reach_the_report(
    scenario: Scenario, scenario_db: Path, tmp_path: Path
):
    result = runner.invoke(
        app,
        [
            "report",
            "--db",
            str(scenario_db),
            "--profile",
            "literal",
            "--attestations",
            str(scenario.attestations),
            "-f",
            "html",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    html = next(tmp_path.glob("*.html")).read_text()
    assert "literal profile" in html and "Jane Doe (CISO)" in html
    assert "only the steps the benchmark&#39;s own audit names" in html


@pytest.mark.parametrize("command", ["check", "report"])
def test_check_settings_come_from_the_config_file(
    scenario: Scenario, scenario_db: Path, tmp_path: Path, command: str
):
    config = tmp_path / "watchkeeper.toml"
    config.write_text(
        f'[check]\nprofile = "literal"\nattestations = "{scenario.attestations}"\n'
        'benchmark = "cis-v3.0.0"\n'
    )
    tail = ["-f", "json"] if command == "check" else ["-f", "json", "-o", str(tmp_path)]
    result = runner.invoke(app, [command, "--db", str(scenario_db), "--config", str(config), *tail])
    # check exits 1 on the scenario's failing account; report never gates on findings.
    assert result.exit_code == (1 if command == "check" else 0), result.output
    text = result.stdout if command == "check" else next(tmp_path.glob("*.json")).read_text()
    run = json.loads(text)
    assert (run["benchmark"], run["profile"]) == ("cis-v3.0.0", "literal")
    assert "Jane Doe (CISO)" in text  # the attested control's verdict names its attester
