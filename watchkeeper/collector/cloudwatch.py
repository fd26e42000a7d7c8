"""CloudWatch alarms of the region: metric alarms (metric-math ones included) and composite
alarms, which DescribeAlarms returns only when asked for both types."""

from __future__ import annotations

from typing import Any

from watchkeeper.collector.aws import Scope
from watchkeeper.store.model import Row

SERVICE = "cloudwatch"


ALARM_TYPES = ("MetricAlarm", "CompositeAlarm")


def _both_types(client: Any) -> list[dict[str, Any]]:
    # One paginated listing holds two lists; each alarm is tagged with the list it came from.
    # botocore's paginator, never a hand loop (some endpoints echo the token back).
    alarms: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=list(ALARM_TYPES)):
        for key, kind in (("MetricAlarms", "MetricAlarm"), ("CompositeAlarms", "CompositeAlarm")):
            alarms.extend({**a, "_type": kind} for a in page.get(key, []))
    return alarms


def fetch(scope: Scope) -> list[dict[str, Any]] | None:
    client = scope.client(SERVICE)
    return scope.attempt(SERVICE, "DescribeAlarms", lambda: _both_types(client))


def rows(alarms: list[dict[str, Any]], scope: Scope) -> list[Row]:
    out: list[Row] = []
    for tagged in alarms:
        a = {k: v for k, v in tagged.items() if k != "_type"}
        out.append(_row(a, tagged.get("_type", "MetricAlarm"), scope))
    return out


def _row(a: dict[str, Any], kind: str, scope: Scope) -> Row:
    return {
        "account_id": scope.account_id,
        "region": scope.region,
        "name": a["AlarmName"],
        "arn": a.get("AlarmArn"),
        "alarm_description": a.get("AlarmDescription"),
        "actions_enabled": a.get("ActionsEnabled"),
        "alarm_actions": a.get("AlarmActions", []),
        "ok_actions": a.get("OKActions", []),
        "insufficient_data_actions": a.get("InsufficientDataActions", []),
        "metric_name": a.get("MetricName"),
        "namespace": a.get("Namespace"),
        "statistic": a.get("Statistic"),
        "extended_statistic": a.get("ExtendedStatistic"),
        "dimensions": a.get("Dimensions", []),
        "period": a.get("Period"),
        "unit": a.get("Unit"),
        "evaluation_periods": a.get("EvaluationPeriods"),
        "datapoints_to_alarm": a.get("DatapointsToAlarm"),
        "threshold": a.get("Threshold"),
        "comparison_operator": a.get("ComparisonOperator"),
        "treat_missing_data": a.get("TreatMissingData"),
        "evaluate_low_sample_count_percentile": a.get("EvaluateLowSampleCountPercentile"),
        "threshold_metric_id": a.get("ThresholdMetricId"),
        "metrics": a.get("Metrics"),
        "state_value": a.get("StateValue"),
        "state_reason": a.get("StateReason"),
        "state_updated_timestamp": a.get("StateUpdatedTimestamp"),
        "raw": a,
        "alarm_type": kind,
        "alarm_rule": a.get("AlarmRule"),
        "actions_suppressor": a.get("ActionsSuppressor"),
        "actions_suppressor_wait_period": a.get("ActionsSuppressorWaitPeriod"),
        "actions_suppressor_extension_period": a.get("ActionsSuppressorExtensionPeriod"),
        "actions_suppressed_by": a.get("ActionsSuppressedBy"),
        "actions_suppressed_reason": a.get("ActionsSuppressedReason"),
    }


def notified_topics(alarms: list[dict[str, Any]]) -> set[str]:
    """SNS topic ARNs any alarm sends to (any of its three action lists)."""
    out: set[str] = set()
    for a in alarms:
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            out.update(x for x in a.get(key, []) if x.startswith("arn:") and ":sns:" in x)
    return out
