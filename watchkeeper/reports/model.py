"""The evidence report as typed data: everything the HTML/PDF templates show, computed once.

Templates only lay this out; every decision (what is broken, which command fixes it, what
is masked) is made here, so the HTML, the PDF and the tests see the same facts.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from watchkeeper import __version__
from watchkeeper.analyst.drift import TimelineData
from watchkeeper.jsonutil import loads_lenient
from watchkeeper.queries.catalog import Catalog, Control
from watchkeeper.queries.check import control_sql, sql_text
from watchkeeper.queries.check import rows as _rows
from watchkeeper.queries.results import (
    STATUS_ORDER,
    STATUSES,
    CheckRun,
    Result,
    Status,
    results_digest,
)
from watchkeeper.reports.redact import Redactor

__all__ = [
    "LINK_LABELS",
    "AccountInfo",
    "AccountVerdict",
    "ChainBox",
    "Command",
    "ControlSection",
    "Cover",
    "ErrorRow",
    "LinkCheck",
    "MatrixRow",
    "RawObject",
    "ReportModel",
    "SqlText",
    "Summary",
    "build_report",
]

LinkState = Literal["held", "broken", "unknown", "absent"]

# Which box of the drawn chain each link belongs to, in chain order.
BOX_LINKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "trail",
        "CloudTrail trail",
        (
            "trail_multi_region",
            "trail_logging",
            "trail_management_events",
            "trail_sources_kept",
            "trail_delivers_to_logs",
            "trail_delivery_healthy",
        ),
    ),
    ("log_group", "Log group", ("log_group_exists",)),
    ("metric_filter", "Metric filter", ("filter_exists", "filter_covers_pattern")),
    (
        "metric",
        "Metric",
        ("metric_value_positive", "metric_namespace_matches", "metric_dimensions_match"),
    ),
    (
        "alarm",
        "Alarm",
        (
            "alarm_exists",
            "alarm_actions_enabled",
            "alarm_fires_on_one_event",
            "alarm_notifies_topic",
        ),
    ),
    ("topic", "SNS topic", ("topic_exists", "topic_accepts_alarms")),
    ("subscribers", "Subscribers", ("subscriber_confirmed",)),
)

LINK_LABELS: dict[str, str] = {
    "trail_multi_region": "multi-region",
    "trail_logging": "logging",
    "trail_management_events": "all management events",
    "trail_sources_kept": "no needed source excluded",
    "trail_delivers_to_logs": "delivers to CloudWatch Logs",
    "trail_delivery_healthy": "delivery healthy",
    "log_group_exists": "exists",
    "filter_exists": "exists on the log group",
    "filter_covers_pattern": "covers the required pattern",
    "metric_value_positive": "metric value positive",
    "metric_namespace_matches": "alarm watches this namespace",
    "metric_dimensions_match": "dimensions match",
    "alarm_exists": "exists",
    "alarm_actions_enabled": "actions enabled",
    "alarm_fires_on_one_event": "fires on one event",
    "alarm_notifies_topic": "notifies an SNS topic",
    "topic_exists": "exists",
    "topic_accepts_alarms": "accepts alarm messages",
    "subscriber_confirmed": "a confirmed subscriber",
}

_DEFAULT_NAMESPACE = "CISBenchmark"


# --- the model ---------------------------------------------------------------------------


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
class Summary:
    counts: dict[str, int]
    total: int
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    failing: list[FailingItem]


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
class Command:
    purpose: str
    text: str


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
    svg: str  # built by analyst.drift.timeline_svg, labels escaped there


@dataclass(frozen=True)
class ReportModel:
    cover: Cover
    summary: Summary
    controls: list[ControlSection]
    raw_objects: list[RawObject]
    collection_errors: list[ErrorRow]
    rerun_commands: list[Command]
    views_sql: list[SqlText]  # the views every control's SQL reads
    run: CheckRun  # already redacted when the report is
    timeline: TimelineView | None = None


# --- helpers -----------------------------------------------------------------------------


def _anchor(*parts: object) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "_", str(p)).strip("_") for p in parts)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str) if value else "none"
    return str(value)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _q(*args: str) -> str:
    return " ".join(shlex.quote(a) if not a.startswith("--") else a for a in args)


def run_endpoints(run: CheckRun) -> set[str]:
    """The subscriber endpoints the run's evidence names."""
    found: set[str] = set()
    for r in run.results:
        for sub in (r.evidence.get("chain") or {}).get("subscriptions") or []:
            if sub.get("endpoint"):
                found.add(str(sub["endpoint"]))
    return found


