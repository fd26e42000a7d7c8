"""The Python entry point for analysts: ``watchkeeper.connect()``.

>>> import watchkeeper
>>> con = watchkeeper.connect("watchkeeper.duckdb")          # read-only by default
>>> con.sql("SELECT name, is_logging FROM aws_cloudtrail_trail").df()   # pandas
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from watchkeeper.analyst.functions import register
from watchkeeper.config import load_file, resolve_db
from watchkeeper.patterns import covers
from watchkeeper.store import connect as store_connect


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
        # Imported here: only an export needs the evidence views and the control SQL.
        from watchkeeper.analyst.evidence import open_evidence

        return open_evidence(path, analyst=True, controls=True)
    return register(store_connect(path, read_only=read_only))


__all__ = ["connect", "covers", "register"]
