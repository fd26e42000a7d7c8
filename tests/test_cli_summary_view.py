"""The default `check` terminal view: it reads at 80 columns at any number of accounts.

Runs are built directly (no AWS): rendering only needs CheckRun and Result objects.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from watchkeeper.cli.summary_view import (
    FAILURE_LINES,
    MORE_HINT,
    print_all_results,
    print_summary,
)
from watchkeeper.queries.results import CheckRun, Result, SnapshotRef, Status

WIDTH = 80
CONTROLS = [f"4.{i}" for i in range(1, 17)]
LONG_REASON = (
    "trail `organization-audit-trail-{n}` is single-region (us-east-1); events in the other "
    "sixteen regions are never seen by any metric filter, so no alarm can fire for them"
)
OUS = ["Root/Workloads/Production", "Root/Workloads/NonProduction", "Root/Security", "Root/Sandbox"]


def account(n: int) -> str:
    return f"{100000000000 + n}"


def generated_run(accounts: int, *, ous: bool = False) -> CheckRun:
    """Every 7th account has a single-region trail (4.1–4.15 fail for it); every 11th cannot
    be read for 4.3–4.5 (error); the rest pass."""
    results = []
    for n in range(accounts):
        for i, cid in enumerate(CONTROLS, start=1):
            status: Status = "pass"
            reason = "chain complete"
            if n % 7 == 0 and i < 16:
                status, reason = "fail", LONG_REASON.format(n=n)
            elif n % 11 == 0 and i in (3, 4, 5):
                status, reason = "error", "AccessDenied: logs:DescribeMetricFilters in eu-west-1"
            topic = "security_hub_enabled" if i == 16 else "cloudtrail_configuration_changes"
            acct = account(n)
            results.append(
                Result("cis-v5.0.0", cid, topic, "t", acct, None, None, status, reason, {})
            )
    placed = {account(n): OUS[n % len(OUS)] for n in range(accounts)} if ous else {}
    snapshot = SnapshotRef(4, datetime(2026, 11, 30, 6, 0, tzinfo=UTC), "ab" * 32)
    return CheckRun("cis-v5.0.0", "full", datetime.now(UTC), snapshot, [4], results, 9, placed)


def render(run: CheckRun, *, everything: bool = False) -> list[str]:
    console = Console(file=io.StringIO(), width=WIDTH, no_color=True)
    if everything:
        print_all_results(run, console=console)
    else:
        print_summary(run, console=console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines: list[str] = text.splitlines()
    return lines


def assert_fits(lines: list[str]) -> None:
    too_long = [line for line in lines if len(line) > WIDTH]
    assert not too_long, too_long


def test_300_accounts_by_ou_fit_80_columns_and_keep_what_matters() -> None:
    lines = render(generated_run(300, ous=True))
    assert_fits(lines)
    text = "\n".join(lines)
    assert lines[0].startswith("cis-v5.0.0 · snapshot 4 (2026-11-30 06:00) · full strictness")
    assert "300 accounts" in lines[0]
    assert "4083 pass · 645 fail · 72 error · 0 manual · stored as run 9" in text
    # The matrix by OU: every OU heads a column, every control a row, counts whole.
    for ou in ("Workloads/", "Production", "NonProduction", "Security", "Sandbox"):
        assert ou in text
    assert "75 accounts" in text and "257/300" in text
    assert sum(1 for line in lines if line.startswith("4.16 ")) >= 1
    # One line per account and cause, not 15; the worst first; then the rest counted.
    failing = [line for line in lines if line.startswith(("FAIL ", "ERROR "))]
    assert len(failing) == FAILURE_LINES
    assert failing[0].startswith(f"FAIL  4.1–4.15 · {account(0)}: trail `organization-audit")
    assert failing[0].endswith("…")  # the long reason is shortened, not wrapped
    groups = 43 + 24  # single-region accounts, and accounts with errors
    assert f"failing: {groups} items (717 results" in text
    assert f"… and {groups - FAILURE_LINES} more; {MORE_HINT}" in text


def test_300_accounts_without_ous_summarise_per_control() -> None:
    lines = render(generated_run(300))
    assert_fits(lines)
    row = next(line for line in lines if line.startswith("4.3 "))
    assert row.split()[-5:] == ["233", "43", "24", "0", "78%"]
    assert not any(account(1) in line for line in lines)  # no column or row per account


def test_few_accounts_get_a_row_each() -> None:
    lines = render(generated_run(20))
    assert_fits(lines)
    row = next(line for line in lines if line.startswith(account(0)))
    assert row.split() == [account(0), "1/16", *["F"] * 15, "."]
    row = next(line for line in lines if line.startswith(account(11)))
    assert row.split()[1:] == ["13/16", ".", ".", "E", "E", "E", *["."] * 11]


def test_all_lists_every_result_with_the_whole_reason() -> None:
    run = generated_run(30)
    lines = render(run, everything=True)
    assert_fits(lines)
    rows = [line for line in lines if line.split()[:1] in (["FAIL"], ["ERROR"], ["PASS"])]
    assert len(rows) == len(run.results)
    # The reason wraps inside its column: every word is there.
    flat = " ".join(" ".join(lines).split())
    assert LONG_REASON.format(n=28) in flat
    assert rows[0].split()[:3] == ["FAIL", "4.1", account(0)]
