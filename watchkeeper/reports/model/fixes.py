"""The report's "Remediation runs" section: the `fix --apply` runs that wrote to the
report's accounts, newest first, each with its chains' verdicts before → after."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from watchkeeper.store import has_table
from watchkeeper.store.remediation import remediation_runs

# Enough for an auditor to see recent changes; the full history is in remediation_run.
MAX_RUNS = 10


@dataclass(frozen=True)
class RemediationRow:
    remediation_id: int
    started_at: str
    applied_by: str
    status: str
    steps_applied: int
    steps_failed: int
    snapshot_after: int | None
    outcomes: list[str]  # "4.5 123456789012: fail → pass (mended)"


def remediation_rows(
    con: duckdb.DuckDBPyConnection, account_ids: list[str]
) -> list[RemediationRow]:
    """Runs that wrote to any of ``account_ids`` (all runs when empty), newest first."""
    if not has_table(con, "remediation_run", schema=None):  # an export, not the store
        return []
    chosen = set(account_ids)
    out: list[RemediationRow] = []
    for run in remediation_runs(con):
        steps = [s for s in run["steps"] if not chosen or s["account_id"] in chosen]
        if not steps:
            continue
        out.append(
            RemediationRow(
                remediation_id=run["remediation_id"],
                started_at=run["started_at"].strftime("%Y-%m-%d %H:%M UTC"),
                applied_by=run["applied_by"],
                status=run["status"],
                steps_applied=sum(s["status"] == "applied" for s in steps),
                steps_failed=sum(s["status"] == "failed" for s in steps),
                snapshot_after=run["snapshot_after"],
                outcomes=[
                    f"{o['control_id']} {o['account_id']}: {o['before']} → "
                    f"{o['after'] or 'not re-checked'} ({o['note']})"
                    for o in run["outcome"]
                    if not chosen or o["account_id"] in chosen
                ],
            )
        )
        if len(out) >= MAX_RUNS:
            break
    return out
