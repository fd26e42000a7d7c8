"""watchkeeper's SQL functions and the Steampipe JSON macros, added to a DuckDB connection.

Here, not in api.py, so that analyst code (evidence views) can register them without
importing the public entry point that sits above it.
"""

from __future__ import annotations

import contextlib
import json
from importlib import resources

import duckdb

from watchkeeper.patterns import FilterPatternError, explain, matches, parse
from watchkeeper.queries import alarm_rules, coverage


def _steampipe_sql() -> str:
    return resources.files("watchkeeper.analyst").joinpath("steampipe.sql").read_text("utf-8")


def _wk_matches(pattern: str, event: str) -> bool | None:
    # A message that is not JSON is matched as the raw log line, as CloudWatch Logs does.
    try:
        doc = json.loads(event)
    except ValueError:
        doc = event
    try:
        return matches(pattern, doc if isinstance(doc, (dict, str)) else event)
    except FilterPatternError:
        return None


def _wk_counterexample(actual: str, required: str) -> str | None:
    cov = coverage.judge(actual, required)
    return None if cov.counterexample is None else json.dumps(cov.counterexample)


def _wk_explain(pattern: str) -> str | None:
    try:
        return explain(parse(pattern))
    except FilterPatternError as exc:
        return f"error: {exc}"


def register(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Add the Steampipe JSON macros and watchkeeper's functions to any DuckDB connection.

    wk_covers(filter, required) → BOOLEAN; wk_counterexample(filter, required) → JSON;
    wk_matches(pattern, event) → BOOLEAN (NULL for a bad pattern); wk_explain(pattern);
    wk_rule_fires_alone(alarm_rule, alarm) → BOOLEAN.
    """
    con.execute(_steampipe_sql())
    # Registering twice on one connection raises NotImplementedException in DuckDB 2.0
    # (CatalogException on a cursor); either way the function is there.
    with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):
        coverage.register(con)
    with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):
        alarm_rules.register(con)
    functions = (
        ("wk_matches", _wk_matches, ["varchar", "varchar"], "boolean"),
        ("wk_counterexample", _wk_counterexample, ["varchar", "varchar"], "json"),
        ("wk_explain", _wk_explain, ["varchar"], "varchar"),
    )
    for name, fn, args, result in functions:
        # Already registered on this connection is fine.
        with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):
            con.create_function(name, fn, args, result)  # type: ignore[arg-type]
    return con
