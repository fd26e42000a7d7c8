"""The SQL console's sandbox: read-only, no files, bounded in rows and in time.

Each query gets a fresh in-memory DuckDB that attaches the store READ_ONLY (the analyst
views, Steampipe macros and wk_* functions of `watchkeeper query`), then turns external
access off and locks the configuration, so no statement can reach a file, the network
or an extension, nor switch that back on. Only statements that read are accepted, and a
timer interrupts the connection when the statement timeout passes. Like the store, the
sandbox attaches the file only while queries run (lease.py), so writers are not locked out.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from watchkeeper.analyst.evidence import open_evidence
from watchkeeper.analyst.functions import register
from watchkeeper.analyst.query import QueryResult, translate
from watchkeeper.errors import UserError
from watchkeeper.serve.lease import Lease, LeaseTimes
from watchkeeper.store import StoreError, StoreLockedError

__all__ = ["Console", "ConsoleError", "ConsoleLimits", "ConsoleResult"]

# What a console statement may be: reading only. DuckDB classifies each statement before
# it runs; SELECT covers WITH, VALUES, DESCRIBE, SHOW and table functions.
_READING = frozenset({"SELECT", "EXPLAIN", "PRAGMA"})
# PRAGMA can also change settings; these only read.
_PRAGMAS = ("show_tables", "table_info", "show", "database_list", "version", "functions")


class ConsoleError(UserError):
    """A statement the console refuses or that failed (shown on the page, HTTP 400)."""


@dataclass(frozen=True)
class ConsoleLimits:
    max_rows: int = 1000
    timeout: float = 10.0  # seconds
    memory: str = "512MB"
    threads: int = 1


@dataclass(frozen=True)
class ConsoleResult:
    result: QueryResult
    truncated: bool  # more rows than the limit: only the first ``limit`` are kept
    limit: int


@dataclass
class _Sandbox:
    """The in-memory connection and up to ``workers`` prepared cursors: the Steampipe
    macros are TEMP, so each cursor gets its own, made when a query first needs it (each
    costs ~80 ms, and the sandbox is opened again after every quiet spell)."""

    con: duckdb.DuckDBPyConnection
    workers: int
    idle: queue.Queue[duckdb.DuckDBPyConnection] = field(default_factory=queue.Queue)
    made: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cursor(self, timeout: float) -> duckdb.DuckDBPyConnection:
        """A prepared cursor; queue.Empty when all ``workers`` stay busy past ``timeout``."""
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            with self.lock:
                if self.made < self.workers:
                    self.made += 1
                    return register(self.con.cursor())
        return self.idle.get(timeout=timeout)

    def close(self) -> None:
        self.con.close()


def _open(db: Path, limits: ConsoleLimits, workers: int) -> _Sandbox:
    """The sandbox: ``workers`` queries run at a time, the rest wait."""
    try:
        con = open_evidence(db, analyst=True)
    except StoreError as exc:
        if "lock" in str(exc).lower():  # a writer has the file: the lease waits and retries
            raise StoreLockedError(str(exc)) from None
        raise
    try:
        con.execute(f"SET memory_limit = '{limits.memory}'")
        con.execute(f"SET threads = {int(limits.threads)}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return _Sandbox(con, workers)


def _check_statements(con: duckdb.DuckDBPyConnection, text: str) -> None:
    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        raise ConsoleError(" ".join(str(exc).split("\n")[:2]).strip()) from None
    if not statements:
        raise ConsoleError("no SQL statement given")
    for st in statements:
        kind = str(st.type).rsplit(".", 1)[-1].upper()
        if kind not in _READING:
            raise ConsoleError(
                f"the console only reads: {kind} statements are not allowed "
                "(the evidence stays as collected)"
            )
        if kind == "PRAGMA":
            name = st.query.strip().removeprefix("PRAGMA").removeprefix("pragma").strip()
            if not name.lower().startswith(_PRAGMAS):
                raise ConsoleError("the console only reads: this PRAGMA is not allowed")


class Console:
    """One sandbox shared by the queries in flight; each runs on a cursor of its own."""

    def __init__(
        self,
        db: Path,
        limits: ConsoleLimits,
        workers: int = 2,
        *,
        within: Lease[Any] | None = None,
        times: LeaseTimes | None = None,
    ):
        """``within``: the store's lease; the sandbox is then opened only inside it and
        closed with it, so the two handles on the file leave writers the same gaps."""
        self.db = db
        self.limits = limits
        self.workers = workers
        self.within = within
        if within is not None:
            times = replace(within.times, linger=None, max_hold=math.inf)
        self.lease: Lease[_Sandbox] = Lease(
            lambda: _open(db, limits, workers), _Sandbox.close, times
        )
        if within is not None:
            within.dependents.append(self.lease)

    def close(self) -> None:
        self.lease.close()

    def run(self, text: str, limit: int | None = None) -> ConsoleResult:
        """Run ``text`` (Steampipe idioms translated) and keep at most ``limit`` rows."""
        with contextlib.ExitStack() as stack:
            if self.within is not None:
                stack.enter_context(self.within.hold())
            return self._run(stack.enter_context(self.lease.hold()), text, limit)
        raise AssertionError("unreachable")

    def _run(self, box: _Sandbox, text: str, limit: int | None) -> ConsoleResult:
        limits = self.limits
        rows_wanted = max(1, min(limit or limits.max_rows, limits.max_rows))
        try:
            con = box.cursor(limits.timeout)
        except queue.Empty:
            raise ConsoleError("the console is busy with other queries; try again") from None
        timer = threading.Timer(limits.timeout, con.interrupt)
        try:
            _check_statements(con, text)
            timer.start()
            try:
                cur = con.execute(translate(text))
                description = cur.description or []
                # One row past the limit tells "truncated" apart without fetching the rest.
                fetched = cur.fetchmany(rows_wanted + 1) if description else []
            except duckdb.Error as exc:
                if timer.finished.is_set() or isinstance(exc, duckdb.InterruptException):
                    raise ConsoleError(
                        f"statement timeout: stopped after {limits.timeout:g} s"
                    ) from None
                raise ConsoleError(" ".join(str(exc).strip().split("\n")[:2])) from None
        finally:
            timer.cancel()
            box.idle.put(con)
        kept = QueryResult(
            [d[0] for d in description], [str(d[1]) for d in description], fetched[:rows_wanted]
        )
        return ConsoleResult(kept, len(fetched) > rows_wanted, rows_wanted)
