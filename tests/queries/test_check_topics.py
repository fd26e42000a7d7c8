"""The SNS end of the chain as real AWS behaves (reference/aws-fidelity.md): subscribers
another account owns, paging, denied listings, topics in other accounts, and topics
encrypted with the AWS-managed key under any of its names. Real collections from the moto
server through the fault proxy, which supplies what moto lacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.awsfake.faultproxy import FaultProxy, Rule, with_subscriptions
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Account, Estate
from tests.queries.test_check_scenarios import collect_and_check, one

OTHER = "210987654321"  # another account of the estate
ABSENT = "999988887777"  # an account nobody collects


def _topic_arn_in(arn: str) -> Callable[..., bool]:
    return lambda req: arn.encode() in req.body or arn.replace(":", "%3A").encode() in req.body


def test_subscriber_owned_by_another_account_is_seen_through_the_topic(
    estate: Estate, proxy: FaultProxy, db: Path
):
    chain = estate.account().chain(subscriber=None)
    other = estate.account(OTHER)
    queue = other.client("sqs").create_queue(QueueName="central-security")["QueueUrl"]
    queue_arn = other.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    # The other account subscribes its queue: it owns the subscription, so AWS leaves it
    # out of the topic owner's ListSubscriptions and lists it in ListSubscriptionsByTopic.
    sub_arn = other.subscribe(chain.topic_arn, queue_arn, protocol="sqs")
    (owned,) = other.client("sns").list_subscriptions()["Subscriptions"]
    assert owned["SubscriptionArn"] == sub_arn and owned["Owner"] == OTHER
    proxy.add(
        Rule(
            "sns",
            "ListSubscriptionsByTopic",
            when=_topic_arn_in(chain.topic_arn),
            rewrite=with_subscriptions([owned]),
        )
    )
    r = one(collect_and_check(db, proxy))
    assert r.status == "pass", r.reason
    assert "1 confirmed subscriber" in r.reason
    (sub,) = r.evidence["chain"]["subscriptions"]
    assert (sub["arn"], sub["protocol"], sub["endpoint"]) == (sub_arn, "sqs", queue_arn)
    assert proxy.count("sns", "ListSubscriptions") == 0


def test_subscriptions_are_read_past_the_first_page(estate: Estate, proxy: FaultProxy, db: Path):
    a = estate.account()
    chain = a.chain(subscriber=None)
    for i in range(101):  # moto pages at 100, as AWS does
        a.subscribe(chain.topic_arn, f"p{i:03d}@example.com")
    # The whole first page is unconfirmed: only the subscriber on page two pages anyone.
    proxy.add(
        Rule(
            "sns",
            "ListSubscriptionsByTopic",
            when=lambda req: b"NextToken" not in req.body,
            rewrite=lambda b: b.replace(
                b"<SubscriptionArn>arn:aws:sns", b"<SubscriptionArn>PendingConfirmation<!--"
            ).replace(b"</SubscriptionArn>", b"--></SubscriptionArn>"),
        )
    )
    r = one(collect_and_check(db, proxy))
    assert r.status == "pass", r.reason
    assert proxy.count("sns", "ListSubscriptionsByTopic") == 2
    subs = r.evidence["chain"]["subscriptions"]
    assert len(subs) == 101
    assert [s["endpoint"] for s in subs if s["confirmed"]] == ["p100@example.com"]


def test_denied_subscription_listing_is_an_error_not_no_subscribers(
    estate: Estate, proxy: FaultProxy, db: Path
):
    estate.account().chain()
    proxy.add(
        Rule(
            "sns",
            "ListSubscriptionsByTopic",
            status=403,
            code="AuthorizationError",
            message="not authorized to perform SNS:ListSubscriptionsByTopic",
        )
    )
    r = one(collect_and_check(db, proxy))
    assert r.status == "error", r.reason
    assert r.evidence["failed_link"] == "subscriber_confirmed"
    assert "ListSubscriptionsByTopic failed" in r.reason
    assert r.evidence["chain"]["topic"]["subscriptions_listed"] is False


def _aws_manages(body: bytes) -> bytes:
    doc = json.loads(body)
    doc["KeyMetadata"]["KeyManager"] = "AWS"
    return json.dumps(doc).encode()


# id, which name of the key the topic carries, does AWS manage it, expected status
KEYS: list[tuple[str, str, bool, str]] = [
    ("AWS-managed key by id", "KeyId", True, "fail"),
    ("AWS-managed key by ARN", "Arn", True, "fail"),
    ("customer-managed key by id", "KeyId", False, "pass"),
    ("customer-managed key by ARN", "Arn", False, "pass"),
]


@pytest.mark.parametrize(
    ("name", "aws_managed", "status"), [k[1:] for k in KEYS], ids=[k[0] for k in KEYS]
)
def test_topic_key_manager_is_asked_once_per_key(
    estate: Estate, proxy: FaultProxy, db: Path, name: str, aws_managed: bool, status: str
):
    a = estate.account()
    chain = a.chain()
    key = a.kms_key()[name]
    second = a.topic("also-alerts")
    a.subscribe(second, "oncall@example.com")
    a.alarm(chain.alarm, chain.metric, chain.namespace, [chain.topic_arn, second])
    for topic in (chain.topic_arn, second):
        a.encrypt_topic(topic, key)
    if aws_managed:  # moto cannot make AWS-managed keys; the proxy answers as AWS would
        proxy.add(Rule("kms", "DescribeKey", rewrite=_aws_manages))
    r = one(collect_and_check(db, proxy))
    assert r.status == status, r.reason
    assert proxy.count("kms", "DescribeKey") == 1  # two topics, one key
    topic = r.evidence["chain"]["topic"]
    assert topic["kms_key_manager"] == ("AWS" if aws_managed else "CUSTOMER")
    if aws_managed:
        assert r.evidence["failed_link"] == "topic_accepts_alarms"
        assert key in r.reason and "AWS-managed" in r.reason


def test_key_manager_unknown_is_an_error(estate: Estate, proxy: FaultProxy, db: Path):
    a = estate.account()
    chain = a.chain()
    a.encrypt_topic(chain.topic_arn, a.kms_key()["KeyId"])
    proxy.add(Rule("kms", "DescribeKey", status=400, code="AccessDeniedException"))
    r = one(collect_and_check(db, proxy))
    assert r.status == "error" and r.evidence["failed_link"] == "topic_accepts_alarms"
    assert "kms:DescribeKey failed" in r.reason


def test_alarm_notifying_a_topic_in_an_uncollected_account_is_an_error(
    estate: Estate, proxy: FaultProxy, db: Path
):
    a = estate.account()
    chain = a.chain(subscriber=None)
    elsewhere = f"arn:aws:sns:us-east-1:{ABSENT}:central-alerts"
    a.alarm(chain.alarm, chain.metric, chain.namespace, [elsewhere])
    r = one(collect_and_check(db, proxy))
    assert r.status == "error", r.reason
    assert r.evidence["failed_link"] == "topic_exists"
    assert f"cannot verify topic in account {ABSENT}" in r.reason
    assert proxy.count("sns", "GetTopicAttributes") == 0  # nothing to ask in this account


def _subscribed(other: Account, topic: str) -> None:
    other.subscribe(topic, "soc@example.com")


def _unsubscribed(other: Account, topic: str) -> None:
    pass


def _aws_key(other: Account, topic: str) -> None:
    other.subscribe(topic, "soc@example.com")
    other.encrypt_topic(topic, f"arn:aws:kms:us-east-1:{OTHER}:alias/aws/sns")


# id, how the other account's topic is set up, expected status, the link that breaks
CENTRAL: list[tuple[str, Callable[[Account, str], None], str, str | None]] = [
    ("confirmed subscriber", _subscribed, "pass", None),
    ("no subscriber", _unsubscribed, "fail", "subscriber_confirmed"),
    ("AWS-managed key", _aws_key, "fail", "topic_accepts_alarms"),
]


@pytest.mark.parametrize(
    ("setup", "status", "link"), [c[1:] for c in CENTRAL], ids=[c[0] for c in CENTRAL]
)
def test_alarm_notifying_a_topic_in_a_collected_account_is_judged_by_that_topic(
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    setup: Callable[[Account, str], None],
    status: str,
    link: str | None,
):
    a = estate.account()
    chain = a.chain(subscriber=None)
    other = estate.account(OTHER)
    central = other.topic("central-alerts")
    setup(other, central)
    a.alarm(chain.alarm, chain.metric, chain.namespace, [central])
    results = collect_and_check(db, proxy, accounts=(DEFAULT_ACCOUNT, OTHER), role_name="reader")
    r = one(results)
    assert r.status == status, r.reason
    assert r.evidence["failed_link"] == link
    assert r.evidence["chain"]["topic"]["arn"] == central
    # Read once, as its owner, in the owner's account.
    asked = [q for q in proxy.requests if q.operation == "ListSubscriptionsByTopic"]
    assert [q.body.count(b"central-alerts") for q in asked] == [1]


CALLER_KEY = "testing"  # the caller's (DEFAULT_ACCOUNT's) key; OTHER is read through a role


def _key_of(owner: str) -> Callable[..., bool]:
    """Requests signed by ``owner``'s credentials only."""
    if owner == DEFAULT_ACCOUNT:
        return lambda req: req.access_key == CALLER_KEY
    return lambda req: req.access_key != CALLER_KEY


