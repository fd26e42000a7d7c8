"""The collector against the moto server over real HTTP, with faults from the proxy."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.awsfake.faultproxy import FaultProxy, Request, Rule
from tests.awsfake.scenarios import CIS_4_5, DEFAULT_ACCOUNT, Estate
from watchkeeper.collector import AwsOptions, CollectOutcome, CollectRequest, collect, is_read_only
from watchkeeper.collector.aws import Telemetry, make_session
from watchkeeper.collector.clients import Clients, assumed_session
from watchkeeper.store import connect, verify_snapshots


def run(db: Path, proxy: FaultProxy, **kwargs: Any) -> CollectOutcome:
    aws = AwsOptions(
        endpoint_url=proxy.url,
        concurrency=kwargs.pop("concurrency", 4),
        max_attempts=kwargs.pop("max_attempts", 10),
    )
    kwargs.setdefault("regions", ("us-east-1",))
    return collect(CollectRequest(db=db, aws=aws, **kwargs))


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_full_chain_is_collected_with_typed_columns(estate: Estate, proxy: FaultProxy, db: Path):
    acct = estate.account()
    chain = acct.chain()
    acct.metric_filter(
        chain.log_group,
        "with-dims",
        "{ $.eventName = StopLogging }",
        "stops",
        namespace="Security",
        value="$.count",
        default_value=0.0,
        dimensions={"Source": "$.eventSource"},
        unit="Count",
    )
    acct.alarm(
        "muted",
        "stops",
        "Security",
        [chain.topic_arn],
        actions_enabled=False,
        statistic="Maximum",
        threshold=5,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        dimensions=[{"Name": "Source", "Value": "cloudtrail.amazonaws.com"}],
    )

    outcome = run(db, proxy)

    assert outcome.errors == []
    assert outcome.snapshot.status == "complete"
    assert re.fullmatch(r"[0-9a-f]{64}", outcome.snapshot.sha256 or "")
    trail = query(
        db,
        "SELECT name, arn, home_region, is_multi_region_trail, is_logging, "
        "log_group_arn, status_collected, is_shadow FROM aws_cloudtrail_trail",
    )
    assert trail == [
        (
            "cis-4-5-trail",
            chain.trail_arn,
            "us-east-1",
            True,
            True,
            acct.log_group_arn(chain.log_group, "us-east-1"),
            True,
            False,
        )
    ]
    filters = dict(
        (r[0], r[1:])
        for r in query(
            db,
            "SELECT name, log_group_name, filter_pattern, metric_transformation_name, "
            "metric_transformation_namespace, metric_transformation_value, "
            "metric_transformation_default_value, metric_transformation_dimensions, "
            "metric_transformation_unit FROM aws_cloudwatch_log_metric_filter",
        )
    )
    assert filters["cis-4-5-filter"][:5] == (
        chain.log_group,
        CIS_4_5,
        chain.metric,
        "CISBenchmark",
        "1",
    )
    dims = filters["with-dims"]
    assert dims[3:] == ("Security", "$.count", 0.0, '{"Source": "$.eventSource"}', "Count")
    alarms = {
        r[0]: r[1:]
        for r in query(
            db,
            "SELECT name, actions_enabled, alarm_actions->>0, statistic, threshold, "
            "evaluation_periods, datapoints_to_alarm, dimensions->0->>'Name', namespace "
            "FROM aws_cloudwatch_alarm",
        )
    }
    assert alarms["cis-4-5-alarm"][:5] == (True, chain.topic_arn, "Sum", 1.0, 1)
    assert alarms["muted"] == (False, chain.topic_arn, "Maximum", 5.0, 3, 2, "Source", "Security")
    subs = query(
        db,
        "SELECT topic_arn, protocol, endpoint, confirmed, pending_confirmation "
        "FROM aws_sns_topic_subscription",
    )
    assert subs == [(chain.topic_arn, "email", "secops@example.com", True, False)]
    # Attributes are read for the alarm's topic.
    assert query(db, "SELECT attributes_collected FROM aws_sns_topic") == [(True,)]
    # Raw API objects are kept.
    raw = json.loads(query(db, "SELECT raw FROM aws_cloudwatch_alarm WHERE name='muted'")[0][0])
    assert raw["AlarmName"] == "muted" and raw["ActionsEnabled"] is False
    acct_row = query(db, "SELECT account_id, access_method, collection_status FROM aws_account")
    assert acct_row == [(DEFAULT_ACCOUNT, "caller", "ok")]


def test_trail_status_read_once_in_home_region(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()
    regions = ("us-east-1", "eu-west-1", "ap-southeast-2")
    outcome = run(db, proxy, regions=regions)
    assert outcome.errors == []
    assert proxy.count("cloudtrail", "DescribeTrails") == 3
    assert proxy.count("cloudtrail", "GetTrailStatus") == 1
    assert proxy.count("cloudtrail", "GetEventSelectors") == 1
    status_regions = {r.region for r in proxy.requests if r.operation == "GetTrailStatus"}
    assert status_regions == {"us-east-1"}
    rows = query(
        db,
        "SELECT region, is_shadow, is_logging, status_collected, "
        "event_selectors IS NOT NULL FROM aws_cloudtrail_trail ORDER BY region",
    )
    assert rows == [
        ("ap-southeast-2", True, True, True, True),
        ("eu-west-1", True, True, True, True),
        ("us-east-1", False, True, True, True),
    ]


def test_trail_home_region_not_collected_still_read_once_there(
    estate: Estate, proxy: FaultProxy, db: Path
):
    estate.account().chain()
    outcome = run(db, proxy, regions=("eu-west-1",))
    assert outcome.errors == []
    calls = [(r.operation, r.region) for r in proxy.requests if r.service == "cloudtrail"]
    assert calls.count(("GetTrailStatus", "us-east-1")) == 1
    assert query(db, "SELECT region, is_logging FROM aws_cloudtrail_trail") == [("eu-west-1", True)]


def test_subscribers_read_per_notified_topic_and_unconfirmed_kept_distinct(
    estate: Estate, proxy: FaultProxy, db: Path
):
    acct = estate.account()
    topics = [acct.topic(f"t{i}") for i in range(3)]
    for i, t in enumerate(topics):
        acct.subscribe(t, f"person{i}@example.com")
    acct.subscribe(topics[0], "pending@example.com")
    acct.subscribe(topics[1], "gone@example.com")
    # t0 and t1 are notified by an alarm; t2 is not, so nothing past ListTopics is read.
    acct.alarm("a", "m", "CISBenchmark", topics[:2])

    def unconfirm(body: bytes) -> bytes:
        # moto confirms every e-mail subscription at once; AWS shows these two as pending
        # and as deleted (after an unsubscribe).
        for endpoint, arn in ((b"pending", b"PendingConfirmation"), (b"gone", b"Deleted")):
            body = re.sub(
                rb"<SubscriptionArn>[^<]*</SubscriptionArn>(?=(?:(?!</member>).)*"
                rb"<Endpoint>" + endpoint + rb"@example.com</Endpoint>)",
                b"<SubscriptionArn>" + arn + b"</SubscriptionArn>",
                body,
                flags=re.S,
            )
        return body

    proxy.add(Rule("sns", "ListSubscriptionsByTopic", rewrite=unconfirm))
    outcome = run(db, proxy)
    assert outcome.errors == []
    assert proxy.count("sns", "ListSubscriptions") == 0
    asked = [r.body for r in proxy.requests if r.operation == "ListSubscriptionsByTopic"]
    assert len(asked) == 2
    assert all(b"t2" not in body for body in asked)
    rows = query(
        db,
        "SELECT endpoint, subscription_arn, pending_confirmation, confirmed "
        "FROM aws_sns_topic_subscription ORDER BY endpoint",
    )
    assert [r[0] for r in rows] == [
        "gone@example.com",
        "pending@example.com",
        "person0@example.com",
        "person1@example.com",
    ]
    assert rows[0][1:] == ("Deleted", False, False)
    assert rows[1][1:] == ("PendingConfirmation", True, False)
    assert all(r[3] and r[1].startswith("arn:aws:sns:") for r in rows[2:])
    listed = query(
        db, "SELECT name, attributes_collected, subscriptions_listed FROM aws_sns_topic ORDER BY 1"
    )
    assert listed == [("t0", True, True), ("t1", True, True), ("t2", False, None)]
    assert proxy.count("sns", "GetTopicAttributes") == 2


def test_delivery_error_and_time_are_stored(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()

    def add_delivery_error(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["LatestCloudWatchLogsDeliveryError"] = "AccessDeniedException"
        doc["LatestCloudWatchLogsDeliveryTime"] = 1764460800.0  # 2025-11-30T00:00:00Z
        return json.dumps(doc).encode()

    proxy.add(Rule("cloudtrail", "GetTrailStatus", rewrite=add_delivery_error))
    run(db, proxy)
    rows = query(
        db,
        "SELECT latest_cloudwatch_logs_delivery_error, "
        "strftime(latest_cloudwatch_logs_delivery_time, '%Y-%m-%d') "
        "FROM aws_cloudtrail_trail",
    )
    assert rows == [("AccessDeniedException", "2025-11-30")]


def test_every_metric_filter_of_the_region_in_one_listing(
    estate: Estate, proxy: FaultProxy, db: Path
):
    acct = estate.account()
    for g in range(3):
        acct.log_group(f"group-{g}")
        for f in range(2):
            acct.metric_filter(f"group-{g}", f"f{f}", "{ $.eventName = X }", f"m{g}{f}")
    run(db, proxy)
    assert proxy.count("logs", "DescribeMetricFilters") == 1
    assert query(db, "SELECT count(*) FROM aws_cloudwatch_log_metric_filter") == [(6,)]


def test_log_groups_are_paged(estate: Estate, proxy: FaultProxy, db: Path):
    acct = estate.account()
    for i in range(60):  # moto pages log groups at 50
        acct.log_group(f"lg-{i:02d}")
    run(db, proxy)
    assert proxy.count("logs", "DescribeLogGroups") == 2
    assert query(db, "SELECT count(DISTINCT name) FROM aws_cloudwatch_log_group") == [(60,)]


def test_only_read_only_operations_are_sent(estate: Estate, proxy: FaultProxy, db: Path):
    members = estate.organization(["audit", "workload"])
    estate.account().chain()
    estate.account(members[0]).chain(region="eu-west-1")
    estate.account().enable_security_hub()
    run(
        db,
        proxy,
        organization=True,
        role_name="watchkeeper-audit",
        regions=("us-east-1", "eu-west-1"),
    )
    ops = set(proxy.operations())
    assert {
        "DescribeTrails",
        "DescribeMetricFilters",
        "DescribeAlarms",
        "ListSubscriptionsByTopic",
        "DescribeHub",
        "AssumeRole",
        "ListAccounts",
    } <= ops
    assert [op for op in ops if not is_read_only(op)] == []
    assert all(op.startswith(("Describe", "Get", "List")) or op == "AssumeRole" for op in ops)


def test_write_operations_are_refused_before_sending(proxy: FaultProxy):
    import boto3

    from watchkeeper.collector.aws import ReadOnlyViolation, Telemetry
    from watchkeeper.collector.clients import Clients

    clients = Clients(boto3.Session(), AwsOptions(endpoint_url=proxy.url), Telemetry())
    with pytest.raises(ReadOnlyViolation, match="CreateLogGroup"):
        clients.get("logs", "us-east-1").create_log_group(logGroupName="nope")
    assert proxy.count("logs", "CreateLogGroup") == 0


def test_organization_accounts_assume_role_except_management(
    estate: Estate, proxy: FaultProxy, db: Path
):
    members = estate.organization(["audit", "workload"])
    estate.account(members[1]).chain()
    outcome = run(db, proxy, organization=True, role_name="wk-reader", external_id="s3cr3t-id")
    assert outcome.errors == []
    rows = query(
        db,
        "SELECT account_id, access_method, role_arn, organization_id IS NOT NULL, "
        "is_organization_management FROM aws_account ORDER BY account_id",
    )
    by_id = {r[0]: r[1:] for r in rows}
    assert set(by_id) == {DEFAULT_ACCOUNT, *members}
    assert by_id[DEFAULT_ACCOUNT] == ("caller", None, True, True)
    assert by_id[members[0]] == (
        "assume_role",
        f"arn:aws:iam::{members[0]}:role/wk-reader",
        True,
        False,
    )
    assume = [r for r in proxy.requests if r.operation == "AssumeRole"]
    assert len(assume) == 2
    assert all(b"ExternalId=s3cr3t-id" in r.body for r in assume)
    trails = query(db, "SELECT account_id, name FROM aws_cloudtrail_trail")
    assert trails == [(members[1], "cis-4-5-trail")]


def test_explicit_accounts_need_a_role_name(estate: Estate, proxy: FaultProxy, db: Path):
    from watchkeeper.collector import CollectorSetupError

    with pytest.raises(CollectorSetupError, match="--role-name"):
        run(db, proxy, accounts=("111122223333",))


def test_role_that_cannot_be_assumed_is_recorded(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account("111122223333").chain()
    estate.account("444455556666").chain()
    proxy.add(
        Rule(
            "sts",
            "AssumeRole",
            status=403,
            code="AccessDenied",
            message="not authorized to perform sts:AssumeRole",
            when=lambda r: b"444455556666" in r.body,
        )
    )
    outcome = run(db, proxy, accounts=("111122223333", "444455556666"), role_name="reader")
    assert [(e.account_id, e.service, e.operation, e.error_code) for e in outcome.errors] == [
        ("444455556666", "sts", "AssumeRole", "AccessDenied")
    ]
    assert outcome.snapshot.status == "complete"
    status = dict(query(db, "SELECT account_id, collection_status FROM aws_account"))
    assert status == {"111122223333": "ok", "444455556666": "failed"}
    assert query(db, "SELECT account_id FROM aws_cloudtrail_trail") == [("111122223333",)]
    assert query(db, "SELECT account_id, error_code FROM collection_error") == [
        ("444455556666", "AccessDenied")
    ]


@pytest.mark.parametrize(
    ("service", "operation", "code"),
    [
        ("cloudwatch", "DescribeAlarms", "AccessDenied"),
        ("logs", "DescribeMetricFilters", "AccessDeniedException"),
        ("sns", "ListSubscriptionsByTopic", "AuthorizationError"),
        ("cloudtrail", "GetEventSelectors", "AccessDeniedException"),
    ],
)
def test_access_denied_on_one_api_is_recorded_rest_collected(
    estate: Estate, proxy: FaultProxy, db: Path, service: str, operation: str, code: str
):
    estate.account().chain()
    proxy.add(Rule(service, operation, status=403, code=code, message="denied by SCP"))
    outcome = run(db, proxy)
    assert [(e.service, e.operation, e.error_code) for e in outcome.errors] == [
        (service, operation, code)
    ]
    assert query(db, "SELECT collection_status FROM aws_account") == [("partial",)]
    # Everything else is still there.
    assert query(db, "SELECT count(*) FROM aws_cloudwatch_log_group") == [(1,)]
    assert query(db, "SELECT count(*) FROM aws_sns_topic") == [(1,)]
    if operation == "GetEventSelectors":
        assert query(db, "SELECT status_collected, is_logging FROM aws_cloudtrail_trail") == [
            (False, True)
        ]


@pytest.mark.parametrize(
    ("service", "operation", "code", "status"),
    [
        ("logs", "DescribeMetricFilters", "ThrottlingException", 400),
        ("cloudwatch", "DescribeAlarms", "ThrottlingException", 400),
        ("sns", "ListTopics", "Throttling", 400),
        ("cloudtrail", "DescribeTrails", "ThrottlingException", 400),
        ("securityhub", "DescribeHub", "TooManyRequestsException", 429),
    ],
)
def test_throttling_is_retried(
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    service: str,
    operation: str,
    code: str,
    status: int,
):
    estate.account().chain()
    rule = proxy.add(
        Rule(service, operation, status=status, code=code, message="Rate exceeded", times=2)
    )
    outcome = run(db, proxy)
    assert outcome.errors == []
    assert rule.hits == 2
    assert outcome.snapshot.api_retries is not None and outcome.snapshot.api_retries >= 2
    assert query(db, "SELECT count(*) FROM aws_cloudwatch_alarm") == [(1,)]
    assert query(db, "SELECT count(*) FROM aws_cloudwatch_log_metric_filter") == [(1,)]


def test_security_hub_not_subscribed_is_a_fact(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().enable_security_hub("eu-west-1")
    outcome = run(db, proxy, regions=("us-east-1", "eu-west-1"))
    assert outcome.errors == []
    rows = query(
        db,
        "SELECT region, subscribed, hub_arn IS NOT NULL FROM aws_securityhub_hub ORDER BY region",
    )
    assert rows == [("eu-west-1", True, True), ("us-east-1", False, False)]


def test_default_regions_come_from_the_account(estate: Estate, proxy: FaultProxy, db: Path):
    outcome = run(db, proxy, regions=())
    assert proxy.count("ec2", "DescribeRegions") == 1
    rows = query(db, "SELECT name, opt_in_status, collected, skip_reason FROM aws_region")
    collected = {r[0] for r in rows if r[2]}
    skipped = {r[0]: r[3] for r in rows if not r[2]}
    assert "us-east-1" in collected and "eu-west-1" in collected
    # moto reports opt-in regions as not opted in; they are skipped and said so.
    assert skipped and all(reason == "opt-in region not enabled" for reason in skipped.values())
    assert outcome.skipped_regions[DEFAULT_ACCOUNT] == sorted(skipped)
    # Only the caller's partition is collected.
    assert not any(r[0].startswith(("cn-", "us-gov-")) for r in rows)
    hub_regions = {r[0] for r in query(db, "SELECT region FROM aws_securityhub_hub")}
    assert hub_regions == collected


def test_region_that_times_out_is_recorded(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()
    for service in ("cloudtrail", "logs", "cloudwatch", "sns", "securityhub"):
        proxy.add(
            Rule(
                service,
                region="eu-west-1",
                status=503,
                code="ServiceUnavailable",
                message="region unreachable",
            )
        )
    outcome = run(db, proxy, regions=("us-east-1", "eu-west-1"), max_attempts=2)
    failed = {(e.region, e.service) for e in outcome.errors}
    assert ("eu-west-1", "cloudtrail") in failed and ("eu-west-1", "logs") in failed
    assert all(e.region == "eu-west-1" for e in outcome.errors)
    assert query(db, "SELECT count(*) FROM aws_cloudwatch_alarm WHERE region='us-east-1'") == [(1,)]


def test_snapshots_append_and_views_show_latest_complete_per_account(
    estate: Estate, proxy: FaultProxy, db: Path
):
    estate.account("111122223333").chain()
    estate.account("444455556666").chain()
    both = ("111122223333", "444455556666")
    first = run(db, proxy, accounts=both, role_name="r")
    estate.account("111122223333").log_group("added-later")
    second = run(db, proxy, accounts=("111122223333",), role_name="r")
    assert second.snapshot.previous_snapshot_id == first.snapshot.snapshot_id
    assert second.snapshot.previous_sha256 == first.snapshot.sha256
    rows = query(
        db,
        "SELECT account_id, snapshot_id, count(*) FROM aws_cloudwatch_log_group "
        "GROUP BY ALL ORDER BY 1",
    )
    assert rows == [("111122223333", 2, 2), ("444455556666", 1, 1)]
    assert query(db, "SELECT count(*) FROM history.aws_cloudwatch_log_group") == [(4,)]
    con = connect(db, read_only=True)
    try:
        assert all(r.ok for r in verify_snapshots(con))
    finally:
        con.close()


def test_tampering_is_detected(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()
    run(db, proxy)
    run(db, proxy)
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE history.aws_cloudwatch_alarm SET actions_enabled = false WHERE snapshot_id = 1"
    )
    con.close()
    con = connect(db, read_only=True)
    try:
        results = {r.snapshot_id: r for r in verify_snapshots(con)}
    finally:
        con.close()
    assert not results[1].ok and "hash mismatch" in (results[1].problem or "")
    assert results[2].ok

    # Re-sealing the edited snapshot with a fresh hash breaks the next one's chain link.
    con = connect(db)
    from watchkeeper.store.integrity import snapshot_digest

    con.execute("UPDATE snapshot SET sha256 = ? WHERE snapshot_id = 1", [snapshot_digest(con, 1)])
    results = {r.snapshot_id: r for r in verify_snapshots(con)}
    con.close()
    assert results[1].ok
    assert not results[2].ok and "chain broken" in (results[2].problem or "")


def test_policy_lists_every_operation_the_collector_sends(
    estate: Estate, proxy: FaultProxy, db: Path
):
    from watchkeeper.collector.permissions import CALLER_ACTIONS, READ_ACTIONS, UNGATED

    members = estate.organization(["audit"])
    member = estate.account(members[0])
    topic = member.chain().topic_arn
    member.encrypt_topic(topic, member.kms_key()["KeyId"])  # so DescribeKey is asked
    estate.account().chain()
    estate.account().enable_security_hub()
    # --deep sends the per-resource reads too (two of them moto lacks: answered here).
    proxy.add(Rule("logs", "GetDataProtectionPolicy", answer=lambda _: b'{"policyDocument": "{}"}'))
    proxy.add(Rule("securityhub", "ListTagsForResource", answer=lambda _: b'{"Tags": {}}'))
    run(db, proxy, organization=True, role_name="reader", regions=(), deep=True)
    sent = {(r.service, r.operation) for r in proxy.requests}
    allowed = {
        (s, op)
        for table in (READ_ACTIONS, CALLER_ACTIONS)
        for s, ops in table.items()
        for op in ops
    } | set(UNGATED)
    assert sent - allowed == set()
    # And nothing in the policy is dead weight.
    assert allowed - sent == set()
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for svc, ops in READ_ACTIONS.items():
        for op in ops:
            assert f'"{svc}:{op}"' in readme


def _pager(
    list_key: str, token_key: str, in_token_key: str
) -> tuple[Callable[[Request], bool], Callable[[bytes], bytes]]:
    """A rewrite that serves moto's unpaged JSON list in pages of 2, honouring the token
    botocore sends back: proves the collector follows pages rather than trusting one reply."""
    state: dict[str, int] = {"offset": 0}

    def when(req: Request) -> bool:
        body = json.loads(req.body or b"{}")
        state["offset"] = int(body.get(in_token_key) or 0)
        return True

    def rewrite(body: bytes) -> bytes:
        doc = json.loads(body)
        items = doc.get(list_key, [])
        start = state["offset"]
        doc[list_key] = items[start : start + 2]
        doc.pop(token_key, None)
        if start + 2 < len(items):
            doc[token_key] = str(start + 2)
        return json.dumps(doc).encode()

    return when, rewrite


def test_metric_filters_and_alarms_follow_pages(estate: Estate, proxy: FaultProxy, db: Path):
    acct = estate.account()
    acct.log_group("g")
    topic = acct.topic("t1")
    for i in range(5):
        acct.metric_filter("g", f"f{i}", "{ $.eventName = X }", f"m{i}")
        acct.alarm(f"a{i}", f"m{i}", "CISBenchmark", [topic])
    when, rewrite = _pager("metricFilters", "nextToken", "nextToken")
    proxy.add(Rule("logs", "DescribeMetricFilters", when=when, rewrite=rewrite))
    when2, rewrite2 = _pager("MetricAlarms", "NextToken", "NextToken")
    proxy.add(Rule("cloudwatch", "DescribeAlarms", when=when2, rewrite=rewrite2))
    outcome = run(db, proxy)
    assert outcome.errors == []
    assert proxy.count("logs", "DescribeMetricFilters") == 3
    assert proxy.count("cloudwatch", "DescribeAlarms") == 3
    assert query(db, "SELECT count(DISTINCT name) FROM aws_cloudwatch_log_metric_filter") == [(5,)]
    assert query(db, "SELECT count(DISTINCT name) FROM aws_cloudwatch_alarm") == [(5,)]


class _ThresholdProbe:
    """A reporter that records the GC threshold while units are collected."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, ...]] = []

    def begin(self, total_units: int) -> None:
        self.seen.append(gc.get_threshold())

    def add_units(self, count: int) -> None:
        pass

    def unit_done(self, summary: Any, telemetry: Any) -> None:
        self.seen.append(gc.get_threshold())

    def note(self, text: str) -> None:
        pass


