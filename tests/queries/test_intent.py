"""Each metric-filter control's intent: every published pattern covers it, a filter scoped
to the control's own service passes, one scoped to another service fails with a
counterexample from the right service; and `check` on moto judges by it end to end."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import Estate
from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.cli import app
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.patterns import covers, matches
from watchkeeper.queries.catalog import Control, load_catalog
from watchkeeper.queries.check import CheckRequest, check

CATALOG = load_catalog()
R = "us-east-1"
GOOD, BAD = "111122223333", "444455556666"


@dataclass(frozen=True)
class Scope:
    topic: str
    service: str | None  # the service the control is about; None: any service
    wrong: str  # a service that is not (for unscoped controls: one service is too few)


SCOPES = [
    Scope("unauthorized_api_calls", None, "kms.amazonaws.com"),
    Scope("console_signin_without_mfa", "signin.amazonaws.com", "sts.amazonaws.com"),
    Scope("root_account_usage", None, "iam.amazonaws.com"),
    Scope("iam_policy_changes", "iam.amazonaws.com", "organizations.amazonaws.com"),
    Scope("cloudtrail_configuration_changes", "cloudtrail.amazonaws.com", "config.amazonaws.com"),
    Scope("console_authentication_failures", "signin.amazonaws.com", "sts.amazonaws.com"),
    Scope("cmk_disable_or_deletion", "kms.amazonaws.com", "s3.amazonaws.com"),
    Scope("s3_bucket_policy_changes", "s3.amazonaws.com", "kms.amazonaws.com"),
    Scope("aws_config_changes", "config.amazonaws.com", "cloudtrail.amazonaws.com"),
    Scope("security_group_changes", "ec2.amazonaws.com", "lambda.amazonaws.com"),
    Scope("nacl_changes", "ec2.amazonaws.com", "s3.amazonaws.com"),
    Scope("network_gateway_changes", "ec2.amazonaws.com", "apigateway.amazonaws.com"),
    Scope("route_table_changes", "ec2.amazonaws.com", "apigateway.amazonaws.com"),
    Scope("vpc_changes", "ec2.amazonaws.com", "apigateway.amazonaws.com"),
    Scope("organizations_changes", "organizations.amazonaws.com", "iam.amazonaws.com"),
]
CONTROLS = [
    (s, CATALOG.find(b, s.topic))
    for s in SCOPES
    for b in CATALOG.benchmarks
    if b in CATALOG.topic(s.topic).versions
]


def _inner(pattern: str) -> str:
    return pattern.strip()[1:-1].strip()


def _scoped(service: str, pattern: str) -> str:
    return f"{{ $.eventSource = {service} && ({_inner(pattern)}) }}"


def test_every_metric_filter_topic_has_a_scope_row() -> None:
    topics = {t.key for t in CATALOG if t.kind == "metric_filter_alarm"}
    assert topics == {s.topic for s in SCOPES}
    assert len(topics) == 15


@pytest.mark.parametrize(
    ("scope", "control"), CONTROLS, ids=[f"{c.benchmark}-{c.control_id}" for _, c in CONTROLS]
)
def test_intent_scenarios(scope: Scope, control: Control) -> None:
    intent = control.intent
    assert intent is not None and len(intent.reasoning) > 40
    if scope.service is not None:
        assert f"$.eventSource = {scope.service}" in intent.pattern
    # every published form of the benchmark's pattern covers the intent
    for published in control.required_patterns:
        cov = covers(published, intent.pattern)
        assert cov.covered and cov.decided, (published, cov.reason)
    # a filter scoped to the control's own service passes
    if scope.service is not None:
        own = _scoped(scope.service, control.required_patterns[0])
        cov = covers(own, intent.pattern)
        assert cov.covered, cov.reason
    # one scoped to another service fails, with a counterexample from the right one
    wrong = _scoped(scope.wrong, control.required_patterns[0])
    cov = covers(wrong, intent.pattern)
    assert not cov.covered and cov.decided, cov.reason
    cex = cov.counterexample
    assert cex is not None and matches(intent.pattern, cex) and not matches(wrong, cex)
    assert cex["eventSource"] == (scope.service or cex["eventSource"]) != scope.wrong


def test_reference_patterns_are_all_checked_against_an_intent() -> None:
    """tests/reference/cis_patterns.py: each one is some version's published pattern, so
    the scenario test above has checked it covers that version's intent."""
    published = {p for t in CATALOG for v in t.versions.values() for p in v.required_patterns}
    assert set(CIS_PATTERNS.values()) <= published


