"""The CLI's shared pieces: one collection-error line format, the exit codes."""

from __future__ import annotations

import pytest

from watchkeeper import pipeline
from watchkeeper.cli import ExitCode
from watchkeeper.cli.output import collection_error_line, print_collection_errors
from watchkeeper.store.model import CollectionError


def error(n: int) -> CollectionError:
    return CollectionError(
        "111122223333", "us-east-1", "sns", "ListTopics", "AccessDenied", f"denied {n}"
    )


def test_collection_error_line() -> None:
    assert collection_error_line(error(1)) == (
        "collection error: 111122223333 us-east-1 sns:ListTopics AccessDenied: denied 1"
    )
    long = CollectionError(None, None, "sts", "AssumeRole", "X", "m" * 500)
    assert collection_error_line(long) == "collection error: - - sts:AssumeRole X: " + "m" * 200


def test_print_collection_errors_stops_at_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    print_collection_errors([error(n) for n in range(5)], 3)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [collection_error_line(error(n)) for n in range(3)]


def test_exit_codes_are_the_documented_ones() -> None:
    # The README's "Exit codes" table; `run` and `email` exit with the pipeline's ExitCode.
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]
    assert pipeline.ExitCode is ExitCode
