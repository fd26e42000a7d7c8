"""Overview: the latest run per benchmark, its counts, the accounts × controls matrix (by
OU from MAX_ACCOUNT_COLUMNS accounts on, queries.summary's rule) and the trend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.queries.summary import FailureGroup, Matrix
from watchkeeper.serve.charts import trend_svg
from watchkeeper.serve.pages.common import Paging, paginate
from watchkeeper.serve.store import DashboardStore, RunInfo, RunView

__all__ = ["OverviewPage", "overview"]

FAILURE_GROUPS_SHOWN = 25


@dataclass(frozen=True)
class OverviewPage:
    latest: list[RunInfo]  # the latest whole-estate run of each benchmark
    current: RunInfo
    pinned: bool
    counts: dict[str, int]
    matrix: Matrix
    titles: dict[str, str]  # control id → title
    failures: list[FailureGroup]
    failures_paging: Paging
    trend: list[dict[str, Any]]
    trend_svg: str


def overview(
    store: DashboardStore, view: RunView, pinned: bool, page: int | None = None
) -> OverviewPage:
    info = view.info
    paging, shown = paginate(len(view.summary.failures), page, FAILURE_GROUPS_SHOWN)
    trend = store.trend(info.benchmark)
    return OverviewPage(
        latest=store.latest_runs(),
        current=info,
        pinned=pinned,
        counts={str(k): n for k, n in view.summary.counts.items()},
        matrix=view.summary.matrix,
        titles={cid: c.title for cid, c in view.basis.controls.items()},
        failures=list(view.summary.failures[shown]),
        failures_paging=paging,
        trend=trend,
        trend_svg=trend_svg(trend),
    )
