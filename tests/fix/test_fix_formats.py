"""Every plan format, read by the client that consumes it: bash and the real AWS CLI
against moto (twice: the script is safe to re-run), Terraform (fmt, init from the local
provider mirror, validate), cfn-lint, and json.loads. One estate with every kind of step."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import CIS_4_5, Estate
from tests.fix.helpers import OPTIONS, collect_and_check, plan_request
from watchkeeper.emulator import MotoServer
from watchkeeper.fix.formats import render
from watchkeeper.fix.plan import build_plan
from watchkeeper.fix.steps import Plan
from watchkeeper.queries.catalog import load_catalog

BENCH = "cis-v5.0.0"
CONTROLS = ("4.3", "4.4", "4.5", "4.6", "4.7", "4.8")
TF_MIRROR = Path("/opt/tf-plugins")


def _pattern(control: str) -> str:
    return load_catalog().find(BENCH, control).required_patterns[0]


@dataclass
class Estated:
    plan: Plan
    db: Path
    endpoint: str


@pytest.fixture(scope="module")
def planned(
    moto_server: MotoServer, _proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> Estated:
    """Trail off, single-region, write-only; 4.3 counts 0; 4.4's alarm has its actions off;
    4.5's filter misses StopLogging; 4.6's alarm needs 5 events; 4.7 has no filter; 4.8's
    alarm notifies no topic."""
    moto_server.reset()
    _proxy.reset()
    a = Estate(moto_server.url).account()
    a.log_group("ct-logs")
    a.trail(
        "main-trail",
        log_group="ct-logs",
        multi_region=False,
        logging=False,
        event_selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
    )
    topic = a.topic("sec-alerts")
    a.subscribe(topic, "secops@example.com")
    a.metric_filter("ct-logs", "root-use", _pattern("4.3"), "root-metric", value="0")
    a.alarm("root-alarm", "root-metric", "CISBenchmark", [topic])
    a.metric_filter("ct-logs", "iam-changes", _pattern("4.4"), "iam-metric")
    a.alarm("iam-alarm", "iam-metric", "CISBenchmark", [topic], actions_enabled=False)
    a.metric_filter(
        "ct-logs", "ct-changes", CIS_4_5.replace(" || ($.eventName = StopLogging)", ""), "ct-metric"
    )
    a.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])
    a.metric_filter("ct-logs", "login-fail", _pattern("4.6"), "login-metric")
    a.alarm("login-alarm", "login-metric", "CISBenchmark", [topic], threshold=5.0)
    a.metric_filter("ct-logs", "s3-policy", _pattern("4.8"), "s3-metric")
    a.alarm("s3-alarm", "s3-metric", "CISBenchmark", [])
    db = tmp_path_factory.mktemp("formats") / "wk.duckdb"
    collect_and_check(db, _proxy, CONTROLS)
    plan = build_plan(plan_request(db, options=OPTIONS))
    return Estated(plan, db, moto_server.url)


def test_the_plan_has_every_kind_of_step(planned: Estated) -> None:
    actions = {s.action for s in planned.plan.steps}
    assert actions == {
        "start_logging",
        "make_multi_region",
        "record_management_events",
        "repair_metric_filter",
        "enable_alarm_actions",
        "create_metric_filter",
        "put_alarm",
        "create_topic",
        "subscribe",
    }
    shared = [s for s in planned.plan.steps if s.action == "start_logging"]
    assert len(shared) == 1 and shared[0].controls == list(CONTROLS)
    text = render(planned.plan, "text")
    assert "ct-changes misses events" in text and "kept as it is" in text
    assert "aws cloudtrail start-logging --name main-trail --region us-east-1" in text


def test_json_is_the_plan(planned: Estated) -> None:
    doc = json.loads(render(planned.plan, "json"))
    assert [c["control_id"] for c in doc["chains"]] == list(CONTROLS)
    assert len(doc["steps"]) == len(planned.plan.steps)
    assert {s["api_call"] for s in doc["steps"]} >= {
        "cloudtrail:StartLogging",
        "logs:PutMetricFilter",
        "cloudwatch:PutMetricAlarm",
    }


@pytest.mark.timeout(600)  # each `aws` process starts a Python: seconds on a busy machine
def test_sh_runs_with_the_aws_cli_and_twice(
    planned: Estated, _proxy: FaultProxy, tmp_path: Path
) -> None:
    # Every kind of step but the alarm repair (4.6) and a second new filter (4.7).
    controls = ("4.3", "4.4", "4.5", "4.8")
    plan = build_plan(plan_request(planned.db, controls=controls))
    script = tmp_path / "fix.sh"
    script.write_text(render(plan, "sh"))
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    if shutil.which("aws") is None:
        pytest.skip("no aws CLI on this machine: the script was only syntax-checked")
    env = {**os.environ, "AWS_ENDPOINT_URL": planned.endpoint, "AWS_PAGER": ""}
    for attempt in (1, 2):  # safe to re-run
        done = subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (attempt, done.stderr[-2000:])
    run = collect_and_check(planned.db, _proxy, controls)
    assert {r.control_id: r.status for r in run.results} == dict.fromkeys(controls, "pass"), [
        (r.control_id, r.reason) for r in run.results if r.status != "pass"
    ]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary")
def test_terraform_formats_and_validates(planned: Estated, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(render(planned.plan, "terraform", "watchkeeper-fixer"))
    fmt = subprocess.run(
        ["terraform", "fmt", "-check", "-diff"], cwd=tmp_path, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    if not TF_MIRROR.is_dir():
        pytest.skip("no local provider mirror: formatted only")
    rc = tmp_path / "terraformrc"
    rc.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{TF_MIRROR}"\n  }}\n}}\n'
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1"}
    for args in (["init", "-backend=false", "-input=false"], ["validate", "-no-color"]):
        done = subprocess.run(
            ["terraform", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def _cfn_lint() -> str:
    """The venv's cfn-lint (a dev dependency) even when the venv's bin is not on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    return str(beside) if beside.exists() else shutil.which("cfn-lint") or "cfn-lint"


def test_cloudformation_passes_cfn_lint(planned: Estated, tmp_path: Path) -> None:
    text = render(planned.plan, "cloudformation")
    docs = [d for d in text.split("\n---\n")]
    for i, doc in enumerate(docs):
        body = yaml.safe_load(doc)
        kinds = {r["Type"] for r in body["Resources"].values()}
        assert kinds >= {"AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm"}
        path = tmp_path / f"stack{i}.yaml"
        path.write_text(doc)
        lint = subprocess.run([_cfn_lint(), str(path)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
