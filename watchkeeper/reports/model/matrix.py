"""The summary's matrix at organisation scale: pass rates per OU (or overall) and control,
then a drill-down to the accounts that have an exception, grouped by OU.

Per-account rows for every account read well for a handful of accounts and not at all for
a thousand: which of the two leads is queries.summary.matrix_kind's one rule, shared with the
terminal and the e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping

from watchkeeper.queries.org import OrgPlacement, ou_label
from watchkeeper.queries.results import STATUS_ORDER, Result, Status
from watchkeeper.reports.model.display import anchor, pass_anchor
from watchkeeper.reports.model.types import (
    AccountInfo,
    DrillGroup,
    MatrixCell,
    MatrixRow,
    OrgMatrix,
    RateCell,
    RateRow,
)

__all__ = ["ALL_ACCOUNTS", "account_rows", "org_matrix"]

ALL_ACCOUNTS = "All accounts"


def _cell(
    by_pair: Mapping[tuple[str, str], Result], cid: str, a: str, pass_lines: bool
) -> MatrixCell:
    r = by_pair.get((cid, a))
    if r is None:
        return MatrixCell(cid, None, None)
    if r.status == "pass" and pass_lines:
        return MatrixCell(cid, r.status, pass_anchor(a))
    return MatrixCell(cid, r.status, anchor("v", cid, a))


def account_rows(
    by_pair: Mapping[tuple[str, str], Result],
    judged: list[str],
    accounts: Mapping[str, AccountInfo],
    account_ids: list[str],
    pass_lines: bool = False,
) -> list[MatrixRow]:
    """One row of verdict symbols per account, each cell linking to its verdict; with
    ``pass_lines`` a pass links to its account's pass line instead (display.pass_anchor:
    the main report draws no pass as a verdict, a pack draws every one)."""
    return [
        MatrixRow(accounts[a], [_cell(by_pair, cid, a, pass_lines) for cid in judged])
        for a in account_ids
    ]


def _worst(statuses: list[Status]) -> Status | None:
    # STATUS_ORDER puts fail first and pass last: the first in that order is the worst.
    if not statuses:
        return None
    return min(statuses, key=lambda s: STATUS_ORDER[str(s)])


def org_matrix(
    results: list[Result],
    judged: list[str],
    accounts: Mapping[str, AccountInfo],
    account_ids: list[str],
    placements: Mapping[str, OrgPlacement],
    pass_lines: bool = False,
) -> OrgMatrix:
    by_pair = {(r.control_id, r.account_id): r for r in results}
    by_ou = bool(placements)
    groups: dict[str, list[str]] = {}
    for a in account_ids:
        groups.setdefault(ou_label(placements, a) if by_ou else ALL_ACCOUNTS, []).append(a)
    rows: list[RateRow] = []
    drill: list[DrillGroup] = []
    for label in sorted(groups):
        members = groups[label]
        here = anchor("ou", label)
        cells = []
        for cid in judged:
            statuses = [by_pair[(cid, a)].status for a in members if (cid, a) in by_pair]
            cells.append(
                RateCell(
                    cid, sum(1 for s in statuses if s == "pass"), len(statuses), _worst(statuses)
                )
            )
        rows.append(RateRow(label, len(members), cells, here))
        unclean = [
            a
            for a in members
            if any(by_pair[(cid, a)].status != "pass" for cid in judged if (cid, a) in by_pair)
        ]
        if unclean:
            drill.append(
                DrillGroup(
                    here,
                    label,
                    len(members),
                    account_rows(by_pair, judged, accounts, unclean, pass_lines),
                )
            )
    return OrgMatrix(by_ou, rows, drill)
