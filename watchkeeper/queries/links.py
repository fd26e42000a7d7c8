"""The registry of chain links: one entry per link the SQL judges, in chain order.

Each link of ``wk_control_chain`` (``sql/chain.sql``, the ``struct_pack(link := …)`` list)
has one :class:`Link` here: its name, whether the benchmark's own audit asks for it
(``literal``), the box of the drawn chain it belongs to, its label in the report, and the
reason a verdict gives when it is the first broken link. The verdicts' reasons and the
report's chain boxes are built from this table, so adding a link means one entry here plus
its line in the SQL (a test holds the two to the same names, order and literal flags).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BOXES",
    "BY_NAME",
    "LINKS",
    "AlarmsByMetric",
    "Box",
    "ChainRow",
    "Link",
    "Reason",
    "log_group_phrase",
    "notifier_phrase",
    "quoted",
    "trail_phrase",
]

Box = Literal["trail", "log_group", "metric_filter", "metric", "alarm", "topic", "subscribers"]
# One candidate chain as control_metric_filter.sql returns it (its `best` column).
ChainRow = dict[str, Any]
# The account's alarms by the metric they watch (all regions), for "watches it elsewhere".
AlarmsByMetric = Mapping[str, list[dict[str, Any]]]
Reason = Callable[[ChainRow, AlarmsByMetric], str]

# The boxes of the drawn chain, in chain order, with their labels.
BOXES: tuple[tuple[Box, str], ...] = (
    ("trail", "CloudTrail trail"),
    ("log_group", "Log group"),
    ("metric_filter", "Metric filter"),
    ("metric", "Metric"),
    ("alarm", "Alarm"),
    ("topic", "SNS topic"),
    ("subscribers", "Subscribers"),
)


@dataclass(frozen=True)
class Link:
    name: str
    box: Box
    label: str  # under the box in the report ("multi-region", "exists", …)
    literal: bool  # the literal profile judges only these
    reason: Reason  # why the chain breaks here, with the real names
    # why it could not be judged (held is NULL: an input could not be read); None: the
    # verdict's generic "not collected" text
    unknown: Reason | None = None


# --- phrases (shared with the verdicts' other reasons) ----------------------------------


def quoted(name: Any) -> str:
    return f"`{name}`"


def trail_phrase(b: ChainRow) -> str:
    return f"trail {quoted(b['trail_name'])}"


def log_group_phrase(b: ChainRow) -> str:
    return f"{quoted(b['lg_name'])} ({b['lg_account']}/{b['lg_region']})"


def _delivery(b: ChainRow) -> str:
    if b["latest_cloudwatch_logs_delivery_error"]:
        return (
            f"{trail_phrase(b)} fails to deliver to CloudWatch Logs: "
            f"{b['latest_cloudwatch_logs_delivery_error']}"
        )
    if b["latest_cloudwatch_logs_delivery_time"] is None:
        return (
            f"{trail_phrase(b)} has been logging since {b['start_logging_time']} but has "
            "never delivered to CloudWatch Logs (no LatestCloudWatchLogsDeliveryTime)"
        )
    return (
        f"{trail_phrase(b)} last delivered to CloudWatch Logs at "
        f"{b['latest_cloudwatch_logs_delivery_time']}, over 24 hours before the snapshot"
    )


def _topic_action(b: ChainRow) -> str:
    return str(b["topic_action_arn"] or "?")


def _topic_unknown(b: ChainRow) -> str:
    topic = quoted(b["topic_name"])
    if not b["topic_attributes_collected"]:
        return f"could not evaluate: the attributes of topic {topic} could not be read"
    return (
        f"could not evaluate: kms:DescribeKey failed for key {b['topic_kms_key']} of topic "
        f"{topic}, so whether the AWS manages that key is unknown"
    )


def _alarm_missing(b: ChainRow, alarms: AlarmsByMetric) -> str:
    metric = f"{b['filter_namespace']}/{b['filter_metric']}"
    text = (
        f"no alarm in {b['lg_region']} watches metric {quoted(metric)} of metric filter "
        f"{quoted(b['filter_name'])}"
    )
    near = [a for a in alarms.get(b["filter_metric"] or "", []) if a["region"] != b["lg_region"]]
    if near:
        n = near[0]
        text += f" (alarm {quoted(n['name'])} watches it in {n['region']}, another region)"
    return text


def notifier_phrase(b: ChainRow) -> str:
    """The alarm that sends the notification: the metric alarm, or the composite it
    notifies through."""
    if b.get("composite_name") is None:
        return f"alarm {quoted(b['alarm_name'])}"
    return (
        f"composite alarm {quoted(b['composite_name'])} "
        f"(through which alarm {quoted(b['alarm_name'])} notifies)"
    )


def _composite_fires(b: ChainRow) -> str:
    return (
        f"alarm {quoted(b['alarm_name'])} notifies through composite alarm "
        f"{quoted(b['composite_name'])}, but its rule {quoted(b['composite_rule'])} does not "
        f"go to ALARM on {quoted(b['alarm_name'])} alone (it is AND-ed with other alarms, "
        "or already true without it)"
    )


def _suppressed(b: ChainRow) -> str:
    text = (
        f"composite alarm {quoted(b['composite_name'])} can be muted: its ActionsSuppressor "
        f"is alarm {quoted(b['composite_suppressor'])}"
    )
    by = b["composite_suppressed_by"]
    if by and by != "None":
        text += f", and its actions are suppressed now ({by})"
    return text


def _fires(b: ChainRow) -> str:
    stat = b["alarm_statistic"] or b["alarm_extended_statistic"]
    needed = b["alarm_datapoints_to_alarm"] or b["alarm_evaluation_periods"]
    return (
        f"alarm {quoted(b['alarm_name'])} would not go to ALARM on a single matching event "
        f"({stat} {b['alarm_comparison']} {b['alarm_threshold']:g} over {b['alarm_period']}s, "
        f"{needed} of {b['alarm_evaluation_periods']} datapoints; one event gives "
        f"{b['single_event_value']})"
    )


# --- the registry, in the SQL's order ---------------------------------------------------

LINKS: tuple[Link, ...] = (
    Link(
        "trail_multi_region",
        "trail",
        "multi-region",
        literal=True,
        reason=lambda b, a: (
            f"{trail_phrase(b)} is single-region ({b['home_region']}); "
            "a multi-region trail is required"
        ),
    ),
    Link(
        "trail_logging",
        "trail",
        "logging",
        literal=True,
        reason=lambda b, a: f"{trail_phrase(b)} is not logging (IsLogging is false)",
    ),
    Link(
        "trail_management_events",
        "trail",
        "all management events",
        literal=True,
        reason=lambda b, a: (
            f"{trail_phrase(b)} does not record all management events (reads and writes); "
            f"selectors: {b['event_selectors'] or b['advanced_event_selectors']}"
        ),
    ),
    Link(
        "trail_sources_kept",
        "trail",
        "no needed source excluded",
        literal=False,
        reason=lambda b, a: (
            f"{trail_phrase(b)} excludes management events from "
            f"{', '.join(b['excluded_sources'])}, which this control needs"
        ),
    ),
    Link(
        "trail_delivers_to_logs",
        "trail",
        "delivers to CloudWatch Logs",
        literal=True,
        reason=lambda b, a: (
            f"{trail_phrase(b)} does not deliver to CloudWatch Logs (no CloudWatchLogsLogGroupArn)"
        ),
    ),
    Link(
        "trail_delivery_healthy",
        "trail",
        "delivery healthy",
        literal=False,
        reason=lambda b, a: _delivery(b),
    ),
    Link(
        "log_group_exists",
        "log_group",
        "exists",
        literal=True,
        reason=lambda b, a: (
            f"log group {log_group_phrase(b)} named by {trail_phrase(b)} does not exist"
        ),
    ),
    Link(
        "filter_exists",
        "metric_filter",
        "exists on the log group",
        literal=True,
        reason=lambda b, a: f"no metric filter on log group {log_group_phrase(b)}",
    ),
    Link(
        "filter_covers_pattern",
        "metric_filter",
        "covers the required pattern",
        literal=True,
        reason=lambda b, a: (
            f"metric filter {quoted(b['filter_name'])} on {quoted(b['lg_name'])} "
            + (b["coverage_reason"] or "was not judged")
        ),
    ),
    Link(
        "metric_value_positive",
        "metric",
        "metric value positive",
        literal=False,
        reason=lambda b, a: (
            f"metric filter {quoted(b['filter_name'])} emits metric value "
            f"{b['filter_value']!r}; it must be a positive number so that each event counts"
        ),
    ),
    Link(
        "alarm_exists",
        "alarm",
        "exists",
        literal=True,
        reason=_alarm_missing,
    ),
    Link(
        "metric_namespace_matches",
        "metric",
        "alarm watches this namespace",
        literal=False,
        reason=lambda b, a: (
            f"alarm {quoted(b['alarm_name'])} watches namespace "
            f"{quoted(b['alarm_namespace'])} but metric filter {quoted(b['filter_name'])} "
            f"publishes {quoted(b['filter_metric'])} to {quoted(b['filter_namespace'])}"
        ),
    ),
    Link(
        "metric_dimensions_match",
        "metric",
        "dimensions match",
        literal=False,
        reason=lambda b, a: (
            f"alarm {quoted(b['alarm_name'])} and metric filter {quoted(b['filter_name'])} "
            f"disagree on dimensions (filter: {b['filter_dimensions'] or 'none'}, alarm: "
            f"{b['alarm_dimension_count']} dimension(s)), so the alarm does not see every event"
        ),
    ),
    Link(
        "alarm_fires_on_one_event",
        "alarm",
        "fires on one event",
        literal=False,
        reason=lambda b, a: _fires(b),
    ),
    Link(
        "alarm_notifies_topic",
        "alarm",
        "notifies an SNS topic",
        literal=True,
        reason=lambda b, a: f"{notifier_phrase(b)} has no SNS topic among its AlarmActions",
    ),
    Link(
        "composite_fires_on_alarm",
        "alarm",
        "composite fires on it alone",
        literal=True,
        reason=lambda b, a: _composite_fires(b),
    ),
    Link(
        "composite_not_suppressed",
        "alarm",
        "composite not suppressed",
        literal=False,
        reason=lambda b, a: _suppressed(b),
    ),
    Link(
        "alarm_actions_enabled",
        "alarm",
        "actions enabled",
        literal=False,
        reason=lambda b, a: f"{notifier_phrase(b)} has actions disabled",
    ),
    Link(
        "topic_exists",
        "topic",
        "exists",
        literal=True,
        reason=lambda b, a: (
            f"SNS topic {_topic_action(b)} named by {notifier_phrase(b)} does not exist"
        ),
    ),
    Link(
        "topic_accepts_alarms",
        "topic",
        "accepts alarm messages",
        literal=False,
        reason=lambda b, a: (
            f"topic {quoted(b['topic_name'])} is encrypted with the AWS-managed key "
            f"{b['topic_kms_key']} (alias/aws/sns), which CloudWatch alarms cannot publish with"
        ),
        unknown=lambda b, a: _topic_unknown(b),
    ),
    Link(
        "subscriber_confirmed",
        "subscribers",
        "a confirmed subscriber",
        literal=True,
        reason=lambda b, a: (
            f"topic {quoted(b['topic_name'])} has no confirmed subscription "
            f"({b['pending_subscriptions'] or 0} pending)"
        ),
        unknown=lambda b, a: (
            f"could not evaluate: sns:ListSubscriptionsByTopic failed for topic "
            f"{b['topic_arn']}, so its subscribers cannot be verified"
        ),
    ),
)

BY_NAME: dict[str, Link] = {link.name: link for link in LINKS}
