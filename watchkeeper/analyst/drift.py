"""History: what changed between two snapshots, and each control's verdict over time.

Verdicts for a snapshot come from a stored `check` run of exactly that snapshot (what was
reported then) or, when there is none, are computed on the spot without storing anything:
in a private in-memory copy of the views for a read-only database, or inside a transaction
that is rolled back for a writable one.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

import duckdb

from watchkeeper.analyst import DEFAULT_MAX_GAP
from watchkeeper.analyst.evidence import database_of, open_evidence, prepare_controls
from watchkeeper.errors import UserError
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, load_catalog
from watchkeeper.queries.check import evaluate, rows, select_controls
from watchkeeper.store import RESOURCE_TABLES, StoreError, list_snapshots
from watchkeeper.store.db import column_types


class DriftError(UserError):
    """Bad snapshot ids or options (printed as one line)."""


# The identity of a resource across snapshots, per table (what "the same thing" means).
KEYS: dict[str, tuple[str, ...]] = {
    "aws_account": ("account_id",),
    "aws_region": ("account_id", "name"),
    "aws_cloudtrail_trail": ("account_id", "region", "arn"),
    "aws_cloudwatch_log_group": ("account_id", "region", "name"),
    "aws_cloudwatch_log_metric_filter": ("account_id", "region", "log_group_name", "name"),
    "aws_cloudwatch_alarm": ("account_id", "region", "name"),
    "aws_sns_topic": ("account_id", "region", "topic_arn"),
    # A subscription's ARN appears only once it is confirmed; its endpoint is stable.
    "aws_sns_topic_subscription": ("account_id", "region", "topic_arn", "protocol", "endpoint"),
    "aws_securityhub_hub": ("account_id", "region"),
}
# Not compared: the raw API objects repeat the columns, and these move on every run
# without anything having been changed by anyone (include_volatile=True shows them).
RAW_COLUMNS = frozenset({"snapshot_id", "raw", "raw_status", "raw_event_selectors"})
VOLATILE_COLUMNS = frozenset(
    {
        "caller_arn",
        "latest_cloudwatch_logs_delivery_time",
        "latest_delivery_time",
        "stored_bytes",
        "state_value",
        "state_reason",
        "state_updated_timestamp",
    }
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    table: str
    key: dict[str, Any]
    change: str  # added | removed | changed
    fields: list[FieldChange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": self.key,
            "change": self.change,
            "fields": [
                {"field": f.field, "before": _jsonable(f.before), "after": _jsonable(f.after)}
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class Verdict:
    benchmark: str
    control_id: str
    topic: str
    title: str
    account_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class VerdictChange:
    control_id: str
    topic: str
    account_id: str
    before: str | None  # None: not judged in that snapshot (account not collected)
    after: str | None
    reason: str  # the later verdict's reason (or the earlier one's when it disappeared)


@dataclass(frozen=True)
class SnapshotDiff:
    from_snapshot: int
    to_snapshot: int
    benchmark: str
    accounts: list[str]  # compared: collected in both snapshots
    resources: list[ResourceChange]
    verdicts: list[VerdictChange]

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.resources:
            counts = out.setdefault(r.table, {"added": 0, "removed": 0, "changed": 0})
            counts[r.change] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "from_snapshot": self.from_snapshot,
            "to_snapshot": self.to_snapshot,
            "benchmark": self.benchmark,
            "accounts": self.accounts,
            "summary": self.summary(),
            "resources": [r.to_json() for r in self.resources],
            "verdicts": [v.__dict__ for v in self.verdicts],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def complete_snapshots(con: duckdb.DuckDBPyConnection) -> list[tuple[int, datetime]]:
    """(snapshot_id, started_at) of every complete snapshot, oldest first."""
    snaps = sorted(
        (s.started_at, s.snapshot_id) for s in list_snapshots(con) if s.status == "complete"
    )
    return [(s, t) for t, s in snaps]


def _accounts(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> set[str]:
    rows = con.execute(
        "SELECT account_id FROM history.aws_account WHERE snapshot_id = ?", [snapshot_id]
    ).fetchall()
    return {r[0] for r in rows}


# --- verdicts ----------------------------------------------------------------------------


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = 'main'",
        [name],
    ).fetchone()
    return bool(row and row[0])


class VerdictSource:
    """Verdicts per snapshot: stored runs first, else computed without writing anything."""

    def __init__(self, con: duckdb.DuckDBPyConnection, benchmark: str = DEFAULT_BENCHMARK):
        self.con = con
        self.catalog = load_catalog()
        self.benchmark = self.catalog.resolve_benchmark(benchmark)
        self.controls = select_controls(self.catalog, self.benchmark, ())
        self.computed: list[int] = []  # snapshots judged on the spot (none stored)

    def close(self) -> None:
        """Nothing is held between evaluations; kept so callers can use `with`."""

    def __enter__(self) -> VerdictSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def _has_results(self) -> bool:
        """Whether the database holds check runs at all (asked once, not per snapshot)."""
        return _has_table(self.con, "check_run") and _has_table(self.con, "control_result")

    def stored(self, snapshot_id: int) -> list[Verdict] | None:
        if not self._has_results:
            return None
        # `check --snapshot N`, or a plain `check` whose verdicts all came from N (the
        # nightly collect-then-check): unfiltered, full profile, no attestations.
        row = self.con.execute(
            "SELECT max(run_id) FROM check_run WHERE (snapshot_id = ? OR (snapshot_id IS NULL "
            "AND CAST(snapshot_ids AS VARCHAR) = ?)) AND benchmark = ? "
            "AND profile = 'full' AND CAST(controls AS VARCHAR) = '[]' "
            "AND CAST(accounts AS VARCHAR) = '[]' AND attestations IS NULL",
            [snapshot_id, json.dumps([snapshot_id]), self.benchmark],
        ).fetchone()
        if row is None or row[0] is None:
            return None
        rows = self.con.execute(
            "SELECT benchmark, control_id, topic, title, account_id, status, reason "
            "FROM control_result WHERE run_id = ? ORDER BY control_id, account_id",
            [row[0]],
        ).fetchall()
        return [Verdict(*r) for r in rows]

    def _evaluator(self) -> duckdb.DuckDBPyConnection:
        # A fresh connection per evaluation, so nothing of one snapshot's leaks into the next.
        path, read_only = database_of(self.con)
        if read_only and path:
            return open_evidence(path, analyst=False)
        # Writable (or in-memory): a separate connection to the same database, whose
        # transaction is rolled back after the evaluation.
        return self.con.cursor()

    def computed_verdicts(self, snapshot_id: int) -> list[Verdict]:
        con = self._evaluator()
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                prepare_controls(con, self.catalog, snapshot_id)
                results = evaluate(con, self.controls, "full")
            finally:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
        finally:
            con.close()
        self.computed.append(snapshot_id)
        return [
            Verdict(r.benchmark, r.control_id, r.topic, r.title, r.account_id, r.status, r.reason)
            for r in results
        ]

    def verdicts(self, snapshot_id: int) -> list[Verdict]:
        stored = self.stored(snapshot_id)
        return stored if stored is not None else self.computed_verdicts(snapshot_id)


# --- diff ----------------------------------------------------------------------------------


def _resolve_pair(
    con: duckdb.DuckDBPyConnection, from_id: int | None, to_id: int | None
) -> tuple[int, int]:
    snaps = [s for s, _ in complete_snapshots(con)]
    if not snaps:
        raise DriftError("no complete snapshot in the database (run `watchkeeper collect`)")
    for given in (from_id, to_id):
        if given is not None and given not in snaps:
            raise DriftError(f"snapshot {given} does not exist or is not complete")
    to = to_id if to_id is not None else snaps[-1]
    if from_id is None:
        earlier = [s for s in snaps if s < to]
        if not earlier:
            raise DriftError(f"no complete snapshot before {to} to compare with (give --from)")
        return earlier[-1], to
    return from_id, to


def _compare(
    table: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    columns: list[str],
) -> Iterator[ResourceChange]:
    key = KEYS[table]

    def index(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
        # Rows sharing a key (which AWS should not produce) are told apart by position,
        # in a stable order, rather than silently collapsed.
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(tuple(r[k] for k in key), []).append(r)
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for k, group in groups.items():
            group.sort(key=lambda r: repr(sorted((c, str(r[c])) for c in columns)))
            for n, r in enumerate(group):
                out[k if n == 0 else (*k, n)] = r
        return out

    old, new = index(before), index(after)
    for k in sorted(old.keys() | new.keys(), key=lambda t: tuple(str(v) for v in t)):
        ident = dict(zip(key, k, strict=False))
        if len(k) > len(key):
            ident["duplicate"] = k[-1]
        if k not in new:
            yield ResourceChange(table, ident, "removed")
        elif k not in old:
            yield ResourceChange(table, ident, "added")
        else:
            changes = [
                FieldChange(c, old[k][c], new[k][c]) for c in columns if old[k][c] != new[k][c]
            ]
            if changes:
                yield ResourceChange(table, ident, "changed", changes)


def diff(
    con: duckdb.DuckDBPyConnection,
    from_id: int | None = None,
    to_id: int | None = None,
    benchmark: str = DEFAULT_BENCHMARK,
    include_volatile: bool = False,
    verdicts: bool = True,
) -> SnapshotDiff:
    """Resources added/removed/changed and verdicts that changed, ``from_id`` → ``to_id``.

    Defaults: the latest complete snapshot against the complete one before it. Accounts
    collected in only one of the two show up as added/removed `aws_account` rows; their
    other resources are not listed (absence of collection is not a deletion).
    """
    a, b = _resolve_pair(con, from_id, to_id)
    acc_a, acc_b = _accounts(con, a), _accounts(con, b)
    shared = sorted(acc_a & acc_b)
    skip = RAW_COLUMNS | (frozenset() if include_volatile else VOLATILE_COLUMNS)
    changes: list[ResourceChange] = []
    types = column_types(con)
    for table in RESOURCE_TABLES:
        columns = [c for c in types[table] if c not in skip]
        scope = sorted(acc_a | acc_b) if table == "aws_account" else shared
        sql = (
            f"SELECT * FROM history.{table} WHERE snapshot_id = ? AND list_contains(?, account_id)"
        )
        changes.extend(
            _compare(table, rows(con, sql, [a, scope]), rows(con, sql, [b, scope]), columns)
        )
    verdict_changes: list[VerdictChange] = []
    with VerdictSource(con, benchmark) as source:
        bench = source.benchmark
        if verdicts:
            before = {(v.control_id, v.account_id): v for v in source.verdicts(a)}
            after = {(v.control_id, v.account_id): v for v in source.verdicts(b)}
            for k in sorted(before.keys() | after.keys(), key=_control_sort):
                old, new = before.get(k), after.get(k)
                if old is not None and new is not None and old.status == new.status:
                    continue
                ref = new or old
                assert ref is not None
                verdict_changes.append(
                    VerdictChange(
                        ref.control_id,
                        ref.topic,
                        ref.account_id,
                        old.status if old else None,
                        new.status if new else None,
                        ref.reason,
                    )
                )
    return SnapshotDiff(a, b, bench, shared, changes, verdict_changes)


def _control_sort(k: tuple[str, str]) -> tuple[tuple[int, ...], str]:
    parts = tuple(int(p) if p.isdigit() else 0 for p in k[0].split("."))
    return parts, k[1]


# --- timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinePoint:
    snapshot_id: int
    collected_at: datetime
    status: str
    reason: str


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class TimelineLane:
    """One control in one account, across the snapshots that collected the account."""

    control_id: str
    topic: str
    title: str
    account_id: str
    points: list[TimelinePoint]
    gaps: list[Gap]  # stretches longer than max_gap with no snapshot of this account

    @property
    def held_throughout(self) -> bool:
        """Passing (or attested) at every snapshot, with no gap longer than max_gap."""
        return (
            bool(self.points)
            and not self.gaps
            and all(p.status in ("pass", "manual") for p in self.points)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "control_id": self.control_id,
            "topic": self.topic,
            "title": self.title,
            "account_id": self.account_id,
            "held_throughout": self.held_throughout,
            "points": [
                {
                    "snapshot_id": p.snapshot_id,
                    "collected_at": p.collected_at.isoformat(),
                    "status": p.status,
                    "reason": p.reason,
                }
                for p in self.points
            ],
            "gaps": [
                {"start": g.start.isoformat(), "end": g.end.isoformat(), "hours": round(g.hours, 1)}
                for g in self.gaps
            ],
        }


@dataclass(frozen=True)
class TimelineData:
    benchmark: str
    since: datetime | None
    until: datetime | None
    max_gap: timedelta
    snapshots: list[tuple[int, datetime]]
    lanes: list[TimelineLane]
    computed: list[int] = field(default_factory=list)  # snapshots with no stored check run

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "max_gap_hours": self.max_gap.total_seconds() / 3600,
            "snapshots": [{"id": s, "collected_at": t.isoformat()} for s, t in self.snapshots],
            "computed_snapshots": self.computed,
            "lanes": [lane.to_json() for lane in self.lanes],
        }


def as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def find_gaps(
    times: list[datetime],
    max_gap: timedelta,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Gap]:
    """Stretches longer than ``max_gap`` with no observation, within [since, until]."""
    edges = sorted(times)
    if not edges:
        return [Gap(since, until)] if since and until else []
    if since is not None:
        edges = [since, *edges]
    if until is not None:
        edges = [*edges, until]
    return [Gap(s, e) for s, e in itertools.pairwise(edges) if e - s > max_gap]


def timeline_section(
    con: duckdb.DuckDBPyConnection,
    benchmark: str = DEFAULT_BENCHMARK,
    controls: tuple[str, ...] = (),
    accounts: tuple[str, ...] = (),
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    max_gap: timedelta = DEFAULT_MAX_GAP,
) -> TimelineData:
    """Verdict per control per account per complete snapshot, with gaps in coverage.

    ``con`` is any connection to a watchkeeper database (read-only is fine). Snapshots
    start at ``since`` (inclusive) and end at ``until`` (exclusive; a date means its
    midnight UTC); the gap before the first and after the last snapshot count only when
    ``since``/``until`` are given.
    """
    start, end = as_datetime(since), as_datetime(until)
    snaps = [
        (s, t)
        for s, t in complete_snapshots(con)
        if (start is None or t >= start) and (end is None or t < end)
    ]
    with VerdictSource(con, benchmark) as source:
        wanted = {source.catalog.find(source.benchmark, k).control_id for k in controls} or None
        points: dict[tuple[str, str], list[TimelinePoint]] = {}
        meta: dict[tuple[str, str], Verdict] = {}
        for snapshot_id, taken in snaps:
            for v in source.verdicts(snapshot_id):
                if (wanted and v.control_id not in wanted) or (
                    accounts and v.account_id not in accounts
                ):
                    continue
                key = (v.control_id, v.account_id)
                meta.setdefault(key, v)
                points.setdefault(key, []).append(
                    TimelinePoint(snapshot_id, taken, v.status, v.reason)
                )
        lanes = [
            TimelineLane(
                meta[k].control_id,
                meta[k].topic,
                meta[k].title,
                meta[k].account_id,
                points[k],
                find_gaps([p.collected_at for p in points[k]], max_gap, start, end),
            )
            for k in sorted(points, key=_control_sort)
        ]
        return TimelineData(source.benchmark, start, end, max_gap, snaps, lanes, source.computed)


__all__ = [
    "DriftError",
    "SnapshotDiff",
    "StoreError",
    "TimelineData",
    "diff",
    "find_gaps",
    "timeline_section",
]


# --- a small inline SVG chart for reports ---------------------------------------------------

STATUS_COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "error": "#6a1b9a",
    "manual": "#f9a825",
}
GAP_COLOUR = "#bdbdbd"


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def timeline_svg(data: TimelineData, width: int = 720, lane_height: int = 16) -> str:
    """One lane per (control, account): each snapshot's verdict holds until the next
    snapshot; grey hatching marks gaps longer than max_gap. Self-contained SVG text."""
    label_w, pad, axis_h = 190, 6, 18
    times = [p.collected_at for lane in data.lanes for p in lane.points]
    t0 = data.since or (min(times) if times else datetime.now(UTC))
    t1 = data.until or (max(times) if times else t0)
    if t1 <= t0:
        t1 = t0 + timedelta(hours=1)
    span = (t1 - t0).total_seconds()
    plot_w = width - label_w - pad

    def x(t: datetime) -> float:
        frac = min(max((t - t0).total_seconds() / span, 0.0), 1.0)
        return label_w + frac * plot_w

    height = axis_h + len(data.lanes) * (lane_height + 4) + pad
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" '
        'role="img" aria-label="control verdicts over time">',
        '<defs><pattern id="wk-gap" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{GAP_COLOUR}" stroke-width="3"/>'
        "</pattern></defs>",
        f'<text x="{label_w}" y="11">{t0:%Y-%m-%d %H:%M}</text>',
        f'<text x="{width - pad}" y="11" text-anchor="end">{t1:%Y-%m-%d %H:%M}</text>',
    ]
    for i, lane in enumerate(data.lanes):
        y = axis_h + i * (lane_height + 4)
        label = _esc(f"{lane.control_id} · {lane.account_id}")
        parts.append(f'<text x="0" y="{y + lane_height - 4}">{label}</text>')
        for j, p in enumerate(lane.points):
            nxt = lane.points[j + 1].collected_at if j + 1 < len(lane.points) else t1
            x0, x1 = x(p.collected_at), x(nxt)
            w = max(x1 - x0, 3.0)  # the last snapshot stays visible as a tick
            colour = STATUS_COLOURS.get(p.status, GAP_COLOUR)
            tip = _esc(f"snapshot {p.snapshot_id} {p.collected_at:%Y-%m-%d %H:%M}: {p.status}")
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{lane_height}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
        for g in lane.gaps:
            x0, x1 = x(g.start), x(g.end)
            tip = _esc(f"no snapshot for {g.hours:.0f} h ({g.start:%Y-%m-%d} → {g.end:%Y-%m-%d})")
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1.0):.1f}" '
                f'height="{lane_height}" fill="url(#wk-gap)"><title>{tip}</title></rect>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
