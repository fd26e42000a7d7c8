"""Remediation commands with real names, only for the links that are broken."""

from __future__ import annotations

from typing import Any

from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.results import Result, Status
from watchkeeper.reports.model import BOX_LINKS
from watchkeeper.reports.model import remediation_commands as _commands

ACCT = "210987654321"
CONTROL = load_catalog().find("cis-v5.0.0", "4.5")
LINKS = [name for _, _, names in BOX_LINKS for name in names]


def _result(status: Status, broken: set[str], chain: dict[str, Any] | None) -> Result:
    evidence: dict[str, Any] = {"profile": "full", "snapshot_id": 1}
    if chain is not None:
        evidence["chain"] = chain
        evidence["links"] = [{"link": n, "literal": True, "held": n not in broken} for n in LINKS]
    return Result(
        "cis-v5.0.0",
        "4.5",
        CONTROL.topic,
        CONTROL.title,
        ACCT,
        "eu-west-1",
        None,
        status,
        "reason",
        evidence,
    )


CHAIN: dict[str, Any] = {
    "trail": {"name": "org trail", "home_region": "eu-west-1"},
    "log_group": {"name": "ct/logs", "region": "eu-west-1", "exists": True},
    "metric_filter": {
        "name": "ct",
        "metric_name": "ct-count",
        "metric_namespace": "Sec",
        "pattern": "{ $.x = 1 }",
    },
    "alarm": {"name": "ct-alarm", "sns_actions": [f"arn:aws:sns:eu-west-1:{ACCT}:gone"]},
    "topic": None,
    "subscriptions": [],
}


def texts(r: Result) -> list[str]:
    return [c.text for c in _commands(CONTROL, r)]


def test_missing_topic_is_recreated_under_the_alarms_name_and_subscribed():
    out = texts(_result("fail", {"topic_exists", "subscriber_confirmed"}, CHAIN))
    assert out == [
        "aws sns create-topic --name gone --region eu-west-1",
        f"aws sns subscribe --topic-arn arn:aws:sns:eu-west-1:{ACCT}:gone --protocol email "
        "--notification-endpoint '<security-team-address>' --region eu-west-1",
    ]


def test_names_with_spaces_and_patterns_are_shell_quoted():
    out = texts(_result("fail", {"trail_logging", "filter_covers_pattern"}, CHAIN))
    assert out[0] == "aws cloudtrail start-logging --name 'org trail' --region eu-west-1"
    put = next(t for t in out if t.startswith("aws logs put-metric-filter"))
    assert "--log-group-name ct/logs --filter-name cis-cloudtrail_configuration_changes" in put
    assert "--filter-pattern '{ ($.eventName = CreateTrail)" in put
    alarm = next(t for t in out if t.startswith("aws cloudwatch put-metric-alarm"))
    # a new filter publishes a new metric, so a new alarm watches it
    assert "--alarm-name cis-cloudtrail_configuration_changes-alarm" in alarm


def test_no_trail_builds_the_whole_chain():
    out = texts(_result("fail", set(), None))
    verbs = [" ".join(t.split()[:3]) for t in out]
    assert verbs == [
        "aws logs create-log-group",
        "aws cloudtrail create-trail",
        "aws cloudtrail start-logging",
        "aws logs put-metric-filter",
        "aws sns create-topic",
        "aws sns subscribe",
        "aws cloudwatch put-metric-alarm",
    ]
    assert f"arn:aws:logs:eu-west-1:{ACCT}:log-group:aws-cloudtrail-logs-{ACCT}:*" in out[1]


def test_nothing_to_run_unless_the_verdict_is_fail():
    for status in ("pass", "error", "manual"):
        assert texts(_result(status, {"topic_exists"}, CHAIN)) == []  # type: ignore[arg-type]
    assert texts(_result("fail", set(), CHAIN)) == []  # only unknown links: nothing broken
