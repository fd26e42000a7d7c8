"""The trail's links: logging, regions, event selectors, delivery to a log group."""

from __future__ import annotations

import json
from typing import Any

from watchkeeper.fix.builder import ChainState
from watchkeeper.queries.evidence import TrailObject

__all__ = ["group_arn", "management_selectors", "trail_steps"]

_TRAIL_LINKS = frozenset(
    {
        "trail_logging",
        "trail_multi_region",
        "trail_management_events",
        "trail_sources_kept",
        "trail_delivers_to_logs",
        "trail_delivery_healthy",
    }
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _is_management(selector: dict[str, Any]) -> bool:
    return any(
        f.get("Field") == "eventCategory" and "Management" in (f.get("Equals") or [])
        for f in selector.get("FieldSelectors") or []
    )


def management_selectors(trail: TrailObject) -> dict[str, Any]:
    """PutEventSelectors arguments that record every management event, reads and writes,
    from every source — and keep the trail's data-event selectors as they are."""
    advanced = _json(trail["advanced_event_selectors"]) or []
    if advanced:
        kept_advanced = [s for s in advanced if not _is_management(s)]
        every_event: dict[str, Any] = {
            "Name": "Management events",
            "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
        }
        return {"TrailName": trail["name"], "AdvancedEventSelectors": [*kept_advanced, every_event]}
    # A basic selector's ReadWriteType covers its data events too: a data selector is kept
    # without management events rather than widened to reads it did not record.
    kept: list[dict[str, Any]] = [
        {**s, "IncludeManagementEvents": False, "ExcludeManagementEventSources": []}
        for s in _json(trail["event_selectors"]) or []
        if s.get("DataResources")
    ]
    everything: dict[str, Any] = {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
    return {"TrailName": trail["name"], "EventSelectors": [*kept, everything]}


def trail_steps(c: ChainState) -> tuple[str, str] | None:
    """Trail links; returns the (log group, region) the filter belongs on, or None when the
    chain needs a person before anything else can help."""
    trail, lg = c.chain["trail"], c.chain["log_group"]
    name, home = trail["name"], trail["home_region"]
    broken = c.broken
    if broken & _TRAIL_LINKS and trail["owner_account_id"] != c.account:
        c.plan.manual.append(
            f"the trail {name} is an organization trail owned by account "
            f"{trail['owner_account_id']}: mend it there (`watchkeeper fix --account "
            f"{trail['owner_account_id']}`)"
        )
        return None
    if "trail_logging" in broken:
        c.add(
            home, "start_logging", "trail_logging", "Start the trail logging", name, True, Name=name
        )
    if "trail_multi_region" in broken:
        c.add(
            home,
            "make_multi_region",
            "trail_multi_region",
            "Make the trail record events from every region",
            name,
            True,
            Name=name,
            IsMultiRegionTrail=True,
        )
    if broken & {"trail_management_events", "trail_sources_kept"}:
        link = (
            "trail_management_events"
            if "trail_management_events" in broken
            else ("trail_sources_kept")
        )
        c.add(
            home,
            "record_management_events",
            link,
            "Record every management event, reads and writes, from every source "
            "(the trail's data-event selectors are kept)",
            name,
            True,
            **management_selectors(trail),
        )
    group, region = lg["name"], lg["region"] or home
    role = c.options.logs_role_arn
    if role is not None:
        role = role.replace("{account}", c.account)
    if "trail_delivers_to_logs" in broken:
        group, region = f"watchkeeper-cloudtrail-{name}", home
        c.add(
            region,
            "create_log_group",
            "trail_delivers_to_logs",
            "Create a log group for the trail's events",
            group,
            logGroupName=group,
        )
        if role is None:
            c.plan.manual.append(
                f"the trail {name} needs a role CloudTrail can assume to write to {group} "
                "(trusting cloudtrail.amazonaws.com, allowing logs:CreateLogStream and "
                "logs:PutLogEvents on it): a person must create it, then re-run with "
                "--logs-role-arn"
            )
            return None
        c.add(
            home,
            "point_trail_at_log_group",
            "trail_delivers_to_logs",
            "Send the trail's events to the log group",
            name,
            True,
            Name=name,
            CloudWatchLogsLogGroupArn=group_arn(c.account, region, group),
            CloudWatchLogsRoleArn=role,
        )
        c.chain = {**c.chain, "metric_filter": None, "alarm": None}
        return group, region
    if "trail_delivery_healthy" in broken:
        error = trail["latest_cloudwatch_logs_delivery_error"] or "no recent delivery"
        if role is None or group is None:
            c.plan.manual.append(
                f"the trail {name} cannot deliver to CloudWatch Logs ({error}): a person must "
                "mend the CloudTrail→CloudWatch Logs role, or re-run with --logs-role-arn"
            )
            return None
        c.add(
            home,
            "point_trail_at_log_group",
            "trail_delivery_healthy",
            f"Deliver through the role given ({error} now)",
            name,
            True,
            Name=name,
            CloudWatchLogsLogGroupArn=group_arn(c.account, region, group),
            CloudWatchLogsRoleArn=role,
        )
    if group is None:
        c.plan.manual.append(f"the trail {name} names no log group the plan can use")
        return None
    if "log_group_exists" in broken:
        c.add(
            region,
            "create_log_group",
            "log_group_exists",
            "Create the log group the trail names",
            group,
            logGroupName=group,
        )
        c.chain = {**c.chain, "metric_filter": None, "alarm": None}
    return group, region


def group_arn(account: str, region: str, group: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{group}:*"
