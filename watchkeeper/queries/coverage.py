"""Pattern coverage as data: a DuckDB function for ad-hoc SQL, and a table of every
(filter pattern, required pattern) pair seen, so plain `duckdb` users get the same facts."""

from __future__ import annotations

import contextlib
import json
from functools import lru_cache

import duckdb

from watchkeeper.patterns import Coverage, FilterPatternError, covers

COVERAGE_DDL = """
CREATE TABLE IF NOT EXISTS pattern_coverage (
    filter_pattern    VARCHAR NOT NULL,
    required_pattern  VARCHAR NOT NULL,
    covered           BOOLEAN NOT NULL,
    decided           BOOLEAN NOT NULL,
    reason            VARCHAR NOT NULL,
    counterexample    JSON,
    broader           JSON,
    PRIMARY KEY (filter_pattern, required_pattern)
)
"""


@lru_cache(maxsize=4096)
def judge(actual: str, required: str) -> Coverage:
    try:
        return covers(actual, required)
    except FilterPatternError as exc:
        # A filter AWS accepted but we cannot parse is reported, never guessed.
        return Coverage(False, False, None, f"filter pattern not understood: {exc}")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """wk_covers(filter_pattern, required_pattern) → BOOLEAN, for ad-hoc queries."""

    def wk_covers(actual: str, required: str) -> bool:
        return judge(actual, required).covered

    # Already registered on this connection is fine.
    with contextlib.suppress(duckdb.CatalogException):
        con.create_function("wk_covers", wk_covers, ["varchar", "varchar"], "boolean")


def materialise(con: duckdb.DuckDBPyConnection) -> int:
    """Judge every pair of current filter pattern × required pattern not yet in the table."""
    con.execute(COVERAGE_DDL)
    pairs = con.execute(
        """
        SELECT DISTINCT f.filter_pattern, p.pattern
        FROM aws_cloudwatch_log_metric_filter AS f
        CROSS JOIN (SELECT DISTINCT pattern FROM wk_control_pattern) AS p
        WHERE f.filter_pattern IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM pattern_coverage AS c
                          WHERE c.filter_pattern = f.filter_pattern
                            AND c.required_pattern = p.pattern)
        """
    ).fetchall()
    rows = []
    for actual, required in pairs:
        cov = judge(actual, required)
        rows.append(
            [
                actual,
                required,
                cov.covered,
                cov.decided,
                cov.reason,
                None if cov.counterexample is None else json.dumps(cov.counterexample),
                None if cov.broader is None else json.dumps(cov.broader),
            ]
        )
    if rows:
        con.executemany("INSERT INTO pattern_coverage VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
