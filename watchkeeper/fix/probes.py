"""Is a step already so? One read per step before its write: what makes apply idempotent
(a second apply sends no write) and lets a repair carry the user's other settings over."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from watchkeeper.fix.steps import Step

__all__ = ["write_params"]


def _trail(client: Any, name: str) -> dict[str, Any]:
    found = client.describe_trails(trailNameList=[name], includeShadowTrails=False)["trailList"]
    return found[0] if found else {}


def _no_suffix(arn: str | None) -> str:
    return (arn or "").removesuffix(":*")


def _selectors_match(client: Any, p: dict[str, Any]) -> bool:
    now = client.get_event_selectors(TrailName=p["TrailName"])
    key = "AdvancedEventSelectors" if "AdvancedEventSelectors" in p else "EventSelectors"
    have = now.get(key) or []

    def same(want: dict[str, Any], got: dict[str, Any]) -> bool:
        return all(got.get(k, [] if isinstance(v, list) else None) == v for k, v in want.items())

    return len(have) == len(p[key]) and all(any(same(w, g) for g in have) for w in p[key])


def _filter_matches(client: Any, p: dict[str, Any]) -> bool:
    found = client.describe_metric_filters(
        logGroupName=p["logGroupName"], filterNamePrefix=p["filterName"]
    )["metricFilters"]
    want = p["metricTransformations"][0]
    for f in found:
        if f["filterName"] != p["filterName"] or f.get("filterPattern") != p["filterPattern"]:
            continue
        got = (f.get("metricTransformations") or [{}])[0]
        if all(str(got.get(k)) == str(v) for k, v in want.items()) and not got.get("dimensions"):
            return True
    return False


def _alarm(client: Any, name: str) -> dict[str, Any] | None:
    found = client.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])
    alarms = found.get("MetricAlarms") or []
    return alarms[0] if alarms else None


# Settings of an existing alarm that a repair keeps (PutMetricAlarm replaces the whole alarm).
_KEPT = ("AlarmDescription", "OKActions", "InsufficientDataActions", "Unit")


def _alarm_matches(current: dict[str, Any] | None, p: dict[str, Any]) -> bool:
    if current is None or current.get("Dimensions"):
        return False
    for k, v in p.items():
        got = current.get(k)
        if k == "AlarmActions":
            if not set(v) <= set(got or []):
                return False
        elif isinstance(v, float) or isinstance(got, float):
            if got is None or float(got) != float(v):
                return False
        elif got != v:
            return False
    return True


def _topic_exists(client: Any, arn: str) -> bool:
    try:
        client.get_topic_attributes(TopicArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NotFound", "NotFoundException"):
            return False
        raise
    return True


def _subscribed(client: Any, p: dict[str, Any]) -> str | None:
    pages = client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=p["TopicArn"])
    for page in pages:
        for s in page.get("Subscriptions", []):
            if (s.get("Protocol"), s.get("Endpoint")) == (p["Protocol"], p["Endpoint"]):
                arn = s.get("SubscriptionArn") or ""
                return "pending confirmation" if arn.startswith("Pending") else "confirmed"
    return None


def _already_done(step: Step, client: Any) -> str | None:
    """Why the step needs no write (its state already holds), or None; put_alarm: see
    write_params."""
    p = step.params
    match step.action:
        case "start_logging":
            return (
                "already logging" if client.get_trail_status(Name=p["Name"])["IsLogging"] else None
            )
        case "make_multi_region":
            return (
                "already multi-region"
                if _trail(client, p["Name"]).get("IsMultiRegionTrail")
                else None
            )
        case "record_management_events":
            return "selectors already record them" if _selectors_match(client, p) else None
        case "create_log_group":
            groups = client.describe_log_groups(logGroupNamePrefix=p["logGroupName"])["logGroups"]
            exists = any(g["logGroupName"] == p["logGroupName"] for g in groups)
            return "log group exists" if exists else None
        case "point_trail_at_log_group":
            t = _trail(client, p["Name"])
            same = (
                _no_suffix(t.get("CloudWatchLogsLogGroupArn"))
                == _no_suffix(p["CloudWatchLogsLogGroupArn"])
                and t.get("CloudWatchLogsRoleArn") == p["CloudWatchLogsRoleArn"]
            )
            return "trail already delivers there" if same else None
        case "create_metric_filter" | "repair_metric_filter":
            return "filter already so" if _filter_matches(client, p) else None
        case "create_topic":
            arn = f"arn:aws:sns:{step.region}:{step.account_id}:{p['Name']}"
            return "topic exists" if _topic_exists(client, arn) else None
        case "subscribe":
            state = _subscribed(client, p)
            return f"already subscribed ({state})" if state else None
        case "enable_alarm_actions":
            alarm = _alarm(client, p["AlarmNames"][0])
            return "actions already enabled" if alarm and alarm.get("ActionsEnabled") else None
    return None


def write_params(step: Step, client: Any) -> tuple[str | None, dict[str, Any]]:
    """(why the step needs no write, or None; the arguments its write takes). A repair of
    the user's alarm keeps what the alarm has besides (PutMetricAlarm replaces the whole
    alarm), from the same one read that tells whether it is already so."""
    p = step.params
    if step.action != "put_alarm":
        return _already_done(step, client), p
    current = _alarm(client, p["AlarmName"])
    if _alarm_matches(current, p):
        return "alarm already so", p
    if not step.changes_existing or current is None:
        return None, p
    return None, {**{k: current[k] for k in _KEPT if current.get(k)}, **p}
