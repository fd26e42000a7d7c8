"""Machine formats read by the clients that consume them: OCSF by py-ocsf-models (the models
Prowler uses) and by the OCSF JSON schema of the version the events declare (packaged in
ocsf-json-schema); ASFF by botocore's own validator for BatchImportFindings, and imported
into (moto's) Security Hub, which hands the findings back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import jsonschema
import pytest
from botocore.validate import ParamValidator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from tests.reports.conftest import BAD, GOOD, Scenario
from watchkeeper.emulator import MotoServer
from watchkeeper.reports.render import ReportRequest, write_reports


@pytest.fixture(scope="module")
def files(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("interop")
    result = write_reports(
        ReportRequest(db=scenario.db, formats=("asff", "ocsf"), output_dir=out, run=scenario.run)
    )
    return result.files


@pytest.fixture(scope="module")
def events(files: dict[str, Path]) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(files["ocsf"].read_text(encoding="utf-8"))
    return loaded


def test_ocsf_events_are_compliance_findings_for_py_ocsf_models(events: list[dict[str, Any]]):
    import py_ocsf_models

    assert len(events) == 32
    for e in events:
        assert e["metadata"]["version"] == py_ocsf_models.OCSF_VERSION
        finding = ComplianceFinding.model_validate(e)
        assert finding.class_uid == 2003 and finding.type_uid == 200301
        # Every resource names its owner completely (User: account, name, type_id, uid).
        assert finding.resources and all(r.owner is not None for r in finding.resources)


def test_ocsf_events_match_the_declared_versions_json_schema(events: list[dict[str, Any]]):
    versions = {e["metadata"]["version"] for e in events}
    assert len(versions) == 1
    ocsf = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=versions.pop()))
    schema = ocsf.get_class_schema(class_name="compliance_finding", profiles=["cloud"])
    validator = jsonschema.Draft202012Validator(schema)
    for e in events:
        problems = sorted(f"{list(p.absolute_path)}: {p.message}" for p in validator.iter_errors(e))
        assert problems == [], problems[:5]
    by = {(e["compliance"]["control"], e["cloud"]["account"]["uid"]): e for e in events}
    assert by[("4.5", GOOD)]["compliance"]["status_id"] == 1
    assert by[("4.5", BAD)]["compliance"]["status_id"] == 3


def _batches(findings: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    # BatchImportFindings takes at most 100 findings a call.
    return [findings[i : i + 100] for i in range(0, len(findings), 100)]


def test_asff_matches_botocores_batch_import_findings_shape(files: dict[str, Path]):
    findings = json.loads(files["asff"].read_text(encoding="utf-8"))
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    for batch in _batches(findings):
        report = ParamValidator().validate({"Findings": batch}, shape)
        assert not report.has_errors(), report.generate_report()
    # The validator does catch a bad finding (so the check above can fail).
    broken = {**findings[0], "Severity": {"Label": 3}}
    del broken["AwsAccountId"]
    report = ParamValidator().validate({"Findings": [broken]}, shape)
    assert report.has_errors() and "AwsAccountId" in report.generate_report()


def test_asff_imports_into_security_hub(files: dict[str, Path], moto_server: MotoServer):
    # moto is not reset here: the session's scenario may still be needed by later tests.
    findings = json.loads(files["asff"].read_text(encoding="utf-8"))
    hub = boto3.client(
        "securityhub",
        region_name="us-east-1",
        endpoint_url=moto_server.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for batch in _batches(findings):
        reply = hub.batch_import_findings(Findings=batch)
        assert reply["FailedCount"] == 0, reply["FailedFindings"]
        assert reply["SuccessCount"] == len(batch)
    got = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    by_id = {f["Id"]: f for f in got}
    assert {f["Id"] for f in findings} <= set(by_id)
    good = by_id[f"watchkeeper/cis-v5.0.0/4.5/{GOOD}"]
    bad = by_id[f"watchkeeper/cis-v5.0.0/4.5/{BAD}"]
    assert good["Compliance"]["Status"] == "PASSED" and bad["Compliance"]["Status"] == "FAILED"
    assert bad["ProductFields"]["watchkeeper/Status"] == "fail"
    assert bad["GeneratorId"] == "watchkeeper/cis-v5.0.0/4.5"
    assert {r["Type"] for r in good["Resources"]} >= {"AwsAccount", "AwsCloudTrailTrail"}
