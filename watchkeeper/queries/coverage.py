"""Pattern coverage as data: a DuckDB function for ad-hoc SQL, and a table of every
(filter pattern, required pattern) pair seen, so plain `duckdb` users get the same facts."""

from __future__ import annotations

import json
import re
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
    similarity        DOUBLE,   -- token overlap, only to rank near misses in reasons
    PRIMARY KEY (filter_pattern, required_pattern)
)
"""

_TOKEN = re.compile(r"[A-Za-z0-9_.*-]+")


def similarity(actual: str, required: str) -> float:
    """Share of the required pattern's tokens (field names, event names) in the filter.

    Not a verdict — coverage is decided by the prover — but when several filters fail at
    the same link, the reason should name the one meant for this control.
    """
    want = set(_TOKEN.findall(required))
    have = set(_TOKEN.findall(actual))
    return len(want & have) / len(want | have) if want | have else 0.0


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

    # Registering twice raises (and would abort an open transaction): look first.
    known = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'wk_covers'"
    ).fetchall()
    if not known[0][0]:
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
                similarity(actual, required),
            ]
        )
    if rows:
        con.executemany("INSERT INTO pattern_coverage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
