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


def test_exit_codes_match_the_jobs() -> None:
    # `run` and `email` exit with the pipeline's codes, wrapped in ExitCode.
    assert (ExitCode.OK, ExitCode.FINDINGS, ExitCode.USAGE, ExitCode.NOT_DELIVERED) == (
        pipeline.EXIT_OK,
        pipeline.EXIT_FINDINGS,
        pipeline.EXIT_USAGE,
        pipeline.EXIT_DELIVERY,
    )
    assert ExitCode.INTERRUPTED == 130
