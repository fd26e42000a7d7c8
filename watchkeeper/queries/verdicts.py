"""From the control SQL's rows to verdicts: status, a reason that names the broken link and
the nearest candidate, and the evidence (chain objects, links, pattern coverage)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from watchkeeper.arns import topic_location
from watchkeeper.jsonutil import loads_lenient
from watchkeeper.patterns import test_metric_filter_command
from watchkeeper.queries.catalog import Control
from watchkeeper.queries.evidence import (
    ChainObjects,
    CollectionErrorRow,
    LinkVerdict,
    MetricFilterEvidence,
    PatternCoverage,
    SecurityHubEvidence,
)
from watchkeeper.queries.links import BY_NAME, ChainRow, log_group_phrase, quoted, trail_phrase
from watchkeeper.queries.results import Result, Status

# Services whose failures make a metric-filter chain impossible to judge.
CHAIN_SERVICES = frozenset({"cloudtrail", "logs", "cloudwatch", "sns", "kms", "sts"})
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
    # (account, region) → error code of its failed sns:ListTopics, in any collected account:
    # there a missing topic is unknown, not absent.
    topic_listing_failed: Mapping[tuple[str, str], str] = field(default_factory=dict)


def chain_evidence(b: ChainRow) -> ChainObjects:
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
            "start_logging_time": (
                str(b["start_logging_time"]) if b["start_logging_time"] else None
            ),
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
            "composite": None
            if b["composite_arn"] is None
            else {
                "name": b["composite_name"],
                "arn": b["composite_arn"],
                "alarm_rule": b["composite_rule"],
                "fires_alone": b["composite_fires_alone"],
                "actions_suppressor": b["composite_suppressor"],
                "actions_suppressed_by": b["composite_suppressed_by"],
            },
        },
        "topic": None
        if b["topic_arn"] is None
        else {
            "arn": b["topic_arn"],
            "name": b["topic_name"],
            "kms_master_key_id": b["topic_kms_key"],
            "kms_key_manager": b["topic_kms_key_manager"],
            "subscriptions_listed": b["topic_subscriptions_listed"],
            "confirmed_subscriptions": b["confirmed_subscriptions"],
            "pending_subscriptions": b["pending_subscriptions"],
        },
        "subscriptions": b["subscriptions"] or [],
    }


def _errors_text(errors: Sequence[Mapping[str, object]]) -> str:
    parts = [
        f"{e['service']}:{e['operation']} {e['error_code']}"
        + (f" in {e['region']}" if e["region"] else "")
        for e in errors[:3]
    ]
    more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def _relevant(facts: AccountFacts, services: frozenset[str]) -> list[CollectionErrorRow]:
    """The account's collection errors from services the control reads."""
    # The rows are collection_error rows (SELECT *), typed here where they enter evidence.
    return cast(list[CollectionErrorRow], [e for e in facts.errors if e["service"] in services])


def metric_filter_result(
    control: Control, row: dict[str, Any], facts: AccountFacts, profile: str
) -> Result:
    best: ChainRow | None = row["best"]
    relevant = _relevant(facts, CHAIN_SERVICES)
    evidence: MetricFilterEvidence = {
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
        coverage: PatternCoverage = {
            "required_pattern": best["required_pattern"],
            "filter_pattern": best["filter_pattern"],
            "covered": best["filter_covers"],
            "decided": best["coverage_decided"],
            "reason": best["coverage_reason"],
            "counterexample": loads_lenient(best["counterexample"]),
        }
        evidence["pattern_coverage"] = coverage
        ce = coverage["counterexample"]
        if ce is not None and best["filter_pattern"] is not None:
            coverage["test_command"] = test_metric_filter_command(
                best["filter_pattern"], [json.dumps(ce)]
            )
        region = best["lg_region"] or best["home_region"]
        resource = best["alarm_arn"] or best["log_group_arn"] or best["trail_arn"]
    if row["passed"]:
        assert best is not None
        status = "pass"
        reason = (
            f"{trail_phrase(best)} → {quoted(best['lg_name'])} → "
            f"filter {quoted(best['filter_name'])} → alarm {quoted(best['alarm_name'])} → "
            + (
                f"notifies through composite {quoted(best['composite_name'])} → "
                if best["composite_name"] is not None
                else ""
            )
            + f"topic {quoted(best['topic_name'])} "
            f"({best['confirmed_subscriptions']} confirmed subscriber(s))"
        )
    elif facts.collection_status == "failed":
        status = "error"
        reason = f"account could not be collected: {_errors_text(facts.errors)}"
    elif best is None and facts.foreign_trails:
        t = facts.foreign_trails[0]
        status = "error"
        reason = (
            f"cannot verify: organization trail {quoted(t['name'])} is owned by account "
            f"{t['owner_account_id']}, which was not collected; collect it too to judge this "
            "account"
        )
    elif best is None:
        status = "error" if relevant else "fail"
        reason = "no CloudTrail trail in this account, and no organization trail covers it"
        if relevant:
            reason = f"could not evaluate: {_errors_text(relevant)}"
    else:
        first = next(x for x in best["links"] if x["held"] is not True)
        unverified = _cannot_verify(first, best, facts)
        status = "error" if unverified is not None or relevant else "fail"
        reason = BY_NAME[first["link"]].reason(best, facts.alarms_by_metric)
        if unverified is not None:
            reason = unverified
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


def _cannot_verify(first: LinkVerdict, best: ChainRow, facts: AccountFacts) -> str | None:
    """Why the chain's first link not held cannot be judged (an error, not a fail), or None
    when it is a real break. One rule for every such case: the link's input was not read
    (held is NULL), or it lives in an account and region whose collection does not show it
    (a log group or topic outside the snapshot, a region whose ListTopics failed)."""
    link = first["link"]
    lg_place = (best["lg_account"], best["lg_region"])
    if link == "log_group_exists" and lg_place not in facts.collected:
        return (
            f"could not evaluate: {trail_phrase(best)} delivers to log group "
            f"{log_group_phrase(best)}, but account {best['lg_account']} in "
            f"{best['lg_region']} was not collected"
        )
    place = topic_location(str(best["topic_action_arn"] or "")) if link == "topic_exists" else None
    if place is not None and place not in facts.collected:
        return (
            f"cannot verify topic in account {place[0]} ({place[1]}): alarm "
            f"{quoted(best['alarm_name'])} notifies {best['topic_action_arn']}, and that "
            "account and region were not collected; collect it too to judge this account"
        )
    if place is not None and place in facts.topic_listing_failed:
        return (
            f"cannot verify topic {best['topic_action_arn']} that alarm "
            f"{quoted(best['alarm_name'])} notifies: ListTopics failed in account "
            f"{place[0]} region {place[1]} ({facts.topic_listing_failed[place]})"
        )
    if first["held"] is None:
        explain = BY_NAME[link].unknown
        if explain is not None:
            return explain(best, facts.alarms_by_metric)
        return (
            "could not evaluate: the status and event selectors of "
            f"{trail_phrase(best)} were not collected"
        )
    return None


def security_hub_result(control: Control, row: dict[str, Any], facts: AccountFacts) -> Result:
    relevant = _relevant(facts, HUB_SERVICES)
    enabled, disabled, unknown = (
        row["enabled_regions"],
        row["disabled_regions"],
        row["unknown_regions"],
    )
    evidence: SecurityHubEvidence = {
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
