"""The IAM actions the collector needs: the least-privilege policy, in one place.

A test runs a full collection and checks every operation sent is listed here, so the
policy in the README cannot drift from the code.
"""

from __future__ import annotations

import json

# service (signing prefix) → operations, for the role assumed in each audited account.
_CHAIN_ACTIONS: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("DescribeTrails", "GetTrailStatus", "GetEventSelectors"),
    "logs": ("DescribeLogGroups", "DescribeMetricFilters"),
    "cloudwatch": ("DescribeAlarms",),
    # Subscribers per notified topic, as its owner: ListSubscriptions would miss the ones
    # other accounts own.
    "sns": ("ListTopics", "ListSubscriptionsByTopic", "GetTopicAttributes"),
    "kms": ("DescribeKey",),  # is a topic's key the AWS-managed one (KeyManager)?
    "securityhub": ("DescribeHub",),
    "iam": ("ListAccountAliases",),
    "organizations": ("DescribeOrganization",),
    "ec2": ("DescribeRegions",),
}
# Sent only by `collect --deep` (collector/deep.py): one call per resource.
DEEP_ACTIONS: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("ListTags", "GetInsightSelectors"),
    "logs": ("ListTagsForResource", "GetDataProtectionPolicy"),
    "cloudwatch": ("ListTagsForResource",),
    "sns": ("ListTagsForResource", "GetSubscriptionAttributes"),
    "securityhub": ("GetAdministratorAccount", "ListTagsForResource"),
}
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    svc: (*ops, *DEEP_ACTIONS.get(svc, ())) for svc, ops in _CHAIN_ACTIONS.items()
}
# --deep from the identity that walks the organization: each account's tags.
CALLER_DEEP_ACTIONS: dict[str, tuple[str, ...]] = {"organizations": ("ListTagsForResource",)}
# Needed only by the identity that starts the collection.
CALLER_ACTIONS: dict[str, tuple[str, ...]] = {
    # --organization: the account list, then the OU tree walked from the roots
    "organizations": (
        "ListAccounts",
        "ListRoots",
        "ListOrganizationalUnitsForParent",
        "ListAccountsForParent",
        *CALLER_DEEP_ACTIONS["organizations"],
    ),
    "sts": ("AssumeRole",),  # --account/--organization with --role-name
}
# Called but never denied by IAM.
UNGATED = frozenset({("sts", "GetCallerIdentity")})


def iam_actions(table: dict[str, tuple[str, ...]]) -> list[str]:
    return sorted(f"{svc}:{op}" for svc, ops in table.items() for op in ops)


def reader_policy() -> str:
    """The identity policy for the role watchkeeper assumes (and for the caller)."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WatchkeeperReadMonitoringChain",
                "Effect": "Allow",
                "Action": iam_actions(READ_ACTIONS),
                "Resource": "*",
            }
        ],
    }
    return json.dumps(doc, indent=2)


def caller_policy(role_name: str = "watchkeeper-reader") -> str:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WatchkeeperListOrganization",
                "Effect": "Allow",
                "Action": sorted(f"organizations:{op}" for op in CALLER_ACTIONS["organizations"]),
                "Resource": "*",
            },
            {
                "Sid": "WatchkeeperAssumeReader",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": f"arn:aws:iam::*:role/{role_name}",
            },
        ],
    }
    return json.dumps(doc, indent=2)


def trust_policy(caller_account: str = "111111111111", external_id: bool = True) -> str:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{caller_account}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": "<your external id>"}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)
