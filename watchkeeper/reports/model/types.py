"""The report's parts as typed data: what the HTML/PDF templates lay out, field by field.

Plain frozen dataclasses and no logic beyond display labels; `build` fills them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from watchkeeper.analyst.timeline import TimelineData
from watchkeeper.queries.results import CheckRun, Status
from watchkeeper.reports.model.fixes import RemediationRow
from watchkeeper.reports.model.remediation import Command

__all__ = [
    "AccountInfo",
    "AccountVerdict",
    "AttestationInfo",
    "ChainBox",
    "CheckKey",
    "ControlSection",
    "Cover",
    "Coverage",
    "DrillGroup",
    "ErrorRow",
    "FailingItem",
    "HubInfo",
    "LinkCheck",
    "LinkState",
    "MatrixCell",
    "MatrixColumn",
    "MatrixRow",
    "OrgMatrix",
    "PassGroup",
    "PassLine",
    "RateCell",
    "RateRow",
    "RawObject",
    "RawRef",
    "ReportModel",
    "SqlText",
    "Summary",
    "TimelineView",
    "UsualChain",
]

LinkState = Literal["held", "broken", "unknown", "absent"]


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    aliases: list[str]
    organization_id: str | None
    collection_status: str | None

    @property
    def label(self) -> str:
        return f"{self.account_id} ({', '.join(self.aliases)})" if self.aliases else self.account_id


@dataclass(frozen=True)
class Cover:
    title: str
    benchmark: str
    benchmark_version: str
    profile: str
    organizations: list[str]
    accounts: list[AccountInfo]
    regions: list[str]
    snapshot_id: int
    snapshot_ids: list[int]
    collected_at: str
    finished_at: str | None
    collector_identity: str | None
    collector_version: str | None
    checked_at: str
    report_time: str
    tool_version: str
    run_id: int | None
    snapshot_sha256: str | None
    results_sha256: str
    redacted: bool


@dataclass(frozen=True)
class MatrixCell:
    control_id: str
    status: Status | None  # None: no result for this pair (control not judged there)
    anchor: str | None


@dataclass(frozen=True)
class MatrixRow:
    account: AccountInfo
    cells: list[MatrixCell]


@dataclass(frozen=True)
class MatrixColumn:
    control_id: str
    title: str
    anchor: str


@dataclass(frozen=True)
class FailingItem:
    control_id: str
    title: str
    account_id: str
    status: Status
    reason: str
    anchor: str


@dataclass(frozen=True)
class RateCell:
    control_id: str
    passed: int
    judged: int
    worst: Status | None  # the worst verdict in the group: its symbol carries the cell

    @property
    def percent(self) -> int:
        # Floor, so 999 of 1,000 never reads as 100 %.
        return self.passed * 100 // self.judged if self.judged else 0


@dataclass(frozen=True)
class RateRow:
    label: str  # an OU path, or "All accounts" when the snapshot has no OU data
    accounts: int
    cells: list[RateCell]
    anchor: str  # its drill-down, when it has failing accounts


@dataclass(frozen=True)
class DrillGroup:
    anchor: str
    label: str
    accounts: int  # accounts in the group; ``rows`` holds only those with an exception
    rows: list[MatrixRow]


@dataclass(frozen=True)
class OrgMatrix:
    """Pass rates per OU (or overall) and control, then the accounts that are not clean:
    its size follows the OUs and the failures, not the number of accounts."""

    by_ou: bool
    rows: list[RateRow]
    drill: list[DrillGroup]


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]
    total: int
    columns: list[MatrixColumn]
    rows: list[MatrixRow]  # per account; empty when matrix_kind says otherwise
    failing: list[FailingItem]
    org: OrgMatrix | None = None  # by OU or per control (queries.summary.matrix_kind)


@dataclass(frozen=True)
class LinkCheck:
    link: str
    label: str
    state: LinkState
    literal: bool
    in_profile: bool  # the literal profile judges only the benchmark's own audit steps


@dataclass(frozen=True)
class ChainBox:
    kind: str
    label: str
    name: str | None  # None: the object was not found
    arn: str | None
    details: list[tuple[str, str]]
    checks: list[LinkCheck]
    state: LinkState
    # In an evidence pack: a held object many of the account's chains pass through (its
    # trail, topic), drawn in full once under "Shared chain objects".
    shared: bool = False
    # In an evidence pack: every check holds and is the one its kind's key lists, so the
    # box gives their number and the pack lists the checks once ("What each link checks").
    keyed: bool = False


@dataclass(frozen=True)
class CheckKey:
    """The checks of one kind of box (label), in chain order; each with whether the
    run's profile judges it."""

    label: str
    checks: list[tuple[str, bool]]


