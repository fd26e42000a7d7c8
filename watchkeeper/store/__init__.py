"""DuckDB store: schema, snapshot lifecycle, integrity hashes."""

from watchkeeper.store.batches import SnapshotWriter
from watchkeeper.store.bulk import encode_rows
from watchkeeper.store.db import (
    RESOURCE_TABLES,
    SCHEMA_VERSION,
    StoreError,
    StoreLockedError,
    connect,
    has_table,
    rows,
)
from watchkeeper.store.model import (
    Collection,
    CollectionError,
    EncodedRows,
    Row,
    SnapshotInfo,
    VerifyResult,
)
from watchkeeper.store.snapshots import (
    begin_snapshot,
    complete_snapshot,
    get_snapshot,
    list_snapshots,
    verify_snapshots,
)

__all__ = [
    "RESOURCE_TABLES",
    "SCHEMA_VERSION",
    "Collection",
    "CollectionError",
    "EncodedRows",
    "Row",
    "SnapshotInfo",
    "SnapshotWriter",
    "StoreError",
    "StoreLockedError",
    "VerifyResult",
    "begin_snapshot",
    "complete_snapshot",
    "connect",
    "encode_rows",
    "get_snapshot",
    "has_table",
    "list_snapshots",
    "rows",
    "verify_snapshots",
]
