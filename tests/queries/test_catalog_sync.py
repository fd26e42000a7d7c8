"""Catalog, SQL files and docs stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CONTROL_SQL, control_sql

ROOT = Path(__file__).parents[2]
SQL_DIR = ROOT / "watchkeeper/queries/sql"


def test_every_control_has_its_sql_and_every_sql_file_is_used():
    catalog = load_catalog()
    kinds = {c.kind for b in catalog.benchmarks for c in catalog.controls(b)}
    assert kinds == set(CONTROL_SQL)
    for b in catalog.benchmarks:
        for c in catalog.controls(b):
            assert "getvariable('control_id')" in control_sql(c)
    used = set(CONTROL_SQL.values()) | {"chain.sql", "results.sql"}
    assert {p.name for p in SQL_DIR.glob("*.sql")} == used


def test_readme_names_every_benchmark_and_link():
    readme = (ROOT / "README.md").read_text()
    for b in load_catalog().benchmarks:
        assert f"`{b}`" in readme
    chain = (SQL_DIR / "chain.sql").read_text()
    links = re.findall(r"struct_pack\(link := '([a-z_]+)'", chain)
    assert len(links) == 21
    # The README describes each link in words; the wording for each is checked here.
    words = {
        "trail_multi_region": "multi-region trail",
        "trail_logging": "logging",
        "trail_management_events": "management events read+write",
        "trail_sources_kept": "excluded event source",
        "trail_delivers_to_logs": "delivers to CloudWatch Logs",
        "trail_delivery_healthy": "delivery healthy",
        "log_group_exists": "log group",
        "filter_exists": "a metric filter on it",
        "filter_covers_pattern": "covers the required",
        "metric_value_positive": "positive metric value",
        "alarm_exists": "an alarm on the metric",
        "metric_namespace_matches": "same namespace",
        "metric_dimensions_match": "same dimensions",
        "alarm_actions_enabled": "actions enabled",
        "alarm_fires_on_one_event": "single event",
        "alarm_notifies_topic": "`AlarmActions`",
        "composite_fires_on_alarm": "composite alarm it notifies through fires on it alone",
        "composite_not_suppressed": "`ActionsSuppressor`",
        "topic_exists": "the topic exists",
        "topic_accepts_alarms": "alias/aws/sns",
        "subscriber_confirmed": "confirmed subscription",
    }
    assert set(words) == set(links)
    text = " ".join(readme.split())
    for link, phrase in words.items():
        assert phrase in text, (link, phrase)