@dataclass(frozen=True)
class Coverage:
    required_pattern: str | None
    filter_pattern: str | None
    covered: bool | None
    reason: str | None
    counterexample: str | None  # pretty JSON
    test_command: str | None
    # Accounts built from one template share filters: the same counterexample is shown once,
    # at the first verdict that has it, and the others point there.
    same_as: str | None = None
    same_as_account: str | None = None


@dataclass(frozen=True)
class AttestationInfo:
    justification: str
    evidence: str
    approver: str
    expires: str
    source: str
    active: bool


@dataclass(frozen=True)
class HubInfo:
    enabled_regions: list[str]
    disabled_regions: list[str]
    unknown_regions: list[str]
    hub_arns: list[str]


@dataclass(frozen=True)
class ErrorRow:
    account_id: str | None
    region: str | None
    service: str
    operation: str
    error_code: str
    message: str


@dataclass(frozen=True)
class RawRef:
    kind: str
    title: str
    anchor: str


@dataclass(frozen=True)
class AccountVerdict:
    anchor: str
    control_id: str
    account: AccountInfo
    status: Status
    reason: str
    region: str | None
    resource: str | None
    profile: str
    failed_link: str | None
    candidates: int | None
    boxes: list[ChainBox]
    coverage: Coverage | None
    commands: list[Command]
    attestation: AttestationInfo | None
    hub: HubInfo | None
    errors: list[ErrorRow]
    raw: list[RawRef]


@dataclass(frozen=True)
class ControlSection:
    anchor: str
    control_id: str
    title: str
    kind: str
    level: int
    assessment: str
    security_hub_id: str | None
    description: str
    rationale: str
    impact: str
    audit: str
    remediation: str
    required_patterns: list[str]
    metric_name: str | None
    metric_namespace: str | None
    notes: str | None
    sql_path: str
    sql: str
    counts: dict[str, int]
    verdicts: list[AccountVerdict]


@dataclass(frozen=True)
class UsualChain:
    """A control's usual chain: the names most of its passing results share, printed once
    so that an account's line need only show where its chain differs."""

    control_id: str
    names: list[tuple[str, str]]  # (box label, object name), chain order
    note: str | None  # what stands in for a chain (Security Hub regions), if most share it
    passing: int  # passing results of the control
    usual: int  # of those, how many have exactly these names and note


@dataclass(frozen=True)
class PassLine:
    """One passing result in the main report's compact table: its control id on the
    account's line, with the names (and note, snapshot) where it differs from the usual."""

    control_id: str
    names: list[tuple[str, str]]  # (box label, object name) unlike the usual chain's
    note: str | None  # unlike the usual note: Security Hub regions, or an attester
    snapshot_id: int
    snapshot_sha256: str | None
    usual: bool  # names, note and snapshot all as usual: the control id says it all


@dataclass(frozen=True)
class PassGroup:
    """An account's passing results on one line; a deviation every one of its chains shares
    (its own trail, say) is said once on that line."""

    # The line's one anchor: the matrix links each pass here (an anchor per control cost
    # WeasyPrint ~35 CPU-s at 16,000 passes).
    anchor: str
    account: AccountInfo
    shared: list[tuple[str, str]]  # deviations all of the account's chains have
    snapshot_id: int  # the snapshot most of the account's verdicts were drawn from
    snapshot_sha256: str | None
    lines: list[PassLine]


@dataclass(frozen=True)
class RawObject:
    anchor: str
    kind: str
    title: str
    account_id: str
    region: str | None
    json: str


@dataclass(frozen=True)
class SqlText:
    path: str
    text: str


@dataclass(frozen=True)
class TimelineView:
    """`report --timeline`: each control's verdict per account across snapshots."""

    data: TimelineData
    svg: str  # built by watchkeeper.svg.timeline_svg, labels escaped there


@dataclass(frozen=True)
class ReportModel:
    cover: Cover
    summary: Summary
    controls: list[ControlSection]
    raw_objects: list[RawObject]
    collection_errors: list[ErrorRow]
    rerun_commands: list[Command]
    views_sql: list[SqlText]  # the views every control's SQL reads
    # The run with the results drawn in full (the main report's exceptions, a pack's all),
    # already redacted when the report is.
    run: CheckRun
    timeline: TimelineView | None = None
    # The main report: `controls` hold only the exceptions, the passes are here.
    passing: list[PassGroup] | None = None
    usual_chains: list[UsualChain] | None = None  # the passing table's key
    # An evidence pack: the one account it covers (`controls` hold all its verdicts) and
    # the held objects its chains share, drawn once.
    pack_account: AccountInfo | None = None
    shared_boxes: list[ChainBox] | None = None
    check_key: list[CheckKey] | None = None  # a pack's checks per kind of box, listed once
    # `fix --apply` runs that wrote to the report's accounts (main report only).
    remediation: list[RemediationRow] | None = None
