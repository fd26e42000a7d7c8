"""CloudWatch metric alarms of the region, metric-math ones included."""

from __future__ import annotations

from typing import Any

from watchkeeper.collector.aws import Scope, paginate
from watchkeeper.store.model import Row

SERVICE = "cloudwatch"


def fetch(scope: Scope) -> list[dict[str, Any]] | None:
    client = scope.client(SERVICE)
    return scope.attempt(
        SERVICE,
        "DescribeAlarms",
        lambda: paginate(client, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]),
    )


def rows(alarms: list[dict[str, Any]], scope: Scope) -> list[Row]:
    return [
        {
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
        }
        for a in alarms
    ]


def notified_topics(alarms: list[dict[str, Any]]) -> set[str]:
    """SNS topic ARNs any alarm sends to (any of its three action lists)."""
    out: set[str] = set()
    for a in alarms:
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            out.update(x for x in a.get(key, []) if x.startswith("arn:") and ":sns:" in x)
    return out
