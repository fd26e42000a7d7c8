"""Check results as OCSF Compliance Finding events (class 2003, Findings category).

One event per control × account, following OCSF 1.5's compliance_finding class (the version
py-ocsf-models implements, and tests validate against its JSON schema too): the verdict in
``compliance.status_id`` and the finding's own life cycle in ``status_id``.
"""

from __future__ import annotations

import json
from typing import Any

from watchkeeper import __version__
from watchkeeper.arns import parse_arn
from watchkeeper.queries.catalog import Catalog, Control
from watchkeeper.queries.evidence import (
    AlarmObject,
    LogGroupObject,
    TopicObject,
    TrailObject,
    chain_of,
    failed_link_of,
)
from watchkeeper.queries.results import CheckRun, Result

__all__ = ["CLASS_UID", "OCSF_VERSION", "event", "to_ocsf"]

OCSF_VERSION = "1.5.0"
CATEGORY_UID = 2  # Findings
CLASS_UID = 2003  # Compliance Finding
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE
# compliance.status_id: 1 Pass, 2 Warning, 3 Fail (0 Unknown, 99 Other)
COMPLIANCE_STATUS = {
    "pass": (1, "Pass"),
    "manual": (2, "Warning"),
    "fail": (3, "Fail"),
    "error": (0, "Unknown"),
}
# severity_id: 1 Informational, 2 Low, 3 Medium
_FAIL_SEVERITY = {1: (3, "Medium"), 2: (2, "Low")}
# status_id of the finding: 1 New, 4 Resolved
_FINDING_STATUS = {"pass": (4, "Resolved")}


# account.type_id 10 is "AWS Account"; user.type_id 99 is "Other" (the account itself, as
# its root principal, owns what is in it: no person does).
_AWS_ACCOUNT = 10
_USER_OTHER = 99


def _account(account_id: str) -> dict[str, Any]:
    return {"uid": account_id, "name": account_id, "type": "AWS Account", "type_id": _AWS_ACCOUNT}


def _owner(account_id: str, partition: str) -> dict[str, Any]:
    """The owner of a resource: its account, as the account's root principal."""
    return {
        "uid": f"arn:{partition}:iam::{account_id}:root",
        "name": account_id,
        "type": "AWS account root",
        "type_id": _USER_OTHER,
        "account": _account(account_id),
    }


def _resources(r: Result, region: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "uid": r.account_id,
            "type": "AWS::::Account",
            "region": region,
            "cloud_partition": "aws",
            "owner": _owner(r.account_id, "aws"),
        }
    ]
    chain = chain_of(r.evidence)
    if chain is None:
        return out
    objects: list[tuple[str, TrailObject | LogGroupObject | AlarmObject | TopicObject | None]] = [
        ("AWS::CloudTrail::Trail", chain["trail"]),
        ("AWS::Logs::LogGroup", chain["log_group"]),
        ("AWS::CloudWatch::Alarm", chain["alarm"]),
        ("AWS::SNS::Topic", chain["topic"]),
    ]
    for kind, obj in objects:
        if obj and obj["arn"]:
            # arn:<partition>:<service>:<region>:<account>:…: the owner is the ARN's account
            # (a topic or an organization trail may live in another account than the verdict's).
            arn = parse_arn(obj["arn"])
            partition = arn.partition if arn else "aws"
            owner = (arn.account if arn else "") or r.account_id
            out.append(
                {
                    "uid": obj["arn"],
                    "name": obj["name"],
                    "type": kind,
                    "region": (arn.region if arn else "") or region,
                    "cloud_partition": partition,
                    "owner": _owner(owner, partition),
                }
            )
    return out


def event(run: CheckRun, r: Result, control: Control, default_region: str) -> dict[str, Any]:
    region = r.region or default_region
    cstatus_id, cstatus = COMPLIANCE_STATUS[r.status]
    severity_id, severity = (
        (1, "Informational")
        if r.status == "pass"
        else _FAIL_SEVERITY.get(control.level, (2, "Low"))
    )
    status_id, status = _FINDING_STATUS.get(r.status, (1, "New"))
    version = run.benchmark.removeprefix("cis-")
    return {
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": TYPE_UID,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "time": int(run.checked_at.timestamp() * 1000),
        "message": r.reason,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "watchkeeper",
                "vendor_name": "watchkeeper",
                "version": __version__,
            },
            "uid": f"{run.run_id}/{r.control_id}/{r.account_id}"
            if run.run_id is not None
            else None,
        },
        "finding_info": {
            "uid": f"watchkeeper/{run.benchmark}/{r.control_id}/{r.account_id}",
            "title": f"{r.control_id} {r.title}",
            "desc": control.description,
            "types": ["CIS AWS Foundations Benchmark"],
        },
        "compliance": {
            "standards": [f"CIS AWS Foundations Benchmark {version}"],
            "requirements": [f"{r.control_id} {r.title}"],
            "control": r.control_id,
            "status": cstatus,
            "status_id": cstatus_id,
            "status_detail": r.reason,
        },
        "remediation": {"desc": control.remediation},
        "resources": _resources(r, region),
        "cloud": {
            "provider": "AWS",
            "account": _account(r.account_id),
            "region": region,
        },
        "unmapped": {
            "snapshot_id": run.snapshot.id,
            "snapshot_sha256": run.snapshot.sha256,
            "profile": run.profile,
            "failed_link": failed_link_of(r.evidence),
            "watchkeeper_status": r.status,
        },
    }


def _drop_none(value: Any) -> Any:
    # OCSF attributes are absent rather than null when unknown.
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def to_ocsf(run: CheckRun, catalog: Catalog, default_region: str = "us-east-1") -> str:
    """A JSON array of compliance_finding events."""
    controls = {c.control_id: c for c in catalog.controls(run.benchmark)}
    items = [_drop_none(event(run, r, controls[r.control_id], default_region)) for r in run.results]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
