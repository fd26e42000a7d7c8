"""CloudWatch Logs: every log group and every metric filter of the region (one listing each,
not one per log group)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from watchkeeper.collector.aws import Scope, paginate
from watchkeeper.store.model import Row

SERVICE = "logs"


@dataclass
class LogData:
    log_groups: list[dict[str, Any]] = field(default_factory=list)
    metric_filters: list[dict[str, Any]] = field(default_factory=list)


def fetch(scope: Scope) -> LogData:
    client = scope.client(SERVICE)
    groups = scope.attempt(
        SERVICE, "DescribeLogGroups", lambda: paginate(client, "describe_log_groups", "logGroups")
    )
    filters = scope.attempt(
        SERVICE,
        "DescribeMetricFilters",
        lambda: paginate(client, "describe_metric_filters", "metricFilters"),
    )
    return LogData(log_groups=groups or [], metric_filters=filters or [])


def _millis(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _group_arn(group: dict[str, Any], scope: Scope) -> str:
    # logGroupArn (newer) has no ':*'; arn (older) ends with ':*'. Store the bare form,
    # which is also what a trail's CloudWatchLogsLogGroupArn becomes once ':*' is cut.
    if group.get("logGroupArn"):
        return str(group["logGroupArn"])
    arn = group.get("arn") or (
        f"arn:{scope.partition}:logs:{scope.region}:{scope.account_id}:log-group:"
        f"{group['logGroupName']}"
    )
    return str(arn).removesuffix(":*")


def log_group_rows(data: LogData, scope: Scope) -> list[Row]:
    return [
        {
            "account_id": scope.account_id,
            "region": scope.region,
            "name": g["logGroupName"],
            "arn": _group_arn(g, scope),
            "creation_time": _millis(g.get("creationTime")),
            "retention_in_days": g.get("retentionInDays"),
            "metric_filter_count": g.get("metricFilterCount"),
            "stored_bytes": g.get("storedBytes"),
            "kms_key_id": g.get("kmsKeyId"),
            "log_group_class": g.get("logGroupClass"),
            "data_protection_status": g.get("dataProtectionStatus"),
            "raw": g,
        }
        for g in data.log_groups
    ]


def metric_filter_rows(data: LogData, scope: Scope) -> list[Row]:
    out: list[Row] = []
    for f in data.metric_filters:
        transformations = f.get("metricTransformations") or []
        first: dict[str, Any] = transformations[0] if transformations else {}
        out.append(
            {
                "account_id": scope.account_id,
                "region": scope.region,
                "name": f["filterName"],
                "log_group_name": f.get("logGroupName", ""),
                "creation_time": _millis(f.get("creationTime")),
                "filter_pattern": f.get("filterPattern"),
                "metric_transformation_name": first.get("metricName"),
                "metric_transformation_namespace": first.get("metricNamespace"),
                "metric_transformation_value": first.get("metricValue"),
                "metric_transformation_default_value": first.get("defaultValue"),
                "metric_transformation_dimensions": first.get("dimensions"),
                "metric_transformation_unit": first.get("unit"),
                "metric_transformations": transformations,
                "apply_on_transformed_logs": f.get("applyOnTransformedLogs"),
                "raw": f,
            }
        )
    return out
