"""The SQL console's sandbox: read-only, no files, bounded in rows and in time.

Each query gets a fresh in-memory DuckDB that attaches the store READ_ONLY (the analyst
views, Steampipe macros and wk_* functions of `watchkeeper query`), then turns external
access off and locks the configuration, so no statement can reach a file, the network
or an extension, nor switch that back on. Only statements that read are accepted, and a
timer interrupts the connection when the statement timeout passes.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from watchkeeper.analyst.evidence import open_evidence
from watchkeeper.analyst.functions import register
from watchkeeper.analyst.query import QueryResult, translate
from watchkeeper.errors import UserError

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


def _open(db: Path, limits: ConsoleLimits) -> duckdb.DuckDBPyConnection:
    con = open_evidence(db, analyst=True)
    try:
        con.execute(f"SET memory_limit = '{limits.memory}'")
        con.execute(f"SET threads = {int(limits.threads)}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


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
    """One sandbox connection for the process; each query runs on a cursor of its own."""

    def __init__(self, db: Path, limits: ConsoleLimits, workers: int = 2):
        self.db = db
        self.limits = limits
        self.workers = workers
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._idle: queue.Queue[duckdb.DuckDBPyConnection] = queue.Queue()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A prepared cursor: the Steampipe macros are TEMP, so each cursor gets its own
        once; ``workers`` of them let that many queries run at a time, the rest wait."""
        with self._lock:  # opened on first use: attaching and the macros take a moment
            if self._con is None:
                self._con = _open(self.db, self.limits)
                for _ in range(self.workers):
                    self._idle.put(register(self._con.cursor()))
        return self._idle.get(timeout=self.limits.timeout)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def run(self, text: str, limit: int | None = None) -> ConsoleResult:
        """Run ``text`` (Steampipe idioms translated) and keep at most ``limit`` rows."""
        limits = self.limits
        rows_wanted = max(1, min(limit or limits.max_rows, limits.max_rows))
        try:
            con = self._cursor()
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
            self._idle.put(con)
        kept = QueryResult(
            [d[0] for d in description], [str(d[1]) for d in description], fetched[:rows_wanted]
        )
        return ConsoleResult(kept, len(fetched) > rows_wanted, rows_wanted)
