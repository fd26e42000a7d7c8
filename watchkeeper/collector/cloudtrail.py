"""CloudTrail trails: describe_trails (shadow copies included) per region; status and event
selectors once per trail, in its home region, by the account that owns it."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watchkeeper.arns import parse_arn
from watchkeeper.collector.aws import ErrorLog, Scope
from watchkeeper.store.model import Row

if TYPE_CHECKING:
    from watchkeeper.collector.clients import Clients

SERVICE = "cloudtrail"


@dataclass
class TrailDetail:
    """What get_trail_status and get_event_selectors said about one trail."""

    status: dict[str, Any] | None
    selectors: dict[str, Any] | None


@dataclass
class Trails:
    listed: list[dict[str, Any]] = field(default_factory=list)
    listed_ok: bool = False


def owner_of(text: str) -> str:
    arn = parse_arn(text)
    return arn.account if arn else ""


def fetch(scope: Scope) -> Trails:
    client = scope.client(SERVICE)
    listed = scope.attempt(
        SERVICE,
        "DescribeTrails",
        lambda: client.describe_trails(includeShadowTrails=True).get("trailList", []),
    )
    return Trails(listed=listed or [], listed_ok=listed is not None)


def fetch_detail(scope: Scope, arn: str) -> TrailDetail:
    """Status and selectors of one trail; ``scope`` must be the trail's home region."""
    client = scope.client(SERVICE)
    status = scope.attempt(SERVICE, "GetTrailStatus", lambda: client.get_trail_status(Name=arn))
    selectors = scope.attempt(
        SERVICE, "GetEventSelectors", lambda: client.get_event_selectors(TrailName=arn)
    )
    for part in (status, selectors):
        if part is not None:
            part.pop("ResponseMetadata", None)
    return TrailDetail(status=status, selectors=selectors)


class TrailDetails:
    """Each listed trail's status and selectors, read once, in its home region, by its owner
    when that is an account we act in — whether or not the home region is collected.

    The first unit that lists a trail reads it; units listing it meanwhile (its shadow
    copies, an organization trail seen from every member account) wait for that reading,
    so every trail row is complete when it is written and none has to be kept for later.
    """

    def __init__(self, owners: dict[str, Clients], partition: str, errors: ErrorLog):
        self._owners = owners
        self._partition = partition
        self._errors = errors
        self._read: dict[str, Future[TrailDetail]] = {}
        self._lock = threading.Lock()

    def get(self, arn: str, owner: str, home: str) -> TrailDetail | None:
        """None when the owner is not an account we act in (nothing can be read)."""
        clients = self._owners.get(owner)
        if clients is None:
            return None
        with self._lock:
            reading = self._read.get(arn)
            if reading is None:
                reading = self._read[arn] = Future()
                mine = True
            else:
                mine = False
        if mine:
            try:
                scope = Scope(clients, owner, home, self._partition, self._errors)
                reading.set_result(fetch_detail(scope, arn))
            except BaseException as exc:  # a refused write: every waiter sees it too
                reading.set_exception(exc)
                raise
        return reading.result()


def rows(trails: Trails, scope: Scope) -> list[Row]:
    out: list[Row] = []
    for t in trails.listed:
        arn = t["TrailARN"]
        home = t.get("HomeRegion", scope.region)
        out.append(
            {
                "account_id": scope.account_id,
                "region": scope.region,
                "name": t.get("Name"),
                "arn": arn,
                "home_region": home,
                "owner_account_id": owner_of(arn),
                "is_shadow": home != scope.region,
                "is_multi_region_trail": t.get("IsMultiRegionTrail"),
                "is_organization_trail": t.get("IsOrganizationTrail"),
                "include_global_service_events": t.get("IncludeGlobalServiceEvents"),
                "log_file_validation_enabled": t.get("LogFileValidationEnabled"),
                "has_custom_event_selectors": t.get("HasCustomEventSelectors"),
                "has_insight_selectors": t.get("HasInsightSelectors"),
                "log_group_arn": t.get("CloudWatchLogsLogGroupArn"),
                "cloudwatch_logs_role_arn": t.get("CloudWatchLogsRoleArn"),
                "s3_bucket_name": t.get("S3BucketName"),
                "s3_key_prefix": t.get("S3KeyPrefix"),
                "sns_topic_arn": t.get("SnsTopicARN"),
                "kms_key_id": t.get("KmsKeyId"),
                "status_collected": False,
                "raw": t,
            }
        )
    return out


def apply_detail(row: Row, detail: TrailDetail) -> None:
    """Fill a trail row's status/selector columns from its (once-fetched) detail."""
    status, selectors = detail.status, detail.selectors
    row["status_collected"] = status is not None and selectors is not None
    if status is not None:
        row["is_logging"] = status.get("IsLogging")
        row["latest_cloudwatch_logs_delivery_time"] = status.get("LatestCloudWatchLogsDeliveryTime")
        row["latest_cloudwatch_logs_delivery_error"] = status.get(
            "LatestCloudWatchLogsDeliveryError"
        )
        row["latest_delivery_time"] = status.get("LatestDeliveryTime")
        row["latest_delivery_error"] = status.get("LatestDeliveryError")
        row["start_logging_time"] = status.get("StartLoggingTime")
        row["stop_logging_time"] = status.get("StopLoggingTime")
        row["raw_status"] = status
    if selectors is not None:
        row["event_selectors"] = selectors.get("EventSelectors")
        row["advanced_event_selectors"] = selectors.get("AdvancedEventSelectors")
        row["raw_event_selectors"] = selectors