def snapshot_endpoints(con: duckdb.DuckDBPyConnection, snapshot_ids: list[int]) -> set[str]:
    """Every subscriber endpoint collected in these snapshots."""
    rows = con.execute(
        "SELECT DISTINCT endpoint FROM history.aws_sns_topic_subscription "
        "WHERE list_contains(?, snapshot_id) AND endpoint IS NOT NULL",
        [[int(i) for i in snapshot_ids]],
    ).fetchall()
    return {str(r[0]) for r in rows}


def report_snapshot_ids(run: CheckRun) -> list[int]:
    """The snapshots a report of ``run`` reads: the judged one and any it merged."""
    return sorted({*run.snapshot_ids, run.snapshot.id})


def report_redactor(con: duckdb.DuckDBPyConnection, run: CheckRun) -> Redactor:
    """Masks every subscriber endpoint the run or its snapshots name."""
    return Redactor(run_endpoints(run) | snapshot_endpoints(con, report_snapshot_ids(run)))


def redact_run(run: CheckRun, redactor: Redactor | None = None) -> CheckRun:
    """The run with subscriber endpoints masked everywhere (reasons and evidence too)."""
    redactor = redactor or Redactor(run_endpoints(run))
    results = [
        Result(
            **{
                **r.__dict__,
                "reason": redactor.text(r.reason),
                "evidence": redactor.json(r.evidence),
            }
        )
        for r in run.results
    ]
    return CheckRun(**{**run.__dict__, "results": results})


# --- raw API objects ---------------------------------------------------------------------


