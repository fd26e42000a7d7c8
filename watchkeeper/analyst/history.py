"""What `diff` and `timeline` share: the complete snapshots, and each one's verdicts.

Verdicts for a snapshot come from a stored `check` run of exactly that snapshot (what was
reported then) or, when there is none, are computed on the spot without storing anything:
in a private in-memory copy of the views for a read-only database, or inside a transaction
that is rolled back for a writable one.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import duckdb

from watchkeeper.analyst.evidence import database_of, open_evidence, prepare_controls
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, load_catalog
from watchkeeper.queries.check import evaluate, select_controls
from watchkeeper.store import has_table, list_snapshots


@dataclass(frozen=True)
class Verdict:
    benchmark: str
    control_id: str
    topic: str
    title: str
    account_id: str
    status: str
    reason: str


def complete_snapshots(con: duckdb.DuckDBPyConnection) -> list[tuple[int, datetime]]:
    """(snapshot_id, started_at) of every complete snapshot, oldest first."""
    snaps = sorted(
        (s.started_at, s.snapshot_id) for s in list_snapshots(con) if s.status == "complete"
    )
    return [(s, t) for t, s in snaps]


class VerdictSource:
    """Verdicts per snapshot: stored runs first, else computed without writing anything."""

    def __init__(self, con: duckdb.DuckDBPyConnection, benchmark: str = DEFAULT_BENCHMARK):
        self.con = con
        self.catalog = load_catalog()
        self.benchmark = self.catalog.resolve_benchmark(benchmark)
        self.controls = select_controls(self.catalog, self.benchmark, ())
        self.computed: list[int] = []  # snapshots judged on the spot (none stored)

    def close(self) -> None:
        """Nothing is held between evaluations; kept so callers can use `with`."""

    def __enter__(self) -> VerdictSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def _has_results(self) -> bool:
        """Whether the database holds check runs at all (asked once, not per snapshot)."""
        return has_table(self.con, "check_run") and has_table(self.con, "control_result")

    def stored(self, snapshot_id: int) -> list[Verdict] | None:
        if not self._has_results:
            return None
        # `check --snapshot N`, or a plain `check` whose verdicts all came from N (the
        # nightly collect-then-check): unfiltered, full profile, no attestations.
        row = self.con.execute(
            "SELECT max(run_id) FROM check_run WHERE (snapshot_id = ? OR (snapshot_id IS NULL "
            "AND CAST(snapshot_ids AS VARCHAR) = ?)) AND benchmark = ? "
            "AND profile = 'full' AND CAST(controls AS VARCHAR) = '[]' "
            "AND CAST(accounts AS VARCHAR) = '[]' AND attestations IS NULL",
            [snapshot_id, json.dumps([snapshot_id]), self.benchmark],
        ).fetchone()
        if row is None or row[0] is None:
            return None
        rows = self.con.execute(
            "SELECT benchmark, control_id, topic, title, account_id, status, reason "
            "FROM control_result WHERE run_id = ? ORDER BY control_id, account_id",
            [row[0]],
        ).fetchall()
        return [Verdict(*r) for r in rows]

    def _evaluator(self) -> duckdb.DuckDBPyConnection:
        # A fresh connection per evaluation, so nothing of one snapshot's leaks into the next.
        path, read_only = database_of(self.con)
        if read_only and path:
            return open_evidence(path, analyst=False)
        # Writable (or in-memory): a separate connection to the same database, whose
        # transaction is rolled back after the evaluation.
        return self.con.cursor()

    def computed_verdicts(self, snapshot_id: int) -> list[Verdict]:
        con = self._evaluator()
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                prepare_controls(con, self.catalog, snapshot_id)
                results = evaluate(con, self.controls, "full")
            finally:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
        finally:
            con.close()
        self.computed.append(snapshot_id)
        return [
            Verdict(r.benchmark, r.control_id, r.topic, r.title, r.account_id, r.status, r.reason)
            for r in results
        ]

    def verdicts(self, snapshot_id: int) -> list[Verdict]:
        stored = self.stored(snapshot_id)
        return stored if stored is not None else self.computed_verdicts(snapshot_id)
