"""The Python entry point for analysts: ``watchkeeper.connect()``.

>>> import watchkeeper
>>> con = watchkeeper.connect("watchkeeper.duckdb")          # read-only by default
>>> con.sql("SELECT name, is_logging FROM aws_cloudtrail_trail").df()   # pandas
"""

from __future__ import annotations

import contextlib
import json
from importlib import resources
from pathlib import Path

import duckdb

from watchkeeper.config import load_file, resolve_db
from watchkeeper.patterns import FilterPatternError, covers, explain, matches, parse
from watchkeeper.queries import coverage
from watchkeeper.store import connect as store_connect


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
    wk_matches(pattern, event) → BOOLEAN (NULL for a bad pattern); wk_explain(pattern).
    """
    con.execute(_steampipe_sql())
    # Registering twice on one connection raises NotImplementedException in DuckDB 2.0
    # (CatalogException on a cursor); either way the function is there.
    with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):
        coverage.register(con)
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


def connect(db: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a watchkeeper database with its analyst functions registered.

    ``db`` defaults like the CLI's --db (WATCHKEEPER_DB, watchkeeper.toml, then
    ./watchkeeper.duckdb). Read-only unless asked otherwise: evidence is not to be edited.
    ``db`` may also be a directory written by `watchkeeper export` (in-memory views over
    its Parquet files, with the control chain views built).
    """
    path = resolve_db(None if db is None else str(db), load_file())
    if path.is_dir():
        # A Parquet export (watchkeeper export): the same tables and views, over the files.
        from watchkeeper.analyst.evidence import open_evidence  # imports this module

        return open_evidence(path, analyst=True, controls=True)
    return register(store_connect(path, read_only=read_only))


__all__ = ["connect", "covers", "register"]
