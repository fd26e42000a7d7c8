"""Opening the DuckDB file: schema, version checks, and one-line errors for bad files;
plus the small read helpers every layer above uses (rows as dicts, column types)."""

from __future__ import annotations

import os
import re
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from watchkeeper.errors import UserError

SCHEMA_VERSION = 8
# from-version → the script that upgrades a file to from-version + 1
MIGRATIONS: dict[int, str] = {
    1: "migrations/0002_collector_host.sql",
    2: "migrations/0003_organizations.sql",
    3: "migrations/0004_sns_subscribers.sql",
    4: "migrations/0005_remediation_run.sql",
    5: "migrations/0006_deep_columns.sql",
    6: "migrations/0007_composite_alarms.sql",
    7: "migrations/0008_organization_account_tags.sql",
}

# Tables of collected rows, in the order hashes and exports walk them.
RESOURCE_TABLES: tuple[str, ...] = (
    "aws_account",
    "aws_region",
    "aws_cloudtrail_trail",
    "aws_cloudwatch_log_group",
    "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_alarm",
    "aws_sns_topic",
    "aws_sns_topic_subscription",
    "aws_securityhub_hub",
    "aws_organizations_root",
    "aws_organizations_organizational_unit",
    "aws_organizations_account",
)


# DuckDB's buffer manager keeps blocks for later up to 80 % of RAM by default. Closing a
# check's connection at 1,000 accounts (the checkpoint of its 16,000 stored results) took
# 0.3–3 GB above the run itself; with a limit DuckDB evicts, or spills to ``<db>.tmp``.
MEMORY_LIMIT_ENV = "WATCHKEEPER_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "512MB"
_SIZE = re.compile(r"\d+(\.\d+)?\s*(b|[kmgt]i?b)", re.IGNORECASE)


class StoreError(UserError):
    """A problem with the database file a user can act on (printed as one line)."""


def memory_limit() -> str:
    """DuckDB's memory limit for every connection: WATCHKEEPER_MEMORY_LIMIT or 512MB."""
    limit = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    if not _SIZE.fullmatch(limit):
        raise StoreError(f"{MEMORY_LIMIT_ENV} must be a size such as 512MB or 2GB, not {limit!r}")
    return limit


class StoreLockedError(StoreError):
    """Another process holds the write lock on the database file."""


def _sql(name: str) -> str:
    return resources.files("watchkeeper.store").joinpath(name).read_text(encoding="utf-8")


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The result of ``sql`` as one dict per row, keyed by column name."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def column_types(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Every history table's columns (in table order) and their DuckDB types, in one query."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'history' ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    limit = memory_limit()  # before opening: a bad value leaves no connection behind
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreLockedError(
                f"database {path} is in use by another watchkeeper process (write lock held)"
            ) from None
        raise StoreError(f"cannot open database {path}: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise StoreError(f"cannot open database {path}: {str(exc).splitlines()[0]}") from None
    # Hashes and reports render timestamps; one fixed zone keeps them reproducible.
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB draws a progress bar on the terminal for statements over two seconds (a large
    # collection's final write and hash): not ours to print, and it garbles our output.
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{limit}'")
    return con


def has_table(con: duckdb.DuckDBPyConnection, name: str, schema: str | None = "main") -> bool:
    """Whether ``name`` exists (in ``schema``; in any schema when None). Readers ask first
    because a store written before a table's migration, or an export, may lack it."""
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    params = [name]
    if schema is not None:
        sql += " AND table_schema = ?"
        params.append(schema)
    found = con.execute(sql, params).fetchone()
    return bool(found and found[0])


def _version(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """The file's schema version; None for an empty file. Refuses foreign and newer files."""
    if not has_table(con, "watchkeeper_meta"):
        others = con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        if others[0][0]:
            raise StoreError(f"{path} is a DuckDB file but not a watchkeeper database")
        return None
    rows = con.execute("SELECT value FROM watchkeeper_meta WHERE key = 'schema_version'").fetchall()
    if not rows:
        raise StoreError(f"{path}: watchkeeper_meta has no schema_version")
    version = int(rows[0][0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer watchkeeper (schema {version}, this one reads "
            f"up to {SCHEMA_VERSION}); upgrade watchkeeper"
        )
    return version


def _migrate(con: duckdb.DuckDBPyConnection, path: Path, version: int) -> None:
    """Upgrade an older file in place, after a byte copy of it as it was."""
    con.execute("CHECKPOINT")  # the copy must hold everything, not rely on the WAL
    backup = path.with_name(f"{path.name}.schema{version}.bak")
    shutil.copy2(path, backup)
    backup.chmod(0o600)
    con.execute("BEGIN TRANSACTION")
    try:
        while version < SCHEMA_VERSION:
            con.execute(_sql(MIGRATIONS[version]))
            version += 1
        con.execute(
            "UPDATE watchkeeper_meta SET value = ? WHERE key = 'schema_version'", [str(version)]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout: float = 0.0,
    refresh_views: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open (and, when writable, initialise) a watchkeeper database.

    ``lock_timeout`` seconds are spent waiting for another writer to finish before
    StoreLockedError is raised: collections hold the lock only while they write.
    ``refresh_views=False`` skips re-creating the views of a file that is already at this
    schema version (a collection's batches and its final write: its begin_snapshot
    refreshed them); a new or migrated file always gets them.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"no watchkeeper database at {path} (run `watchkeeper collect` first)")
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    created = not path.exists()
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            con = _open(path, read_only)
            break
        except StoreLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
    try:
        version = _version(con, path)
        if read_only:
            if version is None:
                raise StoreError(f"{path} is not a watchkeeper database")
            if version < SCHEMA_VERSION:
                # Migrate on first use, even by a reader: open for writing once, then again
                # read-only.
                con.close()
                connect(path, lock_timeout=lock_timeout).close()
                return connect(path, read_only=True, lock_timeout=lock_timeout)
            return con
        if created:
            # Evidence may name people (subscriber e-mails): owner-only from the start.
            path.chmod(0o600)
        if version is not None and version < SCHEMA_VERSION:
            _migrate(con, path, version)
        if version is None:
            con.execute(_sql("schema.sql"))
            con.execute(
                "INSERT INTO watchkeeper_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        if refresh_views or version != SCHEMA_VERSION:
            con.execute(_sql("views.sql"))
    except BaseException:
        con.close()
        raise
    return con
