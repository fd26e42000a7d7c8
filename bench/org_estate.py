"""An AWS Organization as data, for the organisation-scale collection benchmark.

Shaped like a real one: a management account with an organization trail that every member
account sees in every region; 17 default regions enabled (four opt-in regions not); most
regions of most accounts empty; each account's CIS monitoring chain in one region, or two;
a few "platform" accounts with hundreds of log groups, metric filters and alarms; Security
Hub on in the chain regions only. Every account is generated on its own from the seed, so
any part of the estate can be rebuilt without the rest.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
)
OPT_IN_REGIONS = ("af-south-1", "ap-east-1", "eu-south-1", "me-south-1")  # not enabled
HOME = "us-east-1"
MANAGEMENT = "100000000000"
ORG_ID = "o-bench00001"
ROLE = "watchkeeper-bench"
CALLER_KEY = "bench"  # the management account's own access key
PLATFORM_EVERY = 100  # one platform account in each hundred
SEED = 1

# Real AWS page sizes of the listings the collector reads.
PAGE = {
    "DescribeLogGroups": 50,
    "DescribeMetricFilters": 50,
    "DescribeAlarms": 50,
    "ListTopics": 100,
    "ListSubscriptionsByTopic": 100,
    "ListAccounts": 20,
    "ListAccountsForParent": 20,
    "ListOrganizationalUnitsForParent": 20,
}

# Fixed instants: the same estate always collects to the same rows.
T0 = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)

# The CIS 4.x monitoring events, one filter and alarm each (patterns shaped like the
# benchmark's: OR-ed event names, some with extra conditions).
_CIS_EVENTS: tuple[tuple[str, ...], ...] = (
    ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "CreateSecurityGroup"),
    ("ConsoleLogin",),
    ("DeleteGroupPolicy", "DeleteRolePolicy", "PutGroupPolicy", "PutRolePolicy"),
    ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ("DisableKey", "ScheduleKeyDeletion"),
    ("PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "DeleteBucketPolicy"),
    ("PutConfigurationRecorder", "StopConfigurationRecorder", "DeleteDeliveryChannel"),
    ("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "ReplaceNetworkAclEntry"),
    ("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway"),
    ("CreateRoute", "CreateRouteTable", "ReplaceRoute", "DeleteRouteTable"),
    ("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection"),
    ("CreateOrganizationalUnit", "AttachPolicy", "LeaveOrganization", "RemoveAccount"),
    ("GetSecretValue", "RestoreSecret"),
    ("CreateUser", "DeleteUser", "CreateAccessKey"),
    ("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"),
)


def _pattern(events: tuple[str, ...]) -> str:
    return "{ " + " || ".join(f"($.eventName = {e})" for e in events) + " }"


def account_ids(count: int) -> list[str]:
    """The management account first, then the members."""
    return [str(int(MANAGEMENT) + i) for i in range(count)]


@dataclass
class RegionData:
    """What one account has in one region (empty for most)."""

    log_groups: list[dict[str, Any]] = field(default_factory=list)
    metric_filters: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    topic_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    hub: bool = False


@dataclass
class Trail:
    name: str
    owner: str
    home: str
    log_group: str
    organization: bool

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.home}:{self.owner}:trail/{self.name}"

    def listed(self) -> dict[str, Any]:
        """The trail as describe_trails shows it."""
        return {
            "Name": self.name,
            "S3BucketName": f"cloudtrail-{self.owner}",
            "IncludeGlobalServiceEvents": True,
            "IsMultiRegionTrail": True,
            "HomeRegion": self.home,
            "TrailARN": self.arn,
            "LogFileValidationEnabled": True,
            "CloudWatchLogsLogGroupArn": (
                f"arn:aws:logs:{self.home}:{self.owner}:log-group:{self.log_group}:*"
            ),
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{self.owner}:role/CloudTrailToLogs",
            "HasCustomEventSelectors": False,
            "HasInsightSelectors": False,
            "IsOrganizationTrail": self.organization,
        }

    def status(self) -> dict[str, Any]:
        return {
            "IsLogging": True,
            "LatestDeliveryTime": T0,
            "LatestCloudWatchLogsDeliveryTime": T0,
            "StartLoggingTime": datetime(2024, 3, 1, tzinfo=UTC),
            "LatestDigestDeliveryTime": T0,
            "TimeLoggingStarted": "2024-03-01T00:00:00Z",
        }

    def selectors(self) -> dict[str, Any]:
        return {
            "TrailARN": self.arn,
            "EventSelectors": [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [],
                    "ExcludeManagementEventSources": [],
                }
            ],
        }


@dataclass
class Account:
    account_id: str
    alias: str
    own_trail: Trail | None
    regions: dict[str, RegionData]  # only the regions that hold something

    def region(self, name: str) -> RegionData:
        return self.regions.get(name) or _EMPTY

    def trails_seen(self, region: str) -> list[Trail]:
        """What describe_trails (shadow trails included) lists here."""
        seen = [ORG_TRAIL] if self.account_id != MANAGEMENT else []
        if self.own_trail is not None:
            seen.append(self.own_trail)
        return seen


_EMPTY = RegionData()
ORG_TRAIL = Trail("org-trail", MANAGEMENT, HOME, "aws-controltower/CloudTrailLogs", True)


def _chain(rd: RegionData, acct: str, region: str, group: str, rng: random.Random) -> None:
    """A CIS monitoring chain on ``group``: 15 filters, 15 alarms, a topic, subscribers."""
    topic = f"arn:aws:sns:{region}:{acct}:security-alerts"
    rd.topics.append(topic)
    subs = rng.randint(1, 3)
    rd.topic_attributes[topic] = {
        "TopicArn": topic,
        "Owner": acct,
        "DisplayName": "Security alerts",
        "SubscriptionsConfirmed": str(subs - 1 if subs > 1 else subs),
        "SubscriptionsPending": "1" if subs > 1 else "0",
        "SubscriptionsDeleted": "0",
        "KmsMasterKeyId": f"arn:aws:kms:{region}:{acct}:key/{rng.getrandbits(64):016x}",
        "Policy": json.dumps(
            {
                "Version": "2008-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "SNS:Publish",
                        "Resource": topic,
                    }
                ],
            }
        ),
    }
    for s in range(subs):
        pending = s == 1
        rd.subscriptions.append(
            {
                "SubscriptionArn": "PendingConfirmation" if pending else f"{topic}:{s:08x}-sub",
                "Owner": acct,
                "Protocol": "email",
                "Endpoint": f"secops+{acct}-{s}@example.com",
                "TopicArn": topic,
            }
        )
    for i, events in enumerate(_CIS_EVENTS):
        metric = f"CIS-4-{i + 1}"
        rd.metric_filters.append(
            {
                "filterName": f"cis-4-{i + 1}",
                "filterPattern": _pattern(events),
                "metricTransformations": [
                    {"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}
                ],
                "creationTime": T0_MS - 86_400_000 * (i + 1),
                "logGroupName": group,
            }
        )
        rd.alarms.append(_alarm(acct, region, f"cis-4-{i + 1}", metric, "CISBenchmark", topic))


def _alarm(acct: str, region: str, name: str, metric: str, ns: str, topic: str) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{name}",
        "AlarmDescription": f"Alarm on {metric}",
        "AlarmConfigurationUpdatedTimestamp": T0,
        "ActionsEnabled": True,
        "OKActions": [],
        "AlarmActions": [topic],
        "InsufficientDataActions": [],
        "StateValue": "OK",
        "StateReason": "Threshold Crossed: no datapoints were received for 1 period.",
        "StateUpdatedTimestamp": T0,
        "MetricName": metric,
        "Namespace": ns,
        "Statistic": "Sum",
        "Dimensions": [],
        "Period": 300,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "StateTransitionedTimestamp": T0,
    }


def _log_group(acct: str, region: str, name: str, rng: random.Random) -> dict[str, Any]:
    arn = f"arn:aws:logs:{region}:{acct}:log-group:{name}"
    return {
        "logGroupName": name,
        "creationTime": T0_MS - rng.randint(1, 900) * 86_400_000,
        "retentionInDays": rng.choice((30, 90, 365, 400)),
        "metricFilterCount": 0,
        "arn": f"{arn}:*",
        "storedBytes": rng.randint(0, 2**36),
        "logGroupClass": "STANDARD",
        "logGroupArn": arn,
    }


def _platform(rd: RegionData, acct: str, region: str, rng: random.Random) -> None:
    """A platform team's region: hundreds of log groups, filters and alarms."""
    topics = [f"arn:aws:sns:{region}:{acct}:platform-{t:02d}" for t in range(10)]
    rd.topics += topics
    for t in topics:
        rd.topic_attributes[t] = {"TopicArn": t, "Owner": acct, "SubscriptionsConfirmed": "3"}
        for s in range(3):
            rd.subscriptions.append(
                {
                    "SubscriptionArn": f"{t}:{s:08x}-sub",
                    "Owner": acct,
                    "Protocol": "https",
                    "Endpoint": f"https://hooks.example.com/{acct}/{s}",
                    "TopicArn": t,
                }
            )
    groups = [f"/platform/service-{g:03d}/app" for g in range(rng.randint(150, 250))]
    rd.log_groups += [_log_group(acct, region, g, rng) for g in groups]
    for f in range(rng.randint(60, 100)):
        group, metric = groups[f % len(groups)], f"errors-{f:03d}"
        rd.metric_filters.append(
            {
                "filterName": f"platform-errors-{f:03d}",
                "filterPattern": '{ ($.level = "ERROR") && ($.service = "svc-' + str(f) + '") }',
                "metricTransformations": [
                    {
                        "metricName": metric,
                        "metricNamespace": "Platform",
                        "metricValue": "1",
                        "defaultValue": 0.0,
                    }
                ],
                "creationTime": T0_MS - f * 3_600_000,
                "logGroupName": group,
            }
        )
        rd.alarms.append(
            _alarm(acct, region, f"platform-{f:03d}", metric, "Platform", topics[f % 10])
        )


