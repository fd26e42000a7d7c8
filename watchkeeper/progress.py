"""Collection progress for people: a Rich display on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from watchkeeper.collector import Reporter, SilentReporter, Telemetry, UnitSummary


class LogReporter:
    """One line per finished account/region, for cron logs and CI output."""

    def __init__(self, stream: TextIO | None = None):
        # Looked up now, not at import: stderr may have been replaced since (tests, wrappers).
        self.stream = stream if stream is not None else sys.stderr
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            print(f"{stamp} {text}", file=self.stream, flush=True)

    def begin(self, total_units: int) -> None:
        self.total = total_units

    def add_units(self, count: int) -> None:
        with self._lock:
            self.total += count

    def unit_done(self, summary: UnitSummary, telemetry: Telemetry) -> None:
        with self._lock:
            self.done += 1
            done, total = self.done, self.total
        counts = ", ".join(f"{n} {t.removeprefix('aws_')}" for t, n in summary.counts.items())
        self._line(
            f"[{done}/{total}] {summary.phase} {summary.account_id} {summary.region}: {counts}; "
            f"{summary.errors} error(s); {telemetry.calls} API calls so far"
        )

    def note(self, text: str) -> None:
        self._line(text)


class RichReporter:
    """A live bar: account × region units done (each twice: resources, then SNS), the
    phase of the latest, API calls, retries and errors."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]collect {task.fields[phase]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[calls]} calls · {task.fields[retries]} retries"),
            TextColumn("[red]{task.fields[errors]} errors"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task(
            "collect", total=0, calls=0, retries=0, errors=0, phase=""
        )
        self._lock = threading.Lock()
        self.errors = 0

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def begin(self, total_units: int) -> None:
        self.progress.update(self.task, total=total_units)

    def add_units(self, count: int) -> None:
        with self._lock:
            total = self.progress.tasks[0].total or 0
            self.progress.update(self.task, total=total + count)

    def unit_done(self, summary: UnitSummary, telemetry: Telemetry) -> None:
        with self._lock:
            self.errors += summary.errors
        self.progress.update(
            self.task,
            advance=1,
            phase=summary.phase,
            calls=telemetry.calls,
            retries=telemetry.retries,
            errors=self.errors,
        )

    def note(self, text: str) -> None:
        self.progress.console.print(text)


def reporter_for(quiet: bool, console: Console) -> Reporter | RichReporter:
    if quiet:
        return SilentReporter()
    if console.is_terminal:
        return RichReporter(console)
    return LogReporter()