class _RawIndex:
    """The collected API objects of the run's snapshots, looked up by the names in a chain.

    Each object is loaded once per table (one query each, not one per verdict) and given
    one appendix entry however many verdicts cite it.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot_ids: list[int],
        redactor: Redactor | None,
    ):
        self.redactor = redactor
        self.objects: dict[tuple[str, ...], RawObject] = {}
        ids = [int(i) for i in snapshot_ids]

        def load(table: str, columns: str, order: str = "") -> list[dict[str, Any]]:
            return _rows(
                con,
                f"SELECT snapshot_id, account_id, region, {columns}, raw FROM history.{table} "
                f"WHERE list_contains(?, snapshot_id) {order}",
                [ids],
            )

        def keyed(found: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], Any]:
            return {(r["snapshot_id"], *(r[k] for k in key)): r for r in found}

        def grouped(found: list[dict[str, Any]], key: str) -> dict[tuple[int, str], Any]:
            groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
            for r in found:
                groups.setdefault((r["snapshot_id"], r[key]), []).append(r)
            return groups

        # Later rows win: the home-region copy listed by the owner.
        self.trails = keyed(
            load(
                "aws_cloudtrail_trail",
                "arn, name, raw_status, raw_event_selectors",
                "ORDER BY is_shadow DESC, (account_id = owner_account_id)",
            ),
            "arn",
        )
        self.log_groups = keyed(
            load("aws_cloudwatch_log_group", "name, arn"), "account_id", "region", "name"
        )
        self.filters = keyed(
            load("aws_cloudwatch_log_metric_filter", "log_group_name, name"),
            "account_id",
            "region",
            "log_group_name",
            "name",
        )
        self.alarms = keyed(load("aws_cloudwatch_alarm", "name, arn"), "arn")
        self.topics = keyed(load("aws_sns_topic", "name, topic_arn"), "topic_arn")
        self.subscriptions = grouped(
            load(
                "aws_sns_topic_subscription",
                "topic_arn, subscription_arn",
                "ORDER BY subscription_arn",
            ),
            "topic_arn",
        )
        self.hubs = grouped(
            load("aws_securityhub_hub", "subscribed, hub_arn", "ORDER BY region"), "account_id"
        )

    def _add(
        self, key: tuple[str, ...], kind: str, title: str, row: dict[str, Any], value: Any
    ) -> RawRef:
        obj = self.objects.get(key)
        if obj is None:
            if self.redactor is not None:
                value = self.redactor.json(value)
                title = self.redactor.text(title)
            obj = RawObject(
                anchor=f"raw-{len(self.objects) + 1}",
                kind=kind,
                title=title,
                account_id=str(row["account_id"]),
                region=row.get("region"),
                json=_pretty(value),
            )
            self.objects[key] = obj
        return RawRef(kind, obj.title, obj.anchor)

    def _ref(
        self,
        kind_key: str,
        kind: str,
        table: dict[Any, dict[str, Any]],
        lookup: tuple[Any, ...],
        title: Callable[[dict[str, Any]], str],
        value: Callable[[dict[str, Any]], Any] = lambda row: loads_lenient(row["raw"]),
    ) -> RawRef | None:
        """The appendix entry of the row ``table`` holds under ``lookup``, if it holds one."""
        row = table.get(lookup)
        if row is None:
            return None
        return self._add((kind_key, *map(str, lookup)), kind, title(row), row, value(row))

    def for_chain(self, snapshot_id: int, chain: dict[str, Any]) -> list[RawRef]:
        trail = chain.get("trail") or {}
        lg = chain.get("log_group") or {}
        mf = chain.get("metric_filter")
        alarm = chain.get("alarm")
        topic = chain.get("topic")
        lg_key = (snapshot_id, lg.get("account_id"), lg.get("region"), lg.get("name"))
        found = [
            self._ref(
                "trail",
                "trail",
                self.trails,
                (snapshot_id, trail.get("arn")),
                lambda row: row["arn"],
                lambda row: {
                    "DescribeTrails": loads_lenient(row["raw"]),
                    "GetTrailStatus": loads_lenient(row["raw_status"]),
                    "GetEventSelectors": loads_lenient(row["raw_event_selectors"]),
                },
            ),
            self._ref("log_group", "log group", self.log_groups, lg_key, lambda row: row["arn"]),
        ]
        if mf:
            found.append(
                self._ref(
                    "filter",
                    "metric filter",
                    self.filters,
                    (*lg_key, mf.get("name")),
                    lambda row: f"{row['log_group_name']} / {row['name']}",
                )
            )
        if alarm:
            found.append(
                self._ref(
                    "alarm",
                    "alarm",
                    self.alarms,
                    (snapshot_id, alarm.get("arn")),
                    lambda row: row["arn"],
                )
            )
        if topic:
            found.append(
                self._ref(
                    "topic",
                    "SNS topic",
                    self.topics,
                    (snapshot_id, topic.get("arn")),
                    lambda row: row["topic_arn"],
                )
            )
            for sub in self.subscriptions.get((snapshot_id, topic.get("arn")), []):
                found.append(
                    self._add(
                        ("subscription", str(snapshot_id), topic["arn"], sub["subscription_arn"]),
                        "subscription",
                        sub["subscription_arn"],
                        sub,
                        loads_lenient(sub["raw"]),
                    )
                )
        return [ref for ref in found if ref is not None]

    def for_hub(self, snapshot_id: int, account_id: str) -> list[RawRef]:
        refs = []
        for row in self.hubs.get((snapshot_id, account_id), []):
            value = loads_lenient(row["raw"])
            if value is None:
                value = {"subscribed": row["subscribed"], "note": "DescribeHub: not enabled"}
            refs.append(
                self._add(
                    ("hub", str(snapshot_id), account_id, row["region"]),
                    "Security Hub",
                    f"{account_id} {row['region']}",
                    row,
                    value,
                )
            )
        return refs


# --- chain boxes -------------------------------------------------------------------------


def _link_state(held: Any) -> LinkState:
    return "held" if held is True else "broken" if held is False else "unknown"


def _boxes(ev: dict[str, Any], profile: str) -> list[ChainBox]:
    chain: dict[str, Any] = ev.get("chain") or {}
    links = {x["link"]: x for x in ev.get("links") or []}
    trail = chain.get("trail") or {}
    lg = chain.get("log_group") or {}
    mf = chain.get("metric_filter")
    alarm = chain.get("alarm")
    topic = chain.get("topic")
    subs: list[dict[str, Any]] = chain.get("subscriptions") or []
    objects: dict[str, tuple[str | None, str | None, list[tuple[str, str]]]] = {
        "trail": (
            trail.get("name"),
            trail.get("arn"),
            [
                ("home region", _text(trail.get("home_region"))),
                ("owner", _text(trail.get("owner_account_id"))),
                ("organization trail", _text(trail.get("is_organization_trail"))),
                ("multi-region", _text(trail.get("is_multi_region_trail"))),
                ("logging", _text(trail.get("is_logging"))),
                ("log group ARN", _text(trail.get("cloudwatch_logs_log_group_arn"))),
            ],
        ),
        "log_group": (
            lg.get("name") if lg.get("exists") else None,
            lg.get("arn"),
            [("account / region", f"{_text(lg.get('account_id'))} / {_text(lg.get('region'))}")],
        ),
        "metric_filter": (
            mf["name"] if mf else None,
            None,
            [("pattern", _text(mf.get("pattern")))] if mf else [],
        ),
        "metric": (
            f"{mf.get('metric_namespace')}/{mf.get('metric_name')}" if mf else None,
            None,
            [
                ("value", _text(mf.get("metric_value"))),
                ("default", _text(mf.get("default_value"))),
                ("dimensions", _text(mf.get("dimensions"))),
            ]
            if mf
            else [],
        ),
        "alarm": (
            alarm["name"] if alarm else None,
            alarm.get("arn") if alarm else None,
            [
                ("watches", f"{_text(alarm.get('namespace'))}"),
                (
                    "rule",
                    f"{_text(alarm.get('statistic'))} {_text(alarm.get('comparison_operator'))} "
                    f"{_text(alarm.get('threshold'))} over {_text(alarm.get('period'))}s, "
                    f"{_text(alarm.get('datapoints_to_alarm') or alarm.get('evaluation_periods'))}"
                    f" of {_text(alarm.get('evaluation_periods'))} periods",
                ),
                ("actions enabled", _text(alarm.get("actions_enabled"))),
                ("SNS actions", ", ".join(alarm.get("sns_actions") or []) or "none"),
            ]
            if alarm
            else [],
        ),
        "topic": (
            topic["name"] if topic else None,
            topic.get("arn") if topic else None,
            [
                ("KMS key", _text(topic.get("kms_master_key_id"))),
                (
                    "confirmed / pending",
                    f"{topic.get('confirmed_subscriptions') or 0} / "
                    f"{topic.get('pending_subscriptions') or 0}",
                ),
            ]
            if topic
            else [],
        ),
        "subscribers": (
            f"{sum(1 for s in subs if s.get('confirmed'))} confirmed of {len(subs)}"
            if subs
            else None,
            None,
            [
                (
                    _text(s.get("protocol")),
                    f"{_text(s.get('endpoint'))} "
                    f"({'confirmed' if s.get('confirmed') else 'pending'})",
                )
                for s in subs
            ],
        ),
    }
    out: list[ChainBox] = []
    for kind, label, names in BOX_LINKS:
        checks = [
            LinkCheck(
                link=n,
                label=LINK_LABELS[n],
                state=_link_state(links[n]["held"]),
                literal=bool(links[n].get("literal")),
                in_profile=profile != "literal" or bool(links[n].get("literal")),
            )
            for n in names
            if n in links
        ]
        name, arn, details = objects[kind]
        judged = [c for c in checks if c.in_profile]
        state: LinkState
        if any(c.state == "broken" for c in judged):
            state = "broken"
        elif any(c.state == "unknown" for c in judged):
            state = "unknown"
        elif name is None:
            state = "absent"
        else:
            state = "held"
        out.append(ChainBox(kind, label, name, arn, details, checks, state))
    return out


# --- remediation with real names ---------------------------------------------------------


def _commands(control: Control, r: Result) -> list[Command]:
    ev = r.evidence
    if r.status != "fail":
        # pass: nothing to fix; error: the collection, not the account, needs fixing;
        # manual: attested as monitored elsewhere.
        return []
    if control.kind == "security_hub":
        return [
            Command(
                f"Enable Security Hub in {region}",
                _q("aws", "securityhub", "enable-security-hub", "--region", region),
            )
            for region in ev.get("disabled_regions") or []
        ]
    acct = r.account_id
    chain: dict[str, Any] = ev.get("chain") or {}
    broken = {x["link"] for x in ev.get("links") or [] if x.get("held") is False}
    if not chain:
        # No trail at all: every link of the chain is missing.
        broken = {
            "no_trail",
            "filter_exists",
            "alarm_exists",
            "topic_exists",
            "subscriber_confirmed",
        }
    if not broken:
        return []  # unknown links: the collection, not the account, needs fixing
    trail = chain.get("trail") or {}
    lg = chain.get("log_group") or {}
    mf = chain.get("metric_filter") or {}
    alarm = chain.get("alarm") or {}
    topic = chain.get("topic") or {}
    region = lg.get("region") or trail.get("home_region") or r.region or "us-east-1"
    trail_name = trail.get("name") or "<trail-name>"
    cmds: list[Command] = []

    def add(purpose: str, *args: str) -> None:
        cmds.append(Command(purpose, _q(*args, "--region", region)))

    if "no_trail" in broken:
        lg_name = f"aws-cloudtrail-logs-{acct}"
        add(
            "Create the log group the trail will deliver to",
            "aws",
            "logs",
            "create-log-group",
            "--log-group-name",
            lg_name,
        )
        add(
            "Create a multi-region trail that delivers to it",
            "aws",
            "cloudtrail",
            "create-trail",
            "--name",
            "cis-management-events",
            "--s3-bucket-name",
            "<audit-log-bucket>",
            "--is-multi-region-trail",
            "--cloud-watch-logs-log-group-arn",
            f"arn:aws:logs:{region}:{acct}:log-group:{lg_name}:*",
            "--cloud-watch-logs-role-arn",
            "<role-arn-cloudtrail-can-assume>",
        )
        add(
            "Start logging", "aws", "cloudtrail", "start-logging", "--name", "cis-management-events"
        )
        lg = {"name": lg_name, "region": region}
    if "trail_multi_region" in broken:
        add(
            "Make the trail multi-region",
            "aws",
            "cloudtrail",
            "update-trail",
            "--name",
            trail_name,
            "--is-multi-region-trail",
        )
    if "trail_logging" in broken:
        add("Start the trail logging", "aws", "cloudtrail", "start-logging", "--name", trail_name)
    if broken & {"trail_management_events", "trail_sources_kept"}:
        add(
            "Record all management events, reads and writes, from every source",
            "aws",
            "cloudtrail",
            "put-event-selectors",
            "--trail-name",
            trail_name,
            "--event-selectors",
            '[{"ReadWriteType":"All","IncludeManagementEvents":true,'
            '"ExcludeManagementEventSources":[]}]',
        )
    if "trail_delivers_to_logs" in broken:
        lg = {"name": f"aws-cloudtrail-logs-{acct}", "region": region}
        add(
            "Create a log group for the trail",
            "aws",
            "logs",
            "create-log-group",
            "--log-group-name",
            lg["name"],
        )
        add(
            "Send the trail's events to it",
            "aws",
            "cloudtrail",
            "update-trail",
            "--name",
            trail_name,
            "--cloud-watch-logs-log-group-arn",
            f"arn:aws:logs:{region}:{acct}:log-group:{lg['name']}:*",
            "--cloud-watch-logs-role-arn",
            "<role-arn-cloudtrail-can-assume>",
        )
        broken |= {"filter_exists", "alarm_exists"}
        mf, alarm = {}, {}
    if "trail_delivery_healthy" in broken:
        add(
            "See why delivery to CloudWatch Logs fails (usually the role's permissions)",
            "aws",
            "cloudtrail",
            "get-trail-status",
            "--name",
            trail_name,
        )
    if "log_group_exists" in broken:
        add(
            "Create the log group the trail names",
            "aws",
            "logs",
            "create-log-group",
            "--log-group-name",
            lg.get("name") or "<log-group>",
        )
    lg_name = lg.get("name") or "<log-group>"
    namespace = control.metric_namespace or _DEFAULT_NAMESPACE
    metric = control.metric_name or f"{control.topic}_count"
    new_filter = bool(broken & {"filter_exists", "filter_covers_pattern"})
    if new_filter:
        # A new filter rather than rewriting the nearest one: that one may serve another
        # control (it was only the closest candidate for this one).
        add(
            "Create the metric filter with the required pattern",
            "aws",
            "logs",
            "put-metric-filter",
            "--log-group-name",
            lg_name,
            "--filter-name",
            f"cis-{control.topic}",
            "--filter-pattern",
            control.required_patterns[0] if control.required_patterns else "",
            "--metric-transformations",
            f"metricName={metric},metricNamespace={namespace},metricValue=1",
        )
    elif broken & {"metric_value_positive", "metric_dimensions_match"}:
        metric = mf.get("metric_name") or metric
        namespace = mf.get("metric_namespace") or namespace
        add(
            "Count each event once, without dimensions, on the existing filter",
            "aws",
            "logs",
            "put-metric-filter",
            "--log-group-name",
            lg_name,
            "--filter-name",
            mf.get("name") or f"cis-{control.topic}",
            "--filter-pattern",
            mf.get("pattern") or control.required_patterns[0],
            "--metric-transformations",
            f"metricName={metric},metricNamespace={namespace},metricValue=1",
        )
    else:
        metric = mf.get("metric_name") or metric
        namespace = mf.get("metric_namespace") or namespace
    topic_arn: str | None = topic.get("arn")
    if "topic_exists" in broken:
        actions = alarm.get("sns_actions") or []
        topic_name = actions[0].rsplit(":", 1)[-1] if actions else "security-alerts"
        topic_arn = actions[0] if actions else f"arn:aws:sns:{region}:{acct}:{topic_name}"
        add("Create the SNS topic", "aws", "sns", "create-topic", "--name", topic_name)
    if "alarm_notifies_topic" in broken and topic_arn is None:
        topic_arn = f"arn:aws:sns:{region}:{acct}:security-alerts"
        add(
            "Create an SNS topic for security alerts",
            "aws",
            "sns",
            "create-topic",
            "--name",
            "security-alerts",
        )
        broken.add("subscriber_confirmed")
    if "topic_accepts_alarms" in broken:
        add(
            "Encrypt the topic with a customer managed key CloudWatch may use",
            "aws",
            "sns",
            "set-topic-attributes",
            "--topic-arn",
            topic_arn or "<topic-arn>",
            "--attribute-name",
            "KmsMasterKeyId",
            "--attribute-value",
            "<customer-managed-key-id>",
        )
    if broken & {"subscriber_confirmed", "topic_exists"}:
        add(
            "Subscribe the security team, then confirm the subscription",
            "aws",
            "sns",
            "subscribe",
            "--topic-arn",
            topic_arn or "<topic-arn>",
            "--protocol",
            "email",
            "--notification-endpoint",
            "<security-team-address>",
        )
    alarm_links = {
        "alarm_exists",
        "metric_namespace_matches",
        "metric_dimensions_match",
        "alarm_fires_on_one_event",
        "alarm_notifies_topic",
    }
    if new_filter or broken & alarm_links:
        name = alarm.get("name") if alarm and not new_filter else f"cis-{control.topic}-alarm"
        add(
            "Create the alarm on the filter's metric, notifying the topic",
            "aws",
            "cloudwatch",
            "put-metric-alarm",
            "--alarm-name",
            name or "<alarm>",
            "--metric-name",
            metric,
            "--namespace",
            namespace,
            "--statistic",
            "Sum",
            "--period",
            "300",
            "--threshold",
            "1",
            "--comparison-operator",
            "GreaterThanOrEqualToThreshold",
            "--evaluation-periods",
            "1",
            "--treat-missing-data",
            "notBreaching",
            "--alarm-actions",
            topic_arn or "<topic-arn>",
        )
    elif "alarm_actions_enabled" in broken:
        add(
            "Enable the alarm's actions",
            "aws",
            "cloudwatch",
            "enable-alarm-actions",
            "--alarm-names",
            alarm.get("name") or "<alarm>",
        )
    return cmds


# --- assembling --------------------------------------------------------------------------


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


def _errors(rows: Iterable[dict[str, Any]], redactor: Redactor | None) -> list[ErrorRow]:
    return [
        ErrorRow(
            e.get("account_id"),
            e.get("region"),
            str(e.get("service")),
            str(e.get("operation")),
            str(e.get("error_code")),
            redactor.text(str(e.get("message"))) if redactor else str(e.get("message")),
        )
        for e in rows
    ]


def _verdict(
    control: Control,
    r: Result,
    account: AccountInfo,
    raw: _RawIndex,
    redactor: Redactor | None,
    shown: dict[tuple[str, ...], tuple[str, str]],
) -> AccountVerdict:
    ev = r.evidence
    snap = ev.get("snapshot_id")
    profile = str(ev.get("profile") or "full")
    anchor = _anchor("v", control.control_id, r.account_id)
    coverage = None
    pc = ev.get("pattern_coverage")
    if pc:
        ce = pc.get("counterexample")
        text = _pretty(ce) if ce is not None else None
        same_as = same_account = None
        if text is not None:
            key = (control.control_id, str(pc.get("filter_pattern")), text)
            if key in shown:
                same_as, same_account = shown[key]
            else:
                shown[key] = (anchor, r.account_id)
        coverage = Coverage(
            pc.get("required_pattern"),
            pc.get("filter_pattern"),
            pc.get("covered"),
            pc.get("reason"),
            text,
            pc.get("test_command"),
            same_as,
            same_account,
        )
    att = ev.get("attestation")
    hub = None
    refs: list[RawRef] = []
    if control.kind == "security_hub":
        hub = HubInfo(
            list(ev.get("enabled_regions") or []),
            list(ev.get("disabled_regions") or []),
            list(ev.get("unknown_regions") or []),
            list(ev.get("hub_arns") or []),
        )
        if snap is not None:
            refs = raw.for_hub(int(snap), r.account_id)
    elif snap is not None and ev.get("chain"):
        refs = raw.for_chain(int(snap), ev["chain"])
    return AccountVerdict(
        anchor=anchor,
        control_id=control.control_id,
        account=account,
        status=r.status,
        reason=r.reason,
        region=r.region,
        resource=r.resource,
        profile=profile,
        failed_link=ev.get("failed_link"),
        candidates=ev.get("candidates"),
        boxes=_boxes(ev, profile) if control.kind != "security_hub" and ev.get("chain") else [],
        coverage=coverage,
        commands=_commands(control, r),
        attestation=AttestationInfo(
            str(att.get("justification")),
            str(att.get("evidence")),
            str(att.get("approver")),
            str(att.get("expires")),
            str(att.get("source")),
            bool(att.get("active")),
        )
        if att
        else None,
        hub=hub,
        errors=_errors(ev.get("collection_errors") or [], redactor),
        raw=refs,
    )


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
    snap = _rows(
        con,
        "SELECT snapshot_id, started_at, finished_at, caller_arn, tool_version, regions "
        "FROM snapshot WHERE snapshot_id = ?",
        [run.snapshot.id],
    )
    s = snap[0] if snap else {}
    accounts = _accounts(con, ids)
    for r in run.results:  # a result for an account the tables no longer list
        accounts.setdefault(r.account_id, AccountInfo(r.account_id, [], None, None))
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
    controls = {c.control_id: c for c in catalog.controls(run.benchmark)}
    judged = sorted({r.control_id for r in run.results}, key=lambda cid: controls[cid].sort_key)
    account_ids = sorted({r.account_id for r in run.results} or accounts)
    by_pair = {(r.control_id, r.account_id): r for r in run.results}

    cover = Cover(
        title=title or f"CIS AWS Foundations {run.benchmark.removeprefix('cis-')} — monitoring",
        benchmark=run.benchmark,
        benchmark_version=run.benchmark.removeprefix("cis-"),
        profile=run.profile,
        organizations=sorted({a.organization_id for a in accounts.values() if a.organization_id}),
        accounts=[accounts[a] for a in account_ids],
        regions=regions,
        snapshot_id=run.snapshot.id,
        snapshot_ids=list(run.snapshot_ids),
        collected_at=_iso(run.snapshot.collected_at),
        finished_at=_iso(s["finished_at"]) if s.get("finished_at") else None,
        collector_identity=s.get("caller_arn"),
        collector_version=s.get("tool_version"),
        checked_at=_iso(run.checked_at),
        report_time=_iso(now or datetime.now(UTC)),
        tool_version=__version__,
        run_id=run.run_id,
        snapshot_sha256=run.snapshot.sha256,
        results_sha256=results_digest(run.results),
        redacted=redact,
    )

    columns = [MatrixColumn(cid, controls[cid].title, _anchor("c", cid)) for cid in judged]
    rows = [
        MatrixRow(
            accounts[a],
            [
                MatrixCell(
                    cid,
                    by_pair[(cid, a)].status if (cid, a) in by_pair else None,
                    _anchor("v", cid, a) if (cid, a) in by_pair else None,
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
            _anchor("v", r.control_id, r.account_id),
        )
        for r in sorted(
            run.results,
            key=lambda r: (STATUS_ORDER[r.status], controls[r.control_id].sort_key, r.account_id),
        )
        if r.status != "pass"
    ]
    counts = run.counts()
    summary = Summary(counts, len(run.results), columns, rows, failing)

    raw = _RawIndex(con, ids, redactor)
    shown: dict[tuple[str, ...], tuple[str, str]] = {}
    by_control: dict[str, list[Result]] = {}
    for r in sorted(run.results, key=lambda r: (STATUS_ORDER[r.status], r.account_id)):
        by_control.setdefault(r.control_id, []).append(r)  # failing accounts first
    sections: list[ControlSection] = []
    for cid in judged:
        c = controls[cid]
        results = by_control[cid]
        verdicts = [_verdict(c, r, accounts[r.account_id], raw, redactor, shown) for r in results]
        sql_path = str(results[0].evidence.get("sql") or "") if results else ""
        sections.append(
            ControlSection(
                anchor=_anchor("c", cid),
                control_id=cid,
                title=c.title,
                kind=c.kind,
                level=c.level,
                assessment=c.assessment,
                security_hub_id=c.security_hub_id,
                description=c.description,
                rationale=c.rationale,
                impact=c.impact,
                audit=c.audit,
                remediation=c.remediation,
                required_patterns=list(c.required_patterns),
                metric_name=c.metric_name,
                metric_namespace=c.metric_namespace,
                notes=c.notes,
                sql_path=sql_path,
                sql=control_sql(c),
                counts={st: sum(1 for r in results if r.status == st) for st in STATUSES},
                verdicts=verdicts,
            )
        )

    errors = _errors(
        _rows(
            con,
            "SELECT * FROM history.collection_error WHERE list_contains(?, snapshot_id) "
            "ORDER BY account_id, region, service, operation",
            [ids],
        ),
        redactor,
    )
    snap_flag = f"--snapshot {run.snapshot.id}"
    rerun = [
        Command(
            "Judge the same snapshot again (same SQL, same profile)",
            f"watchkeeper check --db <db> {snap_flag} --benchmark {run.benchmark} "
            f"--profile {run.profile} --format json",
        ),
        Command(
            "Re-render this report",
            f"watchkeeper report --db <db> {snap_flag} --benchmark {run.benchmark} "
            f"--profile {run.profile}",
        ),
        Command(
            "Verify the stored snapshots' SHA-256 (compare with the one on the cover)",
            "watchkeeper verify --db <db>",
        ),
    ]
    return ReportModel(
        cover=cover,
        summary=summary,
        controls=sections,
        raw_objects=list(raw.objects.values()),
        collection_errors=errors,
        rerun_commands=rerun,
        views_sql=[
            SqlText(f"watchkeeper/queries/sql/{n}", sql_text(n))
            for n in ("chain.sql", "results.sql")
        ],
        run=run,
    )