# id, the topic's owner, does the topic exist, whose ListTopics is denied (None: nobody's),
# expected status, a piece of the reason
LISTING: list[tuple[str, str, bool, str | None, str, str]] = [
    (
        "topic owner's listing denied, alarm in another account",
        OTHER, True, OTHER, "error",
        f"ListTopics failed in account {OTHER} region us-east-1 (AccessDenied)",
    ),
    (
        "topic owner's listing denied, same account",
        DEFAULT_ACCOUNT, True, DEFAULT_ACCOUNT, "error",
        f"ListTopics failed in account {DEFAULT_ACCOUNT} region us-east-1 (AccessDenied)",
    ),
    (
        "only the alarm account's listing denied",
        OTHER, True, DEFAULT_ACCOUNT, "pass", "1 confirmed subscriber",
    ),
    (
        "listings fine, topic deleted",
        OTHER, False, None, "fail", "does not exist",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("owner", "exists", "denied", "status", "says"),
    [c[1:] for c in LISTING],
    ids=[c[0] for c in LISTING],
)
def test_a_topic_whose_listing_failed_cannot_be_verified(
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    owner: str,
    exists: bool,
    denied: str | None,
    status: str,
    says: str,
):
    a = estate.account()
    chain = a.chain(subscriber=None)
    other = estate.account(OTHER)
    holder = a if owner == DEFAULT_ACCOUNT else other
    if exists:
        topic = holder.topic("central-alerts")
        holder.subscribe(topic, "soc@example.com")
    else:
        topic = f"arn:aws:sns:us-east-1:{owner}:central-alerts"
    a.alarm(chain.alarm, chain.metric, chain.namespace, [topic])
    if denied is not None:
        proxy.add(
            Rule(
                "sns",
                "ListTopics",
                status=403,
                code="AccessDenied",
                message="not authorized to perform SNS:ListTopics",
                when=_key_of(denied),
            )
        )
    results = collect_and_check(db, proxy, accounts=(DEFAULT_ACCOUNT, OTHER), role_name="reader")
    r = one(results)
    assert r.status == status, r.reason
    assert says in r.reason
    if status != "pass":
        assert r.evidence["failed_link"] == "topic_exists"
