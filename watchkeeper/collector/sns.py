"""SNS topics of the region, and — for the topics some collected alarm notifies, in this
account or another — their attributes, their subscribers and their KMS key's manager.

Subscribers are read per topic with ListSubscriptionsByTopic, as the topic's owner: the
region-wide ListSubscriptions returns only the *requester's* subscriptions, so another
account's queue, function or e-mail subscribed to this topic would be missing from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from watchkeeper.collector.aws import Scope, paginate
from watchkeeper.store.model import Row

SERVICE = "sns"
PENDING = "PendingConfirmation"
# The AWS-managed key of SNS, as an alias name or alias ARN: CloudWatch alarms cannot
# publish to a topic it encrypts (its key policy cannot be changed to let them).
AWS_MANAGED_ALIAS = "alias/aws/sns"


@dataclass
class SnsData:
    topics: list[str] = field(default_factory=list)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    # topic ARN → its subscriptions, for the topics whose listing was asked for; None when
    # the listing failed (the error is in the collection's errors).
    subscriptions: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    # KmsMasterKeyId value → KeyManager ("AWS" or "CUSTOMER"), from DescribeKey; None when
    # that call failed. The alias/aws/sns needs no call and is not listed.
    key_managers: dict[str, str | None] = field(default_factory=dict)


def is_aws_managed_alias(key: str) -> bool:
    return key == AWS_MANAGED_ALIAS or key.endswith(":" + AWS_MANAGED_ALIAS)


def list_topics(scope: Scope) -> list[str]:
    """The region's topic ARNs (empty when ListTopics failed: the error is recorded). Read
    with the region's other resources, so the later SNS pass visits only regions that have
    topics instead of building a client for every account and region again."""
    client = scope.client(SERVICE)
    topics = scope.attempt(SERVICE, "ListTopics", lambda: paginate(client, "list_topics", "Topics"))
    return [t["TopicArn"] for t in topics or []]


def fetch(
    scope: Scope, topics: list[str], notified: set[str], every_attribute: bool = False
) -> SnsData:
    """The region's ``topics`` (from list_topics); for those in ``notified`` also
    attributes, subscribers and the manager of each distinct KMS key (one DescribeKey per
    key, not per topic). ``every_attribute`` (--deep): the attributes of every topic, each
    asked once (a failed call is not asked again)."""
    client = scope.client(SERVICE)
    data = SnsData(topics=list(topics))
    wanted = notified.intersection(data.topics)
    for arn in data.topics if every_attribute else sorted(wanted):
        reply = scope.attempt(
            SERVICE, "GetTopicAttributes", partial(client.get_topic_attributes, TopicArn=arn)
        )
        if reply is not None:
            data.attributes[arn] = reply["Attributes"]
    for arn in sorted(wanted):
        data.subscriptions[arn] = scope.attempt(
            SERVICE,
            "ListSubscriptionsByTopic",
            partial(paginate, client, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn),
        )
    keys = {a["KmsMasterKeyId"] for a in data.attributes.values() if a.get("KmsMasterKeyId")}
    for key in sorted(k for k in keys if not is_aws_managed_alias(k)):
        described = scope.attempt(
            "kms", "DescribeKey", partial(scope.client("kms").describe_key, KeyId=key)
        )
        data.key_managers[key] = (
            None if described is None else described["KeyMetadata"].get("KeyManager")
        )
    return data


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def topic_rows(data: SnsData, scope: Scope) -> list[Row]:
    out: list[Row] = []
    for arn in data.topics:
        attrs = data.attributes.get(arn)
        row: Row = {
            "account_id": scope.account_id,
            "region": scope.region,
            "topic_arn": arn,
            "name": arn.rsplit(":", 1)[-1],
            "attributes_collected": attrs is not None,
            "raw": {"TopicArn": arn, "Attributes": attrs},
        }
        if arn in data.subscriptions:
            row["subscriptions_listed"] = data.subscriptions[arn] is not None
        if attrs is not None:
            policy = attrs.get("Policy")
            key = attrs.get("KmsMasterKeyId") or None
            row.update(
                display_name=attrs.get("DisplayName"),
                owner=attrs.get("Owner"),
                kms_master_key_id=key,
                policy=json.loads(policy) if policy else None,
                subscriptions_confirmed=_int(attrs.get("SubscriptionsConfirmed")),
                subscriptions_pending=_int(attrs.get("SubscriptionsPending")),
                subscriptions_deleted=_int(attrs.get("SubscriptionsDeleted")),
            )
            if key is not None and is_aws_managed_alias(key):
                row["kms_key_manager"] = "AWS"
            elif key is not None:
                manager = data.key_managers.get(key)
                row["kms_key_manager"] = manager
                row["kms_key_described"] = manager is not None
        out.append(row)
    return out


def subscription_rows(data: SnsData, scope: Scope) -> list[Row]:
    out: list[Row] = []
    for topic_arn, subs in data.subscriptions.items():
        for s in subs or []:
            arn = s.get("SubscriptionArn", "")
            out.append(
                {
                    "account_id": scope.account_id,
                    "region": scope.region,
                    "subscription_arn": arn,
                    "topic_arn": s.get("TopicArn") or topic_arn,
                    "owner": s.get("Owner"),
                    "protocol": s.get("Protocol"),
                    "endpoint": s.get("Endpoint"),
                    "pending_confirmation": arn == PENDING,
                    # A confirmed subscription's ARN is a real ARN; 'Deleted' and
                    # 'PendingConfirmation' are not.
                    "confirmed": arn.startswith("arn:"),
                    "raw": s,
                }
            )
    return out
