"""Shared steps of the fix tests: collect and check an estate, plan, apply, and read the
account's own objects (describe-*) to compare before and after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import Account
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.fix.apply import ApplyOutcome, ApplyRequest, apply_fix
from watchkeeper.fix.clients import FixerClients
from watchkeeper.fix.permissions import WRITE_ACTIONS
from watchkeeper.fix.plan import FixOptions, PlanRequest, Subscriber
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import CheckRun

R = "us-east-1"
REGIONS = (R, "eu-west-1")
LOGS_ROLE = "arn:aws:iam::{account}:role/ct-to-cwl"
OPTIONS = FixOptions((Subscriber("email", "secops@example.com"),), LOGS_ROLE)


def collect_and_check(
    db: Path,
    proxy: FaultProxy,
    controls: tuple[str, ...] = (),
    accounts: tuple[str, ...] = (),
    regions: tuple[str, ...] = REGIONS,
) -> CheckRun:
    aws = AwsOptions(endpoint_url=proxy.url, max_attempts=2)
    role = "watchkeeper-reader" if accounts else None
    collect(CollectRequest(db=db, accounts=accounts, role_name=role, regions=regions, aws=aws))
    return check(CheckRequest(db=db, benchmark="cis-v5.0.0", controls=controls))


def plan_request(db: Path, **kwargs: Any) -> PlanRequest:
    return PlanRequest(db=db, options=kwargs.pop("options", OPTIONS), **kwargs)


def apply(db: Path, proxy: FaultProxy, role_name: str | None = None, **kwargs: Any) -> ApplyOutcome:
    """`fix --apply --yes`, through the fixer role when given (and the reader role then to
    re-collect)."""
    aws = AwsOptions(endpoint_url=proxy.url, max_attempts=2)
    reader = "watchkeeper-reader" if role_name else None
    request = ApplyRequest(plan_request(db, **kwargs), aws, role_name, None, reader)
    return apply_fix(request, clients=FixerClients(aws, role_name))


def write_calls(proxy: FaultProxy) -> list[str]:
    """Write calls that reached the proxy (every write the fixer sent)."""
    return [
        f"{svc}:{op}"
        for svc, ops in WRITE_ACTIONS.items()
        for op in ops
        for _ in range(proxy.count(svc, op))
    ]


def estate_objects(a: Account, regions: tuple[str, ...] = REGIONS) -> dict[str, Any]:
    """The account's monitoring objects as describe-* shows them, keyed by kind and name."""
    out: dict[str, Any] = {}
    for region in regions:
        logs = a.client("logs", region)
        for g in logs.describe_log_groups()["logGroups"]:
            out[f"log_group {region} {g['logGroupName']}"] = g["logGroupName"]
            for f in logs.describe_metric_filters(logGroupName=g["logGroupName"])["metricFilters"]:
                f.pop("creationTime", None)
                out[f"filter {region} {f['filterName']}"] = f
        for al in a.client("cloudwatch", region).describe_alarms()["MetricAlarms"]:
            keep = (
                "AlarmName",
                "MetricName",
                "Namespace",
                "Statistic",
                "Threshold",
                "Period",
                "EvaluationPeriods",
                "ComparisonOperator",
                "AlarmActions",
                "ActionsEnabled",
                "OKActions",
                "Dimensions",
            )
            out[f"alarm {region} {al['AlarmName']}"] = {k: al.get(k) for k in keep}
        sns = a.client("sns", region)
        for t in sns.list_topics()["Topics"]:
            out[f"topic {t['TopicArn']}"] = t["TopicArn"]
        for s in sns.list_subscriptions()["Subscriptions"]:
            out[f"subscription {s['SubscriptionArn']}"] = (s["Protocol"], s["Endpoint"])
        for t in a.client("cloudtrail", region).describe_trails(includeShadowTrails=False)[
            "trailList"
        ]:
            out[f"trail {t['Name']}"] = t
    return out