@lru_cache(maxsize=4096)
def account(account_id: str) -> Account:
    index = int(account_id) - int(MANAGEMENT)
    rng = random.Random(f"{SEED}:{account_id}")
    regions: dict[str, RegionData] = {}
    home = "eu-west-1" if index % 3 == 2 else HOME
    chain_regions = [home] + (
        ["eu-west-1" if home == HOME else "us-west-2"] if index % 5 < 2 else []
    )
    own: Trail | None = None
    if index == 0:
        own = ORG_TRAIL
    elif index % 10 < 3:  # some accounts keep a trail of their own besides the org's
        own = Trail("account-trail", account_id, home, "cloudtrail/account", False)
    for r, region in enumerate(chain_regions):
        rd = regions.setdefault(region, RegionData(hub=True))
        group = own.log_group if own is not None and region == own.home else f"monitoring/{r}"
        rd.log_groups.append(_log_group(account_id, region, group, rng))
        rd.log_groups += [
            _log_group(account_id, region, f"/aws/lambda/app-{g}", rng)
            for g in range(rng.randint(0, 8))
        ]
        _chain(rd, account_id, region, group, rng)
    if index % PLATFORM_EVERY == PLATFORM_EVERY // 2:
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
            _platform(regions.setdefault(region, RegionData(hub=True)), account_id, region, rng)
    for rd in regions.values():
        counts: dict[str, int] = {}
        for f in rd.metric_filters:
            counts[f["logGroupName"]] = counts.get(f["logGroupName"], 0) + 1
        for g in rd.log_groups:
            g["metricFilterCount"] = counts.get(g["logGroupName"], 0)
    return Account(account_id, f"acme-{index:04d}", own, regions)


