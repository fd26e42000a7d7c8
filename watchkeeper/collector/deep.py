"""Per-resource calls made only with `collect --deep` ([collect] deep = true): tags, a log
group's data-protection policy, subscription attributes, trail insight selectors, the
Security Hub administrator and the organization's account tags. They are the Steampipe
plugin's columns that cost one call per resource, so a plain collection leaves them out
(the views show NULL: "not asked").

Each fetch returns, per resource, the answers keyed by operation name; ``attach`` stores
them in the rows' ``raw_deep`` column, from which views.sql computes the columns. A failed
call is a collection_error like any other, and only that answer is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import botocore.exceptions

from watchkeeper.collector.aws import Scope, paginate
from watchkeeper.store.model import Row

# resource key (an ARN, or a name where the API takes one) → operation → answer
Answers = dict[str, dict[str, Any]]

# CloudTrail answers this for a trail without Insights: a fact ("no selectors"), not a failure.
_NO_INSIGHTS = "InsightNotEnabledException"


def _answer(scope: Scope, service: str, operation: str, call: Callable[[], Any]) -> Any:
    reply = scope.attempt(service, operation, call)
    if isinstance(reply, dict):
        reply.pop("ResponseMetadata", None)
    return reply


def _gather(
    scope: Scope, keys: Iterable[str], calls: dict[str, tuple[str, Callable[[str], Any]]]
) -> Answers:
    """``calls``: operation → (service, function of the key); every call for every key."""
    out: Answers = {}
    for key in keys:
        got = {}
        for operation, (service, call) in calls.items():
            reply = _answer(scope, service, operation, partial(call, key))
            if reply is not None:
                got[operation] = reply
        out[key] = got
    return out


def attach(rows: list[Row], key: str, answers: Answers) -> None:
    """Put each row's answers in its raw_deep column (rows without answers stay NULL)."""
    for row in rows:
        got = answers.get(str(row.get(key)))
        if got:
            row["raw_deep"] = got


def trails(scope: Scope, rows: list[Row]) -> Answers:
    """Tags and insight selectors, asked once per trail: in its home region, by its owner."""
    client = scope.client("cloudtrail")

    def insights(arn: str) -> Any:
        try:
            return client.get_insight_selectors(TrailName=arn)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == _NO_INSIGHTS:
                return {"TrailARN": arn, "InsightSelectors": []}
            raise

    own = [
        str(r["arn"])
        for r in rows
        if not r["is_shadow"] and r["owner_account_id"] == scope.account_id
    ]
    return _gather(
        scope,
        own,
        {
            "ListTags": ("cloudtrail", lambda arn: client.list_tags(ResourceIdList=[arn])),
            "GetInsightSelectors": ("cloudtrail", insights),
        },
    )


def log_groups(scope: Scope, rows: list[Row]) -> Answers:
    """Tags and the data-protection policy of each log group, keyed by its name."""
    client = scope.client("logs")
    arns = {str(r["name"]): str(r["arn"]) for r in rows}

    def policy(name: str) -> Any:
        try:
            return client.get_data_protection_policy(logGroupIdentifier=name)
        except botocore.exceptions.ClientError as exc:
            # No policy on the group: an answer with no document, not an error.
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return {"logGroupIdentifier": name}
            raise

    return _gather(
        scope,
        arns,
        {
            "ListTagsForResource": (
                "logs",
                lambda name: client.list_tags_for_resource(resourceArn=arns[name]),
            ),
            "GetDataProtectionPolicy": ("logs", policy),
        },
    )


def alarms(scope: Scope, rows: list[Row]) -> Answers:
    client = scope.client("cloudwatch")
    return _gather(
        scope,
        (str(r["arn"]) for r in rows),
        {
            "ListTagsForResource": (
                "cloudwatch",
                lambda arn: client.list_tags_for_resource(ResourceARN=arn),
            )
        },
    )


def topics(scope: Scope, rows: list[Row]) -> Answers:
    client = scope.client("sns")
    return _gather(
        scope,
        (str(r["topic_arn"]) for r in rows),
        {
            "ListTagsForResource": (
                "sns",
                lambda arn: client.list_tags_for_resource(ResourceArn=arn),
            )
        },
    )


def subscriptions(scope: Scope, rows: list[Row]) -> Answers:
    """Attributes (filter, redrive and delivery policies) of each confirmed subscription: a
    pending one has no ARN to ask about."""
    client = scope.client("sns")
    return _gather(
        scope,
        (str(r["subscription_arn"]) for r in rows if r["confirmed"]),
        {
            "GetSubscriptionAttributes": (
                "sns",
                lambda arn: client.get_subscription_attributes(SubscriptionArn=arn),
            )
        },
    )


def organization_accounts(scope: Scope, rows: list[Row]) -> Answers:
    """Each member account's tags, asked of the organization by the identity walking it."""
    client = scope.client("organizations")
    return _gather(
        scope,
        (str(r["id"]) for r in rows),
        {
            "ListTagsForResource": (
                "organizations",
                lambda account: {
                    "Tags": paginate(client, "list_tags_for_resource", "Tags", ResourceId=account)
                },
            )
        },
    )


def hubs(scope: Scope, rows: list[Row]) -> Answers:
    """The administrator account and tags of an enabled hub."""
    client = scope.client("securityhub")
    return _gather(
        scope,
        (str(r["hub_arn"]) for r in rows if r["subscribed"] and r.get("hub_arn")),
        {
            "GetAdministratorAccount": (
                "securityhub",
                lambda _: client.get_administrator_account(),
            ),
            "ListTagsForResource": (
                "securityhub",
                lambda arn: client.list_tags_for_resource(ResourceArn=arn),
            ),
        },
    )
