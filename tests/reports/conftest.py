"""One scenario estate for all report tests, collected once per session (moto + DuckDB).

GOOD has a complete CIS 4.5 chain with an e-mail and a webhook subscriber and Security Hub
on in us-east-1; BAD has a 4.5 filter that misses StopLogging (named with markup, to prove
escaping), an alarm with actions disabled for 4.1 and an attestation for 4.3. Security Hub
calls fail in eu-west-1, so 4.16 is `error` for GOOD. Every other control fails in both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import Estate
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.emulator import MotoServer
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import CheckRun
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import ReportModel, build_report
from watchkeeper.store import connect

GOOD, BAD = "111122223333", "444455556666"
REGIONS = ("us-east-1", "eu-west-1")
EVIL_FILTER = "ct-<script>alert(1)</script>"
WEBHOOK = "https://hooks.example.com/services/T000/B000/s3cr3t-token"
MISSED = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
    "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }"
)
UNAUTHORIZED = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
    '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
)
ATTESTATIONS = f"""\
attestations:
  - control: "4.3"
    accounts: ["{BAD}"]
    justification: Splunk alert 'root login' pages the SOC
    evidence: https://wiki.example.com/soc/root-login
    approver: Jane Doe (CISO)
    expires: 2099-12-31
"""


@dataclass(frozen=True)
class Scenario:
    db: Path
    run: CheckRun
    attestations: Path


def _build(estate: Estate) -> None:
    good = estate.account(GOOD)
    chain = good.chain(prefix="cis-4-5", subscriber="secops@example.com")
    good.subscribe(chain.topic_arn, WEBHOOK, protocol="https")
    good.enable_security_hub("us-east-1")

    bad = estate.account(BAD)
    bad.log_group("ct-logs")
    bad.trail("audit", log_group="ct-logs")
    topic = bad.topic("alerts")
    bad.subscribe(topic, "oncall@example.org")
    bad.metric_filter("ct-logs", EVIL_FILTER, MISSED, "ct-changes")
    bad.alarm("ct-changes-alarm", "ct-changes", "CISBenchmark", [topic])
    bad.metric_filter("ct-logs", "unauthorized", UNAUTHORIZED, "unauthorized-count")
    bad.alarm(
        "unauthorized-alarm", "unauthorized-count", "CISBenchmark", [topic], actions_enabled=False
    )


_BUILT: dict[str, Scenario] = {}


def scenario_once(
    moto_server: MotoServer, proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> Scenario:
    """The scenario, collected once per session however many fixtures ask for it (the
    report tests' `scenario`, the serve tests' store)."""
    if "scenario" in _BUILT:
        return _BUILT["scenario"]
    moto_server.reset()
    proxy.reset()
    _build(Estate(moto_server.url))
    root = tmp_path_factory.mktemp("report-scenario")
    db = root / "wk.duckdb"
    att = root / "attestations.yaml"
    att.write_text(ATTESTATIONS)
    proxy.add(Rule("securityhub", region="eu-west-1", code="AccessDeniedException", status=403))
    try:
        collect(
            CollectRequest(
                db=db,
                accounts=(GOOD, BAD),
                role_name="reader",
                regions=REGIONS,
                aws=AwsOptions(endpoint_url=proxy.url, max_attempts=1),
            )
        )
    finally:
        proxy.reset()
    run = check(CheckRequest(db=db, attestations=att, today=date(2026, 1, 1)))
    _BUILT["scenario"] = Scenario(db, run, att)
    return _BUILT["scenario"]


@pytest.fixture(scope="session")
def scenario(
    moto_server: MotoServer, _proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    yield scenario_once(moto_server, _proxy, tmp_path_factory)
    moto_server.reset()


@pytest.fixture
def scenario_db(scenario: Scenario, tmp_path: Path) -> Path:
    """A private copy of the scenario database (tests that run `check` write to it)."""
    copy = tmp_path / "wk.duckdb"
    shutil.copy(scenario.db, copy)
    return copy


@pytest.fixture(scope="session")
def main_model(scenario: Scenario) -> ReportModel:
    """The scenario's main report, redacted as by default: built once for the tests that
    only read it (a test that needs its own build, e.g. determinism, builds it itself)."""
    con = connect(scenario.db, read_only=True)
    try:
        return build_report(con, scenario.run, load_catalog(), True, None)
    finally:
        con.close()


@pytest.fixture(scope="session")
def main_html(main_model: ReportModel) -> str:
    return render_html(main_model)
