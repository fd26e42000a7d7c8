"""The scenario matrix: a compliant chain passes; each link broken on its own fails (or
errors) with the right reason. Real collections from the moto server, real DuckDB."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import CIS_4_5, DEFAULT_ACCOUNT, Account, Estate
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.patterns import matches
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import Result

R = "us-east-1"


def collect_and_check(
    db: Path,
    proxy: FaultProxy,
    control: str = "4.5",
    benchmark: str = "cis-v5.0.0",
    regions: tuple[str, ...] = (R,),
    **kwargs: Any,
) -> list[Result]:
    collect_kwargs = {
        k: kwargs.pop(k) for k in ("accounts", "organization", "role_name") if k in kwargs
    }
    collect(
        CollectRequest(
            db=db,
            regions=regions,
            aws=AwsOptions(endpoint_url=proxy.url, max_attempts=2),
            **collect_kwargs,
        )
    )
    run = check(CheckRequest(db=db, benchmark=benchmark, controls=(control,), **kwargs))
    return run.results


def one(results: list[Result], account: str = DEFAULT_ACCOUNT) -> Result:
    mine = [r for r in results if r.account_id == account]
    assert len(mine) == 1, results
    return mine[0]


# --- the compliant chain -------------------------------------------------------------


def test_compliant_chain_passes(estate: Estate, proxy: FaultProxy, db: Path):
    chain = estate.account().chain()
    r = one(collect_and_check(db, proxy))
    assert r.status == "pass", r.reason
    assert r.control_id == "4.5" and r.topic == "cloudtrail_configuration_changes"
    ev = r.evidence["chain"]
    assert ev["trail"]["arn"] == chain.trail_arn
    assert ev["metric_filter"]["name"] == chain.filter_name
    assert ev["alarm"]["name"] == chain.alarm and ev["topic"]["arn"] == chain.topic_arn
    assert r.evidence["failed_link"] is None
    assert all(link["held"] for link in r.evidence["links"])


def test_reordered_requoted_superset_filter_still_passes(
    estate: Estate, proxy: FaultProxy, db: Path
):
    # What a regex checker fails: other order, quotes, spacing, extra events.
    pattern = (
        '{($.eventName="StopLogging")||($.eventName="StartLogging")||'
        '(($.eventName="DeleteTrail"))||($.eventName="UpdateTrail")||'
        '($.eventName="CreateTrail")||($.eventName="PutEventSelectors")}'
    )
    estate.account().chain(pattern=pattern)
    r = one(collect_and_check(db, proxy))
    assert r.status == "pass", r.reason


# --- each link broken on its own ---------------------------------------------------------


def _single_region(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("regional", log_group="ct-logs", multi_region=False)
    _rest_of_chain(a, "ct-logs")


def _rest_of_chain(a: Account, log_group: str, pattern: str = CIS_4_5, **alarm: Any) -> str:
    a.metric_filter(log_group, "ct-changes", pattern, "ct-metric")
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic], **alarm)
    return topic


def _not_logging(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("quiet", log_group="ct-logs", logging=False)
    _rest_of_chain(a, "ct-logs")


def _write_only(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail(
        "writes",
        log_group="ct-logs",
        event_selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
    )
    _rest_of_chain(a, "ct-logs")


def _advanced_read_only_filter(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail(
        "adv",
        log_group="ct-logs",
        advanced_selectors=[
            {
                "Name": "mgmt writes",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                ],
            }
        ],
    )
    _rest_of_chain(a, "ct-logs")


def _kms_excluded_for_4_7(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail(
        "nokms",
        log_group="ct-logs",
        event_selectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "ExcludeManagementEventSources": ["kms.amazonaws.com"],
            }
        ],
    )
    _rest_of_chain(
        a,
        "ct-logs",
        pattern=(
            "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||"
            "($.eventName=ScheduleKeyDeletion)) }"
        ),
    )


def _log_group_other_region(a: Account) -> None:
    a.log_group("ct-logs", "eu-west-1")
    a.log_group("ct-logs", R)  # same name, wrong region: the filter sits here
    a.trail("main-trail", log_group="ct-logs", log_group_region="eu-west-1")
    _rest_of_chain(a, "ct-logs")


def _no_filter(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.log_group("other")
    _rest_of_chain(a, "other")


def _filter_missing_stoplogging(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    _rest_of_chain(
        a,
        "ct-logs",
        pattern=(
            "{ ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) || "
            "($.eventName = StartLogging) || ($.eventName = CreateTrail) }"
        ),
    )


def _narrowed_filter(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    _rest_of_chain(a, "ct-logs", pattern="{ (" + CIS_4_5[2:-2] + ") && ($.awsRegion = us-east-1) }")


def _and_for_or(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    _rest_of_chain(a, "ct-logs", pattern=CIS_4_5.replace("||", "&&"))


def _namespace_mismatch(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric", namespace="Custom")
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])


def _dimensions_mismatch(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter(
        "ct-logs", "ct-changes", CIS_4_5, "ct-metric", dimensions={"EventName": "$.eventName"}
    )
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])


def _metric_value_zero(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric", value="0")
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])


def _alarm_other_region(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    topic = a.topic("sec-alerts", "eu-west-1")
    a.subscribe(topic, "secops@example.com")
    a.alarm("ct-alarm-eu", "ct-metric", "CISBenchmark", [topic], region="eu-west-1")


def _actions_disabled(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    _rest_of_chain(a, "ct-logs", actions_enabled=False)


def _threshold_5(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    _rest_of_chain(a, "ct-logs", threshold=5.0)


def _three_datapoints(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    _rest_of_chain(a, "ct-logs", evaluation_periods=3, datapoints_to_alarm=3)


def _topic_missing(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    a.alarm(
        "ct-alarm", "ct-metric", "CISBenchmark", [f"arn:aws:sns:{R}:{a.account_id}:deleted-topic"]
    )


def _no_sns_action(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [])


def _no_subscriber(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    a.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    topic = a.topic("sec-alerts")
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])


def _topic_aws_managed_key(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    topic = _rest_of_chain(a, "ct-logs")
    a.encrypt_topic(topic, "alias/aws/sns")


def _no_delivery(a: Account) -> None:
    a.log_group("ct-logs")
    a.trail("main-trail")
    _rest_of_chain(a, "ct-logs")


def _no_trail(a: Account) -> None:
    a.log_group("ct-logs")
    _rest_of_chain(a, "ct-logs")


SCENARIOS: list[tuple[str, Callable[[Account], None], str, str, str]] = [
    # id, builder, control, failed link, words the reason must contain
    ("single-region trail", _single_region, "4.5", "trail_multi_region", "single-region"),
    ("not logging", _not_logging, "4.5", "trail_logging", "not logging"),
    ("write-only selectors", _write_only, "4.5", "trail_management_events", "management events"),
    (
        "advanced selector filters readOnly",
        _advanced_read_only_filter,
        "4.5",
        "trail_management_events",
        "management events",
    ),
    (
        "kms events excluded",
        _kms_excluded_for_4_7,
        "4.7",
        "trail_sources_kept",
        "kms.amazonaws.com",
    ),
    ("no delivery to logs", _no_delivery, "4.5", "trail_delivers_to_logs", "CloudWatch Logs"),
    ("log group in another region", _log_group_other_region, "4.5", "filter_exists", "eu-west-1"),
    ("no filter on the group", _no_filter, "4.5", "filter_exists", "no metric filter"),
    (
        "filter missing StopLogging",
        _filter_missing_stoplogging,
        "4.5",
        "filter_covers_pattern",
        "StopLogging",
    ),
    ("narrowed filter", _narrowed_filter, "4.5", "filter_covers_pattern", "misses"),
    ("&& for ||", _and_for_or, "4.5", "filter_covers_pattern", "misses"),
    ("metric value 0", _metric_value_zero, "4.5", "metric_value_positive", "'0'"),
    ("namespace mismatch", _namespace_mismatch, "4.5", "metric_namespace_matches", "Custom"),
    ("dimensions mismatch", _dimensions_mismatch, "4.5", "metric_dimensions_match", "dimensions"),
    ("alarm in another region", _alarm_other_region, "4.5", "alarm_exists", "eu-west-1"),
    ("actions disabled", _actions_disabled, "4.5", "alarm_actions_enabled", "actions disabled"),
    ("threshold 5 with Sum", _threshold_5, "4.5", "alarm_fires_on_one_event", "Sum"),
    ("3 of 3 datapoints", _three_datapoints, "4.5", "alarm_fires_on_one_event", "3 of 3"),
    ("no SNS action", _no_sns_action, "4.5", "alarm_notifies_topic", "no SNS topic"),
    ("topic missing", _topic_missing, "4.5", "topic_exists", "deleted-topic"),
    (
        "topic with the AWS-managed key",
        _topic_aws_managed_key,
        "4.5",
        "topic_accepts_alarms",
        "AWS-managed key alias/aws/sns",
    ),
    ("no subscriber", _no_subscriber, "4.5", "subscriber_confirmed", "0 pending"),
]


@pytest.mark.parametrize(
    ("build", "control", "link", "words"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_each_broken_link_fails_with_its_reason(
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    build: Callable[[Account], None],
    control: str,
    link: str,
    words: str,
):
    build(estate.account())
    r = one(collect_and_check(db, proxy, control=control, regions=(R, "eu-west-1")))
    assert r.status == "fail", r.reason
    assert r.evidence["failed_link"] == link, (r.evidence["failed_link"], r.reason)
    assert words in r.reason


def test_log_group_in_uncollected_region_is_an_error(estate: Estate, proxy: FaultProxy, db: Path):
    _log_group_other_region(estate.account())
    r = one(collect_and_check(db, proxy))
    assert r.status == "error" and r.evidence["failed_link"] == "log_group_exists"
    assert "eu-west-1 was not collected" in r.reason


def test_no_trail_fails_with_reason(estate: Estate, proxy: FaultProxy, db: Path):
    _no_trail(estate.account())
    r = one(collect_and_check(db, proxy))
    assert r.status == "fail" and "no CloudTrail trail" in r.reason


def test_counterexample_is_a_real_missed_event(estate: Estate, proxy: FaultProxy, db: Path):
    _filter_missing_stoplogging(estate.account())
    r = one(collect_and_check(db, proxy))
    cov = r.evidence["pattern_coverage"]
    event = cov["counterexample"]
    assert event["eventName"] == "StopLogging"
    assert matches(CIS_4_5, event) and not matches(cov["filter_pattern"], event)
    assert cov["test_command"].startswith("aws logs test-metric-filter")


@pytest.mark.parametrize(
    ("shown_as", "words"),
    [("PendingConfirmation", "(1 pending)"), ("Deleted", "(0 pending)")],
)
def test_unconfirmed_only_subscriber_fails(
    estate: Estate, proxy: FaultProxy, db: Path, shown_as: str, words: str
):
    estate.account().chain(subscriber="someone@example.com")
    proxy.add(
        Rule(
            "sns",
            "ListSubscriptionsByTopic",
            rewrite=lambda b: b.replace(
                b"<SubscriptionArn>arn:aws:sns",
                b"<SubscriptionArn>" + shown_as.encode() + b"<!--",
            ).replace(b"</SubscriptionArn>", b"--></SubscriptionArn>"),
        )
    )
    r = one(collect_and_check(db, proxy))
    assert r.status == "fail"
    assert r.evidence["failed_link"] == "subscriber_confirmed"
    assert words in r.reason
    assert [s["arn"] for s in r.evidence["chain"]["subscriptions"]] == [shown_as]


def test_delivery_error_breaks_the_chain(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()

    def fail_delivery(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["LatestCloudWatchLogsDeliveryError"] = "CloudWatchLogsRoleInvalid"
        return json.dumps(doc).encode()

    proxy.add(Rule("cloudtrail", "GetTrailStatus", rewrite=fail_delivery))
    r = one(collect_and_check(db, proxy))
    assert r.status == "fail" and r.evidence["failed_link"] == "trail_delivery_healthy"
    assert "CloudWatchLogsRoleInvalid" in r.reason


def test_denied_api_is_an_error_never_a_pass(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().chain()
    proxy.add(
        Rule(
            "cloudwatch", "DescribeAlarms", status=403, code="AccessDenied", message="explicit deny"
        )
    )
    r = one(collect_and_check(db, proxy))
    assert r.status == "error"
    assert "cloudwatch:DescribeAlarms AccessDenied" in r.reason


def test_organization_trail_covers_members(estate: Estate, proxy: FaultProxy, db: Path):
    members = estate.organization(["workload"])
    mgmt = estate.account()
    mgmt.log_group("org-trail-logs")
    mgmt.trail("org-trail", log_group="org-trail-logs", organization=True)
    _rest_of_chain(mgmt, "org-trail-logs")
    results = collect_and_check(db, proxy, organization=True, role_name="reader")
    assert one(results, DEFAULT_ACCOUNT).status == "pass"
    member = one(results, members[0])
    assert member.status == "pass", member.reason
    assert member.evidence["chain"]["trail"]["owner_account_id"] == DEFAULT_ACCOUNT


def test_attestation_turns_fail_into_manual_until_it_expires(
    estate: Estate, proxy: FaultProxy, db: Path, tmp_path: Path
):
    _no_trail(estate.account())
    att = tmp_path / "attest.yaml"
    att.write_text(
        "attestations:\n"
        "  - control: cloudtrail_configuration_changes\n"
        f"    accounts: ['{DEFAULT_ACCOUNT}']\n"
        "    justification: Splunk alert pages the SOC\n"
        "    evidence: https://wiki.example.com/soc\n"
        "    approver: Jane Doe\n"
        "    expires: 2027-01-31\n"
    )
    r = one(collect_and_check(db, proxy, attestations=att, today=date(2026, 12, 1)))
    assert r.status == "manual"
    assert "Jane Doe" in r.reason and r.evidence["attestation"]["evidence"].startswith("https")
    late = check(
        CheckRequest(db=db, controls=("4.5",), attestations=att, today=date(2027, 2, 1))
    ).results
    assert one(late).status == "fail" and "attestation expired" in one(late).reason
    # CIS v1.x has no SIEM allowance: the attestation does not apply.
    v1 = check(
        CheckRequest(
            db=db,
            benchmark="cis-v1.4.0",
            controls=("4.5",),
            attestations=att,
            today=date(2026, 12, 1),
        )
    ).results
    assert one(v1).status == "fail"


def test_literal_profile_ignores_what_the_audit_does_not_ask(
    estate: Estate, proxy: FaultProxy, db: Path
):
    _actions_disabled(estate.account())
    full = one(collect_and_check(db, proxy))
    literal = one(check(CheckRequest(db=db, controls=("4.5",), profile="literal")).results)
    assert full.status == "fail"
    assert literal.status == "pass", literal.reason
    assert literal.evidence["profile"] == "literal"


def test_security_group_pattern_differs_between_v4_and_v5(
    estate: Estate, proxy: FaultProxy, db: Path
):
    v4_pattern = (
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
        "($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || "
        "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
        "($.eventName = DeleteSecurityGroup) }"
    )
    estate.account().chain(prefix="sg", pattern=v4_pattern)
    v4 = one(collect_and_check(db, proxy, control="4.10", benchmark="cis-v4.0.0"))
    v5 = one(check(CheckRequest(db=db, benchmark="cis-v5.0.0", controls=("4.10",))).results)
    assert v4.status == "pass", v4.reason
    assert v5.status == "fail" and "ModifySecurityGroupRules" in v5.reason


def test_security_hub_per_region(estate: Estate, proxy: FaultProxy, db: Path):
    estate.account().enable_security_hub(R)
    r = one(collect_and_check(db, proxy, control="4.16", regions=(R, "eu-west-1")))
    assert r.status == "fail" and "eu-west-1" in r.reason
    assert r.evidence["enabled_regions"] == [R]
    estate.account().enable_security_hub("eu-west-1")
    r = one(collect_and_check(db, proxy, control="4.16", regions=(R, "eu-west-1")))
    assert r.status == "pass"


def test_check_an_older_snapshot(estate: Estate, proxy: FaultProxy, db: Path):
    _actions_disabled(estate.account())
    assert one(collect_and_check(db, proxy)).status == "fail"
    estate.account().alarm(
        "ct-alarm", "ct-metric", "CISBenchmark", [f"arn:aws:sns:{R}:{DEFAULT_ACCOUNT}:sec-alerts"]
    )  # re-enabled
    assert one(collect_and_check(db, proxy)).status == "pass"
    old = check(CheckRequest(db=db, controls=("4.5",), snapshot_id=1))
    assert old.snapshot.id == 1 and one(old.results).status == "fail"
    assert one(old.results).evidence["snapshot_id"] == 1


def test_wk_covers_is_available_to_sql(estate: Estate, proxy: FaultProxy, db: Path):
    from watchkeeper.queries import coverage
    from watchkeeper.store import connect

    _filter_missing_stoplogging(estate.account())
    collect_and_check(db, proxy)
    con = connect(db, read_only=True)
    coverage.register(con)
    got = con.execute(
        "SELECT wk_covers(filter_pattern, ?), wk_covers(?, ?) "
        "FROM aws_cloudwatch_log_metric_filter",
        [CIS_4_5, CIS_4_5, "{ $.eventName = StopLogging }"],
    ).fetchall()
    # And the materialised table says the same for plain duckdb users; it holds the pairs
    # `check` judged: each filter against the control's intent (the scoped event set).
    from watchkeeper.queries.catalog import load_catalog

    intent = load_catalog().find("cis-v5.0.0", "4.5").intent
    assert intent is not None
    table = con.execute(
        "SELECT covered, counterexample->>'eventName' FROM pattern_coverage "
        "WHERE required_pattern = ?",
        [intent.pattern],
    ).fetchall()
    con.close()
    assert got == [(False, True)]
    assert table == [(False, "StopLogging")]


def test_reason_names_the_filter_meant_for_the_control(estate: Estate, proxy: FaultProxy, db: Path):
    a = estate.account()
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    # Several filters on the same group, none covering 4.5; one is clearly meant for it.
    others = {
        "aaa-root": '{ $.userIdentity.type = "Root" }',
        "bbb-console": "{ ($.eventName = ConsoleLogin) && ($.errorMessage = * ) }",
        "zzz-trail-changes": "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
        "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }",
    }
    for name, pattern in others.items():
        a.metric_filter("ct-logs", name, pattern, f"{name}-metric")
        a.alarm(f"{name}-alarm", f"{name}-metric", "CISBenchmark", [topic])
    r = one(collect_and_check(db, proxy))
    assert r.status == "fail"
    assert "`zzz-trail-changes`" in r.reason and "StopLogging" in r.reason
