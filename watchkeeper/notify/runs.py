"""Stored check runs for the e-mail: load one, find the one before it, and what changed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, cast

import duckdb

from watchkeeper.queries import org
from watchkeeper.queries.evidence import Evidence
from watchkeeper.queries.results import CheckRun, Result, SnapshotRef, control_sort_key
from watchkeeper.queries.summary import ou_paths
from watchkeeper.store import StoreError, connect, get_snapshot, has_table, rows


def _open(db: Path) -> duckdb.DuckDBPyConnection:
    con = connect(db, read_only=True)
    if not has_table(con, "check_run", schema=None):
        con.close()
        raise StoreError(f"no stored check run in {db} (run `watchkeeper check` first)")
    return con


def _latest_run_ids(
    con: duckdb.DuckDBPyConnection, benchmark: str | None, profile: str | None, limit: int
) -> list[tuple[int, str, str]]:
    sql = "SELECT run_id, benchmark, profile FROM check_run WHERE true"
    params: list[Any] = []
    if benchmark:
        sql += " AND benchmark = ?"
        params.append(benchmark)
    if profile:
        sql += " AND profile = ?"
        params.append(profile)
    sql += f" ORDER BY run_id DESC LIMIT {int(limit)}"
    return [(int(r[0]), str(r[1]), str(r[2])) for r in con.execute(sql, params).fetchall()]


def load_run(
    db: Path, benchmark: str | None = None, profile: str | None = None, run_id: int | None = None
) -> CheckRun:
    """A stored check run (default: the latest one, of ``benchmark``/``profile`` if given)."""
    con = _open(db)
    try:
        if run_id is None:
            found = _latest_run_ids(con, benchmark, profile, 1)
            if not found:
                what = " ".join(x for x in (benchmark, profile) if x) or "any benchmark"
                raise StoreError(f"no stored check run for {what} in {db}")
            run_id = found[0][0]
        return _read_run(con, run_id)
    finally:
        con.close()


def _read_run(con: duckdb.DuckDBPyConnection, run_id: int) -> CheckRun:
    head = con.execute(
        "SELECT benchmark, profile, checked_at, snapshot_ids FROM check_run WHERE run_id = ?",
        [run_id],
    ).fetchone()
    if head is None:
        raise StoreError(f"no stored check run {run_id}")
    benchmark, profile, checked_at, snapshot_ids_json = head
    snapshot_ids = [int(i) for i in json.loads(snapshot_ids_json or "[]")]
    ref_id = max(snapshot_ids) if snapshot_ids else 0
    snap = get_snapshot(con, ref_id)
    snapshot = (
        SnapshotRef(snap.snapshot_id, snap.started_at, snap.sha256)
        if snap
        else SnapshotRef(ref_id, checked_at, None)
    )
    cols = (
        "benchmark, control_id, topic, title, account_id, region, resource, status, reason, "
        "evidence"
    )
    results = [
        Result(
            benchmark=r["benchmark"],
            control_id=r["control_id"],
            topic=r["topic"],
            title=r["title"],
            account_id=r["account_id"],
            region=r["region"],
            resource=r["resource"],
            status=r["status"],
            reason=r["reason"],
            # Stored as `check` wrote it (queries.evidence types that JSON).
            evidence=cast(
                Evidence,
                json.loads(r["evidence"])
                if isinstance(r["evidence"], str)
                else (r["evidence"] or {}),
            ),
        )
        # rowid keeps the order check stored them in (catalog order, then account).
        for r in rows(
            con, f"SELECT {cols} FROM control_result WHERE run_id = ? ORDER BY rowid", [run_id]
        )
    ]
    checked = checked_at if checked_at.tzinfo else checked_at.replace(tzinfo=UTC)
    return CheckRun(benchmark, profile, checked, snapshot, snapshot_ids, results, run_id)


# --- what changed since the previous run --------------------------------------------


@dataclass(frozen=True)
class Change:
    control_id: str
    title: str
    account_id: str
    before: str | None  # None: not judged in the previous run
    after: str | None  # None: not judged any more
    reason: str

    def describe(self) -> str:
        return (
            f"{self.control_id} {self.account_id}: {self.before or 'not judged'} → "
            f"{self.after or 'not judged'}"
        )


@dataclass(frozen=True)
class RunDiff:
    previous_run_id: int | None
    changes: list[Change] = field(default_factory=list)

    @property
    def first_run(self) -> bool:
        return self.previous_run_id is None

    @property
    def changed(self) -> bool:
        return self.first_run or bool(self.changes)


def _verdicts(results: Iterable[Result]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(control_id, account_id) → (status, title, reason); several rows for one key (one
    per region) fold into one status set so a region flipping is still a change."""
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    for r in results:
        key = (r.control_id, r.account_id)
        if key in out:
            prev = out[key]
            statuses = "/".join(sorted(set(prev[0].split("/")) | {r.status}))
            out[key] = (statuses, prev[1], prev[2])
        else:
            out[key] = (r.status, r.title, r.reason)
    return out


def diff_runs(before: CheckRun | None, after: CheckRun) -> RunDiff:
    if before is None:
        return RunDiff(None, [])
    old, new = _verdicts(before.results), _verdicts(after.results)
    changes = []
    for key in sorted(old.keys() | new.keys(), key=lambda ca: (control_sort_key(ca[0]), ca[1])):
        o, n = old.get(key), new.get(key)
        if o is not None and n is not None and o[0] == n[0]:
            continue
        title, reason = (n or o)[1], (n or o)[2]  # type: ignore[index]
        changes.append(
            Change(key[0], title, key[1], o[0] if o else None, n[0] if n else None, reason)
        )
    return RunDiff(before.run_id, changes)


def previous_run(db: Path, run: CheckRun) -> CheckRun | None:
    """The stored run before ``run`` of the same benchmark and profile."""
    con = _open(db)
    try:
        row = con.execute(
            "SELECT max(run_id) FROM check_run WHERE benchmark = ? AND profile = ? AND run_id < ?",
            [run.benchmark, run.profile, run.run_id if run.run_id is not None else 2**31 - 1],
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return _read_run(con, int(row[0]))
    finally:
        con.close()


def changes_since_previous(db: Path, run: CheckRun) -> RunDiff:
    return diff_runs(previous_run(db, run), run)


def ou_paths_of(db: Path, run: CheckRun) -> dict[str, str]:
    """Account id → OU path for ``run``'s snapshots; empty when the organization was not
    collected (the e-mail then groups by account alone)."""
    con = connect(db, read_only=True)
    try:
        return ou_paths(org.placements(con, run.snapshot_ids))
    finally:
        con.close()
