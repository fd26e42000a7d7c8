"""The remediation API `fix` reuses: the flag helper and Security Hub's commands."""

from __future__ import annotations

from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.evidence import SecurityHubEvidence
from watchkeeper.queries.results import Result
from watchkeeper.reports.model.remediation import aws_cli, cli_flags, remediation_commands


def test_keywords_become_flags_in_order_with_bare_and_dropped_booleans():
    assert cli_flags(log_group_name="ct/logs", is_multi_region_trail=True, dry_run=False) == [
        "--log-group-name",
        "ct/logs",
        "--is-multi-region-trail",
    ]
    assert cli_flags(period=300, s3_bucket_name="b") == ["--period", "300", "--s3-bucket-name", "b"]


def test_aws_cli_quotes_values_and_ends_with_the_region():
    text = aws_cli("cloudtrail", "start-logging", region="eu-west-1", name="org trail; rm -rf /")
    assert text == "aws cloudtrail start-logging --name 'org trail; rm -rf /' --region eu-west-1"
    assert aws_cli("logs", "x", region="us-east-1", filter_pattern="") == (
        "aws logs x --filter-pattern '' --region us-east-1"
    )


def test_security_hub_is_enabled_in_each_disabled_region_only():
    control = load_catalog().find("cis-v5.0.0", "4.16")
    evidence: SecurityHubEvidence = {
        "snapshot_id": 1,
        "enabled_regions": ["us-east-1"],
        "disabled_regions": ["eu-west-1", "ap-south-1"],
        "unknown_regions": ["sa-east-1"],
        "hub_arns": [],
        "collection_errors": [],
        "sql": "watchkeeper/queries/sql/control_security_hub.sql",
    }
    result = Result(
        "cis-v5.0.0", "4.16", control.topic, control.title, "1", None, None, "fail", "r", evidence
    )
    assert [c.text for c in remediation_commands(control, result)] == [
        "aws securityhub enable-security-hub --region eu-west-1",
        "aws securityhub enable-security-hub --region ap-south-1",
    ]
