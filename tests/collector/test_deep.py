"""`collect --deep`: the per-resource calls behind the Steampipe columns (tags, the log
group's data-protection policy, subscription attributes, insight selectors, Security Hub
tags), stored in raw_deep and shown by the plain views; without --deep none is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.awsfake.faultproxy import FaultProxy, Request, Rule
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from tests.collector.test_collect import query, run
from watchkeeper.collector.permissions import CALLER_DEEP_ACTIONS, DEEP_ACTIONS

POLICY = {
    "Name": "mask-emails",
    "Version": "2021-06-01",
    "Statement": [
        {
            "Sid": "audit",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
            "Operation": {"Audit": {"FindingsDestination": {}}},
        }
    ],
}
FILTER = {"severity": ["critical"]}
REDRIVE = {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:alerts-dlq"}


def _data_protection(req: Request) -> bytes:
    # moto has no GetDataProtectionPolicy: answer as CloudWatch Logs does, for the group asked.
    group = json.loads(req.body)["logGroupIdentifier"]
    return json.dumps(
        {
            "logGroupIdentifier": group,
            "policyDocument": json.dumps(POLICY),
            "lastUpdatedTime": 1767225600000,
        }
    ).encode()


def _hub_tags(req: Request) -> bytes:
    # …nor Security Hub's ListTagsForResource.
    return json.dumps({"Tags": {"team": "security"}}).encode()


def _estate(estate: Estate) -> dict[str, str]:
    acct = estate.account()
    chain = acct.chain()
    acct.client("cloudtrail").add_tags(
        ResourceId=chain.trail_arn, TagsList=[{"Key": "owner", "Value": "audit"}]
    )
    logs = acct.client("logs")
    logs.tag_log_group(logGroupName=chain.log_group, tags={"env": "prod"})
    alarm_arn = f"arn:aws:cloudwatch:us-east-1:{DEFAULT_ACCOUNT}:alarm:{chain.alarm}"
    acct.client("cloudwatch").tag_resource(
        ResourceARN=alarm_arn, Tags=[{"Key": "cis", "Value": "4.5"}]
    )
    sns = acct.client("sns")
    sns.tag_resource(ResourceArn=chain.topic_arn, Tags=[{"Key": "pager", "Value": "yes"}])
    sub = chain.subscription_arns[0]
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(FILTER)
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=json.dumps(REDRIVE)
    )
    quiet = acct.topic("no-alarm-topic")  # attributes only read with --deep
    acct.enable_security_hub()
    return {"trail": chain.trail_arn, "group": chain.log_group, "sub": sub, "quiet": quiet}


# (view, column, WHERE, value with --deep); without --deep every one is NULL.
DEEP_COLUMNS: list[tuple[str, str, str, Any]] = [
    ("aws_cloudtrail_trail", "tags", "not is_shadow", {"owner": "audit"}),
    ("aws_cloudtrail_trail", "tags_src", "not is_shadow", [{"Key": "owner", "Value": "audit"}]),
    ("aws_cloudtrail_trail", "insight_selectors", "not is_shadow", []),
    ("aws_cloudwatch_log_group", "tags", "name = '{group}'", {"env": "prod"}),
    ("aws_cloudwatch_log_group", "data_protection_policy", "name = '{group}'", POLICY),
    ("aws_cloudwatch_alarm", "tags", "true", {"cis": "4.5"}),
    ("aws_sns_topic", "tags", "name = 'cis-4-5-alerts'", {"pager": "yes"}),
    ("aws_sns_topic_subscription", "filter_policy", "subscription_arn = '{sub}'", FILTER),
    ("aws_sns_topic_subscription", "redrive_policy", "subscription_arn = '{sub}'", REDRIVE),
    ("aws_sns_topic_subscription", "raw_message_delivery", "subscription_arn = '{sub}'", False),
    ("aws_securityhub_hub", "tags", "subscribed", {"team": "security"}),
]


def _value(db: Path, view: str, column: str, where: str) -> Any:
    rows = query(db, f"SELECT {column} FROM {view} WHERE {where}")
    assert len(rows) == 1, (view, where, rows)
    value = rows[0][0]
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def test_deep_collection_fills_the_steampipe_columns(
    estate: Estate, proxy: FaultProxy, tmp_path: Path
):
    names = _estate(estate)
    proxy.add(Rule("logs", "GetDataProtectionPolicy", answer=_data_protection))
    proxy.add(Rule("securityhub", "ListTagsForResource", answer=_hub_tags))

    plain = tmp_path / "plain.duckdb"
    outcome = run(plain, proxy)
    assert outcome.errors == []
    sent = {(r.service, r.operation) for r in proxy.requests}
    deep_ops = {(s, op) for s, ops in DEEP_ACTIONS.items() for op in ops}
    assert sent & deep_ops == set()
    # Organization account tags are asked only when the organization is walked (below).
    deep_ops -= {(s, op) for s, ops in CALLER_DEEP_ACTIONS.items() for op in ops}
    for view, column, where, _ in DEEP_COLUMNS:
        assert _value(plain, view, column, where.format(**names)) is None, (view, column)
    # A topic no alarm notifies has no attributes without --deep.
    assert (
        _value(plain, "aws_sns_topic", "attributes_collected", f"topic_arn = '{names['quiet']}'")
        is False
    )

    deep = tmp_path / "deep.duckdb"
    proxy.requests.clear()
    outcome = run(deep, proxy, deep=True)
    assert outcome.errors == []
    sent = {(r.service, r.operation) for r in proxy.requests}
    assert deep_ops <= sent
    for view, column, where, expected in DEEP_COLUMNS:
        assert _value(deep, view, column, where.format(**names)) == expected, (view, column)
    assert (
        _value(deep, "aws_sns_topic", "attributes_collected", f"topic_arn = '{names['quiet']}'")
        is True
    )


def test_a_failed_deep_call_is_a_collection_error_and_the_rest_is_kept(
    estate: Estate, proxy: FaultProxy, db: Path
):
    names = _estate(estate)
    proxy.add(Rule("logs", "GetDataProtectionPolicy", code="AccessDeniedException", status=400))
    proxy.add(Rule("securityhub", "ListTagsForResource", answer=_hub_tags))
    outcome = run(db, proxy, deep=True)
    assert {(e.service, e.operation, e.error_code) for e in outcome.errors} == {
        ("logs", "GetDataProtectionPolicy", "AccessDeniedException")
    }
    where = f"name = '{names['group']}'"
    assert _value(db, "aws_cloudwatch_log_group", "data_protection_policy", where) is None
    assert _value(db, "aws_cloudwatch_log_group", "tags", where) == {"env": "prod"}


def test_every_deep_call_passes_the_read_only_guard():
    from watchkeeper.collector import is_read_only

    ops = [op for t in (DEEP_ACTIONS, CALLER_DEEP_ACTIONS) for ops in t.values() for op in ops]
    assert ops and [op for op in ops if not is_read_only(op)] == []
    # …which still refuses a write of the same services.
    assert not is_read_only("TagResource") and not is_read_only("PutDataProtectionPolicy")


ORG_TAGS = [{"Key": "cost-centre", "Value": "security"}, {"Key": "owner", "Value": "soc"}]


def _organization_rows(db: Path) -> dict[str, tuple[Any, Any]]:
    got = query(db, "SELECT id, tags, tags_src FROM aws_organizations_account")
    return {
        i: (None if t is None else json.loads(t), None if s is None else json.loads(s))
        for i, t, s in got
    }


def test_deep_collection_reads_organization_account_tags(
    estate: Estate, proxy: FaultProxy, tmp_path: Path
):
    tagged, bare = estate.organization(["tagged", "bare"])
    org = estate.account().client("organizations")
    org.tag_resource(ResourceId=tagged, Tags=ORG_TAGS)

    plain = tmp_path / "plain.duckdb"
    run(plain, proxy, organization=True, role_name="reader")
    assert proxy.count("organizations", "ListTagsForResource") == 0
    rows = _organization_rows(plain)
    assert set(rows) == {DEFAULT_ACCOUNT, tagged, bare}
    assert set(rows.values()) == {(None, None)}  # not asked

    deep = tmp_path / "deep.duckdb"
    proxy.requests.clear()
    # One account's tags refused: an error for that call only, the others still read.
    proxy.add(
        Rule(
            "organizations",
            "ListTagsForResource",
            code="AccessDeniedException",
            when=lambda req: DEFAULT_ACCOUNT.encode() in req.body,
        )
    )
    outcome = run(deep, proxy, organization=True, role_name="reader", deep=True)
    assert [(e.service, e.operation, e.error_code) for e in outcome.errors] == [
        ("organizations", "ListTagsForResource", "AccessDeniedException")
    ]
    assert proxy.count("organizations", "ListTagsForResource") == 3  # one per account
    rows = _organization_rows(deep)
    assert rows[tagged] == ({"cost-centre": "security", "owner": "soc"}, ORG_TAGS)
    assert rows[bare] == ({}, [])  # asked: none
    assert rows[DEFAULT_ACCOUNT] == (None, None)  # refused: unknown, not "none"


# regions collected → the regions whose steampipe_default is true (the caller's home region,
# us-east-1 in the tests, is where the identity calls go)
DEFAULT_REGIONS: list[tuple[tuple[str, ...], set[str]]] = [
    (("us-east-1", "eu-west-1"), {"us-east-1"}),
    (("eu-west-1",), set()),
]


@pytest.mark.parametrize(("regions", "defaults"), DEFAULT_REGIONS)
def test_region_steampipe_default_is_the_identity_region(
    estate: Estate, proxy: FaultProxy, db: Path, regions: tuple[str, ...], defaults: set[str]
):
    estate.account()
    run(db, proxy, regions=regions)
    got = query(db, "SELECT name, steampipe_default FROM aws_region")
    assert sorted(got) == sorted((r, r in defaults) for r in regions)


def test_deep_asks_each_topics_attributes_once_even_when_refused(
    estate: Estate, proxy: FaultProxy, db: Path
):
    # The chain's topic is notified by its alarm (a plain collection reads its attributes);
    # --deep reads every topic's: a refused call must not be asked a second time.
    _estate(estate)
    proxy.add(Rule("sns", "GetTopicAttributes", code="AuthorizationError", status=403))
    proxy.add(Rule("securityhub", "ListTagsForResource", answer=_hub_tags))
    outcome = run(db, proxy, deep=True)
    refused = [e for e in outcome.errors if e.operation == "GetTopicAttributes"]
    ((topics,),) = query(db, "SELECT count(*) FROM aws_sns_topic")
    assert topics >= 1
    assert len(refused) == topics
