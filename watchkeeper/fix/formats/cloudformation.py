"""The plan as CloudFormation: one template per account and region (a stack lives in one),
as YAML documents separated by ``---``.

CloudFormation creates objects; it cannot change one it did not create without a resource
import. So new objects are resources, and the steps that change the user's objects (trail,
a filter's metric, an alarm) are listed in the template's comments with their CLI line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from watchkeeper.fix.formats.cli import cli_line
from watchkeeper.fix.steps import Plan, Step


def _logical_id(step: Step, kind: str) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", " ", step.resource).title().replace(" ", "")
    return f"Step{step.id}{kind}{words}"[:255]


def _resource(step: Step, refs: dict[str, dict[str, str]]) -> tuple[str, dict[str, Any]]:
    p = step.params
    if step.action == "create_log_group":
        return _logical_id(step, "LogGroup"), {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": p["logGroupName"]},
        }
    if step.action == "create_metric_filter":
        t = p["metricTransformations"][0]
        return _logical_id(step, "MetricFilter"), {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "FilterName": p["filterName"],
                "FilterPattern": p["filterPattern"],
                "LogGroupName": refs.get(p["logGroupName"], p["logGroupName"]),
                "MetricTransformations": [
                    {
                        "MetricName": t["metricName"],
                        "MetricNamespace": t["metricNamespace"],
                        "MetricValue": t["metricValue"],
                    }
                ],
            },
        }
    if step.action == "create_topic":
        return _logical_id(step, "Topic"), {
            "Type": "AWS::SNS::Topic",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"TopicName": p["Name"]},
        }
    if step.action == "subscribe":
        return _logical_id(step, "Subscription"), {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": refs.get(p["TopicArn"], p["TopicArn"]),
                "Protocol": p["Protocol"],
                "Endpoint": p["Endpoint"],
            },
        }
    return _logical_id(step, "Alarm"), {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": p["AlarmName"],
            "AlarmDescription": f"CIS {', '.join(step.controls)}: fires on one matching event",
            "Namespace": p["Namespace"],
            "MetricName": p["MetricName"],
            "Statistic": p["Statistic"],
            "Period": p["Period"],
            "EvaluationPeriods": p["EvaluationPeriods"],
            "DatapointsToAlarm": p["DatapointsToAlarm"],
            "Threshold": p["Threshold"],
            "ComparisonOperator": p["ComparisonOperator"],
            "TreatMissingData": p["TreatMissingData"],
            "ActionsEnabled": p["ActionsEnabled"],
            "AlarmActions": [refs.get(a, a) for a in p["AlarmActions"]],
        },
    }


_MANAGED = {"create_log_group", "create_metric_filter", "create_topic", "subscribe"}


def _template(plan: Plan, account: str, region: str) -> str:
    steps = [s for s in plan.steps if (s.account_id, s.region) == (account, region)]
    resources: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    comments: list[str] = []
    for step in steps:
        managed = step.action in _MANAGED or (
            step.action == "put_alarm" and not step.changes_existing
        )
        if not managed:
            comments.append(f"# step {step.id} [{', '.join(step.controls)}] {step.purpose}")
            comments.append(f"#   (changes an existing object) {cli_line(step)}")
            continue
        logical, body = _resource(step, refs)
        resources[logical] = body
        if step.action == "create_log_group":
            refs[step.params["logGroupName"]] = {"Ref": logical}
        elif step.action == "create_topic":
            refs[f"arn:aws:sns:{region}:{account}:{step.params['Name']}"] = {"Ref": logical}
    head = [
        f"# watchkeeper fix plan: check run {plan.check_run_id}, {plan.benchmark}",
        f"# Deploy in account {account}, region {region}.",
        *comments,
    ]
    doc: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"watchkeeper fix: CIS monitoring chain for {account} in {region}",
        "Resources": resources
        or {
            # A template needs one resource: a no-op one when every step changes existing
            # objects (see the comments above).
            "NothingToCreate": {"Type": "AWS::CloudFormation::WaitConditionHandle"}
        },
    }
    return "\n".join(head) + "\n" + yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, width=1000)


class _NoAliases(yaml.SafeDumper):
    """CloudFormation rejects YAML anchors and aliases (cfn-lint W1101), which PyYAML writes
    when one object (a shared tag list, say) appears twice: write every copy out instead."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def to_cloudformation(plan: Plan) -> str:
    docs = [_template(plan, a, r) for a, r in plan.targets()]
    return "---\n".join(docs) if docs else "# watchkeeper fix plan: nothing to fix\n"
