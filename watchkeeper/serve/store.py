"""The dashboard's view of the store: a read-only connection held while requests need
it (see lease.py), stored runs, and caches.

Snapshots and stored check runs never change once written, so whatever is derived from
one run (its redacted results, report basis, matrix, raw-object index) is cached by run id
and never goes stale; only the lists of runs and snapshots are read afresh per request,
so runs and snapshots written by other processes while the dashboard is up appear.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from watchkeeper.errors import UserError
from watchkeeper.notify.runs import load_run
from watchkeeper.queries.catalog import Catalog, load_catalog
from watchkeeper.queries.results import STATUS_ORDER, STATUSES, CheckRun, Result
from watchkeeper.queries.summary import RunSummary, ou_paths, summarise
from watchkeeper.reports.model import ReportBasis, report_basis
from watchkeeper.reports.model.raw import RawIndex
from watchkeeper.serve.lease import Lease, LeaseTimes
from watchkeeper.store import (
    SnapshotInfo,
    StoreError,
    VerifyResult,
    connect,
    has_table,
    list_snapshots,
    rows,
    verify_snapshots,
)

__all__ = ["DashboardStore", "Lru", "NotFound", "RunInfo", "RunView", "snapshot_key", "sql"]

K = TypeVar("K")
V = TypeVar("V")


class NotFound(UserError):
    """A page for a run, control, account or snapshot the store does not hold (HTTP 404)."""


@cache
def sql(name: str) -> str:
    return resources.files("watchkeeper.serve").joinpath("sql", name).read_text("utf-8")


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    benchmark: str
    profile: str
    checked_at: datetime
    snapshot_id: int | None
    snapshot_ids: list[int]
    scoped: bool  # run over selected controls or accounts, not the whole estate
    attestations: str | None
    results_sha256: str
    counts: dict[str, int]
    accounts: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class RunView:
    """Everything derived from one stored run that several pages share."""

    info: RunInfo
    basis: ReportBasis  # its run is redacted: subscriber endpoints masked as in reports
    summary: RunSummary
    ou_of: dict[str, str]
    by_control: dict[str, list[Result]]  # failing first, then by account
    by_account: dict[str, list[Result]]
    by_pair: dict[tuple[str, str], Result]
    _raw: RawIndex | None = None
    raw_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def run(self) -> CheckRun:
        return self.basis.run

    def raw(self, con: duckdb.DuckDBPyConnection) -> RawIndex:
        """The run's raw-object index (loaded on first use; hold ``raw_lock`` to use it)."""
        if self._raw is None:
            self._raw = RawIndex(con, self.basis.snapshot_ids, self.basis.redactor)
        return self._raw


class Lru(OrderedDict[K, V]):
    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def get_or(self, key: K, make: Callable[[], V]) -> V:
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = make()  # outside the lock: two first requests may both build; one wins
        with self.lock:
            self[key] = value
            while len(self) > self.size:
                self.popitem(last=False)
        return value


def snapshot_key(snapshots: list[SnapshotInfo]) -> tuple[tuple[int, str], ...]:
    """What a cache over snapshots is keyed by: a collection running while the dashboard
    is up adds a snapshot and later marks it complete, and both must read afresh."""
    return tuple((s.snapshot_id, s.status) for s in snapshots)


