"""Control: the benchmark text, then one verdict per account, failing first, filterable by
status, OU and account, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.queries.catalog import Control
from watchkeeper.queries.org import UNPLACED
from watchkeeper.queries.results import STATUSES, Result
from watchkeeper.serve.pages.common import BadRequest, Paging, paginate
from watchkeeper.serve.store import NotFound, RunView

__all__ = ["ControlPage", "VerdictRow", "control_page"]


@dataclass(frozen=True)
class VerdictRow:
    account_id: str
    account_label: str
    ou: str
    status: str
    reason: str
    region: str | None


@dataclass(frozen=True)
class ControlPage:
    control: Control
    counts: dict[str, int]  # over every account, whatever the filter
    rows: list[VerdictRow]
    paging: Paging
    status: str | None
    ou: str | None
    account: str | None
    ous: list[str]  # the OUs of the run, for the filter; empty without OU data
    sql_path: str


def _row(view: RunView, r: Result) -> VerdictRow:
    return VerdictRow(
        r.account_id,
        view.basis.accounts[r.account_id].label,
        view.ou_of.get(r.account_id, UNPLACED),
        r.status,
        r.reason,
        r.region,
    )


def _under(path: str, ou: str) -> bool:
    """``path`` is the OU ``ou`` or one below it."""
    return path == ou or path.startswith(ou.rstrip("/") + "/")


def control_page(
    view: RunView,
    control_id: str,
    *,
    status: str | None = None,
    ou: str | None = None,
    account: str | None = None,
    page: int | None = None,
) -> ControlPage:
    control = view.basis.controls.get(control_id)
    results = view.by_control.get(control_id)
    if control is None or results is None:
        raise NotFound(f"control {control_id} was not judged in run {view.info.run_id}")
    if status and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    if ou and not any(_under(p, ou) for p in view.ou_of.values()):
        raise BadRequest(f"no account of run {view.info.run_id} is in OU {ou}")
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r.status] += 1
    chosen = [
        r
        for r in results
        if (not status or r.status == status)
        and (not account or account in r.account_id)
        and (not ou or _under(view.ou_of.get(r.account_id, UNPLACED), ou))
    ]
    paging, shown = paginate(len(chosen), page)
    return ControlPage(
        control=control,
        counts=counts,
        rows=[_row(view, r) for r in chosen[shown]],
        paging=paging,
        status=status or None,
        ou=ou or None,
        account=account or None,
        ous=sorted({p for p in view.ou_of.values() if p != UNPLACED}),
        sql_path=results[0].evidence["sql"],
    )
