"""Storing `fix --apply` runs as evidence (the remediation_run table, migration 0007).

Written in two moves: once the steps are done (so a re-collection that dies still leaves
the record of what was changed), then completed with the re-check. Read back with
watchkeeper.store.remediation.remediation_runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchkeeper import __version__
from watchkeeper.store import connect

__all__ = ["complete_run", "record_run"]


def record_run(
    db: Path,
    *,
    started_at: datetime,
    applied_by: str,
    role_arns: dict[str, str],
    benchmark: str,
    check_run_before: int | None,
    snapshots_before: list[int],
    status: str,
    plan: dict[str, Any],
    steps: list[dict[str, Any]],
) -> int:
    con = connect(db, lock_timeout=60)
    try:
        row = con.execute(
            "INSERT INTO remediation_run (started_at, finished_at, tool_version, applied_by, "
            "role_arns, benchmark, check_run_before, snapshots_before, status, plan, steps) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING remediation_id",
            [
                started_at,
                datetime.now(UTC),
                __version__,
                applied_by,
                json.dumps(role_arns),
                benchmark,
                check_run_before,
                json.dumps(snapshots_before),
                status,
                json.dumps(plan, default=str),
                json.dumps(steps, default=str),
            ],
        ).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def complete_run(
    db: Path,
    remediation_id: int,
    *,
    snapshot_after: int | None,
    check_run_after: int | None,
    outcome: list[dict[str, Any]],
) -> None:
    con = connect(db, lock_timeout=60)
    try:
        con.execute(
            "UPDATE remediation_run SET snapshot_after = ?, check_run_after = ?, outcome = ?, "
            "finished_at = ? WHERE remediation_id = ?",
            [
                snapshot_after,
                check_run_after,
                json.dumps(outcome),
                datetime.now(UTC),
                remediation_id,
            ],
        )
    finally:
        con.close()
