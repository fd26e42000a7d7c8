"""Check runs built in memory (no AWS, no store) for the e-mail body and attachment tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from watchkeeper.notify import Change, RunDiff
from watchkeeper.queries.evidence import Evidence
from watchkeeper.queries.results import CheckRun, Result, SnapshotRef, Status

CONTROLS = [f"4.{i}" for i in range(1, 17)]
WHEN = datetime(2026, 1, 5, 6, 15, tzinfo=UTC)


def result(control_id: str, account: str, status: Status, reason: str) -> Result:
    return Result(
        benchmark="cis-v5.0.0",
        control_id=control_id,
        topic=f"topic_{control_id.replace('.', '_')}",
        title=f"Ensure a log metric filter and alarm exist for {control_id} events",
        account_id=account,
        region="us-east-1",
        resource=f"arn:aws:cloudtrail:us-east-1:{account}:trail/main",
        status=status,
        reason=reason,
        evidence=cast(Evidence, {"snapshot_id": 7, "failed_link": "trail"}),
    )


def account_id(n: int) -> str:
    return f"{100000000000 + n:012d}"


def org_run(accounts: int, reason_len: int = 200) -> CheckRun:
    """Every account fails 4.1–4.15 for one cause of its own (so one group per account) and
    4.16 for another; the reasons are long, as a quoted CloudTrail record makes them."""
    results: list[Result] = []
    for n in range(accounts):
        acct = account_id(n)
        single = f"trail `main-{n}` in {acct} is single-region; " + "x" * reason_len
        results += [result(c, acct, "fail", single) for c in CONTROLS[:15]]
        results.append(result("4.16", acct, "error", f"Security Hub not readable in {acct}"))
    return CheckRun(
        "cis-v5.0.0", "full", WHEN, SnapshotRef(7, WHEN, "ab" * 32), [7], results, run_id=42
    )


def every_verdict_flipped(run: CheckRun) -> RunDiff:
    """A diff in which every (control, account) changed: the worst case for the body."""
    return RunDiff(
        41,
        [
            Change(r.control_id, r.title, r.account_id, "pass", r.status, r.reason)
            for r in run.results
        ],
    )
