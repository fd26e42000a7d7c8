"""`serve`: the read-only web dashboard over the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.errors import user_errors
from watchkeeper.cli.options import ConfigOption, DbOption
from watchkeeper.cli.output import err
from watchkeeper.cli.registry import add_commands
from watchkeeper.config import load_file, resolve_db

# Each command imports what it runs (see cli/__init__.py).

HostOption = Annotated[
    str,
    typer.Option(
        "--host",
        help="Address to listen on; anything but loopback needs --token",
    ),
]
PortOption = Annotated[int, typer.Option("--port", help="TCP port to listen on")]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="Secret every request must carry (Bearer header, or ?token= once) "
        "[env WATCHKEEPER_TOKEN]",
    ),
]
RowLimitOption = Annotated[
    int, typer.Option("--row-limit", help="Most rows a SQL console query returns")
]
StatementTimeoutOption = Annotated[
    float,
    typer.Option("--statement-timeout", help="Seconds a SQL console statement may run"),
]


@user_errors
def serve(
    db: DbOption = None,
    config: ConfigOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8765,
    token: TokenOption = None,
    row_limit: RowLimitOption = 1000,
    statement_timeout: StatementTimeoutOption = 10.0,
) -> None:
    """Serve a read-only web dashboard over the database: overview, controls, accounts,
    evidence chains, history and diffs, a SQL console and report downloads."""
    from watchkeeper.serve import ServeSettings, serve
    from watchkeeper.serve.console import ConsoleLimits

    path = Path(resolve_db(db, load_file(config)))
    settings = ServeSettings(
        db=path,
        host=host,
        port=port,
        token=token,
        limits=ConsoleLimits(max_rows=row_limit, timeout=statement_timeout),
    )
    serve(settings, announce=lambda line: err.print(line, highlight=False, soft_wrap=True))


def register(app: typer.Typer) -> None:
    add_commands(app, {"serve": serve})
