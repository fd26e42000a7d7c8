"""Verdicts that hold on real AWS: each row of reference/aws-fidelity.md this suite owns
(composite alarms, metric-math alarms, delivery to CloudWatch Logs, default and advanced
event selectors, organization trails seen from a member, paging), reproduced through the
fault proxy (tests/awsfake/gaps.py), which answers as AWS does where moto does not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.gaps import Delivery
from tests.awsfake.scenarios import CIS_4_5, DEFAULT_ACCOUNT, Account, Estate
from tests.queries.test_check_scenarios import collect_and_check, one
from watchkeeper.reports.model.chain import chain_boxes

R = "us-east-1"


def _chain_without_alarm_actions(a: Account) -> str:
    """Trail → group → filter → metric alarm `ct-alarm` with no actions; returns a topic
    with a confirmed subscriber for a composite to notify."""
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [])
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    return topic


def _composite_only(a: Account, p: FaultProxy) -> None:
    topic = _chain_without_alarm_actions(a)
    a.alarm("other-alarm", "other-metric", "Custom", [])
    a.composite_alarm("security-pager", "ALARM(other-alarm) OR ALARM(ct-alarm)", [topic])


def _composite_by_quoted_arn(a: Account, p: FaultProxy) -> None:
    topic = _chain_without_alarm_actions(a)
    arn = f"arn:aws:cloudwatch:{R}:{a.account_id}:alarm:ct-alarm"
    a.composite_alarm("security-pager", f'ALARM("{arn}")', [topic])


def _composite_and(a: Account, p: FaultProxy) -> None:
    topic = _chain_without_alarm_actions(a)
    a.alarm("other-alarm", "other-metric", "Custom", [])
    a.composite_alarm("security-pager", "ALARM(ct-alarm) AND ALARM(other-alarm)", [topic])


def _composite_suppressor(a: Account, p: FaultProxy) -> None:
    topic = _chain_without_alarm_actions(a)
    a.alarm("maintenance", "maint-metric", "Custom", [])
    a.composite_alarm("security-pager", "ALARM(ct-alarm)", [topic], suppressor="maintenance")


def _composite_suppressed_now(a: Account, p: FaultProxy) -> None:
    _composite_suppressor(a, p)
    p.gaps.suppress(a.account_id, R, "security-pager", "Alarm", "maintenance is in ALARM")


def _composite_actions_disabled(a: Account, p: FaultProxy) -> None:
    topic = _chain_without_alarm_actions(a)
    a.composite_alarm("security-pager", "ALARM(ct-alarm)", [topic], actions_enabled=False)


def _composite_without_topic(a: Account, p: FaultProxy) -> None:
    _chain_without_alarm_actions(a)
    a.composite_alarm("security-pager", "ALARM(ct-alarm)", [])


def _math_chain(a: Account, **math: object) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    namespace = str(math.pop("namespace", "CISBenchmark"))
    a.metric_math_alarm("ct-math", "ct-metric", namespace, [topic], **math)  # type: ignore[arg-type]


def _metric_math(a: Account, p: FaultProxy) -> None:
    _math_chain(a)


def _metric_math_namespace(a: Account, p: FaultProxy) -> None:
    _math_chain(a, namespace="Custom")


def _metric_math_dimension(a: Account, p: FaultProxy) -> None:
    _math_chain(a, dimensions=[{"Name": "EventName", "Value": "StopLogging"}])


def _delivery(state: Delivery) -> Callable[[Account, FaultProxy], None]:
    def build(a: Account, p: FaultProxy) -> None:
        chain = a.chain()
        p.gaps.delivery(chain.trail_arn, state)

    return build


def _default_selectors(a: Account, p: FaultProxy) -> None:
    a.chain()  # selectors never set: AWS answers the default selector


def _advanced_all_management(a: Account, p: FaultProxy) -> None:
    a.log_group("ct-logs")
    a.trail(
        "adv",
        log_group="ct-logs",
        advanced_selectors=[
            {
                "Name": "all management events",
                "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
            }
        ],
    )
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])


@dataclass(frozen=True)
class Case:
    build: Callable[[Account, FaultProxy], None]
    status: str
    link: str | None  # the first broken link; None when it passes
    words: str  # the reason must say this


DAY = timedelta(days=1)
CASES: dict[str, Case] = {
    "composite-only path": Case(
        _composite_only, "pass", None, "notifies through composite `security-pager`"
    ),
    "composite names the alarm by quoted ARN": Case(
        _composite_by_quoted_arn, "pass", None, "composite `security-pager`"
    ),
    "composite AND-ed with another alarm": Case(
        _composite_and,
        "fail",
        "composite_fires_on_alarm",
        "does not go to ALARM on `ct-alarm` alone",
    ),
    "composite with an actions suppressor": Case(
        _composite_suppressor,
        "fail",
        "composite_not_suppressed",
        "ActionsSuppressor is alarm `maintenance`",
    ),
    "composite suppressed now": Case(
        _composite_suppressed_now, "fail", "composite_not_suppressed", "suppressed now (Alarm)"
    ),
    "composite with actions disabled": Case(
        _composite_actions_disabled,
        "fail",
        "alarm_actions_enabled",
        "composite alarm `security-pager` (through which alarm `ct-alarm` notifies) has actions",
    ),
    "composite without an SNS action": Case(
        _composite_without_topic,
        "fail",
        "alarm_notifies_topic",
        "composite alarm `security-pager` (through which alarm `ct-alarm` notifies) has no SNS",
    ),
    "metric-math alarm on the filter's metric": Case(_metric_math, "pass", None, "`ct-math`"),
    "metric-math alarm in another namespace": Case(
        _metric_math_namespace, "fail", "metric_namespace_matches", "`Custom`"
    ),
    "metric-math alarm on one dimension": Case(
        _metric_math_dimension, "fail", "metric_dimensions_match", "1 dimension(s)"
    ),
    "delivered two minutes ago": Case(_delivery(Delivery()), "pass", None, "`cis-4-5-trail`"),
    "logging 2 days, never delivered": Case(
        _delivery(Delivery(delivered_ago=None, started_ago=2 * DAY)),
        "fail",
        "trail_delivery_healthy",
        "has never delivered to CloudWatch Logs",
    ),
    "logging 1 hour, not delivered yet": Case(
        _delivery(Delivery(delivered_ago=None, started_ago=timedelta(hours=1))),
        "pass",
        None,
        "`cis-4-5-trail`",
    ),
    "last delivered 2 days ago": Case(
        _delivery(Delivery(delivered_ago=2 * DAY, started_ago=30 * DAY)),
        "fail",
        "trail_delivery_healthy",
        "over 24 hours before the snapshot",
    ),
    "delivery role broken": Case(
        _delivery(Delivery(delivered_ago=3 * DAY, error="AccessDeniedException")),
        "fail",
        "trail_delivery_healthy",
        "fails to deliver to CloudWatch Logs: AccessDeniedException",
    ),
    "default event selectors": Case(_default_selectors, "pass", None, "`cis-4-5-trail`"),
    "advanced selector on all management events": Case(
        _advanced_all_management, "pass", None, "trail `adv`"
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_fidelity_case(estate: Estate, proxy: FaultProxy, db: Path, case: Case):
    case.build(estate.account(), proxy)
    r = one(collect_and_check(db, proxy))
    assert r.status == case.status, r.reason
    assert r.evidence["failed_link"] == case.link, (r.evidence["failed_link"], r.reason)
    assert case.words in r.reason


def test_composite_path_evidence_and_collected_rows(estate: Estate, proxy: FaultProxy, db: Path):
    _composite_suppressor(estate.account(), proxy)
    r = one(collect_and_check(db, proxy))
    alarm = r.evidence["chain"]["alarm"]
    assert alarm is not None and alarm["name"] == "ct-alarm"
    assert alarm["sns_actions"] == [f"arn:aws:sns:{R}:{DEFAULT_ACCOUNT}:sec-alerts"]
    composite = alarm["composite"]
    assert composite is not None
    assert composite["name"] == "security-pager" and composite["alarm_rule"] == "ALARM(ct-alarm)"
    assert composite["fires_alone"] is True and composite["actions_suppressor"] == "maintenance"
    # The drawn chain shows the composite in the alarm box, with its link broken there.
    boxes = {b.kind: b for b in chain_boxes(r.evidence["chain"], r.evidence["links"], "full")}
    assert ("notifies through composite", "security-pager") in boxes["alarm"].details
    assert ("composite rule", "ALARM(ct-alarm)") in boxes["alarm"].details
    assert boxes["alarm"].state == "broken"
    broken = [c.label for c in boxes["alarm"].checks if c.state == "broken"]
    assert broken == ["composite not suppressed"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT name, alarm_type, alarm_rule, actions_suppressor, "
            "actions_suppressor_wait_period FROM aws_cloudwatch_alarm ORDER BY name"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("ct-alarm", "MetricAlarm", None, None, None),
        ("maintenance", "MetricAlarm", None, None, None),
        ("security-pager", "CompositeAlarm", "ALARM(ct-alarm)", "maintenance", 60),
    ]


def test_delivery_fields_come_from_the_proxy_not_moto(estate: Estate, proxy: FaultProxy, db: Path):
    # Every trail with a log group now reports a delivery time, as AWS does; a trail
    # without one reports none.
    estate.account().chain()
    estate.account().trail("no-logs")
    collect_and_check(db, proxy)
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = dict(
            con.execute(
                "SELECT name, latest_cloudwatch_logs_delivery_time IS NOT NULL "
                "FROM aws_cloudtrail_trail WHERE NOT is_shadow"
            ).fetchall()
        )
        selectors = con.execute(
            "SELECT event_selectors->0->>'ReadWriteType', advanced_event_selectors "
            "FROM aws_cloudtrail_trail WHERE name = 'no-logs' AND NOT is_shadow"
        ).fetchall()
    finally:
        con.close()
    assert got == {"cis-4-5-trail": True, "no-logs": False}
    assert selectors == [("All", None)]


# --- organization trails seen from a member ------------------------------------------


def _org_trail(estate: Estate, proxy: FaultProxy) -> str:
    (member,) = estate.organization(["workload"])
    mgmt = estate.account()
    mgmt.log_group("org-trail-logs")
    arn = mgmt.trail("org-trail", log_group="org-trail-logs", organization=True)
    mgmt.metric_filter("org-trail-logs", "ct-changes", CIS_4_5, "ct-metric")
    topic = mgmt.topic("sec-alerts")
    mgmt.subscribe(topic, "secops@example.com")
    mgmt.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])
    (trail,) = mgmt.client("cloudtrail").describe_trails(trailNameList=[arn])["trailList"]
    proxy.gaps.organization_trail(trail, [member])
    return member


def test_member_is_judged_by_the_owners_chain(estate: Estate, proxy: FaultProxy, db: Path):
    member = _org_trail(estate, proxy)
    results = collect_and_check(db, proxy, organization=True, role_name="reader")
    r = one(results, member)
    assert r.status == "pass", r.reason
    assert r.evidence["chain"]["trail"]["owner_account_id"] == DEFAULT_ACCOUNT
    con = duckdb.connect(str(db), read_only=True)
    try:
        seen = con.execute(
            "SELECT owner_account_id, status_collected FROM aws_cloudtrail_trail "
            "WHERE account_id = ? AND name = 'org-trail' AND region = ?",
            [member, R],
        ).fetchall()
        errors = con.execute("SELECT count(*) FROM collection_error").fetchall()
    finally:
        con.close()
    # The member lists the owner's trail; its status was read as the owner (no
    # TrailNotFoundException from the member's side).
    assert seen == [(DEFAULT_ACCOUNT, True)]
    assert errors == [(0,)]


def test_member_without_its_owner_cannot_be_verified(estate: Estate, proxy: FaultProxy, db: Path):
    member = _org_trail(estate, proxy)
    results = collect_and_check(db, proxy, accounts=(member,), role_name="reader")
    r = one(results, member)
    assert r.status == "error"
    assert r.reason.startswith("cannot verify: organization trail `org-trail`")
    assert DEFAULT_ACCOUNT in r.reason


# --- paging ----------------------------------------------------------------------------


def test_collector_follows_aws_sized_pages(estate: Estate, proxy: FaultProxy, db: Path):
    a = estate.account()
    a.log_group("g")
    for i in range(51):  # DescribeMetricFilters: pages of 50
        a.metric_filter("g", f"f{i:02}", "{ $.eventName = X }", f"m{i:02}")
    for i in range(100):  # DescribeAlarms: pages of 50 unless asked for up to 100
        a.alarm(f"a{i:03}", f"m{i:03}", "CISBenchmark", [])
    a.composite_alarm("composite", "ALARM(a000) OR ALARM(a099)", [])
    collect_and_check(db, proxy)
    assert proxy.count("logs", "DescribeMetricFilters") == 2
    assert proxy.count("cloudwatch", "DescribeAlarms") == 3  # 101 alarms in all
    con = duckdb.connect(str(db), read_only=True)
    try:
        filters = con.execute("SELECT count(*) FROM aws_cloudwatch_log_metric_filter").fetchall()
        alarms = con.execute(
            "SELECT alarm_type, count(*) FROM aws_cloudwatch_alarm GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert filters == [(51,)]
    assert alarms == [("CompositeAlarm", 1), ("MetricAlarm", 100)]


def test_composites_only_when_asked_for(proxy: FaultProxy, estate: Estate):
    a = estate.account()
    a.alarm("child", "m", "CISBenchmark", [])
    a.composite_alarm("parent", "ALARM(child)", [])
    cw = a.session.client("cloudwatch", region_name=R, endpoint_url=proxy.url)
    plain = cw.describe_alarms()
    both = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=1)
    rest = cw.describe_alarms(
        AlarmTypes=["MetricAlarm", "CompositeAlarm"], NextToken=both["NextToken"]
    )
    assert [x["AlarmName"] for x in plain["MetricAlarms"]] == ["child"]
    assert plain["CompositeAlarms"] == [] and "NextToken" not in plain
    assert [x["AlarmName"] for x in both["MetricAlarms"]] == ["child"]
    assert [x["AlarmName"] for x in rest["CompositeAlarms"]] == ["parent"]
    assert "NextToken" not in rest
