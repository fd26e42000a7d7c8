"""`fix --plan`: from the failing verdicts of a check run to the steps that mend them.

Each broken link gets one step, in chain order, with the account's real names. The
rules that keep a fix safe:

- Nothing is deleted, and a filter whose pattern misses events is never edited: a new
  filter with the benchmark's pattern (``watchkeeper-cis-<id>``) goes next to it, with
  its own alarm, and the user's filter and alarm stay as they are.
- An object of the user's is changed only where it is the broken link (the trail, the
  alarm's settings, a filter's metric value), and the plan says so.
- What only a person can do (create the CloudTrail→CloudWatch Logs role, confirm an e-mail
  subscription, mend an organization trail from its owner) is said plainly, not guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchkeeper.arns import parse_arn
from watchkeeper.fix.builder import (
    Builder,
    ChainState,
    FixError,
    FixOptions,
    Subscriber,
    parse_subscriber,
)
from watchkeeper.fix.steps import ChainPlan, Plan
from watchkeeper.fix.trail import trail_steps
from watchkeeper.notify.runs import load_run
from watchkeeper.queries import org
from watchkeeper.queries.catalog import Control, load_catalog
from watchkeeper.queries.evidence import AlarmObject
from watchkeeper.queries.results import CheckRun, Result
from watchkeeper.reports.model.remediation import DEFAULT_NAMESPACE
from watchkeeper.store import connect

__all__ = [
    "FixError",
    "FixOptions",
    "PlanRequest",
    "Subscriber",
    "build_plan",
    "parse_subscriber",
    "plan_for_run",
]

PREFIX = "watchkeeper-cis"
TOPIC_NAME = "watchkeeper-security-alerts"
# Alarm settings that fire on one matching event (the benchmark's own remediation).
ONE_EVENT_ALARM: dict[str, Any] = {
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "DatapointsToAlarm": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "ActionsEnabled": True,
}


@dataclass(frozen=True)
class PlanRequest:
    db: Path
    run_id: int | None = None  # None: the latest stored check run
    controls: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    options: FixOptions = field(default_factory=FixOptions)


def _arn_parts(text: str) -> tuple[str, str, str]:
    """(region, account, name) of an SNS topic ARN."""
    arn = parse_arn(text)
    return (arn.region, arn.account, arn.resource) if arn else ("", "", text)


def _filter_steps(c: ChainState, group: str, region: str) -> tuple[str, str, bool]:
    """The filter; returns (metric, namespace, new) — new: a new filter, so a new alarm."""
    mf, control = c.chain["metric_filter"], c.control
    if mf is None or c.broken & {"filter_exists", "filter_covers_pattern"}:
        name = f"{PREFIX}-{control.control_id}"
        metric = control.metric_name or f"{PREFIX}-{control.control_id}"
        namespace = control.metric_namespace or DEFAULT_NAMESPACE
        if mf is not None and (mf["metric_name"], mf["metric_namespace"]) == (metric, namespace):
            metric = f"{PREFIX}-{control.control_id}"  # its own metric, not the user's
        if mf is not None:
            c.plan.notes.append(
                f"the filter {mf['name']} misses events this control needs; it is kept as it "
                f"is (it may serve something else) and {name} is added next to it"
            )
        link = "filter_covers_pattern" if "filter_covers_pattern" in c.broken else "filter_exists"
        c.add(
            region,
            "create_metric_filter",
            link,
            "Add a metric filter with the benchmark's pattern",
            name,
            logGroupName=group,
            filterName=name,
            filterPattern=control.required_patterns[0],
            metricTransformations=[
                {"metricName": metric, "metricNamespace": namespace, "metricValue": "1"}
            ],
        )
        return metric, namespace, True
    metric, namespace = mf["metric_name"], mf["metric_namespace"]
    bad = c.broken & {"metric_value_positive", "metric_dimensions_match"}
    if bad:
        transformation: dict[str, Any] = {
            "metricName": metric,
            "metricNamespace": namespace,
            "metricValue": "1",
        }
        if mf["default_value"] is not None:
            transformation["defaultValue"] = mf["default_value"]
        c.add(
            region,
            "repair_metric_filter",
            sorted(bad)[0],
            "Count each matching event once, without dimensions (the pattern is kept)",
            mf["name"],
            True,
            logGroupName=group,
            filterName=mf["name"],
            filterPattern=mf["pattern"],
            metricTransformations=[transformation],
        )
        c.plan.notes.append(f"the filter {mf['name']} keeps its pattern; only its metric changes")
    return metric, namespace, False


def _topic(c: ChainState, region: str, alarm: AlarmObject | None) -> tuple[str, bool]:
    """The topic the alarm must notify in ``region``; True when the plan creates it."""
    topic = c.chain["topic"]
    if topic is not None and _arn_parts(topic["arn"])[0] == region:
        return topic["arn"], False
    for arn in (alarm["sns_actions"] if alarm else None) or []:
        arn_region, account, name = _arn_parts(arn)
        if "topic_exists" in c.broken and (arn_region, account) == (region, c.account):
            c.add(
                region,
                "create_topic",
                "topic_exists",
                "Create the SNS topic the alarm names",
                name,
                Name=name,
            )
            return arn, True
    name = TOPIC_NAME
    c.add(
        region,
        "create_topic",
        "alarm_notifies_topic",
        "Create an SNS topic for the alarm to notify",
        name,
        Name=name,
    )
    return f"arn:aws:sns:{region}:{c.account}:{name}", True


def _alarm_steps(
    c: ChainState, region: str, metric: str, namespace: str, new_filter: bool
) -> tuple[str, bool]:
    """The alarm and the topic it notifies; returns (topic ARN, topic created)."""
    alarm = c.chain["alarm"]
    usable = alarm if alarm is not None and alarm["region"] == region else None
    topic_arn, created = _topic(c, region, usable)
    settings = {**ONE_EVENT_ALARM, "MetricName": metric, "Namespace": namespace}
    if new_filter or usable is None:
        name = f"{PREFIX}-{c.control.control_id}-alarm"
        if usable is not None:
            c.plan.notes.append(f"the alarm {usable['name']} is kept as it is")
        c.add(
            region,
            "put_alarm",
            "alarm_exists",
            "Create an alarm that fires on one matching event and notifies the topic",
            name,
            AlarmName=name,
            AlarmActions=[topic_arn],
            **settings,
        )
        return topic_arn, created
    repair = c.broken & {
        "metric_namespace_matches",
        "metric_dimensions_match",
        "alarm_fires_on_one_event",
        "alarm_notifies_topic",
        "topic_exists",
    }
    if repair or topic_arn not in (usable["sns_actions"] or []):
        actions = list(dict.fromkeys([*(usable["sns_actions"] or []), topic_arn]))
        c.add(
            region,
            "put_alarm",
            sorted(repair)[0] if repair else "alarm_notifies_topic",
            "Repair the alarm: watch the filter's metric, fire on one event, notify the "
            "topic (its description and other actions are kept)",
            usable["name"],
            True,
            AlarmName=usable["name"],
            AlarmActions=actions,
            **settings,
        )
    elif "alarm_actions_enabled" in c.broken:
        c.add(
            region,
            "enable_alarm_actions",
            "alarm_actions_enabled",
            "Enable the alarm's actions",
            usable["name"],
            True,
            AlarmNames=[usable["name"]],
        )
    return topic_arn, created


def _subscriber_steps(c: ChainState, region: str, topic_arn: str, created: bool) -> None:
    topic = c.chain["topic"]
    if "topic_accepts_alarms" in c.broken and topic is not None and topic["arn"] == topic_arn:
        c.plan.manual.append(
            f"the topic {topic_arn} is encrypted with the AWS-managed key, which CloudWatch "
            "cannot use: a person must switch it to a customer managed key CloudWatch may use"
        )
    if not (created or "subscriber_confirmed" in c.broken or topic is None):
        return
    if not c.options.subscribers:
        c.plan.manual.append(
            f"no confirmed subscriber on {topic_arn}: re-run with --notify PROTOCOL:ENDPOINT "
            "(e.g. email:secops@example.com)"
        )
        return
    for s in c.options.subscribers:
        c.add(
            region,
            "subscribe",
            "subscriber_confirmed",
            f"Subscribe {s}",
            str(s),
            TopicArn=topic_arn,
            Protocol=s.protocol,
            Endpoint=s.endpoint,
            ReturnSubscriptionArn=True,
        )
        if s.protocol.startswith("email") or s.protocol in ("http", "https"):
            c.plan.notes.append(
                f"{s} stays PendingConfirmation until a person confirms it from the message "
                "AWS sends; a re-check cannot show it confirmed before that"
            )


def _plan_chain(b: Builder, control: Control, r: Result, options: FixOptions) -> ChainPlan:
    ev = r.evidence
    chain_plan = ChainPlan(
        r.benchmark,
        r.control_id,
        r.title,
        r.account_id,
        r.region,
        r.status,
        r.reason,
        None if "enabled_regions" in ev else ev.get("failed_link"),
    )
    if "enabled_regions" in ev:
        chain_plan.manual.append(
            "Security Hub is not part of the alarm chain and `fix` does not enable it: "
            + "; ".join(
                f"aws securityhub enable-security-hub --region {x}" for x in ev["disabled_regions"]
            )
        )
        return chain_plan
    chain = ev.get("chain")
    if chain is None:
        chain_plan.manual.append(
            "the account has no CloudTrail trail: a person must create one (it needs an S3 "
            "bucket with a bucket policy for CloudTrail and the CloudTrail→CloudWatch Logs "
            "role), then re-run collect, check and fix"
        )
        return chain_plan
    chain_plan.regions = sorted(
        {r for r in (chain["trail"]["home_region"], chain["log_group"]["region"]) if r}
    )
    broken = {x["link"] for x in ev.get("links") or [] if x["held"] is False}
    c = ChainState(b, chain_plan, control, r.account_id, chain, broken, options)
    where = trail_steps(c)
    if where is None:
        return chain_plan
    group, region = where
    metric, namespace, new_filter = _filter_steps(c, group, region)
    topic_arn, created = _alarm_steps(c, region, metric, namespace, new_filter)
    _subscriber_steps(c, region, topic_arn, created)
    return chain_plan


def plan_for_run(
    run: CheckRun, results: Iterable[Result], options: FixOptions, controls: dict[str, Control]
) -> Plan:
    """The plan for ``results`` (the failing verdicts chosen from ``run``)."""
    b = Builder()
    chains = [_plan_chain(b, controls[r.control_id], r, options) for r in results]
    return Plan(run.run_id, run.benchmark, run.snapshot_ids, datetime.now(UTC), chains, b.steps)


def _result_region(r: Result) -> str | None:
    chain = None if "enabled_regions" in r.evidence else r.evidence.get("chain")
    if chain is not None:
        return chain["log_group"]["region"] or chain["trail"]["home_region"]
    return r.region


def build_plan(request: PlanRequest) -> Plan:
    """The plan for the failing verdicts of a stored check run, narrowed as asked."""
    run = load_run(request.db, run_id=request.run_id)
    catalog = load_catalog()
    chosen = {catalog.find(run.benchmark, k).control_id for k in request.controls}
    accounts = set(request.accounts)
    if request.ous:
        con = connect(request.db, read_only=True)
        try:
            under = org.select_accounts(org.placements(con, run.snapshot_ids), request.ous)
        finally:
            con.close()
        accounts = (accounts & under) if accounts else set(under)
        if not accounts:
            under_ou = ", ".join(request.ous)
            raise FixError(f"no account given with --account is under --ou {under_ou}")
    failing = [
        r
        for r in run.results
        if r.status == "fail"
        and (not chosen or r.control_id in chosen)
        and (not accounts or r.account_id in accounts)
        and (not request.regions or _result_region(r) in request.regions)
    ]
    controls = {c.control_id: c for c in catalog.controls(run.benchmark)}
    return plan_for_run(run, failing, request.options, controls)
