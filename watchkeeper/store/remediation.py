"""Reading the stored `fix --apply` runs (written by watchkeeper.fix.runs).

Here, low in the tiers, so the report, the dashboard and `fix` itself read them the same
way: ``remediation_runs(con, …)`` gives the newest first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypedDict

import duckdb

from watchkeeper.store.db import rows

__all__ = ["RemediationRun", "remediation_runs"]


class RemediationRun(TypedDict):
    remediation_id: int
    started_at: datetime
    finished_at: datetime | None
    tool_version: str
    applied_by: str
    role_arns: dict[str, str]
    benchmark: str
    check_run_before: int | None
    check_run_after: int | None
    snapshots_before: list[int]
    snapshot_after: int | None
    status: str
    plan: dict[str, Any]
    steps: list[dict[str, Any]]  # each: step, api_call, params, status, message
    outcome: list[dict[str, Any]]  # each: control_id, account_id, before, after, note


def _json(value: Any, empty: Any) -> Any:
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str) else value


def remediation_runs(
    con: duckdb.DuckDBPyConnection,
    *,
    limit: int | None = None,
    account_id: str | None = None,
    remediation_id: int | None = None,
) -> list[RemediationRun]:
    """Stored fix runs, newest first; ``account_id``: only runs that wrote to that account."""
    sql = "SELECT * FROM remediation_run WHERE true"
    params: list[Any] = []
    if remediation_id is not None:
        sql += " AND remediation_id = ?"
        params.append(remediation_id)
    sql += " ORDER BY remediation_id DESC"
    out: list[RemediationRun] = []
    for r in rows(con, sql, params):
        run = RemediationRun(
            remediation_id=int(r["remediation_id"]),
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            tool_version=r["tool_version"],
            applied_by=r["applied_by"],
            role_arns=_json(r["role_arns"], {}),
            benchmark=r["benchmark"],
            check_run_before=r["check_run_before"],
            check_run_after=r["check_run_after"],
            snapshots_before=_json(r["snapshots_before"], []),
            snapshot_after=r["snapshot_after"],
            status=r["status"],
            plan=_json(r["plan"], {}),
            steps=_json(r["steps"], []),
            outcome=_json(r["outcome"], []),
        )
        if account_id is not None and not any(
            s.get("account_id") == account_id for s in run["steps"]
        ):
            continue
        out.append(run)
        if limit is not None and len(out) >= limit:
            break
    return out
