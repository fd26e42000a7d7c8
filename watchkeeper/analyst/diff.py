"""`diff`: what changed between two snapshots, resources and verdicts.

Verdicts come from analyst.history (stored runs first, else computed without writing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from watchkeeper.analyst.history import VerdictSource, complete_snapshots
from watchkeeper.errors import UserError
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, control_sort_key
from watchkeeper.store import RESOURCE_TABLES, rows
from watchkeeper.store.db import column_types


class DriftError(UserError):
    """Bad snapshot ids or options (printed as one line)."""


# The identity of a resource across snapshots, per table (what "the same thing" means).
KEYS: dict[str, tuple[str, ...]] = {
    "aws_account": ("account_id",),
    "aws_region": ("account_id", "name"),
    "aws_cloudtrail_trail": ("account_id", "region", "arn"),
    "aws_cloudwatch_log_group": ("account_id", "region", "name"),
    "aws_cloudwatch_log_metric_filter": ("account_id", "region", "log_group_name", "name"),
    "aws_cloudwatch_alarm": ("account_id", "region", "name"),
    "aws_sns_topic": ("account_id", "region", "topic_arn"),
    # A subscription's ARN appears only once it is confirmed; its endpoint is stable.
    "aws_sns_topic_subscription": ("account_id", "region", "topic_arn", "protocol", "endpoint"),
    "aws_securityhub_hub": ("account_id", "region"),
    # account_id is the answering (management) account; id is the root, OU or member.
    "aws_organizations_root": ("account_id", "id"),
    "aws_organizations_organizational_unit": ("account_id", "id"),
    "aws_organizations_account": ("account_id", "id"),
}
# Not compared: the raw API objects repeat the columns, and these move on every run
# without anything having been changed by anyone (include_volatile=True shows them).
RAW_COLUMNS = frozenset({"snapshot_id", "raw", "raw_status", "raw_event_selectors"})
VOLATILE_COLUMNS = frozenset(
    {
        "caller_arn",
        "latest_cloudwatch_logs_delivery_time",
        "latest_delivery_time",
        "stored_bytes",
        "state_value",
        "state_reason",
        "state_updated_timestamp",
    }
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    table: str
    key: dict[str, Any]
    change: str  # added | removed | changed
    fields: list[FieldChange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": self.key,
            "change": self.change,
            "fields": [
                {"field": f.field, "before": _jsonable(f.before), "after": _jsonable(f.after)}
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class VerdictChange:
    control_id: str
    topic: str
    account_id: str
    before: str | None  # None: not judged in that snapshot (account not collected)
    after: str | None
    reason: str  # the later verdict's reason (or the earlier one's when it disappeared)


@dataclass(frozen=True)
class SnapshotDiff:
    from_snapshot: int
    to_snapshot: int
    benchmark: str
    accounts: list[str]  # compared: collected in both snapshots
    resources: list[ResourceChange]
    verdicts: list[VerdictChange]

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.resources:
            counts = out.setdefault(r.table, {"added": 0, "removed": 0, "changed": 0})
            counts[r.change] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "from_snapshot": self.from_snapshot,
            "to_snapshot": self.to_snapshot,
            "benchmark": self.benchmark,
            "accounts": self.accounts,
            "summary": self.summary(),
            "resources": [r.to_json() for r in self.resources],
            "verdicts": [v.__dict__ for v in self.verdicts],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _accounts(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> set[str]:
    rows = con.execute(
        "SELECT account_id FROM history.aws_account WHERE snapshot_id = ?", [snapshot_id]
    ).fetchall()
    return {r[0] for r in rows}


def _resolve_pair(
    con: duckdb.DuckDBPyConnection, from_id: int | None, to_id: int | None
) -> tuple[int, int]:
    snaps = [s for s, _ in complete_snapshots(con)]
    if not snaps:
        raise DriftError("no complete snapshot in the database (run `watchkeeper collect`)")
    for given in (from_id, to_id):
        if given is not None and given not in snaps:
            raise DriftError(f"snapshot {given} does not exist or is not complete")
    to = to_id if to_id is not None else snaps[-1]
    if from_id is None:
        earlier = [s for s in snaps if s < to]
        if not earlier:
            raise DriftError(f"no complete snapshot before {to} to compare with (give --from)")
        return earlier[-1], to
    return from_id, to


def _compare(
    table: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    columns: list[str],
) -> Iterator[ResourceChange]:
    key = KEYS[table]

    def index(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
        # Rows sharing a key (which AWS should not produce) are told apart by position,
        # in a stable order, rather than silently collapsed.
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(tuple(r[k] for k in key), []).append(r)
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for k, group in groups.items():
            group.sort(key=lambda r: repr(sorted((c, str(r[c])) for c in columns)))
            for n, r in enumerate(group):
                out[k if n == 0 else (*k, n)] = r
        return out

    old, new = index(before), index(after)
    for k in sorted(old.keys() | new.keys(), key=lambda t: tuple(str(v) for v in t)):
        ident = dict(zip(key, k, strict=False))
        if len(k) > len(key):
            ident["duplicate"] = k[-1]
        if k not in new:
            yield ResourceChange(table, ident, "removed")
        elif k not in old:
            yield ResourceChange(table, ident, "added")
        else:
            changes = [
                FieldChange(c, old[k][c], new[k][c]) for c in columns if old[k][c] != new[k][c]
            ]
            if changes:
                yield ResourceChange(table, ident, "changed", changes)


def diff(
    con: duckdb.DuckDBPyConnection,
    from_id: int | None = None,
    to_id: int | None = None,
    benchmark: str = DEFAULT_BENCHMARK,
    include_volatile: bool = False,
    verdicts: bool = True,
) -> SnapshotDiff:
    """Resources added/removed/changed and verdicts that changed, ``from_id`` → ``to_id``.

    Defaults: the latest complete snapshot against the complete one before it. Accounts
    collected in only one of the two show up as added/removed `aws_account` rows; their
    other resources are not listed (absence of collection is not a deletion).
    """
    a, b = _resolve_pair(con, from_id, to_id)
    acc_a, acc_b = _accounts(con, a), _accounts(con, b)
    shared = sorted(acc_a & acc_b)
    skip = RAW_COLUMNS | (frozenset() if include_volatile else VOLATILE_COLUMNS)
    changes: list[ResourceChange] = []
    types = column_types(con)
    for table in RESOURCE_TABLES:
        columns = [c for c in types[table] if c not in skip]
        scope = sorted(acc_a | acc_b) if table == "aws_account" else shared
        sql = (
            f"SELECT * FROM history.{table} WHERE snapshot_id = ? AND list_contains(?, account_id)"
        )
        changes.extend(
            _compare(table, rows(con, sql, [a, scope]), rows(con, sql, [b, scope]), columns)
        )
    verdict_changes: list[VerdictChange] = []
    with VerdictSource(con, benchmark) as source:
        bench = source.benchmark
        if verdicts:
            before = {(v.control_id, v.account_id): v for v in source.verdicts(a)}
            after = {(v.control_id, v.account_id): v for v in source.verdicts(b)}
            for k in sorted(
                before.keys() | after.keys(), key=lambda ca: (control_sort_key(ca[0]), ca[1])
            ):
                old, new = before.get(k), after.get(k)
                if old is not None and new is not None and old.status == new.status:
                    continue
                ref = new or old
                assert ref is not None
                verdict_changes.append(
                    VerdictChange(
                        ref.control_id,
                        ref.topic,
                        ref.account_id,
                        old.status if old else None,
                        new.status if new else None,
                        ref.reason,
                    )
                )
    return SnapshotDiff(a, b, bench, shared, changes, verdict_changes)


__all__ = ["DriftError", "ResourceChange", "SnapshotDiff", "VerdictChange", "diff"]
