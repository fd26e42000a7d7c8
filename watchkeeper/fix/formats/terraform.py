"""The plan as Terraform (HCL for the AWS provider).

New objects are resources; objects of the user's that a step repairs (an alarm, a filter's
metric) are resources with an ``import`` block, so `terraform plan` shows the change to the
existing object instead of failing on a name that exists. Trail changes and enabling an
alarm's actions would need the whole trail or alarm under Terraform: they are comments
with their CLI line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from watchkeeper.fix.formats.cli import cli_line
from watchkeeper.fix.steps import Plan, Step

_RESOURCE = {
    "create_log_group": "aws_cloudwatch_log_group",
    "create_metric_filter": "aws_cloudwatch_log_metric_filter",
    "repair_metric_filter": "aws_cloudwatch_log_metric_filter",
    "create_topic": "aws_sns_topic",
    "subscribe": "aws_sns_topic_subscription",
    "put_alarm": "aws_cloudwatch_metric_alarm",
}


def _string(text: str) -> str:
    # JSON escapes are HCL's; "${" and "%{" would start a template.
    return json.dumps(text).replace("${", "$${").replace("%{", "%%{")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, _Ref):
        return value.expr
    return _string(str(value))


class _Ref:
    def __init__(self, expr: str):
        self.expr = expr


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _alias(step: Step) -> str:
    return _label(f"a{step.account_id}_{step.region}")


def _block(kind: str, name: str, step: Step, args: dict[str, Any], inner: str = "") -> str:
    width = max(len(k) for k in [*args, "provider"])
    body = [f"  {'provider'.ljust(width)} = aws.{_alias(step)}"]
    body += [f"  {k.ljust(width)} = {_value(v)}" for k, v in args.items() if v is not None]
    return f'resource "{kind}" "{name}" {{\n' + "\n".join(body) + inner + "\n}\n"


def _resource(step: Step, name: str, refs: dict[tuple[str, str, str], _Ref]) -> str:
    p = step.params
    if step.action == "create_log_group":
        return _block("aws_cloudwatch_log_group", name, step, {"name": p["logGroupName"]})
    if step.action in ("create_metric_filter", "repair_metric_filter"):
        t = p["metricTransformations"][0]
        group = refs.get((step.account_id, step.region, p["logGroupName"]), p["logGroupName"])
        inner = (
            "\n\n  metric_transformation {\n"
            f"    name      = {_string(t['metricName'])}\n"
            f"    namespace = {_string(t['metricNamespace'])}\n"
            f"    value     = {_string(t['metricValue'])}\n"
            + (f"    default_value = {_value(t['defaultValue'])}\n" if "defaultValue" in t else "")
            + "  }"
        )
        args = {"name": p["filterName"], "pattern": p["filterPattern"], "log_group_name": group}
        return _block("aws_cloudwatch_log_metric_filter", name, step, args, inner)
    if step.action == "create_topic":
        return _block("aws_sns_topic", name, step, {"name": p["Name"]})
    if step.action == "subscribe":
        topic = refs.get((step.account_id, step.region, p["TopicArn"]), p["TopicArn"])
        args = {"topic_arn": topic, "protocol": p["Protocol"], "endpoint": p["Endpoint"]}
        return _block("aws_sns_topic_subscription", name, step, args)
    actions = [refs.get((step.account_id, step.region, a), a) for a in p["AlarmActions"]]
    args = {
        "alarm_name": p["AlarmName"],
        "namespace": p["Namespace"],
        "metric_name": p["MetricName"],
        "statistic": p["Statistic"],
        "period": p["Period"],
        "evaluation_periods": p["EvaluationPeriods"],
        "datapoints_to_alarm": p["DatapointsToAlarm"],
        "threshold": p["Threshold"],
        "comparison_operator": p["ComparisonOperator"],
        "treat_missing_data": p["TreatMissingData"],
        "actions_enabled": p["ActionsEnabled"],
        "alarm_actions": actions,
    }
    return _block("aws_cloudwatch_metric_alarm", name, step, args)


def _import_id(step: Step) -> str:
    p = step.params
    if step.action == "repair_metric_filter":
        return f"{p['logGroupName']}:{p['filterName']}"
    return str(p["AlarmName"])


def to_terraform(plan: Plan, role_name: str | None = None) -> str:
    out = [
        f"# watchkeeper fix plan: check run {plan.check_run_id}, {plan.benchmark}.",
        "# Resources with an import block are the account's own objects, repaired in place.",
        "",
        "terraform {\n  required_providers {\n    aws = {\n"
        '      source  = "hashicorp/aws"\n      version = ">= 5.0"\n    }\n  }\n}\n',
    ]
    for account, region in plan.targets():
        role = (
            f'\n  assume_role {{\n    role_arn = "arn:aws:iam::{account}:role/{role_name}"\n  }}'
            if role_name
            else ""
        )
        alias = _label(f"a{account}_{region}")
        out.append(
            f'provider "aws" {{\n  alias               = "{alias}"\n'
            f'  region              = "{region}"\n'
            f'  allowed_account_ids = ["{account}"]{role}\n}}\n'
        )
    refs: dict[tuple[str, str, str], _Ref] = {}
    for step in plan.steps:
        head = f"# step {step.id} [{', '.join(step.controls)}] {step.purpose}"
        kind = _RESOURCE.get(step.action)
        if kind is None:
            out.append(f"{head}\n# (not managed here) {cli_line(step)}\n")
            continue
        name = _label(f"step{step.id}_{step.resource}")
        if step.changes_existing:
            out.append(
                f"{head}\nimport {{\n  provider = aws.{_alias(step)}\n"
                f"  to       = {kind}.{name}\n  id       = {_string(_import_id(step))}\n}}\n"
            )
        else:
            out.append(head)
        out.append(_resource(step, name, refs))
        key = (step.account_id, step.region)
        if step.action == "create_log_group":
            refs[(*key, step.params["logGroupName"])] = _Ref(f"{kind}.{name}.name")
        elif step.action == "create_topic":
            arn = f"arn:aws:sns:{step.region}:{step.account_id}:{step.params['Name']}"
            refs[(*key, arn)] = _Ref(f"{kind}.{name}.arn")
    manual = [(c, m) for c in plan.chains for m in c.manual]
    out.extend(f"# a person must ({c.control_id} {c.account_id}): {m}" for c, m in manual)
    return "\n".join(out).rstrip() + "\n"