def test_route_filter_scoped_to_ec2_passes_where_the_printed_pattern_alone_would_fail() -> None:
    printed = CATALOG.find("cis-v1.2.0", "route_table_changes").required_patterns[0]
    ec2 = _scoped("ec2.amazonaws.com", printed)
    cov = covers(ec2, printed)  # judged by the printed text alone: API Gateway's CreateRoute
    assert not cov.covered and cov.counterexample is not None
    assert cov.counterexample["eventSource"] == "apigateway.amazonaws.com"
    intent = CATALOG.find("cis-v1.2.0", "route_table_changes").intent
    assert intent is not None and covers(ec2, intent.pattern).covered


def test_controls_show_prints_the_intent_and_its_reasoning() -> None:
    res = CliRunner().invoke(app, ["controls", "show", "route_table_changes", "-b", "cis-v6.0.0"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("5.13 ")
    intent = CATALOG.find("cis-v6.0.0", "5.13").intent
    assert intent is not None
    assert intent.pattern in res.stdout
    assert "API Gateway" in res.stdout and "Published pattern(s)" in res.stdout


# --- end to end: moto, collect, check -----------------------------------------------------


def _collect(db: Path, proxy: FaultProxy) -> None:
    collect(
        CollectRequest(
            db=db,
            accounts=(GOOD, BAD),
            role_name="reader",
            regions=(R,),
            aws=AwsOptions(endpoint_url=proxy.url),
        )
    )


TRAIL_TERMS = "?CreateTrail ?UpdateTrail ?DeleteTrail ?StartLogging ?StopLogging"


def test_term_pattern_filter_passes_4_5(estate: Estate, proxy: FaultProxy, db: Path) -> None:
    estate.account(GOOD).chain(pattern=TRAIL_TERMS)
    estate.account(BAD).chain(pattern=TRAIL_TERMS.replace(" ?StopLogging", ""))
    _collect(db, proxy)
    results = check(CheckRequest(db=db, benchmark="cis-v5.0.0", controls=("4.5",))).results
    by = {r.account_id: r for r in results}
    assert by[GOOD].status == "pass", by[GOOD].reason
    assert by[BAD].status == "fail" and "StopLogging" in by[BAD].reason


def test_ec2_scoped_route_filter_passes_in_every_version(
    estate: Estate, proxy: FaultProxy, db: Path
) -> None:
    printed = CATALOG.find("cis-v1.2.0", "route_table_changes").required_patterns[0]
    estate.account(GOOD).chain("rt", pattern=_scoped("ec2.amazonaws.com", printed))
    estate.account(BAD).chain("rt", pattern=_scoped("apigateway.amazonaws.com", printed))
    _collect(db, proxy)
    ids = []
    for bench in CATALOG.benchmarks:
        control_id = CATALOG.find(bench, "route_table_changes").control_id
        ids.append(control_id)
        run = check(CheckRequest(db=db, benchmark=bench, controls=(control_id,)))
        by = {r.account_id: r for r in run.results}
        assert by[GOOD].status == "pass", (bench, by[GOOD].reason)
        assert by[BAD].status == "fail", (bench, by[BAD].reason)
        assert "from ec2.amazonaws.com" in by[BAD].reason, by[BAD].reason
        assert re.search(r"apigateway", by[BAD].reason.split("misses", 1)[-1]) is None
    assert {"3.13", "4.13", "5.13"} == set(ids)
