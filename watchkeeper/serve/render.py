"""The dashboard's Jinja2 environment: its own templates first, then the report's.

Serve templates include the report's partials (the verdict with its chain drawing,
counterexample and remediation; the timeline) rather than drawing them a second time.
StrictUndefined and autoescape come with the report's environment: every value may come
from the audited account (a log group may be named ``<script>``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import ChoiceLoader, Environment, FunctionLoader

from watchkeeper.reports.html import environment as report_environment

__all__ = ["environment", "render_page"]

_TEMPLATES = resources.files("watchkeeper.serve").joinpath("templates")


def _load(name: str) -> str | None:
    path = _TEMPLATES.joinpath(name)
    return path.read_text("utf-8") if path.is_file() else None


@cache
def environment() -> Environment:
    # An overlay: the report's settings, filters and globals (its partials render here
    # too), with our templates looked up before the report's.
    report = report_environment()
    assert report.loader is not None
    return report.overlay(loader=ChoiceLoader([FunctionLoader(_load), report.loader]))


def render_page(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(**context)