def trail(arn: str) -> Trail | None:
    """The trail with this ARN, from its owner's data."""
    owner = arn.split(":")[4]
    if owner == MANAGEMENT:
        return ORG_TRAIL
    found = account(owner).own_trail
    return found if found is not None and found.arn == arn else None


# --- the organization's tree -------------------------------------------------------------

ROOT = "r-bnch"
# OU id → (name, parent id): Security and Infrastructure under the root, the workloads
# split by environment, as AWS's multi-account guidance lays them out.
OUS = {
    "ou-bnch-security": ("Security", ROOT),
    "ou-bnch-infra": ("Infrastructure", ROOT),
    "ou-bnch-workloads": ("Workloads", ROOT),
    "ou-bnch-prod": ("Prod", "ou-bnch-workloads"),
    "ou-bnch-nonprod": ("NonProd", "ou-bnch-workloads"),
    "ou-bnch-sandbox": ("Sandbox", ROOT),
}


def parent_of(account_id: str) -> str:
    """The OU (or the root) an account sits in."""
    index = int(account_id) - int(MANAGEMENT)
    if index == 0:
        return ROOT
    if index < 3:
        return "ou-bnch-security"  # log archive, audit
    if index % PLATFORM_EVERY == PLATFORM_EVERY // 2:
        return "ou-bnch-infra"
    return ("ou-bnch-prod", "ou-bnch-nonprod", "ou-bnch-nonprod", "ou-bnch-sandbox")[index % 4]
