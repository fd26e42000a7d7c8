"""History: the timeline per control and account (gaps included), a diff between two
snapshots (resources and verdicts), the stored check runs, the `fix --apply` runs and the
snapshots with their `verify` status."""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from watchkeeper.analyst.diff import DriftError, ResourceChange, SnapshotDiff, VerdictChange, diff
from watchkeeper.analyst.timeline import TimelineData, timeline_section
from watchkeeper.reports.model import TimelineView
from watchkeeper.serve.pages.common import BadRequest, Paging, paginate
from watchkeeper.serve.pages.fixes import FixRow, fix_rows
from watchkeeper.serve.store import DashboardStore, Lru, RunInfo, snapshot_key
from watchkeeper.store import SnapshotInfo, VerifyResult
from watchkeeper.svg import timeline_svg

__all__ = [
    "DiffPage",
    "HistoryCache",
    "HistoryPage",
    "diff_page",
    "history_page",
]

LANES_PER_PAGE = 40
Summary = dict[str, dict[str, int]]  # per table: added, removed, changed
CHANGES_PER_PAGE = 100


@dataclass(frozen=True)
class HistoryPage:
    benchmark: str
    control: str | None
    account: str | None
    timeline: TimelineView | None  # this page's lanes; None until a control or account is chosen
    timeline_paging: Paging | None
    controls: list[str]
    runs: list[RunInfo]
    snapshots: list[SnapshotInfo]
    verified: dict[int, VerifyResult]
    fixes: list[FixRow]  # the newest `fix --apply` runs
    fixes_total: int


@dataclass(frozen=True)
class DiffPage:
    diff: SnapshotDiff
    summary: Summary
    resources: list[ResourceChange]  # this page's
    paging: Paging
    verdicts: list[VerdictChange]  # this page's
    verdict_paging: Paging
    snapshots: list[SnapshotInfo]


class HistoryCache:
    """Timelines and diffs are pure functions of the (immutable) snapshots they read."""

    def __init__(self) -> None:
        self.timelines: Lru[tuple[object, ...], TimelineData] = Lru(16)
        self.diffs: Lru[tuple[object, ...], tuple[SnapshotDiff, Summary]] = Lru(8)


def history_page(
    store: DashboardStore,
    cache: HistoryCache,
    benchmark: str,
    controls: list[str],
    *,
    control: str | None,
    account: str | None,
    page: int | None,
) -> HistoryPage:
    if control and control not in controls:
        raise BadRequest(f"control {control} is not in {benchmark}")
    snapshots = store.snapshots()
    timeline = timeline_paging = None
    if control or account:
        key = (snapshot_key(snapshots), benchmark, control, account)
        with store.cursor() as con:
            data = cache.timelines.get_or(
                key,
                lambda: timeline_section(
                    con,
                    benchmark=benchmark,
                    controls=(control,) if control else (),
                    accounts=(account,) if account else (),
                ),
            )
        timeline_paging, shown = paginate(len(data.lanes), page, LANES_PER_PAGE)
        part = replace(data, lanes=data.lanes[shown])
        timeline = TimelineView(part, timeline_svg(part))
    with store.cursor() as con:  # read afresh: complete_run fills a row in after the re-check
        fixes, fixes_total = fix_rows(con, snapshots)
    return HistoryPage(
        benchmark=benchmark,
        control=control,
        account=account,
        timeline=timeline,
        timeline_paging=timeline_paging,
        controls=controls,
        runs=store.runs(),
        snapshots=sorted(snapshots, key=lambda s: -s.snapshot_id),
        verified=store.verified(snapshots),
        fixes=fixes,
        fixes_total=fixes_total,
    )


def diff_page(
    store: DashboardStore,
    cache: HistoryCache,
    benchmark: str,
    from_id: int | None,
    to_id: int | None,
    page: int | None,
    verdict_page: int | None = None,
) -> DiffPage:
    snapshots = store.snapshots()
    if sum(1 for s in snapshots if s.status == "complete") < 2:
        raise BadRequest("a diff needs two complete snapshots; this store holds fewer")

    def compute(con: duckdb.DuckDBPyConnection) -> tuple[SnapshotDiff, Summary]:
        try:
            found = diff(con, from_id, to_id, benchmark)
        except DriftError as exc:
            raise BadRequest(str(exc)) from None
        return found, found.summary()

    key = (snapshot_key(snapshots), benchmark, from_id, to_id)
    with store.cursor() as con:
        result, summary = cache.diffs.get_or(key, lambda: compute(con))
    paging, shown = paginate(len(result.resources), page, CHANGES_PER_PAGE)
    vpaging, vshown = paginate(len(result.verdicts), verdict_page, CHANGES_PER_PAGE)
    return DiffPage(
        diff=result,
        summary=summary,
        resources=result.resources[shown],
        paging=paging,
        verdicts=result.verdicts[vshown],
        verdict_paging=vpaging,
        snapshots=sorted(snapshots, key=lambda s: -s.snapshot_id),
    )