def _info(r: dict[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=int(r["run_id"]),
        benchmark=r["benchmark"],
        profile=r["profile"],
        checked_at=r["checked_at"],
        snapshot_id=r["snapshot_id"],
        snapshot_ids=[int(i) for i in json.loads(r["snapshot_ids"] or "[]")],
        scoped=(r["controls"] or "[]") != "[]" or (r["accounts"] or "[]") != "[]",
        attestations=r["attestations"],
        results_sha256=r["results_sha256"],
        counts={s: int(r[s]) for s in STATUSES},
        accounts=int(r["account_count"]),
    )


class DashboardStore:
    """The database the dashboard serves, opened read-only only while requests need it."""

    def __init__(
        self,
        db: Path,
        *,
        cached_runs: int = 4,
        times: LeaseTimes | None = None,
    ):
        self.db = db
        if not db.is_file():
            raise StoreError(f"no watchkeeper database at {db} (run `watchkeeper collect` first)")
        self.lease: Lease[duckdb.DuckDBPyConnection] = Lease(
            lambda: connect(db, read_only=True),
            lambda con: con.close(),
            times,
        )
        with self.lease.hold():  # a file that is no watchkeeper store fails here, at start
            pass
        self.catalog: Catalog = load_catalog()
        self._runs: Lru[int, RunView] = Lru(cached_runs)
        self._verified: Lru[tuple[tuple[int, str], ...], dict[int, VerifyResult]] = Lru(2)
        # Keyed by the runs' stamp (count and newest id): runs are only ever added (or
        # removed by `prune`), each such write changes the stamp.
        self._listing: Lru[tuple[int, int], list[RunInfo]] = Lru(2)
        self._trends: Lru[tuple[int, int, str], list[dict[str, Any]]] = Lru(8)
        self._has_runs = False
        self._stamped: tuple[int, tuple[int, int]] | None = None  # (lease.opens, stamp)

    def close(self) -> None:
        self.lease.close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for one request: DuckDB connections are not shared by threads."""
        with self.lease.hold() as shared:
            cur = shared.cursor()
            try:
                yield cur
            finally:
                cur.close()

    # --- runs ---------------------------------------------------------------------------

    def has_runs(self) -> bool:
        if not self._has_runs:  # once there, the tables stay
            with self.cursor() as con:
                self._has_runs = has_table(con, "check_run") and has_table(con, "control_result")
        return self._has_runs

    def _stamp(self) -> tuple[int, int] | None:
        """The runs' count and newest id, read once per opening of the lease: while our
        read-only handle is open no process can write the file (DuckDB's lock), so a page
        asking several times (runs, latest, trend) gets the same answer without a query."""
        if not self.has_runs():
            return None
        with self.cursor() as con:
            opened = self.lease.opens  # fixed while held: the lease reopens only when idle
            stamped = self._stamped
            if stamped is None or stamped[0] != opened:
                found = con.execute(
                    "SELECT count(*), coalesce(max(run_id), 0) FROM check_run"
                ).fetchone()
                stamped = (opened, (int(found[0]), int(found[1])) if found else (0, 0))
                self._stamped = stamped
        return stamped[1]

    def runs(self) -> list[RunInfo]:
        """Every stored run, newest first, with its verdict counts."""
        stamp = self._stamp()
        if stamp is None:
            return []

        def read() -> list[RunInfo]:
            with self.cursor() as con:
                return [_info(r) for r in rows(con, sql("runs.sql"))]

        return self._listing.get_or(stamp, read)

    def latest_runs(self) -> list[RunInfo]:
        """The latest whole-estate run per benchmark (a scoped run when there is no other)."""
        out: dict[str, RunInfo] = {}
        for info in self.runs():  # newest first
            have = out.get(info.benchmark)
            if have is None or (have.scoped and not info.scoped):
                out[info.benchmark] = info
        return sorted(out.values(), key=lambda i: i.benchmark)

    def resolve(self, run_id: int | None, benchmark: str | None) -> RunInfo:
        """The run a page shows: ``run_id``, else the latest of ``benchmark`` (or any)."""
        runs = self.runs()
        if not runs:
            raise NotFound(f"no stored check run in {self.db} (run `watchkeeper check` first)")
        if run_id is not None:
            for info in runs:
                if info.run_id == run_id:
                    return info
            raise NotFound(f"no stored check run {run_id}")
        latest = self.latest_runs()
        if benchmark is None:
            return latest[0]
        for info in latest:
            if info.benchmark == benchmark:
                return info
        raise NotFound(f"no stored check run of benchmark {benchmark}")

    def view(self, info: RunInfo) -> RunView:
        return self._runs.get_or(info.run_id, lambda: self._build(info))

    def _build(self, info: RunInfo) -> RunView:
        run = load_run(self.db, run_id=info.run_id)
        with self.cursor() as con:
            basis = report_basis(con, run, self.catalog, True, None)
        results = basis.run.results
        ou_of = ou_paths(basis.placements)
        by_control: dict[str, list[Result]] = {}
        by_account: dict[str, list[Result]] = {}
        order = {cid: basis.controls[cid].sort_key for cid in basis.judged}
        for r in sorted(results, key=lambda r: (STATUS_ORDER[r.status], r.account_id)):
            by_control.setdefault(r.control_id, []).append(r)
        for r in sorted(results, key=lambda r: order.get(r.control_id, ())):
            by_account.setdefault(r.account_id, []).append(r)
        return RunView(
            info=info,
            basis=basis,
            summary=summarise(results, ou_of),
            ou_of=ou_of,
            by_control=by_control,
            by_account=by_account,
            by_pair={(r.control_id, r.account_id): r for r in results},
        )

    # --- snapshots ----------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotInfo]:
        with self.cursor() as con:
            return list_snapshots(con)

    def verified(self, snapshots: list[SnapshotInfo]) -> dict[int, VerifyResult]:
        """`watchkeeper verify` per snapshot (``snapshots``: what the page just listed);
        hashing reads every row, so once per set."""
        key = snapshot_key(snapshots)

        def run() -> dict[int, VerifyResult]:
            with self.cursor() as con:
                return {v.snapshot_id: v for v in verify_snapshots(con)}

        return self._verified.get_or(key, run)

    def trend(self, benchmark: str) -> list[dict[str, Any]]:
        stamp = self._stamp()
        if stamp is None:
            return []

        def read() -> list[dict[str, Any]]:
            with self.cursor() as con:
                return rows(con, sql("trend.sql"), [benchmark])

        return self._trends.get_or((*stamp, benchmark), read)
