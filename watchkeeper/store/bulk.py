"""Bulk inserts without pandas: rows travel as newline-delimited JSON of text cells and
DuckDB's own reader casts them to the column types. Far faster than executemany."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from json.encoder import encode_basestring_ascii
from typing import Any

import duckdb

from watchkeeper.store.model import EncodedRows


def cell(value: Any) -> str | None:
    """One text representation per type, cast back by DuckDB on insert."""
    # Most cells are text or NULL: answer those first (called once per cell of a snapshot).
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        # Most lists are empty or hold only text (actions, ARNs): spelled out directly,
        # exactly as the encoder would, without building an encoder per cell.
        if all(type(v) is str for v in value):
            return "[" + ", ".join(map(encode_basestring_ascii, value)) + "]"
        return _JSON_CELL.encode(value)
    if isinstance(value, dict):
        return _JSON_CELL.encode(value) if value else "{}"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return str(value.isoformat())
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


# Built once: json.dumps would build an encoder per call, and this runs per cell and row.
_JSON_CELL = json.JSONEncoder(default=_json_default, sort_keys=True)
_ROW = json.JSONEncoder(ensure_ascii=False)


def encode_rows(rows: Sequence[dict[str, Any]]) -> EncodedRows:
    """Encode rows now, wherever the caller is: the collector does it in its worker threads,
    where it overlaps network waits instead of adding to the write at the end."""
    encode = _ROW.encode
    # NULL cells are left out: the reader fills absent columns with NULL. Text, the most
    # common cell, is kept as it is without a call.
    lines = [
        encode({k: v if type(v) is str else cell(v) for k, v in r.items() if v is not None})
        for r in rows
    ]
    keys = frozenset().union(*rows)
    return EncodedRows("".join(line + "\n" for line in lines), len(lines), keys)


def insert_encoded(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    chunks: Sequence[EncodedRows],
    constants: dict[str, Any] | None = None,
) -> None:
    """INSERT encoded rows into ``table`` (schema-qualified if needed); ``constants`` sets
    columns that are the same in every row (e.g. the snapshot id)."""
    if not any(c.count for c in chunks):
        return
    constants = constants or {}
    unknown = set().union(*(c.keys for c in chunks)) - set(columns)
    if unknown:
        raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
    read = [c for c in columns if c not in constants]
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8", delete=False) as fh:
        for chunk in chunks:
            fh.write(chunk.text)
        path = fh.name
    try:
        spec = ", ".join(f"'{c}': 'VARCHAR'" for c in read)
        into = ", ".join(f'"{c}"' for c in (*constants, *read))
        select = ", ".join(["?"] * len(constants) + [f'"{c}"' for c in read])
        con.execute(
            f"INSERT INTO {table} ({into}) SELECT {select} FROM read_json(?, "
            f"format = 'newline_delimited', columns = {{{spec}}})",
            [*constants.values(), path],
        )
    finally:
        os.unlink(path)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
) -> None:
    """INSERT ``rows`` (dicts keyed by column; other keys are ignored) into ``table``."""
    wanted = set(columns)
    chunk = encode_rows([{k: v for k, v in r.items() if k in wanted} for r in rows])
    insert_encoded(con, table, columns, [chunk])
