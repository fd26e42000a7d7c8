"""Bulk inserts without pandas: rows travel as newline-delimited JSON of text cells and
DuckDB's own reader casts them to the column types. Far faster than executemany."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import duckdb


def cell(value: Any) -> str | None:
    """One text representation per type, cast back by DuckDB on insert."""
    # Most cells are text or NULL: answer those first (called once per cell of a snapshot).
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=_json_default, sort_keys=True)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return str(value.isoformat())
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
) -> None:
    """INSERT ``rows`` (dicts keyed by column) into ``table`` (schema-qualified if needed)."""
    if not rows:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False) as fh:
        for r in rows:
            fh.write(json.dumps({c: cell(r.get(c)) for c in columns}, ensure_ascii=False))
            fh.write("\n")
        path = fh.name
    try:
        spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
        cols = ", ".join(f'"{c}"' for c in columns)
        con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_json(?, "
            f"format = 'newline_delimited', columns = {{{spec}}})",
            [path],
        )
    finally:
        os.unlink(path)
