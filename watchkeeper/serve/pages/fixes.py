"""The `fix --apply` runs on the history page: what each changed, in which accounts, and
the snapshots and check runs before and after, so an auditor can open the diff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from watchkeeper.store import SnapshotInfo, has_table
from watchkeeper.store.remediation import RemediationRun, remediation_runs

__all__ = ["MAX_FIX_RUNS", "FixRow", "fix_rows"]

# The newest ones are what an auditor follows up; the rest stay in remediation_run.
MAX_FIX_RUNS = 50
STEP_STATUSES = ("applied", "unchanged", "failed", "skipped")


@dataclass(frozen=True)
class FixRow:
    remediation_id: int
    started_at: datetime
    finished_at: datetime | None  # when the steps, then the re-check, were stored
    applied_by: str
    benchmark: str
    status: str
    planned: int  # steps in the plan
    steps: dict[str, int]  # per step status (STEP_STATUSES)
    accounts: list[str]  # written to, in step order
    check_run_before: int | None
    check_run_after: int | None
    snapshot_before: int | None  # the newest of the plan's snapshots
    snapshot_after: int | None  # the re-collection's
    diffable: bool  # both snapshots are in the store and complete: the diff link works
    outcomes: list[dict[str, Any]]  # control_id, account_id, before, after, note


def _row(run: RemediationRun, complete: set[int]) -> FixRow:
    before = max(run["snapshots_before"], default=None)
    after = run["snapshot_after"]
    return FixRow(
        remediation_id=run["remediation_id"],
        started_at=run["started_at"],
        finished_at=run["finished_at"],
        applied_by=run["applied_by"],
        benchmark=run["benchmark"],
        status=run["status"],
        planned=len(run["plan"].get("steps", [])),
        steps={s: sum(1 for x in run["steps"] if x.get("status") == s) for s in STEP_STATUSES},
        accounts=list(dict.fromkeys(str(s["account_id"]) for s in run["steps"])),
        check_run_before=run["check_run_before"],
        check_run_after=run["check_run_after"],
        snapshot_before=before,
        snapshot_after=after,
        diffable=before is not None and after is not None and {before, after} <= complete,
        outcomes=run["outcome"],
    )


def fix_rows(
    con: duckdb.DuckDBPyConnection, snapshots: list[SnapshotInfo]
) -> tuple[list[FixRow], int]:
    """The newest MAX_FIX_RUNS runs and how many the store holds (0 for a store written
    before remediation_run existed)."""
    if not has_table(con, "remediation_run"):
        return [], 0
    total = con.execute("SELECT count(*) FROM remediation_run").fetchone()
    complete = {s.snapshot_id for s in snapshots if s.status == "complete"}
    runs = remediation_runs(con, limit=MAX_FIX_RUNS)
    return [_row(r, complete) for r in runs], int(total[0]) if total else 0
