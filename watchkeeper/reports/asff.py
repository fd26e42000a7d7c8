"""Check results as AWS Security Finding Format findings (BatchImportFindings input).

One finding per control × account, imported as the account's own custom product
(``product/<account>/default``), so Security Hub accepts it without a partner integration.
The Id is stable per benchmark, control and account: re-importing a later run updates the
same finding instead of piling up new ones.
"""

from __future__ import annotations

import json
from typing import Any

from watchkeeper import __version__
from watchkeeper.queries.catalog import Catalog, Control
from watchkeeper.queries.evidence import chain_of, failed_link_of
from watchkeeper.queries.results import CheckRun, Result

__all__ = ["COMPLIANCE_STATUS", "SCHEMA_VERSION", "finding", "to_asff"]

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = (
    "Software and Configuration Checks/Industry and Regulatory Standards/"
    "CIS AWS Foundations Benchmark"
)
COMPLIANCE_STATUS = {
    "pass": "PASSED",
    "fail": "FAILED",
    "manual": "WARNING",
    "error": "NOT_AVAILABLE",
}
# CIS level 1 controls are the baseline every account should meet; level 2 is defence in depth.
_FAIL_SEVERITY = {1: "MEDIUM", 2: "LOW"}
_MAX_DESCRIPTION = 1024
_MAX_TITLE = 256


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _timestamp(run: CheckRun) -> str:
    return (
        run.checked_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{run.checked_at.microsecond // 1000:03d}Z"
    )


def _resources(r: Result, region: str, partition: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "Type": "AwsAccount",
            "Id": f"AWS::::Account:{r.account_id}",
            "Partition": partition,
            "Region": region,
        }
    ]
    chain = chain_of(r.evidence)
    if chain is None:
        return out
    trail, alarm, topic = chain["trail"], chain["alarm"], chain["topic"]
    for kind, arn, home in (
        ("AwsCloudTrailTrail", trail["arn"], trail["home_region"]),
        ("Other", alarm["arn"] if alarm else None, alarm["region"] if alarm else None),
        # An SNS topic lives in its ARN's region.
        (
            "AwsSnsTopic",
            topic["arn"] if topic else None,
            topic["arn"].split(":")[3] if topic else None,
        ),
    ):
        if arn:
            out.append({"Type": kind, "Id": arn, "Partition": partition, "Region": home or region})
    return out


def finding(run: CheckRun, r: Result, control: Control, default_region: str) -> dict[str, Any]:
    region = r.region or default_region
    partition = "aws"
    when = _timestamp(run)
    status = COMPLIANCE_STATUS[r.status]
    severity = "INFORMATIONAL" if r.status == "pass" else _FAIL_SEVERITY.get(control.level, "LOW")
    description = _clip(f"{r.reason}. {control.description}", _MAX_DESCRIPTION)
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"watchkeeper/{run.benchmark}/{r.control_id}/{r.account_id}",
        "ProductArn": f"arn:aws:securityhub:{region}:{r.account_id}:product/{r.account_id}/default",
        "ProductName": "watchkeeper",
        "CompanyName": "watchkeeper",
        "GeneratorId": f"watchkeeper/{run.benchmark}/{r.control_id}",
        "AwsAccountId": r.account_id,
        "Region": region,
        "Types": [FINDING_TYPE],
        "CreatedAt": when,
        "UpdatedAt": when,
        "Severity": {"Label": severity},
        "Title": _clip(f"{run.benchmark} {r.control_id} {r.title}", _MAX_TITLE),
        "Description": description,
        "Remediation": {
            "Recommendation": {"Text": _clip(control.remediation, 512)},
        },
        "ProductFields": {
            "watchkeeper/Version": __version__,
            "watchkeeper/Profile": run.profile,
            "watchkeeper/SnapshotId": str(run.snapshot.id),
            "watchkeeper/SnapshotSha256": run.snapshot.sha256 or "",
            "watchkeeper/FailedLink": str(failed_link_of(r.evidence) or ""),
            "watchkeeper/Status": r.status,
        },
        "Resources": _resources(r, region, partition),
        "Compliance": {
            "Status": status,
            "RelatedRequirements": [
                f"CIS AWS Foundations Benchmark {run.benchmark.removeprefix('cis-')}/{r.control_id}"
            ],
        },
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "RESOLVED" if r.status == "pass" else "NEW"},
    }


def to_asff(run: CheckRun, catalog: Catalog, default_region: str = "us-east-1") -> str:
    """A JSON array of findings, ready for ``aws securityhub batch-import-findings``
    (in batches of at most 100)."""
    controls = {c.control_id: c for c in catalog.controls(run.benchmark)}
    items = [finding(run, r, controls[r.control_id], default_region) for r in run.results]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
