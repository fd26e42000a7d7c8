"""Analyst commands: query, tables, diff, timeline, export, import.

Thin wrappers over watchkeeper.analyst. Errors a user can cause print one line on stderr
and exit 2.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.analyst import DEFAULT_MAX_GAP
from watchkeeper.cli.errors import fail, user_errors
from watchkeeper.cli.options import (
    SINCE_HELP,
    AccountFilterOption,
    BenchmarkVersionOption,
    ConfigOption,
    ControlsOption,
    DbOption,
    EndpointUrlOption,
)
from watchkeeper.cli.registry import add_commands
from watchkeeper.config import load_file, resolve_db
from watchkeeper.queries import DEFAULT_BENCHMARK

if TYPE_CHECKING:
    from watchkeeper.analyst.diff import SnapshotDiff
    from watchkeeper.analyst.timeline import TimelineData

# Each command imports what it runs (see cli/__init__.py).

OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write here")]


def _db(db: str | None, config: Path | None) -> Path:
    return resolve_db(db, load_file(config))


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {output}\n")


def _date(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    from watchkeeper.analyst.timeline import as_datetime

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{flag} {value!r}: expected a date (2026-07-01) or ISO timestamp") from None
    return as_datetime(parsed if ("T" in value or " " in value) else parsed.date())


@user_errors
def query_cmd(
    sql: Annotated[
        str | None, typer.Argument(help="SQL to run ('-' reads stdin); none: interactive shell")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output format; table, csv, json or markdown")
    ] = "table",
    output: OutputOption = None,
) -> None:
    """Run SQL on the evidence store, read-only (Steampipe-style JSON idioms work)."""
    from watchkeeper.analyst import query
    from watchkeeper.api import connect as api_connect

    if fmt not in query.FORMATS:
        raise fail(f"unknown format {fmt!r}; choose {', '.join(query.FORMATS)}")
    interactive = sql is None and stdin_is_terminal()
    if interactive and output is not None:
        # The shell prints to the terminal; a silently ignored --output would lose results.
        raise fail("--output needs SQL (as an argument or on stdin); the shell prints here")
    con = api_connect(_db(db, config), read_only=True)
    try:
        if interactive:
            query.interactive(con, fmt)
            return
        text = sys.stdin.read() if sql in (None, "-") else sql
        assert text is not None
        result = query.execute(con, text)
        _emit(query.render(result, fmt), output)
    finally:
        con.close()


def stdin_is_terminal() -> bool:
    """No SQL and a terminal on stdin means the interactive shell (a seam for tests)."""
    return sys.stdin.isatty()


@user_errors
def tables_cmd(
    name: Annotated[str | None, typer.Argument(help="A table or view; none: list them")] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The README section (all tables), as Markdown")
    ] = False,
) -> None:
    """Describe the tables and columns: meaning and the AWS API field each comes from."""
    from watchkeeper.analyst import catalog_tables

    if markdown:
        sys.stdout.write(catalog_tables.readme_section())
    elif name:
        sys.stdout.write(catalog_tables.describe(name))
    else:
        sys.stdout.write(catalog_tables.summary())


def _diff_text(d: SnapshotDiff) -> str:
    lines: list[str] = []

    def w(text: str) -> None:
        lines.append(text)

    w(f"snapshot {d.from_snapshot} → {d.to_snapshot} ({len(d.accounts)} account(s) in both)\n")
    if not d.resources:
        w("resources: no changes\n")
    for r in d.resources:
        key = " ".join(f"{k}={v}" for k, v in r.key.items())
        sign = {"added": "+", "removed": "-", "changed": "~"}[r.change]
        w(f"{sign} {r.table} {key}\n")
        for f in r.fields:
            w(f"    {f.field}: {f.before!r} → {f.after!r}\n")
    if not d.verdicts:
        w(f"verdicts ({d.benchmark}): no changes\n")
    else:
        w(f"verdicts ({d.benchmark}):\n")
    for v in d.verdicts:
        w(
            f"  {v.control_id} {v.topic} {v.account_id}: {v.before or '-'} → {v.after or '-'}"
            f"  {v.reason}\n"
        )
    return "".join(lines)


@user_errors
def diff_cmd(
    from_: Annotated[
        int | None, typer.Option("--from", help="Earlier snapshot [the one before --to]")
    ] = None,
    to: Annotated[int | None, typer.Option("--to", help="Later snapshot [latest]")] = None,
    benchmark: BenchmarkVersionOption = DEFAULT_BENCHMARK,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output format; table or json")
    ] = "table",
    all_fields: Annotated[
        bool, typer.Option("--all-fields", help="Also fields that move on every run (state…)")
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    output: OutputOption = None,
) -> None:
    """Resources added/removed/changed between two snapshots, and verdicts that changed."""
    from watchkeeper.analyst.diff import diff
    from watchkeeper.api import connect as api_connect

    if fmt not in ("table", "json"):
        raise fail(f"unknown format {fmt!r}; choose table or json")
    con = api_connect(_db(db, config), read_only=True)
    try:
        d = diff(con, from_, to, benchmark, include_volatile=all_fields)
    finally:
        con.close()
    if fmt == "json":
        _emit(json.dumps(d.to_json(), indent=2, default=str) + "\n", output)
    else:
        _emit(_diff_text(d), output)


def _timeline_text(data: TimelineData) -> str:
    letters = {"pass": "P", "fail": "F", "error": "E", "manual": "M"}
    ids = [s for s, _ in data.snapshots]
    lines = [
        f"{data.benchmark} · {len(ids)} snapshot(s) "
        f"{data.snapshots[0][1]:%Y-%m-%d %H:%M} → {data.snapshots[-1][1]:%Y-%m-%d %H:%M}"
        if ids
        else f"{data.benchmark} · no complete snapshot in the period",
        "columns: snapshots " + " ".join(str(s) for s in ids) + "  (P pass, F fail, "
        "E error, M manual, . not collected)",
        "",
    ]
    for lane in data.lanes:
        by_id = {p.snapshot_id: letters.get(p.status, "?") for p in lane.points}
        cells = "".join(by_id.get(s, ".") for s in ids)
        held = "held throughout" if lane.held_throughout else "NOT held throughout"
        lines.append(f"{lane.control_id:<6} {lane.account_id:<14} {cells}  {held}")
        for g in lane.gaps:
            lines.append(
                f"{'':<21} gap {g.start:%Y-%m-%d %H:%M} → {g.end:%Y-%m-%d %H:%M} "
                f"({g.hours:.0f} h without a snapshot)"
            )
        last = lane.points[-1]
        if last.status != "pass":
            lines.append(f"{'':<21} latest: {last.reason}")
    return "\n".join(lines) + "\n"


@user_errors
def timeline_cmd(
    control: ControlsOption = None,
    account: AccountFilterOption = None,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date, exclusive")] = None,
    max_gap_hours: Annotated[
        float, typer.Option(help="Longest stretch without a snapshot that is not a gap")
    ] = DEFAULT_MAX_GAP.total_seconds() / 3600,
    benchmark: BenchmarkVersionOption = DEFAULT_BENCHMARK,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output format; table, json or svg")
    ] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    output: OutputOption = None,
) -> None:
    """Verdict per account per snapshot over time, with the gaps between snapshots."""
    from watchkeeper.analyst.timeline import timeline_section
    from watchkeeper.api import connect as api_connect
    from watchkeeper.svg import timeline_svg

    if fmt not in ("table", "json", "svg"):
        raise fail(f"unknown format {fmt!r}; choose table, json or svg")
    if max_gap_hours <= 0:
        raise fail("--max-gap-hours must be positive")
    con = api_connect(_db(db, config), read_only=True)
    try:
        data = timeline_section(
            con,
            benchmark,
            tuple(control or ()),
            tuple(account or ()),
            _date(since, "--since"),
            _date(until, "--until"),
            timedelta(hours=max_gap_hours),
        )
    finally:
        con.close()
    if fmt == "json":
        _emit(json.dumps(data.to_json(), indent=2) + "\n", output)
    elif fmt == "svg":
        _emit(timeline_svg(data) + "\n", output)
    else:
        _emit(_timeline_text(data), output)


@user_errors
def export_cmd(
    output: Annotated[
        str, typer.Option("--output", "-o", help="Write here; a directory or s3://bucket/prefix")
    ],
    fmt: Annotated[str, typer.Option("--format", help="Output format; parquet")] = "parquet",
    snapshot: Annotated[
        list[int] | None,
        typer.Option("--snapshot", help="Snapshot id; repeatable [all complete]"),
    ] = None,
    ddl_dialect: Annotated[
        str | None,
        typer.Option("--ddl", help="Also print CREATE TABLE statements: athena or trino"),
    ] = None,
    endpoint_url: EndpointUrlOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Every table as hive-partitioned Parquet (snapshot_id=…/account_id=…) with a manifest."""
    from watchkeeper.analyst.export import DIALECTS, ddl, export

    if fmt != "parquet":
        raise fail(f"unknown export format {fmt!r}; only parquet")
    if ddl_dialect is not None and ddl_dialect not in DIALECTS:
        raise fail(f"unknown --ddl {ddl_dialect!r}; choose {' or '.join(DIALECTS)}")
    result = export(_db(db, config), output, list(snapshot or ()), endpoint_url)
    total = sum(result.rows.values())
    sys.stderr.write(
        f"exported {len(result.snapshots)} snapshot(s), {total} rows in {result.files} "
        f"file(s) to {result.destination}\n"
    )
    if ddl_dialect is not None:
        sys.stdout.write(ddl(ddl_dialect, output))


@user_errors
def import_cmd(
    sources: Annotated[
        list[Path], typer.Argument(help="Shard databases or Parquet export directories")
    ],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Merge the latest complete snapshot of each source into one new snapshot in --db."""
    from watchkeeper.analyst.shard import import_snapshots

    info = import_snapshots(_db(db, config), sources)
    sys.stdout.write(
        f"snapshot {info.snapshot_id} {info.status}: {len(info.accounts)} account(s) from "
        f"{len(sources)} source(s)\nsha256 {info.sha256}\n"
    )


def register(app: typer.Typer) -> None:
    add_commands(
        app,
        {
            "query": query_cmd,
            "tables": tables_cmd,
            "diff": diff_cmd,
            "timeline": timeline_cmd,
            "export": export_cmd,
            "import": import_cmd,
        },
    )


__all__ = ["register"]
