"""`check` and `report`: --strictness, its deprecated spelling --profile, and the
[check] strictness key (old name: profile) all set the run's profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from watchkeeper.cli import app

runner = CliRunner()
PROFILE_NOTE = (
    "note: --profile on `{command}` is deprecated; use --strictness "
    "(--profile is the AWS profile, on collect)"
)


def judged(command: str, db: Path, tmp_path: Path, *args: str) -> tuple[Result, str]:
    """Run ``command`` with JSON output; the result and the profile the run was judged at."""
    tail = ["-f", "json"] if command == "check" else ["-f", "json", "-o", str(tmp_path / "out")]
    res = runner.invoke(app, [command, "--db", str(db), *tail, *args])
    # check exits 1 on the scenario's failing account; report never gates on findings.
    assert res.exit_code == (1 if command == "check" else 0), res.output
    text = res.stdout if command == "check" else next((tmp_path / "out").glob("*.json")).read_text()
    return res, str(json.loads(text)["profile"])


def notes(res: Result) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("note:")]


@pytest.mark.parametrize("command", ["check", "report"])
def test_strictness_flag(command: str, scenario_db: Path, tmp_path: Path) -> None:
    res, profile = judged(command, scenario_db, tmp_path, "--strictness", "literal")
    assert profile == "literal" and notes(res) == []


@pytest.mark.parametrize("command", ["check", "report"])
def test_old_profile_flag_works_and_warns(command: str, scenario_db: Path, tmp_path: Path) -> None:
    res, profile = judged(command, scenario_db, tmp_path, "--profile", "literal")
    assert profile == "literal"
    assert notes(res) == [PROFILE_NOTE.format(command=command)]


@pytest.mark.parametrize("command", ["check", "report"])
@pytest.mark.parametrize("key", ["strictness", "profile"])
def test_config_key_and_its_old_name(
    command: str, key: str, scenario_db: Path, tmp_path: Path
) -> None:
    config = tmp_path / "watchkeeper.toml"
    config.write_text(f'[check]\n{key} = "literal"\n')
    res, profile = judged(command, scenario_db, tmp_path, "--config", str(config))
    assert profile == "literal"
    expected = (
        []
        if key == "strictness"
        else [f"note: [check] profile in {config} is deprecated; rename it to strictness"]
    )
    assert notes(res) == expected
