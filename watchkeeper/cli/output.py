"""What commands print: the consoles, result tables, collection-error lines, progress."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from watchkeeper.queries.results import CheckRun

if TYPE_CHECKING:
    from watchkeeper.collector import Reporter
    from watchkeeper.store.model import CollectionError

out = Console()
err = Console(stderr=True)

STATUS_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "manual": "yellow"}


def progress(reporter: Reporter) -> contextlib.AbstractContextManager[object]:
    """The live progress display while collecting; nothing to open for the log reporter."""
    if isinstance(reporter, contextlib.AbstractContextManager):
        return reporter
    return contextlib.nullcontext()


def collection_error_line(e: CollectionError) -> str:
    return (
        f"collection error: {e.account_id or '-'} {e.region or '-'} "
        f"{e.service}:{e.operation} {e.error_code}: {e.message[:200]}"
    )


def print_collection_errors(errors: Sequence[CollectionError], limit: int) -> None:
    # One plain line per error: readable in cron mail and CI logs, greppable.
    for e in errors[:limit]:
        err.print(collection_error_line(e), highlight=False, markup=False, soft_wrap=True)


def print_counts(run: CheckRun, console: Console = out) -> None:
    console.print(
        " · ".join(f"[{STATUS_STYLE[s]}]{n} {s}[/]" for s, n in run.counts().items())
        + (f" · stored as run {run.run_id}" if run.run_id is not None else "")
    )


def header_line(run: CheckRun) -> str:
    """What was judged: benchmark, snapshot (when collected), strictness, how many accounts."""
    accounts = len({r.account_id for r in run.results})
    return (
        f"{run.benchmark} · snapshot {run.snapshot.id} "
        f"({run.snapshot.collected_at:%Y-%m-%d %H:%M}) · {run.profile} strictness · "
        f"{accounts} account{'' if accounts == 1 else 's'}"
    )


def print_header(run: CheckRun, console: Console = out) -> None:
    console.print(Text(header_line(run), style="bold"))
