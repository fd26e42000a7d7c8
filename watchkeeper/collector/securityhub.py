"""Security Hub: whether the account is subscribed in the region (describe_hub)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from watchkeeper.collector.aws import Scope
from watchkeeper.store.model import Row

SERVICE = "securityhub"
# The answers that mean "not subscribed here": a fact to record, not a failure.
NOT_SUBSCRIBED = frozenset({"InvalidAccessException", "ResourceNotFoundException"})


@dataclass
class Hub:
    subscribed: bool
    hub: dict[str, Any] | None


def fetch(scope: Scope) -> Hub | None:
    client = scope.client(SERVICE)

    def describe() -> Hub:
        try:
            hub = client.describe_hub()
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in NOT_SUBSCRIBED:
                return Hub(subscribed=False, hub=None)
            raise
        hub.pop("ResponseMetadata", None)
        return Hub(subscribed=True, hub=hub)

    return scope.attempt(SERVICE, "DescribeHub", describe)


def rows(hub: Hub, scope: Scope) -> list[Row]:
    h = hub.hub or {}
    return [
        {
            "account_id": scope.account_id,
            "region": scope.region,
            "subscribed": hub.subscribed,
            "hub_arn": h.get("HubArn"),
            "subscribed_at": h.get("SubscribedAt"),
            "auto_enable_controls": h.get("AutoEnableControls"),
            "control_finding_generator": h.get("ControlFindingGenerator"),
            "raw": hub.hub,
        }
    ]
