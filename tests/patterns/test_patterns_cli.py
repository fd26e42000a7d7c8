"""The `watchkeeper pattern` commands and the AWS-command helper."""

from __future__ import annotations

import gzip
import json
import shlex
from pathlib import Path

from typer.testing import CliRunner

from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.cli.pattern import pattern_app
from watchkeeper.patterns import matches
from watchkeeper.patterns.tool import read_messages, run_test
from watchkeeper.patterns.tool import test_metric_filter_command as tmf_command

runner = CliRunner()
TRAIL = CIS_PATTERNS["cloudtrail_configuration_changes"]


def record(name: str) -> dict[str, object]:
    return {"eventName": name, "eventSource": "cloudtrail.amazonaws.com", "userIdentity": {}}


def test_test_command_reads_lines_from_stdin() -> None:
    result = runner.invoke(pattern_app, ["test", "ERROR"], input="ERROR one\nok\nERROR two\n")
    assert result.exit_code == 0
    assert result.output.splitlines() == ["1: ERROR one", "3: ERROR two", "2 of 3 events matched"]


def test_test_command_reads_gzipped_cloudtrail_files(tmp_path: Path) -> None:
    doc = {"Records": [record("StopLogging"), record("DescribeTrails"), record("CreateTrail")]}
    path = tmp_path / "trail.json.gz"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    result = runner.invoke(pattern_app, ["test", TRAIL, str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 of 3 events matched"
    assert '"eventName":"StopLogging"' in result.output


def test_test_command_reads_concatenated_cloudtrail_files_from_stdin() -> None:
    # what `zcat *.json.gz | watchkeeper pattern test PATTERN -` (README) feeds it
    files = [{"Records": [record("StopLogging"), record("DescribeTrails")]}, {"Records": []}]
    files.append({"Records": [record("CreateTrail")]})
    text = "".join(json.dumps(doc) + "\n" for doc in files)
    result = runner.invoke(pattern_app, ["test", TRAIL, "-"], input=text)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 of 3 events matched"
    assert result.output.splitlines()[1].startswith('3: {"eventName":"CreateTrail"')


def test_test_command_bad_pattern_exits_2_with_one_line() -> None:
    result = runner.invoke(pattern_app, ["test", "{ ($.a = 1 }", "-"], input="x\n")
    assert result.exit_code == 2
    assert result.output.strip() == "error: bad filter pattern at column 12: expected ')'"


def test_test_command_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(pattern_app, ["test", "x", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot read")


def test_explain_shows_precedence() -> None:
    result = runner.invoke(pattern_app, ["explain", CIS_PATTERNS["unauthorized_api_calls"]])
    assert result.exit_code == 0
    assert (
        '$.errorCode = "*UnauthorizedOperation" || ($.errorCode = "AccessDenied*" && '
        '$.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket")'
    ) in result.output


def test_explain_bad_pattern() -> None:
    result = runner.invoke(pattern_app, ["explain", "{ $.a IS NOT NULL }"])
    assert result.exit_code == 2
    assert "column 10" in result.output
    assert "Traceback" not in result.output


def test_covers_command_covered() -> None:
    variant = TRAIL.replace("(", "").replace(")", "")
    result = runner.invoke(pattern_app, ["covers", variant, "--required", TRAIL])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("COVERED")


def test_covers_command_not_covered_prints_counterexample_and_aws_command() -> None:
    actual = "{ $.eventName = CreateTrail || $.eventName = UpdateTrail }"
    result = runner.invoke(pattern_app, ["covers", actual, "--required", TRAIL])
    assert result.exit_code == 1
    assert result.output.startswith("NOT COVERED: misses ")
    assert "aws logs test-metric-filter --filter-pattern" in result.output


def test_covers_command_undecided_exits_1() -> None:
    result = runner.invoke(
        pattern_app,
        [
            "covers",
            "{ $.eventName = %Logg[a-z]ng% }",
            "--required",
            "{ $.eventName = StopLogging }",
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith("UNDECIDED")


def test_covers_command_bad_required_pattern() -> None:
    result = runner.invoke(pattern_app, ["covers", TRAIL, "--required", "{ $.a = 'x' }"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: bad required pattern at column 9: "
        "single quotes do not delimit values; use double quotes"
    )


def test_aws_command_is_correctly_shell_quoted() -> None:
    pattern = '{ $.userAgent = "it\'s" }'
    msg = {"userAgent": "it's", "note": '$HOME `x` \\ "q"'}
    cmd = tmf_command(pattern, [msg, "plain 'text'"])
    argv = shlex.split(cmd)
    assert argv[:5] == ["aws", "logs", "test-metric-filter", "--filter-pattern", pattern]
    assert argv[5] == "--log-event-messages"
    assert json.loads(argv[6]) == msg
    assert argv[7] == "plain 'text'"
    assert matches(argv[4], json.loads(argv[6]))


def test_read_messages_and_run_test(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("a ERROR\n\nb\n")
    with path.open("rb") as fh:
        msgs = read_messages(fh)
    assert msgs == ["a ERROR", "b"]
    result = run_test("ERROR", msgs)
    assert result.total == 2 and result.matched == [(1, "a ERROR")]


def test_pattern_app_nests_under_a_parent_app() -> None:
    import typer

    app = typer.Typer()

    @app.command()
    def version() -> None:  # a second command, so "pattern" is a real subcommand
        typer.echo("0")

    app.add_typer(pattern_app, name="pattern")
    result = runner.invoke(app, ["pattern", "explain", "{ $.a = 1 || $.b = 2 && $.c = 3 }"])
    assert result.exit_code == 0, result.output
    assert "$.a = 1 || ($.b = 2 && $.c = 3)" in result.output
    result = runner.invoke(app, ["pattern", "--help"])
    assert result.exit_code == 0
    for command in ("test", "explain", "covers"):
        assert command in result.output
