"""A step as one AWS CLI line (the reports' `aws_cli`, fed the step's API parameters; the
fixer's boto3 service names are the CLI's own command names)."""

from __future__ import annotations

import json
from typing import Any

from botocore import xform_name

from watchkeeper.fix.steps import Step
from watchkeeper.reports.model.remediation import FlagValue, aws_cli

# Parameters the AWS CLI renames (its own --endpoint-url would swallow --endpoint).
CLI_RENAMED = {("sns", "Subscribe", "Endpoint"): "notification_endpoint"}


def _flag_value(value: Any) -> FlagValue:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    # Lists and structures: the CLI takes them as JSON.
    return json.dumps(value, separators=(",", ":"))


def cli_line(step: Step) -> str:
    flags = {
        CLI_RENAMED.get((step.service, step.operation, k), xform_name(k)): _flag_value(v)
        for k, v in step.params.items()
    }
    return aws_cli(step.service, xform_name(step.operation, "-"), region=step.region, **flags)
