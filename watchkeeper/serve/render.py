"""The dashboard's Jinja2 environment: its own templates first, then the report's.

Serve templates include the report's partials (the verdict with its chain drawing,
counterexample and remediation; the timeline) rather than drawing them a second time.
StrictUndefined and autoescape as in the report: every value may come from the audited
account (a log group may be named ``<script>``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import ChoiceLoader, Environment, FunctionLoader, StrictUndefined

from watchkeeper.reports.html import environment as report_environment

__all__ = ["environment", "render_page"]

_TEMPLATES = resources.files("watchkeeper.serve").joinpath("templates")


def _load(name: str) -> str | None:
    path = _TEMPLATES.joinpath(name)
    return path.read_text("utf-8") if path.is_file() else None


@cache
def environment() -> Environment:
    report = report_environment()
    assert report.loader is not None
    env = Environment(
        loader=ChoiceLoader([FunctionLoader(_load), report.loader]),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_page(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(**context)
