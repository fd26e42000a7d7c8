"""Remediation for one verdict: the AWS CLI commands that mend its broken links.

The report prints these under each failing verdict; `fix` plans and applies from the same
list. What :func:`remediation_commands` guarantees:

- Commands only for a ``fail`` verdict, and only for links the check judged broken (held
  false). ``pass`` needs nothing; ``error`` and links judged unknown mean the collection,
  not the account, needs fixing; ``manual`` is attested as monitored elsewhere.
- In the order to run them: an object is created before a later command names it (log
  group before the trail that delivers to it, topic before its subscription and alarm).
- Real names from the evidence (trail, log group, filter, alarm, topic ARN). An object the
  chain lacks is created under a name derived from the control (``cis-<topic>``); what only
  the user knows is an ``<angle-bracket>`` placeholder (bucket, role, key, address).
- A filter that misses the required pattern is not rewritten: a new one is created, since
  the nearest filter may serve another control.
- Every command ends with ``--region`` and every argument is shell-quoted, so each text can
  be pasted into a POSIX shell as it is.
- Pure: it reads the control and the result only (no AWS, no database).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from watchkeeper.queries.catalog import Control
from watchkeeper.queries.evidence import AlarmObject, MetricFilterObject
from watchkeeper.queries.results import Result

__all__ = [
    "DEFAULT_NAMESPACE",
    "Command",
    "FlagValue",
    "aws_cli",
    "cli_flags",
    "remediation_commands",
]

# Where CIS's own remediation publishes the metrics when the catalog names no namespace.
DEFAULT_NAMESPACE = "CISBenchmark"
_ROLE = "<role-arn-cloudtrail-can-assume>"
_ALL_MANAGEMENT_EVENTS = (
    '[{"ReadWriteType":"All","IncludeManagementEvents":true,"ExcludeManagementEventSources":[]}]'
)
# No trail at all: every object of the chain is missing.
_NO_TRAIL = frozenset(
    {"no_trail", "filter_exists", "alarm_exists", "topic_exists", "subscriber_confirmed"}
)
# Links mended by (re)creating the alarm on the filter's metric.
_ALARM_LINKS = frozenset(
    {
        "alarm_exists",
        "metric_namespace_matches",
        "metric_dimensions_match",
        "alarm_fires_on_one_event",
        "alarm_notifies_topic",
    }
)

FlagValue = str | int | bool


@dataclass(frozen=True)
class Command:
    purpose: str
    text: str  # one shell command line


def cli_flags(**flags: FlagValue) -> list[str]:
    """Keyword arguments as CLI flags, in the order given.

    ``log_group_name="x"`` → ``--log-group-name x``; ``True`` → the bare flag; ``False`` →
    left out.
    """
    out: list[str] = []
    for name, value in flags.items():
        if value is False:
            continue
        out.append("--" + name.replace("_", "-"))
        if value is not True:
            out.append(str(value))
    return out


def aws_cli(service: str, operation: str, /, *, region: str, **flags: FlagValue) -> str:
    """One shell-quoted ``aws SERVICE OPERATION --flag value … --region REGION`` line."""
    return shlex.join(["aws", service, operation, *cli_flags(**flags, region=region)])


@dataclass
class _Fix:
    """The commands planned so far and the names they leave for the next ones."""

    control: Control
    account: str
    region: str
    broken: set[str]
    trail: str
    log_group: str | None
    filter: MetricFilterObject | None
    alarm: AlarmObject | None
    topic_arn: str | None
    commands: list[Command] = field(default_factory=list)

    def add(self, purpose: str, service: str, operation: str, **flags: FlagValue) -> None:
        text = aws_cli(service, operation, region=self.region, **flags)
        self.commands.append(Command(purpose, text))

    def log_group_arn(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"


def _new_trail(fix: _Fix) -> None:
    name = f"aws-cloudtrail-logs-{fix.account}"
    fix.add(
        "Create the log group the trail will deliver to",
        "logs",
        "create-log-group",
        log_group_name=name,
    )
    fix.add(
        "Create a multi-region trail that delivers to it",
        "cloudtrail",
        "create-trail",
        name="cis-management-events",
        s3_bucket_name="<audit-log-bucket>",
        is_multi_region_trail=True,
        cloud_watch_logs_log_group_arn=fix.log_group_arn(name),
        cloud_watch_logs_role_arn=_ROLE,
    )
    fix.add("Start logging", "cloudtrail", "start-logging", name="cis-management-events")
    fix.log_group = name


def _trail_steps(fix: _Fix) -> None:
    """The trail and the log group it delivers to."""
    broken = fix.broken
    if "no_trail" in broken:
        _new_trail(fix)
    if "trail_multi_region" in broken:
        fix.add(
            "Make the trail multi-region",
            "cloudtrail",
            "update-trail",
            name=fix.trail,
            is_multi_region_trail=True,
        )
    if "trail_logging" in broken:
        fix.add("Start the trail logging", "cloudtrail", "start-logging", name=fix.trail)
    if broken & {"trail_management_events", "trail_sources_kept"}:
        fix.add(
            "Record all management events, reads and writes, from every source",
            "cloudtrail",
            "put-event-selectors",
            trail_name=fix.trail,
            event_selectors=_ALL_MANAGEMENT_EVENTS,
        )
    if "trail_delivers_to_logs" in broken:
        name = f"aws-cloudtrail-logs-{fix.account}"
        fix.add("Create a log group for the trail", "logs", "create-log-group", log_group_name=name)
        fix.add(
            "Send the trail's events to it",
            "cloudtrail",
            "update-trail",
            name=fix.trail,
            cloud_watch_logs_log_group_arn=fix.log_group_arn(name),
            cloud_watch_logs_role_arn=_ROLE,
        )
        # A new log group has no filter and so no alarm yet: both follow below.
        fix.log_group = name
        broken |= {"filter_exists", "alarm_exists"}
        fix.filter = fix.alarm = None
    if "trail_delivery_healthy" in broken:
        fix.add(
            "See why delivery to CloudWatch Logs fails (usually the role's permissions)",
            "cloudtrail",
            "get-trail-status",
            name=fix.trail,
        )
    if "log_group_exists" in broken:
        fix.add(
            "Create the log group the trail names",
            "logs",
            "create-log-group",
            log_group_name=fix.log_group or "<log-group>",
        )


def _filter_steps(fix: _Fix) -> tuple[str, str, bool]:
    """The metric filter; returns the metric and namespace the alarm must watch, and
    whether the filter is new."""
    control, mf = fix.control, fix.filter
    namespace = control.metric_namespace or DEFAULT_NAMESPACE
    metric = control.metric_name or f"{control.topic}_count"
    transformations = "metricName={},metricNamespace={},metricValue=1"
    new_filter = bool(fix.broken & {"filter_exists", "filter_covers_pattern"})
    if new_filter:
        # A new filter rather than rewriting the nearest one: that one may serve another
        # control (it was only the closest candidate for this one).
        fix.add(
            "Create the metric filter with the required pattern",
            "logs",
            "put-metric-filter",
            log_group_name=fix.log_group or "<log-group>",
            filter_name=f"cis-{control.topic}",
            filter_pattern=control.required_patterns[0] if control.required_patterns else "",
            metric_transformations=transformations.format(metric, namespace),
        )
        return metric, namespace, True
    if mf is not None:
        metric = mf["metric_name"] or metric
        namespace = mf["metric_namespace"] or namespace
    if fix.broken & {"metric_value_positive", "metric_dimensions_match"}:
        fix.add(
            "Count each event once, without dimensions, on the existing filter",
            "logs",
            "put-metric-filter",
            log_group_name=fix.log_group or "<log-group>",
            filter_name=(mf["name"] if mf else None) or f"cis-{control.topic}",
            filter_pattern=(mf["pattern"] if mf else None) or control.required_patterns[0],
            metric_transformations=transformations.format(metric, namespace),
        )
    return metric, namespace, False


def _topic_steps(fix: _Fix) -> None:
    """The SNS topic the alarm notifies, and its subscriber."""
    broken = fix.broken
    if "topic_exists" in broken:
        actions = (fix.alarm["sns_actions"] if fix.alarm else None) or []
        name = actions[0].rsplit(":", 1)[-1] if actions else "security-alerts"
        fix.topic_arn = actions[0] if actions else f"arn:aws:sns:{fix.region}:{fix.account}:{name}"
        fix.add("Create the SNS topic", "sns", "create-topic", name=name)
    if "alarm_notifies_topic" in broken and fix.topic_arn is None:
        fix.topic_arn = f"arn:aws:sns:{fix.region}:{fix.account}:security-alerts"
        fix.add(
            "Create an SNS topic for security alerts",
            "sns",
            "create-topic",
            name="security-alerts",
        )
        broken.add("subscriber_confirmed")
    if "topic_accepts_alarms" in broken:
        fix.add(
            "Encrypt the topic with a customer managed key CloudWatch may use",
            "sns",
            "set-topic-attributes",
            topic_arn=fix.topic_arn or "<topic-arn>",
            attribute_name="KmsMasterKeyId",
            attribute_value="<customer-managed-key-id>",
        )
    if broken & {"subscriber_confirmed", "topic_exists"}:
        fix.add(
            "Subscribe the security team, then confirm the subscription",
            "sns",
            "subscribe",
            topic_arn=fix.topic_arn or "<topic-arn>",
            protocol="email",
            notification_endpoint="<security-team-address>",
        )


def _alarm_steps(fix: _Fix, metric: str, namespace: str, new_filter: bool) -> None:
    alarm = fix.alarm
    if new_filter or fix.broken & _ALARM_LINKS:
        # A new filter publishes a new metric, so a new alarm watches it.
        name = alarm["name"] if alarm and not new_filter else f"cis-{fix.control.topic}-alarm"
        fix.add(
            "Create the alarm on the filter's metric, notifying the topic",
            "cloudwatch",
            "put-metric-alarm",
            alarm_name=name or "<alarm>",
            metric_name=metric,
            namespace=namespace,
            statistic="Sum",
            period=300,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            alarm_actions=fix.topic_arn or "<topic-arn>",
        )
    elif "alarm_actions_enabled" in fix.broken:
        fix.add(
            "Enable the alarm's actions",
            "cloudwatch",
            "enable-alarm-actions",
            alarm_names=(alarm["name"] if alarm else None) or "<alarm>",
        )


def remediation_commands(control: Control, result: Result) -> list[Command]:
    """The commands that mend ``result``'s broken links, in order (see the module doc)."""
    if result.status != "fail":
        return []
    ev = result.evidence
    if "enabled_regions" in ev:  # Security Hub: enable it where it is off
        return [
            Command(
                f"Enable Security Hub in {region}",
                aws_cli("securityhub", "enable-security-hub", region=region),
            )
            for region in ev["disabled_regions"]
        ]
    chain = ev.get("chain")
    if chain is None:
        fix = _Fix(
            control,
            result.account_id,
            region=result.region or "us-east-1",
            broken=set(_NO_TRAIL),
            trail="<trail-name>",
            log_group=None,
            filter=None,
            alarm=None,
            topic_arn=None,
        )
    else:
        trail, lg, topic = chain["trail"], chain["log_group"], chain["topic"]
        fix = _Fix(
            control,
            result.account_id,
            region=lg["region"] or trail["home_region"] or result.region or "us-east-1",
            broken={x["link"] for x in ev.get("links") or [] if x["held"] is False},
            trail=trail["name"] or "<trail-name>",
            log_group=lg["name"],
            filter=chain["metric_filter"],
            alarm=chain["alarm"],
            topic_arn=topic["arn"] if topic else None,
        )
        if not fix.broken:
            return []  # unknown links: the collection, not the account, needs fixing
    _trail_steps(fix)
    metric, namespace, new_filter = _filter_steps(fix)
    _topic_steps(fix)
    _alarm_steps(fix, metric, namespace, new_filter)
    return fix.commands
