"""Read-only views of evidence from anywhere: a watchkeeper DuckDB file or a Parquet export.

Both become the same shape in a private in-memory DuckDB: `history.<table>` and
`snapshot` as views over the source, plus the store's plain-name views. The control SQL,
diff, timeline and import all run on that shape, and nothing they create (reference
tables, chain views, coverage) can touch the source.
"""

from __future__ import annotations

import contextlib
import glob
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb

from watchkeeper.analyst.functions import register
from watchkeeper.queries.catalog import Catalog, load_catalog
from watchkeeper.queries.check import prepare
from watchkeeper.store import RESOURCE_TABLES, StoreError

# Every table a snapshot writes (resource rows and errors), plus the snapshot table itself.
HISTORY_TABLES: tuple[str, ...] = (*RESOURCE_TABLES, "collection_error")
# Stored verdicts: exported and shown alongside, when the source has any.
RESULT_TABLES: tuple[str, ...] = ("check_run", "control_result")
SOURCE_ALIAS = "wk_evidence"


def _store_sql(name: str) -> str:
    return resources.files("watchkeeper.store").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """table → ((column, DuckDB type), …) as schema.sql defines them ('snapshot' included)."""
    con = duckdb.connect()
    try:
        con.execute(_store_sql("schema.sql"))
        con.execute(
            resources.files("watchkeeper.queries").joinpath("sql", "results.sql").read_text("utf-8")
        )
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'history' OR (table_schema = 'main' AND table_name IN "
            "('snapshot', 'check_run', 'control_result')) ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return {t: tuple(cols) for t, cols in out.items()}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_files(root: Path, table: str) -> list[str]:
    return sorted(glob.glob(str(root / table / "**" / "*.parquet"), recursive=True))


def _empty_view(table: str, qualified: str) -> str:
    """A view with the table's columns and no rows: for a source that predates the table."""
    select = ", ".join(f'CAST(NULL AS {k}) AS "{c}"' for c, k in schema_columns()[table])
    return f"CREATE VIEW {qualified} AS SELECT {select} WHERE false"


def _parquet_view(root: Path, table: str, qualified: str) -> str:
    columns = schema_columns()[table]
    files = parquet_files(root, table)
    if not files:
        return _empty_view(table, qualified)
    # Partition columns are written into the files too, so hive partitioning is not needed
    # to read them back, and their types come from the schema (account ids stay text).
    select = ", ".join(f'CAST("{c}" AS {k}) AS "{c}"' for c, k in columns)
    listing = "[" + ", ".join(_quote(f) for f in files) + "]"
    return (
        f"CREATE VIEW {qualified} AS SELECT {select} "
        f"FROM read_parquet({listing}, union_by_name = true, hive_partitioning = false)"
    )


def is_export_dir(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.json").exists()


def prepare_controls(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, snapshot_id: int | None = None
) -> None:
    """check.prepare without the check_run tables: an export shows them as views."""
    prepare(con, catalog, snapshot_id, results_tables=False)


def open_evidence(
    source: str | Path, analyst: bool = True, controls: bool = False
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection showing ``source`` (DuckDB file or Parquet export dir).

    ``analyst`` adds the Steampipe macros and wk_* functions (watchkeeper.connect's);
    without them the connection is exactly what `check` itself expects to prepare.
    ``controls`` also builds the reference tables and chain views, so the control SQL
    (queries/sql/control_*.sql) runs unchanged on the source.
    """
    source = Path(source)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        con.execute("CREATE SCHEMA history")
        if source.is_dir():
            if not is_export_dir(source):
                raise StoreError(f"{source} is a directory without manifest.json (not an export)")
            for table in HISTORY_TABLES:
                con.execute(_parquet_view(source, table, f"history.{table}"))
            for table in ("snapshot", *RESULT_TABLES):
                con.execute(_parquet_view(source, table, f"main.{table}"))
        else:
            if not source.exists():
                raise StoreError(f"no watchkeeper database at {source}")
            try:
                con.execute(f"ATTACH {_quote(str(source))} AS {SOURCE_ALIAS} (READ_ONLY)")
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                raise StoreError(f"cannot open database {source}: {first}") from None
            # Attached as it is (never migrated): a file of an older schema lacks the tables
            # added since, which then show as empty.
            stored = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = ? AND table_schema = 'history'",
                    [SOURCE_ALIAS],
                ).fetchall()
            }
            for table in HISTORY_TABLES:
                con.execute(
                    f"CREATE VIEW history.{table} AS SELECT * FROM {SOURCE_ALIAS}.history.{table}"
                    if table in stored
                    else _empty_view(table, f"history.{table}")
                )
            con.execute(f"CREATE VIEW main.snapshot AS SELECT * FROM {SOURCE_ALIAS}.main.snapshot")
            present = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = ? AND table_schema = 'main'",
                    [SOURCE_ALIAS],
                ).fetchall()
            }
            for table in RESULT_TABLES:
                if table in present:
                    con.execute(
                        f"CREATE VIEW main.{table} AS SELECT * FROM {SOURCE_ALIAS}.main.{table}"
                    )
        con.execute(_store_sql("views.sql"))
        if controls:
            prepare_controls(con, load_catalog())
        if analyst:
            register(con)
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.close()
        raise
    return con


def database_of(con: duckdb.DuckDBPyConnection) -> tuple[str | None, bool]:
    """(file path, read-only?) of the connection's current database; path None in memory."""
    row = con.execute(
        "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None:
        return None, False
    return row[0], bool(row[1])
