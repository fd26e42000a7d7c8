"""`build_report`: the report model of one check run, read once from the run and its snapshots.

The parts are built in reading order: cover, summary matrix, per-control sections (with the
raw-object appendix they cite), collection errors, and the commands that re-run the check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import duckdb

from watchkeeper import __version__
from watchkeeper.jsonutil import loads_lenient
from watchkeeper.queries.catalog import Catalog, Control
from watchkeeper.queries.check import sql_text
from watchkeeper.queries.evidence import CollectionErrorRow
from watchkeeper.queries.results import STATUS_ORDER, CheckRun, results_digest
from watchkeeper.reports.model.display import anchor, iso
from watchkeeper.reports.model.raw import RawIndex
from watchkeeper.reports.model.remediation import Command
from watchkeeper.reports.model.sections import control_sections, error_rows
from watchkeeper.reports.model.types import (
    AccountInfo,
    Cover,
    FailingItem,
    MatrixCell,
    MatrixColumn,
    MatrixRow,
    ReportModel,
    SqlText,
    Summary,
)
from watchkeeper.reports.redact import redact_run, report_redactor, report_snapshot_ids
from watchkeeper.store import rows as _rows

__all__ = ["build_report"]


def _accounts(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[str, AccountInfo]:
    out: dict[str, AccountInfo] = {}
    for r in _rows(
        con,
        "SELECT account_id, account_aliases, organization_id, collection_status "
        "FROM history.aws_account WHERE list_contains(?, snapshot_id) "
        "ORDER BY snapshot_id",
        [ids],
    ):
        aliases = loads_lenient(r["account_aliases"]) or []
        out[r["account_id"]] = AccountInfo(
            r["account_id"], [str(a) for a in aliases], r["organization_id"], r["collection_status"]
        )
    return out


def _cover(
    con: duckdb.DuckDBPyConnection,
    run: CheckRun,
    accounts: list[AccountInfo],
    organizations: list[str],
    ids: list[int],
    title: str | None,
    redacted: bool,
    now: datetime,
) -> Cover:
    snap = _rows(
        con,
        "SELECT snapshot_id, started_at, finished_at, caller_arn, tool_version, regions "
        "FROM snapshot WHERE snapshot_id = ?",
        [run.snapshot.id],
    )
    s: dict[str, Any] = snap[0] if snap else {}
    regions = sorted(
        {
            row[0]
            for row in con.execute(
                "SELECT DISTINCT region FROM history.aws_region "
                "WHERE list_contains(?, snapshot_id) AND collected",
                [ids],
            ).fetchall()
        }
    )
    return Cover(
        title=title or f"CIS AWS Foundations {run.benchmark.removeprefix('cis-')} — monitoring",
        benchmark=run.benchmark,
        benchmark_version=run.benchmark.removeprefix("cis-"),
        profile=run.profile,
        organizations=organizations,
        accounts=accounts,
        regions=regions,
        snapshot_id=run.snapshot.id,
        snapshot_ids=list(run.snapshot_ids),
        collected_at=iso(run.snapshot.collected_at),
        finished_at=iso(s["finished_at"]) if s.get("finished_at") else None,
        collector_identity=s.get("caller_arn"),
        collector_version=s.get("tool_version"),
        checked_at=iso(run.checked_at),
        report_time=iso(now),
        tool_version=__version__,
        run_id=run.run_id,
        snapshot_sha256=run.snapshot.sha256,
        results_sha256=results_digest(run.results),
        redacted=redacted,
    )


def _summary(
    run: CheckRun,
    judged: list[str],
    controls: dict[str, Control],
    accounts: dict[str, AccountInfo],
    account_ids: list[str],
) -> Summary:
    """Counts, the accounts × controls matrix, and every result that is not a pass."""
    by_pair = {(r.control_id, r.account_id): r for r in run.results}
    columns = [MatrixColumn(cid, controls[cid].title, anchor("c", cid)) for cid in judged]
    rows = [
        MatrixRow(
            accounts[a],
            [
                MatrixCell(
                    cid,
                    by_pair[(cid, a)].status if (cid, a) in by_pair else None,
                    anchor("v", cid, a) if (cid, a) in by_pair else None,
                )
                for cid in judged
            ],
        )
        for a in account_ids
    ]
    failing = [
        FailingItem(
            r.control_id,
            r.title,
            r.account_id,
            r.status,
            r.reason,
            anchor("v", r.control_id, r.account_id),
        )
        for r in sorted(
            run.results,
            key=lambda r: (STATUS_ORDER[r.status], controls[r.control_id].sort_key, r.account_id),
        )
        if r.status != "pass"
    ]
    return Summary(run.counts(), len(run.results), columns, rows, failing)


def _rerun_commands(run: CheckRun) -> list[Command]:
    snap_flag = f"--snapshot {run.snapshot.id}"
    return [
        Command(
            "Judge the same snapshot again (same SQL, same strictness)",
            f"watchkeeper check --db <db> {snap_flag} --benchmark {run.benchmark} "
            f"--strictness {run.profile} --format json",
        ),
        Command(
            "Re-render this report",
            f"watchkeeper report --db <db> {snap_flag} --benchmark {run.benchmark} "
            f"--strictness {run.profile}",
        ),
        Command(
            "Verify the stored snapshots' SHA-256 (compare with the one on the cover)",
            "watchkeeper verify --db <db>",
        ),
    ]


def build_report(
    con: duckdb.DuckDBPyConnection,
    run: CheckRun,
    catalog: Catalog,
    redact: bool,
    title: str | None,
    *,
    now: datetime | None = None,
) -> ReportModel:
    """Gather everything the report shows from ``run`` and the snapshot rows behind it."""
    ids = report_snapshot_ids(run)
    redactor = None
    if redact:
        redactor = report_redactor(con, run)
        run = redact_run(run, redactor)
    accounts = _accounts(con, ids)
    for r in run.results:  # a result for an account the tables no longer list
        accounts.setdefault(r.account_id, AccountInfo(r.account_id, [], None, None))
    controls = {c.control_id: c for c in catalog.controls(run.benchmark)}
    judged = sorted({r.control_id for r in run.results}, key=lambda cid: controls[cid].sort_key)
    account_ids = sorted({r.account_id for r in run.results} or accounts)
    organizations = sorted({a.organization_id for a in accounts.values() if a.organization_id})

    cover = _cover(
        con,
        run,
        [accounts[a] for a in account_ids],
        organizations,
        ids,
        title,
        redact,
        now or datetime.now(UTC),
    )
    summary = _summary(run, judged, controls, accounts, account_ids)
    raw = RawIndex(con, ids, redactor)
    sections = control_sections(run, judged, controls, accounts, raw, redactor)
    # The table's columns are the evidence's collection_error rows, all of them.
    errors = cast(
        list[CollectionErrorRow],
        _rows(
            con,
            "SELECT * FROM history.collection_error WHERE list_contains(?, snapshot_id) "
            "ORDER BY account_id, region, service, operation",
            [ids],
        ),
    )
    return ReportModel(
        cover=cover,
        summary=summary,
        controls=sections,
        raw_objects=list(raw.objects.values()),
        collection_errors=error_rows(errors, redactor),
        rerun_commands=_rerun_commands(run),
        views_sql=[
            SqlText(f"watchkeeper/queries/sql/{n}", sql_text(n))
            for n in ("chain.sql", "results.sql")
        ],
        run=run,
    )
