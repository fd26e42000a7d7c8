"""The report as one self-contained HTML file (inline CSS, no scripts, no network)."""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib import resources

from jinja2 import BaseLoader, Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup

from watchkeeper.reports.model import ReportModel

__all__ = ["environment", "jinja_environment", "render_html", "report_css"]

_TEMPLATES = resources.files("watchkeeper.reports").joinpath("templates")


def _load(name: str) -> str | None:
    path = _TEMPLATES.joinpath(name)
    return path.read_text("utf-8") if path.is_file() else None


def text_only(value: object) -> Markup:
    """Escape for element content only (&, <, >): quotes need no escaping there, and the
    raw JSON is full of them; each entity is work for the PDF renderer's HTML parser."""
    s = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(s)  # escaped just above


def jinja_environment(loader: BaseLoader) -> Environment:
    """A Jinja2 environment with the report's settings over ``loader``: the e-mail's
    (notify/body.py) is one, with filters of its own; the dashboard overlays environment()."""
    # StrictUndefined: a field the model lacks fails the render instead of printing "".
    # Autoescape always on: names, reasons and JSON come from the AWS account under audit.
    env = Environment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["text"] = text_only
    return env


@cache
def environment() -> Environment:
    return jinja_environment(FunctionLoader(_load))


@cache
def report_css() -> str:
    css = _TEMPLATES.joinpath("report.css").read_text("utf-8")
    if "</" in css:  # would end the inline <style> element early
        raise ValueError("report.css must not contain '</'")
    return css


def render_html(model: ReportModel) -> str:
    """The report as HTML; the PDF is rendered from this same text."""
    template = environment().get_template("report.html.j2")
    context = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    # Markup: the stylesheet is ours and must reach <style> unescaped (CSS uses '>').
    return template.render(**context, css=Markup(report_css()))
