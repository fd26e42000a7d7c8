"""`iam-policy`: the least-privilege IAM policies watchkeeper needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from watchkeeper.cli.errors import ExitCode
from watchkeeper.cli.options import ROLE_NAME_HELP
from watchkeeper.cli.output import err
from watchkeeper.cli.registry import add_commands

# Each command imports what it runs (see cli/__init__.py).


def iam_policy(
    kind: Annotated[
        str,
        typer.Argument(
            help="reader (role in each account), caller (who runs collect), trust, or fixer "
            "(the write role of fix --apply)"
        ),
    ] = "reader",
    role_name: Annotated[
        str, typer.Option(help=f"{ROLE_NAME_HELP}; the caller policy names it")
    ] = "watchkeeper-reader",
    caller_account: Annotated[
        str, typer.Option(help="Account that runs collect, for the trust policy")
    ] = "111111111111",
) -> None:
    """Print the least-privilege IAM policies watchkeeper needs."""
    from watchkeeper.collector import permissions

    policies: dict[str, Callable[[], str]] = {
        "reader": permissions.reader_policy,
        "caller": lambda: permissions.caller_policy(role_name),
        "trust": lambda: permissions.trust_policy(caller_account),
        "fixer": _fixer_policy,
    }
    if kind not in policies:
        err.print(f"error: unknown policy {kind!r}; choose reader, caller, trust or fixer")
        raise typer.Exit(ExitCode.USAGE)
    print(policies[kind]())


def _fixer_policy() -> str:
    from watchkeeper.fix.permissions import fixer_policy

    return fixer_policy()


def register(app: typer.Typer) -> None:
    add_commands(app, {"iam-policy": iam_policy})