def test_gc_is_eased_during_a_collection_and_restored_after(
    estate: Estate, proxy: FaultProxy, db: Path
):
    estate.account().chain()
    before = gc.get_threshold()
    probe = _ThresholdProbe()
    outcome = collect(
        CollectRequest(
            db=db, regions=("us-east-1",), aws=AwsOptions(endpoint_url=proxy.url, concurrency=2)
        ),
        probe,
    )
    assert outcome.snapshot.status == "complete"
    assert probe.seen and all(t[0] > before[0] for t in probe.seen)
    assert gc.get_threshold() == before
    # Restored on the way out of a failed run too.
    from watchkeeper.collector import CollectorSetupError

    with pytest.raises(CollectorSetupError, match="--organization needs --role-name"):
        collect(CollectRequest(db=db, organization=True, aws=AwsOptions(endpoint_url=proxy.url)))
    assert gc.get_threshold() == before


def test_overlapping_collections_restore_gc_only_when_the_last_ends():
    from watchkeeper.collector.run import _fewer_gc_passes

    before = gc.get_threshold()
    first, second = _fewer_gc_passes(), _fewer_gc_passes()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first run ends while the second still runs
    assert gc.get_threshold()[0] > before[0]
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_assumed_sessions_share_the_callers_service_models(proxy: FaultProxy):
    base = Clients(make_session(None), AwsOptions(endpoint_url=proxy.url), Telemetry())
    accounts = ["111111111111", "222222222222", "333333333333"]
    sessions = [
        assumed_session(base, a, "wk-reader", None, "aws", "us-east-1")[0] for a in accounts
    ]
    loader = base.session._session.get_component("data_loader")
    assert all(s._session.get_component("data_loader") is loader for s in sessions)
    assert len(loader.search_paths) == len(set(loader.search_paths))
    # Shared models, separate identities: each session acts in its own account.
    for account, session in zip(accounts, sessions, strict=True):
        sts = session.client("sts", region_name="us-east-1", endpoint_url=proxy.url)
        assert sts.get_caller_identity()["Account"] == account
