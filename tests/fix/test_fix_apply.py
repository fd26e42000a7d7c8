"""`fix --apply` against the moto server, for every kind of broken link the check scenarios
produce: the chain passes after (or waits on a person), a second apply sends no write, and
the account's own objects are untouched except where a step says it changes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from tests.fix.helpers import (
    REGIONS,
    R,
    apply,
    collect_and_check,
    estate_objects,
    write_calls,
)
from tests.queries.test_check_scenarios import SCENARIOS
from watchkeeper.cli import app
from watchkeeper.emulator import MotoServer
from watchkeeper.fix.apply import ApplyOutcome
from watchkeeper.fix.plan import FixOptions, build_plan
from watchkeeper.store import connect
from watchkeeper.store.remediation import RemediationRun, remediation_runs

# The chain breakers of the check scenarios: (id, builder, control, failed link), each
# built in an account of its own, so one collection and one apply serve the whole table.
BREAKERS = [(s[0], s[1], s[2], s[3]) for s in SCENARIOS]
# The scenarios that put part of the chain in eu-west-1; the rest stay in one region.
TWO_REGIONS = {"log group in another region", "alarm in another region"}
# One estate for the whole table: on a loaded machine its setup takes minutes.
pytestmark = pytest.mark.timeout(900)
ACCOUNTS = {b[0]: f"{200000000000 + i:012d}" for i, b in enumerate(BREAKERS)}


@dataclass
class Applied:
    before: dict[str, dict[str, Any]]  # account → its objects before the fix
    after: dict[str, dict[str, Any]]  # … after the first apply
    first: ApplyOutcome
    second: ApplyOutcome
    first_writes: list[str]
    second_writes: list[str]
    runs: list[RemediationRun]
    db: Path


@pytest.fixture(scope="module")
def applied(
    moto_server: MotoServer, _proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> Applied:
    moto_server.reset()
    _proxy.reset()
    proxy, db = _proxy, tmp_path_factory.mktemp("fix") / "wk.duckdb"
    estate = Estate(moto_server.url)
    for name, build, *_ in BREAKERS:
        build(estate.account(ACCOUNTS[name]))
    accounts = tuple(ACCOUNTS.values())
    controls = tuple(sorted({b[2] for b in BREAKERS}))
    regions = {ACCOUNTS[b[0]]: REGIONS if b[0] in TWO_REGIONS else (R,) for b in BREAKERS}
    for where in ((R,), REGIONS):
        chosen = tuple(a for a in accounts if regions[a] == where)
        collect_and_check(db, proxy, controls, chosen, where)
    before = {a: estate_objects(estate.account(a), regions[a]) for a in accounts}
    proxy.reset()
    first = apply(db, proxy, role_name="watchkeeper-fixer", controls=controls, accounts=accounts)
    first_writes = write_calls(proxy)
    after = {a: estate_objects(estate.account(a), regions[a]) for a in accounts}
    proxy.reset()
    second = apply(db, proxy, role_name="watchkeeper-fixer", controls=controls, accounts=accounts)
    second_writes = write_calls(proxy)
    con = connect(db, read_only=True)
    try:
        runs = remediation_runs(con)
    finally:
        con.close()
    proxy.reset()
    return Applied(before, after, first, second, first_writes, second_writes, runs, db)


def test_a_second_apply_sends_no_write(applied: Applied) -> None:
    assert applied.first_writes and sorted(applied.first_writes) == sorted(applied.first.writes)
    assert applied.second_writes == [] and applied.second.writes == []
    assert applied.second.plan.steps == []
    assert [r["status"] for r in applied.runs] == ["nothing", "applied"]
    assert set(applied.runs[1]["role_arns"]) == set(ACCOUNTS.values())


def test_the_report_lists_the_remediation_runs(applied: Applied) -> None:
    from watchkeeper.notify.runs import load_run
    from watchkeeper.queries.catalog import load_catalog
    from watchkeeper.reports.html import render_html
    from watchkeeper.reports.model import build_report

    run = load_run(applied.db, run_id=applied.first.check_run_after)
    con = connect(applied.db, read_only=True)
    try:
        html = render_html(build_report(con, run, load_catalog(), False, None))
    finally:
        con.close()
    assert "Remediation runs" in html
    first = applied.runs[1]
    assert f"<td>{first['remediation_id']}</td>" in html and first["applied_by"] in html
    account = ACCOUNTS["not logging"]
    assert f"4.5 {account}: fail → pass (mended)" in html


def test_the_fixer_policy_is_exactly_the_writes_apply_sends(applied: Applied) -> None:
    # Over the whole scenario table every kind of step runs once at least.
    policy = json.loads(CliRunner().invoke(app, ["iam-policy", "fixer"]).stdout)
    (writes,) = [s for s in policy["Statement"] if s["Sid"] == "WatchkeeperFixMonitoringChain"]
    assert sorted(set(applied.first_writes)) == writes["Action"]


# Breakers the fixer must not mend itself: moving a topic off the AWS-managed key changes a
# key policy the user owns (and every subscriber's topic), so the plan hands it to a person.
LEFT_TO_A_PERSON = {"topic with the AWS-managed key": "encrypted with the AWS-managed key"}


@pytest.mark.parametrize(
    ("name", "control", "link"),
    [(b[0], b[2], b[3]) for b in BREAKERS],
    ids=[b[0] for b in BREAKERS],
)
def test_apply_mends_each_broken_link_and_keeps_the_users_objects(
    applied: Applied, name: str, control: str, link: str
) -> None:
    account = ACCOUNTS[name]
    (chain,) = [
        c for c in applied.first.plan.chains if (c.account_id, c.control_id) == (account, control)
    ]
    assert chain.failed_link == link, chain
    (outcome,) = [
        o for o in applied.first.outcomes if (o.account_id, o.control_id) == (account, control)
    ]
    steps = [applied.first.plan.step(i) for i in chain.steps]
    if name in LEFT_TO_A_PERSON:
        # The plan names what a person must do, and apply leaves this chain as it was (the
        # account's other chains may still be mended: checked below like every account's).
        assert any(LEFT_TO_A_PERSON[name] in m for m in chain.manual), chain.manual
        assert not steps and (outcome.before, outcome.after) == ("fail", "fail"), outcome
    else:
        assert not chain.manual, chain.manual
        assert (outcome.before, outcome.after) == ("fail", "pass"), outcome
        log = [s for s in applied.first.log if s.account_id == account]
        assert log and {s.status for s in log} <= {"applied", "unchanged"}, log
        stored = [s for s in applied.runs[1]["steps"] if s["account_id"] == account]
        assert [(s["step"], s["api_call"], s["status"]) for s in stored] == [
            (s.step, s.api_call, s.status) for s in log
        ]

    before, after = applied.before[account], applied.after[account]
    changed = {
        s.resource
        for s in applied.first.plan.steps
        if s.changes_existing and s.account_id == account
    }
    for key, value in before.items():
        assert key in after, f"{key} was deleted"
        if key.split()[-1] not in changed:
            assert after[key] == value, f"{key} changed"
    if link == "filter_covers_pattern":
        # The user's filter stays as it was; the benchmark's pattern is a new filter.
        assert any(s.action == "create_metric_filter" for s in steps)
        assert f"filter {R} watchkeeper-cis-{control}" in after


def test_access_denied_stops_that_chain_and_others_go_on(
    estate: Estate, proxy: FaultProxy, db: Path
) -> None:
    a = estate.account()
    a.log_group("ct-logs")
    a.trail("main-trail", log_group="ct-logs")
    collect_and_check(db, proxy, ("4.5", "4.6"))
    proxy.reset()
    # Denied: the 4.5 filter only; 4.6 shares the log group but not the filter.
    proxy.add(
        Rule(
            "logs",
            "PutMetricFilter",
            status=400,
            code="AccessDeniedException",
            message="explicit deny",
            when=lambda req: b"watchkeeper-cis-4.5" in req.body,
        )
    )
    outcome = apply(db, proxy, controls=("4.5", "4.6"))
    by_control = {o.control_id: o for o in outcome.outcomes}
    assert by_control["4.5"].after == "fail"
    assert "AccessDeniedException" in by_control["4.5"].note
    assert by_control["4.6"].after == "pass", by_control["4.6"]
    failed = [s for s in outcome.log if s.status == "failed"]
    assert [s.api_call for s in failed] == ["logs:PutMetricFilter"]
    skipped = [s for s in outcome.log if s.status == "skipped"]
    assert skipped and all("4.5" in outcome.plan.step(s.step).controls for s in skipped)
    # Nothing of 4.5's chain after the failure was written: no alarm for it.
    alarms = a.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert [x["AlarmName"] for x in alarms] == ["watchkeeper-cis-4.6-alarm"]


def test_pending_email_subscription_is_said_to_wait_for_a_person(
    estate: Estate, proxy: FaultProxy, db: Path
) -> None:
    from tests.queries.test_check_scenarios import _no_subscriber

    _no_subscriber(estate.account())
    collect_and_check(db, proxy, ("4.5",))
    proxy.reset()
    pending = Rule(
        "sns",
        "ListSubscriptionsByTopic",
        rewrite=lambda b: b.replace(
            b"<SubscriptionArn>arn:aws:sns", b"<SubscriptionArn>PendingConfirmation<!--"
        ).replace(b"</SubscriptionArn>", b"--></SubscriptionArn>"),
    )
    proxy.add(pending)
    outcome = apply(db, proxy, controls=("4.5",))
    (o,) = outcome.outcomes
    assert o.after == "fail" and "PendingConfirmation" in o.note and "person" in o.note
    # Re-run while still pending: the subscription exists, so no second Subscribe.
    proxy.reset()
    proxy.add(pending)
    apply(db, proxy, controls=("4.5",))
    assert write_calls(proxy) == []


def test_without_logs_role_the_plan_says_a_person_must_create_it(
    estate: Estate, proxy: FaultProxy, db: Path
) -> None:
    from tests.queries.test_check_scenarios import _no_delivery

    _no_delivery(estate.account())
    collect_and_check(db, proxy, ("4.5",))
    plan = build_plan(
        __import__("tests.fix.helpers", fromlist=["plan_request"]).plan_request(
            db, options=FixOptions()
        )
    )
    (chain,) = plan.chains
    assert any("a person must create it" in m and "--logs-role-arn" in m for m in chain.manual)
    assert [plan.step(i).action for i in chain.steps] == ["create_log_group"]


def test_other_commands_still_refuse_writes(proxy: FaultProxy) -> None:
    from watchkeeper.collector.aws import (
        AwsOptions,
        ErrorLog,
        ReadOnlyViolation,
        Scope,
        Telemetry,
        make_session,
    )
    from watchkeeper.collector.clients import Clients

    clients = Clients(make_session(None), AwsOptions(endpoint_url=proxy.url), Telemetry())
    scope = Scope(clients, DEFAULT_ACCOUNT, R, "aws", ErrorLog())
    with pytest.raises(ReadOnlyViolation):
        scope.client("logs").put_metric_filter(
            logGroupName="x", filterName="y", filterPattern="", metricTransformations=[]
        )
    assert proxy.operations() == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--apply"], "give --yes to apply when not on a terminal"),
        (["--notify", "pager"], "give PROTOCOL:ENDPOINT"),
        (["--format", "yaml"], "unknown format"),
    ],
    ids=["apply off-terminal without --yes", "bad --notify", "bad --format"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    db = tmp_path / "none.duckdb"
    result = CliRunner().invoke(app, ["fix", "--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not db.exists()  # refused before anything was opened


def test_cli_plans_then_applies_with_yes(estate: Estate, proxy: FaultProxy, db: Path) -> None:
    from tests.queries.test_check_scenarios import _not_logging

    _not_logging(estate.account())
    collect_and_check(db, proxy, ("4.5",))
    base = ["fix", "--db", str(db), "--endpoint-url", proxy.url, "--control", "4.5"]
    planned = CliRunner().invoke(app, [*base, "--format", "json"])
    assert planned.exit_code == 0, planned.output
    (step,) = json.loads(planned.stdout)["steps"]
    assert step["api_call"] == "cloudtrail:StartLogging" and write_calls(proxy) == []
    done = CliRunner().invoke(app, [*base, "--apply", "--yes"])
    assert done.exit_code == 0, done.output
    assert "step 1 cloudtrail:StartLogging" in done.stdout and ": applied:" in done.stdout
    assert f"4.5 {DEFAULT_ACCOUNT}: fail → pass (mended)" in done.stdout
    assert write_calls(proxy) == ["cloudtrail:StartLogging"]
