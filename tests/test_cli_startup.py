"""Each command loads only its own part of watchkeeper: start-up stays short, and a user
error from any module still prints one line and exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("boto3", "duckdb", "jinja2", "weasyprint", "yaml", "watchkeeper.api")

# Runs the CLI in a fresh interpreter and reports which heavy modules it loaded.
_PROBE = """
import json, sys
from watchkeeper.cli import app
try:
    app(sys.argv[2:], prog_name="watchkeeper")
except SystemExit as exit:
    code = exit.code
loaded = [m for m in json.loads(sys.argv[1]) if m in sys.modules]
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _run(*args: str) -> tuple[int, list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return int(report["code"] or 0), report["loaded"], proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("--help",), set()),
        (("--version",), set()),
        (("pattern", "explain", "{ $.eventName = StopLogging }"), set()),
        (("controls",), {"yaml"}),
        (("iam-policy",), {"boto3", "duckdb"}),
    ],
)
def test_command_loads_only_what_it_runs(args: tuple[str, ...], allowed: set[str]) -> None:
    code, loaded, output = _run(*args)
    assert code == 0, output
    assert set(loaded) <= allowed, f"{args} loaded {loaded}"


def test_user_error_from_a_lazily_loaded_module_is_one_line(tmp_path: Path) -> None:
    not_a_db = tmp_path / "x.duckdb"
    not_a_db.write_text("not a database")
    code, _, output = _run("snapshots", "--db", str(not_a_db))
    assert code == 2
    lines = [line for line in output.splitlines() if line and not line.startswith("{")]
    assert len(lines) == 1 and lines[0].startswith("error: cannot open database"), output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("command", "notes"),
    [
        ("collect", ["[env WATCHKEEPER_DB; default ./watchkeeper.duckdb]", "[env AWS_PROFILE]"]),
        ("run", ["asff, ocsf", "[default: if recipients set]", "[./watchkeeper-runs]"]),
        ("email", ["[587 starttls, 465 tls, 25 none]"]),
    ],
)
def test_help_shows_the_bracketed_notes(command: str, notes: list[str]) -> None:
    # Read as Rich markup, "[env …]" would be taken for a style tag and vanish.
    from typer.testing import CliRunner

    from watchkeeper.cli import app

    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for note in notes:
        assert note in result.stdout, note
