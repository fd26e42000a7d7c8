"""The plan's output formats: text (for people), sh, terraform, cloudformation, json."""

from __future__ import annotations

import json

from watchkeeper.fix.formats.cloudformation import to_cloudformation
from watchkeeper.fix.formats.sh import to_sh
from watchkeeper.fix.formats.terraform import to_terraform
from watchkeeper.fix.formats.text import to_text
from watchkeeper.fix.steps import Plan

FORMATS = ("text", "sh", "terraform", "cloudformation", "json")


def render(plan: Plan, fmt: str, role_name: str | None = None) -> str:
    if fmt == "text":
        return to_text(plan)
    if fmt == "sh":
        return to_sh(plan)
    if fmt == "terraform":
        return to_terraform(plan, role_name)
    if fmt == "cloudformation":
        return to_cloudformation(plan)
    if fmt == "json":
        return json.dumps(plan.to_json(), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


__all__ = ["FORMATS", "render"]
