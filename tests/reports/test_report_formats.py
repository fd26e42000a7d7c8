"""Machine formats: ASFF and OCSF validated against JSON Schemas written from the published
field definitions; JUnit read by a JUnit parser; endpoints masked in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from tests.reports.conftest import BAD, GOOD, WEBHOOK, Scenario
from watchkeeper.reports.render import (
    FORMATS,
    ReportError,
    ReportRequest,
    parse_formats,
    write_reports,
)

# ASFF: the attributes BatchImportFindings requires, with the constraints AWS documents
# (AWS Security Hub User Guide, "Required top-level ASFF attributes" and the
# AwsSecurityFinding API reference).
ISO8601 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
NON_EMPTY = {"type": "string", "minLength": 1, "maxLength": 512}
ASFF_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "maxItems": 100000,
    "items": {
        "type": "object",
        "required": [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ],
        "properties": {
            "SchemaVersion": {"const": "2018-10-08"},
            "Id": NON_EMPTY,
            "ProductArn": {
                "type": "string",
                "pattern": r"^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\d{12}:product/\d{12}/default$",
            },
            "GeneratorId": NON_EMPTY,
            "AwsAccountId": {"type": "string", "pattern": r"^\d{12}$"},
            "Types": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {"type": "string", "pattern": r"^[^/]+(/[^/]+){0,2}$"},
            },
            "CreatedAt": {"type": "string", "pattern": ISO8601},
            "UpdatedAt": {"type": "string", "pattern": ISO8601},
            "Severity": {
                "type": "object",
                "required": ["Label"],
                "properties": {
                    "Label": {"enum": ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]}
                },
            },
            "Title": {"type": "string", "minLength": 1, "maxLength": 256},
            "Description": {"type": "string", "minLength": 1, "maxLength": 1024},
            "Resources": {
                "type": "array",
                "minItems": 1,
                "maxItems": 32,
                "items": {
                    "type": "object",
                    "required": ["Type", "Id"],
                    "properties": {
                        "Type": NON_EMPTY,
                        "Id": NON_EMPTY,
                        "Partition": {"enum": ["aws", "aws-cn", "aws-us-gov"]},
                        "Region": {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d$"},
                    },
                },
            },
            "Compliance": {
                "type": "object",
                "required": ["Status"],
                "properties": {
                    "Status": {"enum": ["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"]}
                },
            },
            "RecordState": {"enum": ["ACTIVE", "ARCHIVED"]},
            "Workflow": {
                "type": "object",
                "properties": {"Status": {"enum": ["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]}},
            },
        },
    },
}

# OCSF 1.1 compliance_finding (class 2003): the class's required attributes and the
# required attributes of the objects it uses (metadata/product, finding_info, compliance).
OCSF_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "activity_id",
            "category_uid",
            "class_uid",
            "compliance",
            "finding_info",
            "metadata",
            "severity_id",
            "time",
            "type_uid",
        ],
        "properties": {
            "class_uid": {"const": 2003},
            "category_uid": {"const": 2},
            "activity_id": {"enum": [0, 1, 2, 3, 99]},
            "type_uid": {"const": 200301},
            "severity_id": {"enum": [0, 1, 2, 3, 4, 5, 6, 99]},
            "status_id": {"enum": [0, 1, 2, 3, 4, 99]},
            "time": {"type": "integer", "minimum": 0},
            "metadata": {
                "type": "object",
                "required": ["product", "version"],
                "properties": {
                    "version": {"type": "string", "pattern": r"^1\.\d+\.\d+"},
                    "product": {
                        "type": "object",
                        "required": ["vendor_name"],
                        "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                    },
                },
            },
            "finding_info": {
                "type": "object",
                "required": ["uid"],
                "properties": {
                    "uid": {"type": "string", "minLength": 1},
                    "title": {"type": "string"},
                    "desc": {"type": "string"},
                },
            },
            "compliance": {
                "type": "object",
                "required": ["standards"],
                "properties": {
                    "standards": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "requirements": {"type": "array", "items": {"type": "string"}},
                    "control": {"type": "string"},
                    "status": {"type": "string"},
                    "status_id": {"enum": [0, 1, 2, 3, 99]},
                },
            },
            "resources": {
                "type": "array",
                "items": {"type": "object", "properties": {"uid": {"type": "string"}}},
            },
            "cloud": {
                "type": "object",
                "required": ["provider"],
                "properties": {
                    "provider": {"type": "string"},
                    "region": {"type": "string"},
                    "account": {
                        "type": "object",
                        "required": ["uid"],
                        "properties": {"uid": {"type": "string"}},
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def files(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("formats")
    machine = tuple(f for f in FORMATS if f not in ("html", "pdf"))
    result = write_reports(
        ReportRequest(db=scenario.db, formats=machine, output_dir=out, run=scenario.run)
    )
    return result.files


def test_stable_file_names(files: dict[str, Path], scenario: Scenario):
    sid = scenario.run.snapshot.id
    assert {f: p.name for f, p in files.items()} == {
        "json": f"watchkeeper-cis-v5.0.0-snapshot{sid}.json",
        "csv": f"watchkeeper-cis-v5.0.0-snapshot{sid}.csv",
        "junit": f"watchkeeper-cis-v5.0.0-snapshot{sid}.junit.xml",
        "markdown": f"watchkeeper-cis-v5.0.0-snapshot{sid}.md",
        "asff": f"watchkeeper-cis-v5.0.0-snapshot{sid}.asff.json",
        "ocsf": f"watchkeeper-cis-v5.0.0-snapshot{sid}.ocsf.json",
    }


def test_asff_is_valid_and_maps_verdicts(files: dict[str, Path]):
    findings = json.loads(files["asff"].read_text())
    jsonschema.validate(findings, ASFF_SCHEMA)
    assert len(findings) == 32
    by = {(f["GeneratorId"].rsplit("/", 1)[1], f["AwsAccountId"]): f for f in findings}
    assert by[("4.5", GOOD)]["Compliance"]["Status"] == "PASSED"
    assert by[("4.5", GOOD)]["Workflow"]["Status"] == "RESOLVED"
    assert by[("4.5", BAD)]["Compliance"]["Status"] == "FAILED"
    assert by[("4.3", BAD)]["Compliance"]["Status"] == "WARNING"
    assert by[("4.16", GOOD)]["Compliance"]["Status"] == "NOT_AVAILABLE"
    assert by[("4.5", BAD)]["ProductArn"] == (
        f"arn:aws:securityhub:us-east-1:{BAD}:product/{BAD}/default"
    )
    assert len({f["Id"] for f in findings}) == len(findings)


def test_asff_description_is_cut_to_1024_characters(scenario: Scenario):
    from watchkeeper.queries.catalog import load_catalog
    from watchkeeper.reports.asff import to_asff

    long = scenario.run.results[0].__class__(
        **{**scenario.run.results[0].__dict__, "reason": "x" * 5000}
    )
    run = scenario.run.__class__(**{**scenario.run.__dict__, "results": [long]})
    findings = json.loads(to_asff(run, load_catalog()))
    jsonschema.validate(findings, ASFF_SCHEMA)
    assert len(findings[0]["Description"]) == 1024


def test_ocsf_is_valid_compliance_finding(files: dict[str, Path]):
    events = json.loads(files["ocsf"].read_text())
    jsonschema.validate(events, OCSF_SCHEMA)
    by = {(e["compliance"]["control"], e["cloud"]["account"]["uid"]): e for e in events}
    assert by[("4.5", GOOD)]["compliance"]["status_id"] == 1
    assert by[("4.5", BAD)]["compliance"]["status_id"] == 3
    assert by[("4.3", BAD)]["compliance"]["status_id"] == 2
    assert by[("4.5", BAD)]["compliance"]["standards"] == ["CIS AWS Foundations Benchmark v5.0.0"]
    assert by[("4.5", BAD)]["metadata"]["product"]["name"] == "watchkeeper"


def test_junit_parses_with_a_junit_parser(files: dict[str, Path]):
    xml = JUnitXml.fromfile(str(files["junit"]))
    cases = [(suite.name, case) for suite in xml for case in suite]
    assert len(cases) == 32
    kinds = {type(r) for _, case in cases for r in case.result}
    assert {Failure, Error, Skipped} <= kinds
    passed = [case for _, case in cases if not case.result]
    assert len(passed) == 1 and GOOD in passed[0].name


def test_every_machine_format_masks_endpoints(files: dict[str, Path]):
    for fmt, path in files.items():
        text = path.read_text()
        assert "secops@example.com" not in text, fmt
        assert WEBHOOK not in text and "s3cr3t-token" not in text, fmt
    assert "s****@example.com" in files["json"].read_text()


def test_csv_has_one_row_per_control_and_account(files: dict[str, Path]):
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text())))
    assert len(rows) == 32 and {(r["control_id"], r["account_id"]) for r in rows} >= {
        ("4.5", GOOD),
        ("4.5", BAD),
    }


def test_no_redact_keeps_endpoints(scenario: Scenario, tmp_path: Path):
    out = write_reports(
        ReportRequest(
            db=scenario.db, formats=("json",), output_dir=tmp_path, run=scenario.run, redact=False
        )
    )
    assert "secops@example.com" in out.files["json"].read_text()


def test_format_list_parsing_and_errors():
    assert parse_formats("html, pdf,json,html") == ("html", "pdf", "json")
    assert parse_formats(("csv", "md")) == ("csv", "markdown")
    with pytest.raises(ReportError, match="unknown report format 'docx'"):
        parse_formats("html,docx")
    with pytest.raises(ReportError, match="no report format"):
        parse_formats(" , ")
