"""The report's view model, built from a real scenario snapshot and check run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.reports.conftest import BAD, EVIL_FILTER, GOOD, WEBHOOK, Scenario
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.results import results_digest
from watchkeeper.reports.model import PackBuilder, ReportModel, build_report, report_basis
from watchkeeper.store import connect


def _model(scenario: Scenario, redact: bool = True) -> ReportModel:
    con = connect(scenario.db, read_only=True)
    try:
        return build_report(
            con,
            scenario.run,
            load_catalog(),
            redact,
            "Audit <Q4>",
            now=datetime(2026, 1, 2, tzinfo=UTC),
        )
    finally:
        con.close()


def _pack(scenario: Scenario, account: str, redact: bool = True) -> ReportModel:
    # Since issue 12 a passing result's full chain is in its account's evidence pack; the
    # main report lists it on one line.
    con = connect(scenario.db, read_only=True)
    try:
        basis = report_basis(con, scenario.run, load_catalog(), redact, None)
        return PackBuilder(con, basis).pack(account)
    finally:
        con.close()


@pytest.fixture(scope="module")
def model(scenario: Scenario) -> ReportModel:
    return _model(scenario)


@pytest.fixture(scope="module")
def good_pack(scenario: Scenario) -> ReportModel:
    return _pack(scenario, GOOD)


def _verdict(model: ReportModel, control_id: str, account: str):  # type: ignore[no-untyped-def]
    section = next(s for s in model.controls if s.control_id == control_id)
    return next(v for v in section.verdicts if v.account.account_id == account)


def test_cover_names_snapshot_hashes_and_collector(model: ReportModel, scenario: Scenario):
    c = model.cover
    assert c.title == "Audit <Q4>"
    assert c.benchmark == "cis-v5.0.0" and c.benchmark_version == "v5.0.0"
    assert c.snapshot_id == scenario.run.snapshot.id
    assert c.snapshot_sha256 == scenario.run.snapshot.sha256 and len(c.snapshot_sha256 or "") == 64
    # The verdicts as checked (what `check --format json` prints), not their masked copy.
    assert c.results_sha256 == results_digest(scenario.run.results)
    assert c.collector_identity and c.collector_identity.startswith("arn:aws:")
    assert [a.account_id for a in c.accounts] == [GOOD, BAD]
    assert c.regions == ["eu-west-1", "us-east-1"]
    assert c.report_time == "2026-01-02 00:00:00 UTC"


def test_summary_matrix_and_failing_items_first(model: ReportModel):
    s = model.summary
    assert s.counts == {"pass": 1, "fail": 29, "error": 1, "manual": 1}
    assert [c.control_id for c in s.columns][:3] == ["4.1", "4.2", "4.3"]
    assert len(s.columns) == 16 and len(s.rows) == 2
    good = next(r for r in s.rows if r.account.account_id == GOOD)
    assert {c.control_id: c.status for c in good.cells}["4.5"] == "pass"
    assert {c.control_id: c.status for c in good.cells}["4.16"] == "error"
    order = [f.status for f in s.failing]
    assert order == sorted(order, key=["fail", "error", "manual"].index)
    assert "pass" not in order


def test_chain_boxes_mark_each_link(model: ReportModel, good_pack: ReportModel):
    v = _verdict(model, "4.5", BAD)
    assert v.status == "fail" and v.failed_link == "filter_covers_pattern"
    boxes = {b.kind: b for b in v.boxes}
    assert list(boxes) == [
        "trail",
        "log_group",
        "metric_filter",
        "metric",
        "alarm",
        "topic",
        "subscribers",
    ]
    assert boxes["trail"].state == "held" and boxes["trail"].name == "audit"
    assert boxes["trail"].arn == f"arn:aws:cloudtrail:us-east-1:{BAD}:trail/audit"
    assert boxes["metric_filter"].state == "broken" and boxes["metric_filter"].name == EVIL_FILTER
    broken = [c for c in boxes["metric_filter"].checks if c.state == "broken"]
    assert [c.link for c in broken] == ["filter_covers_pattern"]
    good = _verdict(good_pack, "4.5", GOOD)
    assert all(b.state == "held" for b in good.boxes)


def test_counterexample_and_test_command_for_a_filter_that_misses(model: ReportModel):
    cov = _verdict(model, "4.5", BAD).coverage
    assert cov is not None and cov.covered is False
    assert json.loads(cov.counterexample or "")["eventName"] == "StopLogging"
    assert cov.test_command and cov.test_command.startswith("aws logs test-metric-filter")


def test_solution_commands_only_for_broken_links_with_real_names(
    model: ReportModel, good_pack: ReportModel
):
    bad = _verdict(model, "4.5", BAD)
    texts = [c.text for c in bad.commands]
    assert any(t.startswith("aws logs put-metric-filter --log-group-name ct-logs") for t in texts)
    alarm = next(t for t in texts if t.startswith("aws cloudwatch put-metric-alarm"))
    assert f"--alarm-actions arn:aws:sns:us-east-1:{BAD}:alerts" in alarm
    assert not any("create-topic" in t or "subscribe" in t for t in texts)  # topic side holds
    assert _verdict(good_pack, "4.5", GOOD).commands == []
    disabled = _verdict(model, "4.1", BAD)
    assert [c.text for c in disabled.commands] == [
        "aws cloudwatch enable-alarm-actions --alarm-names unauthorized-alarm --region us-east-1"
    ]
    hub = _verdict(model, "4.16", BAD)
    assert [c.text for c in hub.commands] == [
        "aws securityhub enable-security-hub --region us-east-1"
    ]


def test_manual_result_carries_the_attestation(model: ReportModel):
    v = _verdict(model, "4.3", BAD)
    assert v.status == "manual"
    assert v.attestation is not None and v.attestation.approver == "Jane Doe (CISO)"
    assert v.attestation.active


def test_raw_objects_are_deduplicated_and_redacted(model: ReportModel, good_pack: ReportModel):
    good = _verdict(good_pack, "4.5", GOOD)
    kinds = [r.kind for r in good.raw]
    assert kinds[:5] == ["trail", "log group", "metric filter", "alarm", "SNS topic"]
    assert kinds.count("subscription") == 2
    anchors = [o.anchor for o in model.raw_objects]
    assert len(anchors) == len(set(anchors))
    trail_refs = {
        v.raw[0].anchor
        for s in model.controls
        for v in s.verdicts
        if v.raw and v.account.account_id == BAD and v.raw[0].kind == "trail"
    }
    assert len(trail_refs) == 1  # one appendix entry, cited by every BAD verdict
    blob = "\n".join(o.json for o in good_pack.raw_objects)
    assert "secops@example.com" not in blob and "s****@example.com" in blob
    assert "s3cr3t-token" not in blob and "https://hooks.example.com/…" in blob
    trail = next(o for o in model.raw_objects if o.kind == "trail")
    assert set(json.loads(trail.json)) == {"DescribeTrails", "GetTrailStatus", "GetEventSelectors"}


def test_redaction_reaches_chain_boxes_and_results(
    model: ReportModel, good_pack: ReportModel, scenario: Scenario
):
    good = _verdict(good_pack, "4.5", GOOD)
    subs = next(b for b in good.boxes if b.kind == "subscribers")
    shown = " ".join(v for _, v in subs.details)
    assert "s****@example.com" in shown and "https://hooks.example.com/…" in shown
    assert WEBHOOK not in json.dumps([r.to_json() for r in model.run.results])
    # --no-redact shows them in full
    plain = _pack(scenario, GOOD, redact=False)
    subs = next(b for b in _verdict(plain, "4.5", GOOD).boxes if b.kind == "subscribers")
    assert WEBHOOK in " ".join(v for _, v in subs.details)


def test_collection_errors_reach_the_appendix(model: ReportModel):
    assert any(
        e.service == "securityhub" and e.region == "eu-west-1" for e in model.collection_errors
    )
    assert _verdict(model, "4.16", GOOD).status == "error"


def test_sql_and_rerun_commands(model: ReportModel, scenario: Scenario):
    section = next(s for s in model.controls if s.control_id == "4.5")
    assert "SELECT" in section.sql and section.sql_path.endswith("control_metric_filter.sql")
    assert any("CREATE OR REPLACE VIEW" in s.text for s in model.views_sql)
    assert any(
        f"watchkeeper check --db <db> --snapshot {scenario.run.snapshot.id}" in c.text
        for c in model.rerun_commands
    )


def test_evidence_that_is_not_an_endpoint_stays_verbatim(model: ReportModel):
    # A counterexample record and an attestation link are evidence, not subscribers.
    ces = [
        v.coverage.counterexample
        for s in model.controls
        for v in s.verdicts
        if v.coverage and v.coverage.counterexample and "LoginTo" in v.coverage.counterexample
    ]
    assert ces and all("https://console.aws.amazon.com/" in c for c in ces)
    assert all("…" not in c for c in ces)
    att = _verdict(model, "4.3", BAD).attestation
    assert att is not None and att.evidence == "https://wiki.example.com/soc/root-login"
