"""From the control SQL's rows to verdicts: status, a reason that names the broken link and
the nearest candidate, and the evidence (chain objects, links, pattern coverage)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watchkeeper.jsonutil import loads_lenient
from watchkeeper.patterns import test_metric_filter_command
from watchkeeper.queries.catalog import Control
from watchkeeper.queries.results import Result, Status

# Services whose failures make a metric-filter chain impossible to judge.
CHAIN_SERVICES = frozenset({"cloudtrail", "logs", "cloudwatch", "sns", "sts"})
HUB_SERVICES = frozenset({"securityhub", "ec2", "sts"})


@dataclass(frozen=True)
class AccountFacts:
    """What the check knows about an account besides its chains."""

    account_id: str
    snapshot_id: int | None
    collection_status: str | None
    errors: list[dict[str, Any]]  # collection_error rows of the account's snapshot
    foreign_trails: list[dict[str, Any]]  # org trails listed whose owner was not collected
    alarms_by_metric: dict[str, list[dict[str, Any]]]  # metric name → the account's alarms
    collected: frozenset[tuple[str, str]]  # (account, region) pairs in the snapshot


def _q(name: Any) -> str:
    return f"`{name}`"


def _trail(b: dict[str, Any]) -> str:
    return f"trail {_q(b['trail_name'])}"


def _log_group(b: dict[str, Any]) -> str:
    return f"{_q(b['lg_name'])} ({b['lg_account']}/{b['lg_region']})"


def _alarm_missing(b: dict[str, Any], facts: AccountFacts) -> str:
    metric = f"{b['filter_namespace']}/{b['filter_metric']}"
    text = (
        f"no alarm in {b['lg_region']} watches metric {_q(metric)} of metric filter "
        f"{_q(b['filter_name'])}"
    )
    near = [
        a
        for a in facts.alarms_by_metric.get(b["filter_metric"] or "", [])
        if a["region"] != b["lg_region"]
    ]
    if near:
        n = near[0]
        text += f" (alarm {_q(n['name'])} watches it in {n['region']}, another region)"
    return text


def _fires(b: dict[str, Any]) -> str:
    stat = b["alarm_statistic"] or b["alarm_extended_statistic"]
    needed = b["alarm_datapoints_to_alarm"] or b["alarm_evaluation_periods"]
    return (
        f"alarm {_q(b['alarm_name'])} would not go to ALARM on a single matching event "
        f"({stat} {b['alarm_comparison']} {b['alarm_threshold']:g} over {b['alarm_period']}s, "
        f"{needed} of {b['alarm_evaluation_periods']} datapoints; one event gives "
        f"{b['single_event_value']})"
    )


def _delivery(b: dict[str, Any]) -> str:
    if b["latest_cloudwatch_logs_delivery_error"]:
        return (
            f"{_trail(b)} fails to deliver to CloudWatch Logs: "
            f"{b['latest_cloudwatch_logs_delivery_error']}"
        )
    return (
        f"{_trail(b)} last delivered to CloudWatch Logs at "
        f"{b['latest_cloudwatch_logs_delivery_time']}, over 24 hours before the snapshot"
    )


_REASONS: dict[str, Callable[[dict[str, Any], AccountFacts], str]] = {
    "trail_multi_region": lambda b, f: (
        f"{_trail(b)} is single-region ({b['home_region']}); a multi-region trail is required"
    ),
    "trail_logging": lambda b, f: f"{_trail(b)} is not logging (IsLogging is false)",
    "trail_management_events": lambda b, f: (
        f"{_trail(b)} does not record all management events (reads and writes); selectors: "
        f"{b['event_selectors'] or b['advanced_event_selectors']}"
    ),
    "trail_sources_kept": lambda b, f: (
        f"{_trail(b)} excludes management events from {', '.join(b['excluded_sources'])}, "
        "which this control needs"
    ),
    "trail_delivers_to_logs": lambda b, f: (
        f"{_trail(b)} does not deliver to CloudWatch Logs (no CloudWatchLogsLogGroupArn)"
    ),
    "trail_delivery_healthy": lambda b, f: _delivery(b),
    "log_group_exists": lambda b, f: (
        f"log group {_log_group(b)} named by {_trail(b)} does not exist"
    ),
    "filter_exists": lambda b, f: f"no metric filter on log group {_log_group(b)}",
    "filter_covers_pattern": lambda b, f: (
        f"metric filter {_q(b['filter_name'])} on {_q(b['lg_name'])} "
        + (b["coverage_reason"] or "was not judged")
    ),
    "metric_value_positive": lambda b, f: (
        f"metric filter {_q(b['filter_name'])} emits metric value {b['filter_value']!r}; "
        "it must be a positive number so that each event counts"
    ),
    "alarm_exists": _alarm_missing,
    "metric_namespace_matches": lambda b, f: (
        f"alarm {_q(b['alarm_name'])} watches namespace {_q(b['alarm_namespace'])} but metric "
        f"filter {_q(b['filter_name'])} publishes {_q(b['filter_metric'])} to "
        f"{_q(b['filter_namespace'])}"
    ),
    "metric_dimensions_match": lambda b, f: (
        f"alarm {_q(b['alarm_name'])} and metric filter {_q(b['filter_name'])} disagree on "
        f"dimensions (filter: {b['filter_dimensions'] or 'none'}, alarm: "
        f"{b['alarm_dimension_count']} dimension(s)), so the alarm does not see every event"
    ),
    "alarm_actions_enabled": lambda b, f: f"alarm {_q(b['alarm_name'])} has actions disabled",
    "alarm_fires_on_one_event": lambda b, f: _fires(b),
    "alarm_notifies_topic": lambda b, f: (
        f"alarm {_q(b['alarm_name'])} has no SNS topic among its AlarmActions"
    ),
    "topic_exists": lambda b, f: (
        f"SNS topic {b['alarm_sns_actions'][0] if b['alarm_sns_actions'] else '?'} named by "
        f"alarm {_q(b['alarm_name'])} does not exist"
    ),
    "topic_accepts_alarms": lambda b, f: (
        f"topic {_q(b['topic_name'])} is encrypted with the AWS-managed key alias/aws/sns, "
        "which CloudWatch alarms cannot publish with"
    ),
    "subscriber_confirmed": lambda b, f: (
        f"topic {_q(b['topic_name'])} has no confirmed subscription "
        f"({b['pending_subscriptions'] or 0} pending)"
    ),
}


def chain_evidence(b: dict[str, Any]) -> dict[str, Any]:
    """The objects of one candidate chain, by link, with real names and ARNs."""
    return {
        "trail": {
            "name": b["trail_name"],
            "arn": b["trail_arn"],
            "owner_account_id": b["owner_account_id"],
            "home_region": b["home_region"],
            "is_organization_trail": b["is_organization_trail"],
            "is_multi_region_trail": b["trail_multi_region"],
            "is_logging": b["trail_logging"],
            "event_selectors": loads_lenient(b["event_selectors"]),
            "advanced_event_selectors": loads_lenient(b["advanced_event_selectors"]),
            "excluded_sources": b["excluded_sources"],
            "cloudwatch_logs_log_group_arn": b["trail_log_group_arn"],
            "latest_cloudwatch_logs_delivery_time": (
                str(b["latest_cloudwatch_logs_delivery_time"])
                if b["latest_cloudwatch_logs_delivery_time"]
                else None
            ),
            "latest_cloudwatch_logs_delivery_error": b["latest_cloudwatch_logs_delivery_error"],
        },
        "log_group": {
            "name": b["lg_name"],
            "account_id": b["lg_account"],
            "region": b["lg_region"],
            "arn": b["log_group_arn"],
            "exists": b["log_group_name"] is not None,
        },
        "metric_filter": None
        if b["filter_name"] is None
        else {
            "name": b["filter_name"],
            "pattern": b["filter_pattern"],
            "metric_name": b["filter_metric"],
            "metric_namespace": b["filter_namespace"],
            "metric_value": b["filter_value"],
            "default_value": b["filter_default_value"],
            "dimensions": loads_lenient(b["filter_dimensions"]),
        },
        "alarm": None
        if b["alarm_name"] is None
        else {
            "name": b["alarm_name"],
            "arn": b["alarm_arn"],
            "region": b["alarm_region"],
            "namespace": b["alarm_namespace"],
            "statistic": b["alarm_statistic"] or b["alarm_extended_statistic"],
            "threshold": b["alarm_threshold"],
            "comparison_operator": b["alarm_comparison"],
            "period": b["alarm_period"],
            "evaluation_periods": b["alarm_evaluation_periods"],
            "datapoints_to_alarm": b["alarm_datapoints_to_alarm"],
            "actions_enabled": b["alarm_actions_enabled"],
            "sns_actions": b["alarm_sns_actions"],
        },
        "topic": None
        if b["topic_arn"] is None
        else {
            "arn": b["topic_arn"],
            "name": b["topic_name"],
            "kms_master_key_id": b["topic_kms_key"],
            "confirmed_subscriptions": b["confirmed_subscriptions"],
            "pending_subscriptions": b["pending_subscriptions"],
        },
        "subscriptions": b["subscriptions"] or [],
    }


def _errors_text(errors: list[dict[str, Any]]) -> str:
    parts = [
        f"{e['service']}:{e['operation']} {e['error_code']}"
        + (f" in {e['region']}" if e["region"] else "")
        for e in errors[:3]
    ]
    more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def metric_filter_result(
    control: Control, row: dict[str, Any], facts: AccountFacts, profile: str
) -> Result:
    best: dict[str, Any] | None = row["best"]
    relevant = [e for e in facts.errors if e["service"] in CHAIN_SERVICES]
    evidence: dict[str, Any] = {
        "profile": profile,
        "snapshot_id": facts.snapshot_id,
        "candidates": row["candidates"],
        "collection_errors": relevant,
        "sql": "watchkeeper/queries/sql/control_metric_filter.sql",
    }
    status: Status
    region = resource = None
    if best is not None:
        links = best["links"]
        broken = [x for x in links if x["held"] is not True]
        evidence["chain"] = chain_evidence(best)
        evidence["links"] = links
        evidence["failed_link"] = broken[0]["link"] if broken else None
        evidence["pattern_coverage"] = {
            "required_pattern": best["required_pattern"],
            "filter_pattern": best["filter_pattern"],
            "covered": best["filter_covers"],
            "decided": best["coverage_decided"],
            "reason": best["coverage_reason"],
            "counterexample": loads_lenient(best["counterexample"]),
        }
        ce = evidence["pattern_coverage"]["counterexample"]
        if ce is not None and best["filter_pattern"] is not None:
            evidence["pattern_coverage"]["test_command"] = test_metric_filter_command(
                best["filter_pattern"], [json.dumps(ce)]
            )
        region = best["lg_region"] or best["home_region"]
        resource = best["alarm_arn"] or best["log_group_arn"] or best["trail_arn"]
    if row["passed"]:
        assert best is not None
        status = "pass"
        reason = (
            f"{_trail(best)} → {_q(best['lg_name'])} → filter {_q(best['filter_name'])} → "
            f"alarm {_q(best['alarm_name'])} → topic {_q(best['topic_name'])} "
            f"({best['confirmed_subscriptions']} confirmed subscriber(s))"
        )
    elif facts.collection_status == "failed":
        status = "error"
        reason = f"account could not be collected: {_errors_text(facts.errors)}"
    elif best is None and facts.foreign_trails:
        t = facts.foreign_trails[0]
        status = "error"
        reason = (
            f"organization trail {_q(t['name'])} is owned by account {t['owner_account_id']}, "
            "which was not collected; collect it too to judge this account"
        )
    elif best is None:
        status = "error" if relevant else "fail"
        reason = "no CloudTrail trail in this account, and no organization trail covers it"
        if relevant:
            reason = f"could not evaluate: {_errors_text(relevant)}"
    else:
        first = next(x for x in best["links"] if x["held"] is not True)
        reason = _REASONS[first["link"]](best, facts)
        unknown = first["held"] is None
        outside = first["link"] == "log_group_exists" and (
            (best["lg_account"], best["lg_region"]) not in facts.collected
        )
        status = "error" if unknown or relevant or outside else "fail"
        if outside:
            reason = (
                f"could not evaluate: {_trail(best)} delivers to log group {_log_group(best)}, "
                f"but account {best['lg_account']} in {best['lg_region']} was not collected"
            )
        elif unknown:
            reason = (
                f"could not evaluate: the status and event selectors of {_trail(best)} "
                "were not collected"
            )
        elif relevant:
            reason = f"{reason} (inputs incomplete: {_errors_text(relevant)})"
    return Result(
        benchmark=control.benchmark,
        control_id=control.control_id,
        topic=control.topic,
        title=control.title,
        account_id=facts.account_id,
        region=region,
        resource=resource,
        status=status,
        reason=reason,
        evidence=evidence,
    )


def security_hub_result(control: Control, row: dict[str, Any], facts: AccountFacts) -> Result:
    relevant = [e for e in facts.errors if e["service"] in HUB_SERVICES]
    enabled, disabled, unknown = (
        row["enabled_regions"],
        row["disabled_regions"],
        row["unknown_regions"],
    )
    evidence = {
        "snapshot_id": facts.snapshot_id,
        "enabled_regions": enabled,
        "disabled_regions": disabled,
        "unknown_regions": unknown,
        "hub_arns": row["hub_arns"],
        "collection_errors": relevant,
        "sql": "watchkeeper/queries/sql/control_security_hub.sql",
    }
    total = len(enabled) + len(disabled) + len(unknown)
    status: Status
    if row["passed"]:
        status, reason = "pass", f"Security Hub is enabled in all {total} collected region(s)"
    elif facts.collection_status == "failed":
        status, reason = "error", f"account could not be collected: {_errors_text(facts.errors)}"
    elif disabled:
        status = "fail"
        reason = (
            f"Security Hub is not enabled in {', '.join(disabled)} "
            f"(enabled in {len(enabled)} of {total} collected regions)"
        )
    elif unknown or relevant:
        status = "error"
        reason = f"could not evaluate Security Hub in {', '.join(unknown) or 'some regions'}"
        if relevant:
            reason += f": {_errors_text(relevant)}"
    else:
        status, reason = "fail", "no region was collected for this account"
    return Result(
        benchmark=control.benchmark,
        control_id=control.control_id,
        topic=control.topic,
        title=control.title,
        account_id=facts.account_id,
        region=None,
        resource=f"arn:aws:securityhub:::{facts.account_id}",
        status=status,
        reason=reason,
        evidence=evidence,
    )
