"""SNS topics and every subscription of the region in one listing (not one per topic).
Topic attributes are read only for topics that an alarm of the region notifies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from watchkeeper.collector.aws import Scope, paginate
from watchkeeper.store.model import Row

SERVICE = "sns"
PENDING = "PendingConfirmation"


@dataclass
class SnsData:
    topics: list[str] = field(default_factory=list)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)


def fetch(scope: Scope, wanted_attributes: set[str]) -> SnsData:
    client = scope.client(SERVICE)
    topics = scope.attempt(SERVICE, "ListTopics", lambda: paginate(client, "list_topics", "Topics"))
    subs = scope.attempt(
        SERVICE,
        "ListSubscriptions",
        lambda: paginate(client, "list_subscriptions", "Subscriptions"),
    )
    data = SnsData(
        topics=[t["TopicArn"] for t in topics or []],
        subscriptions=subs or [],
    )
    for arn in sorted(wanted_attributes.intersection(data.topics)):
        reply = scope.attempt(
            SERVICE, "GetTopicAttributes", partial(client.get_topic_attributes, TopicArn=arn)
        )
        if reply is not None:
            data.attributes[arn] = reply["Attributes"]
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
        if attrs is not None:
            policy = attrs.get("Policy")
            row.update(
                display_name=attrs.get("DisplayName"),
                owner=attrs.get("Owner"),
                kms_master_key_id=attrs.get("KmsMasterKeyId"),
                policy=json.loads(policy) if policy else None,
                subscriptions_confirmed=_int(attrs.get("SubscriptionsConfirmed")),
                subscriptions_pending=_int(attrs.get("SubscriptionsPending")),
                subscriptions_deleted=_int(attrs.get("SubscriptionsDeleted")),
            )
        out.append(row)
    return out


def subscription_rows(data: SnsData, scope: Scope) -> list[Row]:
    out: list[Row] = []
    for s in data.subscriptions:
        arn = s.get("SubscriptionArn", "")
        pending = arn == PENDING
        out.append(
            {
                "account_id": scope.account_id,
                "region": scope.region,
                "subscription_arn": arn,
                "topic_arn": s.get("TopicArn", ""),
                "owner": s.get("Owner"),
                "protocol": s.get("Protocol"),
                "endpoint": s.get("Endpoint"),
                "pending_confirmation": pending,
                # A confirmed subscription's ARN is a real ARN; 'Deleted' and
                # 'PendingConfirmation' are not.
                "confirmed": arn.startswith("arn:"),
                "raw": s,
            }
        )
    return out
