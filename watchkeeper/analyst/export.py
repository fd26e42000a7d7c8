"""Export snapshots as hive-partitioned Parquet (local or s3://) with a manifest, and the
DDL that shows the same files as tables in Athena or Trino.

Layout: ``OUT/<table>/snapshot_id=<id>/account_id=<account>/data_0.parquet`` (``snapshot``
is partitioned by snapshot_id only). Partition columns are also written inside the files,
so readers that ignore the path still see them. JSON columns are written as text: every
engine reads a string, not every one knows Parquet's JSON annotation.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchkeeper import __version__
from watchkeeper.analyst.evidence import (
    HISTORY_TABLES,
    RESULT_TABLES,
    open_evidence,
    schema_columns,
)
from watchkeeper.errors import UserError
from watchkeeper.store import SnapshotInfo, StoreError, list_snapshots

MANIFEST = "manifest.json"
EXPORT_FORMAT = "watchkeeper-parquet/1"
DIALECTS = ("athena", "trino")
TABLES: tuple[str, ...] = ("snapshot", *HISTORY_TABLES, *RESULT_TABLES)


class ExportError(UserError):
    """A bad destination, snapshot or option (printed as one line)."""


def partition_columns(table: str) -> tuple[str, ...]:
    if table == "check_run":
        return ()  # a run may span snapshots; few rows
    return ("snapshot_id",) if table == "snapshot" else ("snapshot_id", "account_id")


def _qualified(table: str) -> str:
    return f"history.{table}" if table in HISTORY_TABLES else f"main.{table}"


def _where(table: str, snapshots: list[int]) -> str:
    ids = ", ".join(str(s) for s in snapshots)
    if table == "check_run":
        # The runs whose verdicts are exported.
        return f"run_id IN (SELECT run_id FROM main.control_result WHERE snapshot_id IN ({ids}))"
    return f"snapshot_id IN ({ids})"


@dataclass(frozen=True)
class ExportResult:
    destination: str
    snapshots: list[int]
    rows: dict[str, int]
    files: int
    manifest: dict[str, Any]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _select_snapshots(known: dict[int, SnapshotInfo], wanted: list[int] | None) -> list[int]:
    status = {s: info.status for s, info in known.items()}
    if not wanted:
        chosen = [s for s, st in status.items() if st == "complete"]
        if not chosen:
            raise ExportError("no complete snapshot to export (run `watchkeeper collect`)")
        return chosen
    for s in wanted:
        if s not in status:
            raise ExportError(f"no snapshot {s} in the database")
        if status[s] != "complete":
            raise ExportError(f"snapshot {s} is incomplete; only complete snapshots are evidence")
    return sorted(set(wanted))


def _write_local(source: Path, out: Path, snapshots: list[int]) -> dict[str, Any]:
    con = open_evidence(source, analyst=False)
    try:
        known = {s.snapshot_id: s for s in list_snapshots(con)}
        snapshots = _select_snapshots(known, snapshots)
        tables: dict[str, Any] = {}
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
                "current_database()"
            ).fetchall()
        }
        for table in TABLES:
            if table in RESULT_TABLES and not {"check_run", "control_result"} <= present:
                continue  # never checked: no stored verdicts to export
            columns = schema_columns()[table]
            select = ", ".join(
                f'CAST("{c}" AS VARCHAR) AS "{c}"' if k == "JSON" else f'"{c}"' for c, k in columns
            )
            query = f"SELECT {select} FROM {_qualified(table)} WHERE {_where(table, snapshots)}"
            count = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
            n = int(count[0]) if count else 0
            parts = partition_columns(table)
            if n and parts:
                target = str(out / table).replace("'", "''")
                con.execute(
                    f"COPY ({query}) TO '{target}' (FORMAT parquet, "
                    f"PARTITION_BY ({', '.join(parts)}), WRITE_PARTITION_COLUMNS true)"
                )
            elif n:
                (out / table).mkdir()
                target = str(out / table / "data_0.parquet").replace("'", "''")
                con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet)")
            files = sorted((out / table).rglob("*.parquet")) if n else []
            tables[table] = {
                "rows": n,
                "partition_by": list(parts),
                "columns": [{"name": c, "type": k} for c, k in columns],
                "files": [
                    {
                        "path": f.relative_to(out).as_posix(),
                        "bytes": f.stat().st_size,
                        "sha256": _sha256(f),
                    }
                    for f in files
                ],
            }
    finally:
        con.close()
    return {
        "format": EXPORT_FORMAT,
        "tool_version": __version__,
        "exported_at": datetime.now(UTC).isoformat(),
        "source": str(source),
        "snapshots": [
            {
                "snapshot_id": s.snapshot_id,
                "started_at": s.started_at.isoformat(),
                "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                "sha256": s.sha256,
                "accounts": s.accounts,
            }
            for s in (known[i] for i in snapshots)
        ],
        "tables": tables,
    }


def _split_s3(url: str) -> tuple[str, str]:
    rest = url[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ExportError(f"{url}: no bucket in the S3 URL")
    return bucket, prefix.strip("/")


def _upload(local: Path, url: str, endpoint_url: str | None) -> None:
    import boto3  # only needed for s3:// destinations
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = _split_s3(url)
    # boto3 also honours AWS_ENDPOINT_URL(_S3) by itself; an explicit one wins.
    s3 = boto3.client("s3", endpoint_url=endpoint_url) if endpoint_url else boto3.client("s3")
    try:
        for f in sorted(p for p in local.rglob("*") if p.is_file()):
            key = f.relative_to(local).as_posix()
            s3.upload_file(str(f), bucket, f"{prefix}/{key}" if prefix else key)
    except (BotoCoreError, ClientError, Boto3Error) as exc:
        raise ExportError(f"upload to {url} failed: {exc}") from None


def export(
    db: str | Path,
    output: str,
    snapshots: list[int] | None = None,
    endpoint_url: str | None = None,
) -> ExportResult:
    """Write every snapshot table as Parquet under ``output`` (a directory or s3:// URL).

    A local directory must be new or empty: an export is one consistent set of files.
    """
    is_s3 = output.startswith("s3://")
    if is_s3:
        _split_s3(output)  # a bad URL fails before any work
        out = Path(tempfile.mkdtemp(prefix="watchkeeper-export-"))
    else:
        out = Path(output)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise ExportError(f"{out} exists and is not an empty directory")
        out.mkdir(parents=True, exist_ok=True)
    try:
        manifest = _write_local(Path(db), out, snapshots or [])
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if is_s3:
            _upload(out, output, endpoint_url)
    finally:
        if is_s3:
            shutil.rmtree(out, ignore_errors=True)
    return ExportResult(
        destination=output,
        snapshots=[s["snapshot_id"] for s in manifest["snapshots"]],
        rows={t: v["rows"] for t, v in manifest["tables"].items()},
        files=sum(len(v["files"]) for v in manifest["tables"].values()),
        manifest=manifest,
    )


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable {MANIFEST}: {exc}") from None
    if data.get("format") != EXPORT_FORMAT:
        raise StoreError(f"{path}: not a watchkeeper Parquet export ({data.get('format')!r})")
    return data


# --- DDL for query engines -------------------------------------------------------------------

_ATHENA_TYPES = {
    "VARCHAR": "string",
    "JSON": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "BOOLEAN": "boolean",
    "DOUBLE": "double",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
}
_TRINO_TYPES = {
    "VARCHAR": "varchar",
    "JSON": "varchar",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "BOOLEAN": "boolean",
    "DOUBLE": "double",
    "TIMESTAMP WITH TIME ZONE": "timestamp(6)",
}


def ddl(dialect: str, location: str, schema: str = "watchkeeper", catalog: str = "hive") -> str:
    """CREATE statements for every exported table at ``location`` (the --output URL)."""
    if dialect not in DIALECTS:
        raise ExportError(f"unknown DDL dialect {dialect!r}; choose {' or '.join(DIALECTS)}")
    base = location.rstrip("/")
    out = [f"-- watchkeeper Parquet export at {base} ({dialect})"]
    if dialect == "athena":
        out.append(f"CREATE DATABASE IF NOT EXISTS {schema};")
    else:
        out.append(f"CREATE SCHEMA IF NOT EXISTS {catalog}.{schema} WITH (location = '{base}/');")
    for table in TABLES:
        parts = partition_columns(table)
        cols = schema_columns()[table]
        kinds = dict(cols)
        if dialect == "athena":
            body = ",\n".join(f"  `{c}` {_ATHENA_TYPES[k]}" for c, k in cols if c not in parts)
            by = ", ".join(f"`{p}` {_ATHENA_TYPES[kinds[p]]}" for p in parts)
            partitioned = f"PARTITIONED BY ({by})\n" if parts else ""
            repair = f"\nMSCK REPAIR TABLE {schema}.{table};" if parts else ""
            out.append(
                f"\nCREATE EXTERNAL TABLE IF NOT EXISTS {schema}.{table} (\n{body}\n)\n"
                f"{partitioned}STORED AS PARQUET\nLOCATION '{base}/{table}/';{repair}"
            )
        else:
            # Trino's Hive connector wants the partition columns last.
            ordered = [c for c in cols if c[0] not in parts] + [(p, kinds[p]) for p in parts]
            body = ",\n".join(f'  "{c}" {_TRINO_TYPES[k]}' for c, k in ordered)
            array = ", ".join(f"'{p}'" for p in parts)
            partitioned = f", partitioned_by = ARRAY[{array}]" if parts else ""
            sync = (
                f"\nCALL {catalog}.system.sync_partition_metadata('{schema}', '{table}', 'ADD');"
                if parts
                else ""
            )
            out.append(
                f"\nCREATE TABLE IF NOT EXISTS {catalog}.{schema}.{table} (\n{body}\n)\n"
                f"WITH (format = 'PARQUET', external_location = '{base}/{table}'{partitioned});"
                f"{sync}"
            )
    return "\n".join(out) + "\n"
