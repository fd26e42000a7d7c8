"""``watchkeeper pattern …``: offline tools for CloudWatch Logs filter patterns.

Each command is a thin wrapper over one library function in ``watchkeeper.patterns``.
Exit codes: 0 success/covered, 1 not covered or undecided, 2 bad pattern or input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli.errors import ExitCode
from watchkeeper.cli.registry import add_commands, group

if TYPE_CHECKING:
    from watchkeeper.patterns import Pattern

# Each command imports what it runs (see cli/__init__.py).


def _parse(text: str, label: str = "filter pattern") -> Pattern:
    """``parse(text)``, or exit 2 with a one-line error naming ``label`` and the column."""
    from watchkeeper.patterns import FilterPatternError, parse

    try:
        return parse(text)
    except FilterPatternError as exc:
        typer.echo(f"error: bad {label} at column {exc.position}: {exc.message}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None


def test_command(
    pattern: Annotated[str, typer.Argument(help="The filter pattern.")],
    file: Annotated[
        str, typer.Argument(help="Log file (lines, or CloudTrail JSON, maybe .gz); '-' = stdin.")
    ] = "-",
) -> None:
    """Like `aws logs test-metric-filter`, offline: which messages does PATTERN match?"""
    from watchkeeper.patterns.tool import read_messages, run_test

    parsed = _parse(pattern)
    try:
        if file == "-":
            messages = read_messages(sys.stdin.buffer)
        else:
            with Path(file).open("rb") as fh:
                messages = read_messages(fh)
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    result = run_test(parsed, messages)
    for number, message in result.matched:
        typer.echo(f"{number}: {message}")
    typer.echo(f"{len(result.matched)} of {result.total} events matched")


def explain_command(pattern: Annotated[str, typer.Argument(help="The filter pattern.")]) -> None:
    """Show how PATTERN is parsed: normalised, with precedence made visible."""
    from watchkeeper.patterns import explain

    typer.echo(explain(_parse(pattern)))


def covers_command(
    pattern: Annotated[str, typer.Argument(help="The filter pattern in use.")],
    required: Annotated[str, typer.Option("--required", help="The pattern it must cover.")],
) -> None:
    """Does PATTERN match every CloudTrail event that --required matches?"""
    from watchkeeper.patterns import covers
    from watchkeeper.patterns.tool import format_coverage

    cov = covers(_parse(pattern), _parse(required, "required pattern"))
    typer.echo(format_coverage(cov, pattern, required))
    raise typer.Exit(ExitCode.OK if cov.covered else ExitCode.FINDINGS)


pattern_app = group(
    "Test, explain and compare CloudWatch Logs filter patterns (offline).", no_args_is_help=True
)
add_commands(
    pattern_app, {"test": test_command, "explain": explain_command, "covers": covers_command}
)


def register(app: typer.Typer) -> None:
    add_commands(app, {"pattern": pattern_app})


__all__ = ["pattern_app", "register"]
