"""`build_report`: the main report model of one check run, exceptions first.

The parts are built in reading order: cover, summary (counts, the matrix, the failing
items), per-control sections drawing only the results that are not a pass (with the
raw-object appendix they cite), the compact table of passes, collection errors, and the
commands that re-run the check. What every report of the run shares (the run,
accounts, cover) is read once into a `ReportBasis`; `packs` builds per-account evidence
packs from the same basis.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, cast

import duckdb

from watchkeeper import __version__
from watchkeeper.jsonutil import loads_lenient
from watchkeeper.queries.catalog import Catalog, Control
from watchkeeper.queries.check import sql_text
from watchkeeper.queries.evidence import CollectionErrorRow
from watchkeeper.queries.org import OrgPlacement, placements
from watchkeeper.queries.results import STATUS_ORDER, CheckRun, Result
from watchkeeper.queries.summary import matrix_kind
from watchkeeper.reports.model.display import anchor, iso
from watchkeeper.reports.model.fixes import remediation_rows
from watchkeeper.reports.model.matrix import account_rows, org_matrix
from watchkeeper.reports.model.passing import pass_groups, usual_chains
from watchkeeper.reports.model.raw import RawIndex, compact
from watchkeeper.reports.model.remediation import Command
from watchkeeper.reports.model.sections import control_sections, error_rows
from watchkeeper.reports.model.types import (
    AccountInfo,
    Cover,
    ErrorRow,
    FailingItem,
    MatrixColumn,
    ReportModel,
    SqlText,
    Summary,
)
from watchkeeper.reports.redact import (
    Redactor,
    redact_result,
    report_redactor,
    report_snapshot_ids,
)
from watchkeeper.store import rows as _rows

__all__ = [
    "ReportBasis",
    "build_report",
    "errors_of",
    "report_basis",
    "rerun_commands",
    "summary_of",
    "views_sql",
]


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
        results_sha256=run.digest(),
        redacted=redacted,
    )


def summary_of(
    run: CheckRun,
    judged: list[str],
    controls: dict[str, Control],
    accounts: dict[str, AccountInfo],
    account_ids: list[str],
    org: dict[str, OrgPlacement],
    pass_lines: bool = False,
) -> Summary:
    """Counts, the matrix (per account when few, else per OU with a drill-down), and every
    result that is not a pass. A matrix cell links to its verdict; with ``pass_lines`` a pass
    links to its account's line of passes (the main report's)."""
    by_pair = {(r.control_id, r.account_id): r for r in run.results}
    columns = [MatrixColumn(cid, controls[cid].title, anchor("c", cid)) for cid in judged]
    kind = matrix_kind(len(account_ids), bool(org))  # the terminal's and e-mail's rule too
    few = kind == "account"
    if few:
        rows, matrix = account_rows(by_pair, judged, accounts, account_ids, pass_lines), None
    else:
        rows, matrix = [], org_matrix(run.results, judged, accounts, account_ids, org, pass_lines)
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
    return Summary(run.counts(), len(run.results), columns, rows, failing, matrix)


def rerun_commands(run: CheckRun, account_id: str | None = None) -> list[Command]:
    snap_flag = f"--snapshot {run.snapshot.id}"
    which = f" --account {account_id}" if account_id else ""
    return [
        Command(
            "Judge the same snapshot again (same SQL, same strictness)",
            f"watchkeeper check --db <db> {snap_flag} --benchmark {run.benchmark} "
            f"--strictness {run.profile} --format json",
        ),
        Command(
            "Re-render this " + ("evidence pack" if account_id else "report"),
            f"watchkeeper report --db <db> {snap_flag} --benchmark {run.benchmark} "
            f"--strictness {run.profile}{which}",
        ),
        Command(
            "Verify the stored snapshots' SHA-256 (compare with the one on the cover)",
            "watchkeeper verify --db <db>",
        ),
    ]


@dataclass(frozen=True)
class ReportBasis:
    """What the main report and every evidence pack of one run share, read once.

    Masking every result's evidence cost seconds at 1,000 accounts, and the main report
    shows in full only the exceptions; so results are masked where they are shown:
    ``report_run`` (exceptions masked; passes feed the pass table, which masks the names it
    prints), ``masked`` (one pack's results), ``run`` (all of them, on first use)."""

    checked: CheckRun  # as checked, unmasked: read it through the accessors below
    catalog: Catalog
    redactor: Redactor | None
    snapshot_ids: list[int]
    controls: dict[str, Control]
    judged: list[str]  # control ids, catalog order
    accounts: dict[str, AccountInfo]
    account_ids: list[str]
    placements: dict[str, OrgPlacement]
    cover: Cover
    errors: list[CollectionErrorRow]
    snapshot_hashes: dict[int, str | None]

    def masked(self, results: list[Result]) -> list[Result]:
        """``results`` as the report shows them: masked when it is redacted."""
        if self.redactor is None:
            return results
        return [redact_result(r, self.redactor) for r in results]

    @cached_property
    def run(self) -> CheckRun:
        """The whole run as the report shows it (machine formats, the web view)."""
        return replace(self.checked, results=self.masked(self.checked.results))

    @cached_property
    def report_run(self) -> CheckRun:
        """The main report's run: the exceptions masked, the passes as checked."""
        if self.redactor is None:
            return self.checked
        results = self.checked.results
        return replace(
            self.checked,
            results=[r if r.status == "pass" else redact_result(r, self.redactor) for r in results],
        )


def report_basis(
    con: duckdb.DuckDBPyConnection,
    run: CheckRun,
    catalog: Catalog,
    redact: bool,
    title: str | None,
    *,
    now: datetime | None = None,
) -> ReportBasis:
    ids = report_snapshot_ids(run)
    # The digest of the verdicts as checked, once: the cover prints it and every masked
    # copy of the run keeps it (CheckRun.checked_sha256).
    run = replace(run, checked_sha256=run.digest())
    redactor = report_redactor(con, run) if redact else None
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
    hashes: dict[int, str | None] = {
        int(sid): sha
        for sid, sha in con.execute(
            "SELECT snapshot_id, sha256 FROM snapshot WHERE list_contains(?, snapshot_id)", [ids]
        ).fetchall()
    }
    return ReportBasis(
        checked=run,
        catalog=catalog,
        redactor=redactor,
        snapshot_ids=ids,
        controls=controls,
        judged=judged,
        accounts=accounts,
        account_ids=account_ids,
        placements=placements(con, ids),
        cover=cover,
        errors=errors,
        snapshot_hashes=hashes,
    )


def views_sql() -> list[SqlText]:
    return [
        SqlText(f"watchkeeper/queries/sql/{n}", sql_text(n)) for n in ("chain.sql", "results.sql")
    ]


def errors_of(basis: ReportBasis, account_id: str | None = None) -> list[ErrorRow]:
    rows = [e for e in basis.errors if account_id is None or e["account_id"] == account_id]
    return error_rows(rows, basis.redactor)


def _exception(r: Result) -> bool:
    return r.status != "pass"


def build_report(
    con: duckdb.DuckDBPyConnection,
    run: CheckRun,
    catalog: Catalog,
    redact: bool,
    title: str | None,
    *,
    now: datetime | None = None,
    basis: ReportBasis | None = None,
) -> ReportModel:
    """The main report of ``run``: every exception in full, every pass on one line."""
    b = basis or report_basis(con, run, catalog, redact, title, now=now)
    run = b.report_run
    # No pass is drawn as a verdict here: a passing cell links to its account's line.
    summary = summary_of(
        run, b.judged, b.controls, b.accounts, b.account_ids, b.placements, pass_lines=True
    )
    raw = RawIndex(con, b.snapshot_ids, b.redactor)
    sections = control_sections(
        run, b.judged, b.controls, b.accounts, raw, b.redactor, shown=_exception
    )
    order = {cid: i for i, cid in enumerate(b.judged)}
    usual = usual_chains(run.results, order, b.redactor)
    return ReportModel(
        cover=b.cover,
        summary=summary,
        controls=sections,
        raw_objects=[compact(o) for o in raw.objects.values()],
        collection_errors=errors_of(b),
        rerun_commands=rerun_commands(run),
        views_sql=views_sql(),
        # The results drawn in full, masked: the passes (not all masked) are in `passing`.
        run=replace(run, results=[r for r in run.results if _exception(r)]),
        passing=pass_groups(run.results, b.accounts, order, b.snapshot_hashes, usual, b.redactor),
        usual_chains=usual,
        remediation=remediation_rows(con, b.account_ids),
    )
