"""How a command ends: its exit code, and user errors as one line on stderr."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.markup import escape

from watchkeeper.cli.output import err
from watchkeeper.errors import ExitCode, UserError

__all__ = ["ExitCode", "fail", "user_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Errors a user can cause become one line on stderr and exit code 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            # KeyError's str() adds quotes; show its message as written.
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            err.print(f"[red]error:[/red] {escape(str(text))}", highlight=False, soft_wrap=True)
            raise typer.Exit(ExitCode.USAGE) from None
        except KeyboardInterrupt:
            err.print("interrupted; a snapshot in progress stays marked incomplete")
            raise typer.Exit(ExitCode.INTERRUPTED) from None

    return wrapper


def fail(message: str) -> typer.Exit:
    """A usage error found by a command itself: one line on stderr; raise the result."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(ExitCode.USAGE)
