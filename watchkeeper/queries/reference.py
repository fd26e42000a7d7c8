"""Catalog facts as tables, so the control SQL (and plain `duckdb` users) can join on them."""

from __future__ import annotations

import re

import duckdb

from watchkeeper.patterns.cloudtrail import EVENT_SOURCES
from watchkeeper.queries.catalog import Catalog, Control
from watchkeeper.store.bulk import insert_rows

_NAME = re.compile(r"\$\.eventName\s*=\s*\"?([A-Za-z0-9]+)\"?")
_SOURCE = re.compile(r"\$\.eventSource\s*=\s*\"?([a-z0-9.-]+)\"?")


def judged_patterns(control: Control) -> tuple[str, ...]:
    """What a filter is judged against: the control's intent (every published form of the
    benchmark's pattern covers it, so covering the intent is covering "any of them")."""
    if control.intent is not None:
        return (control.intent.pattern,)
    return control.required_patterns


def event_sources(control: Control) -> list[str]:
    """Services whose management events a control's intent can match.

    '*' when a pattern names no event (e.g. root usage: any service's events count).
    Used only to decide whether a trail's excluded event sources hurt this control.
    """
    sources: set[str] = set()
    for pattern in judged_patterns(control):
        named = set(_SOURCE.findall(pattern))
        names = _NAME.findall(pattern)
        if named:
            sources |= named
        elif names:
            for name in names:
                sources |= set(EVENT_SOURCES.get(name, ("*",)))
        else:
            sources.add("*")
    return sorted(sources)


_CONTROL_COLUMNS = (
    "benchmark",
    "control_id",
    "topic",
    "kind",
    "title",
    "level",
    "assessment",
    "security_hub_id",
)


def materialise(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """(Re)create wk_control, wk_control_pattern (the intent each filter is judged
    against) and wk_control_source for every benchmark."""
    controls = [c for b in catalog.benchmarks for c in catalog.controls(b)]
    con.execute(
        "CREATE OR REPLACE TABLE wk_control (benchmark VARCHAR, control_id VARCHAR, "
        "topic VARCHAR, kind VARCHAR, title VARCHAR, level INTEGER, assessment VARCHAR, "
        "security_hub_id VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE wk_control_pattern (benchmark VARCHAR, control_id VARCHAR, "
        "pattern_index INTEGER, pattern VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE wk_control_source (benchmark VARCHAR, control_id VARCHAR, "
        "event_source VARCHAR)"
    )
    insert_rows(
        con,
        "wk_control",
        _CONTROL_COLUMNS,
        [{k: getattr(c, k) for k in _CONTROL_COLUMNS} for c in controls],
    )
    insert_rows(
        con,
        "wk_control_pattern",
        ("benchmark", "control_id", "pattern_index", "pattern"),
        [
            {"benchmark": c.benchmark, "control_id": c.control_id, "pattern_index": i, "pattern": p}
            for c in controls
            for i, p in enumerate(judged_patterns(c))
        ],
    )
    insert_rows(
        con,
        "wk_control_source",
        ("benchmark", "control_id", "event_source"),
        [
            {"benchmark": c.benchmark, "control_id": c.control_id, "event_source": s}
            for c in controls
            if c.kind == "metric_filter_alarm"
            for s in event_sources(c)
        ],
    )
