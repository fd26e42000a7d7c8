"""The shapes that cross the collector → store edge, and what the store reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# One row of a history.<table>: column name → value. Lists/dicts become JSON columns.
Row = dict[str, Any]


@dataclass(frozen=True)
class CollectionError:
    account_id: str | None
    region: str | None
    service: str
    operation: str
    error_code: str
    message: str


@dataclass(frozen=True)
class EncodedRows:
    """Rows already encoded for insertion (store.bulk.encode_rows): NDJSON text of cells,
    one line per row."""

    text: str
    count: int
    keys: frozenset[str]  # every column some row sets


@dataclass
class Collection:
    """Everything one collection run produced, ready to be written as one snapshot."""

    caller_arn: str | None
    accounts: list[str]
    regions: list[str] | None
    tables: dict[str, list[Row]] = field(default_factory=dict)
    # Rows nobody will amend again, already encoded as they arrived (store.bulk.encode_rows).
    encoded: dict[str, list[EncodedRows]] = field(default_factory=dict)
    errors: list[CollectionError] = field(default_factory=list)
    api_calls: int = 0
    api_retries: int = 0

    def add(self, table: str, rows: list[Row]) -> None:
        self.tables.setdefault(table, []).extend(rows)

    def add_encoded(self, table: str, rows: EncodedRows) -> None:
        self.encoded.setdefault(table, []).append(rows)


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    tool_version: str
    caller_arn: str | None
    accounts: list[str]
    regions: list[str] | None
    api_calls: int | None
    api_retries: int | None
    error_count: int | None
    sha256: str | None
    previous_snapshot_id: int | None
    previous_sha256: str | None


@dataclass(frozen=True)
class VerifyResult:
    snapshot_id: int
    status: str
    ok: bool
    problem: str | None  # None when the stored hash and the chain link both hold
