"""`timeline`: each control's verdict per account over time, and the gaps in coverage.

Verdicts come from analyst.history (stored runs first, else computed without writing);
the SVG drawing of a timeline is watchkeeper.svg's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb

from watchkeeper.analyst import DEFAULT_MAX_GAP
from watchkeeper.analyst.history import Verdict, VerdictSource, complete_snapshots
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, control_sort_key


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
            for k in sorted(points, key=lambda ca: (control_sort_key(ca[0]), ca[1]))
        ]
        return TimelineData(source.benchmark, start, end, max_gap, snaps, lanes, source.computed)


__all__ = [
    "Gap",
    "TimelineData",
    "TimelineLane",
    "TimelinePoint",
    "as_datetime",
    "find_gaps",
    "timeline_section",
]
