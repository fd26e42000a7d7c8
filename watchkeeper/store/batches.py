"""Streaming a snapshot's rows into the store in batches while the collection still runs.

Rows go into the history tables under their snapshot's id a batch at a time, each batch in
one short transaction of its own: memory holds a batch or two, never the whole snapshot,
and the write lock is held only while a batch is written, so other readers and writers of
the file get their turn in between. The snapshot stays `incomplete` — and so out of every
plain table name, which show complete snapshots only — until `complete_snapshot` seals it
in its one final transaction. A run that dies leaves the rows it got to under its own
incomplete snapshot: kept as history, never shown or verified as complete.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from types import TracebackType

from watchkeeper.store.bulk import insert_encoded
from watchkeeper.store.db import column_types, connect
from watchkeeper.store.model import EncodedRows
from watchkeeper.store.snapshots import DEFAULT_LOCK_TIMEOUT

# Encoded text per batch. Large enough that opening the file and DuckDB's per-statement
# work are paid rarely (some 20 batches for 1,000 accounts), small enough to stay flat.
DEFAULT_BATCH_BYTES = 8 * 1024 * 1024

_Batch = dict[str, list[EncodedRows]]


class SnapshotWriter:
    """Writes one snapshot's encoded rows in the background, a batch at a time.

    ``add`` is thread-safe and returns at once unless a full batch is already waiting for
    the writer (then it waits: that wait is what keeps memory bounded). A failed write
    (the lock not obtained in time, a column the table lacks) is raised by the next
    ``add`` and by ``close``.
    """

    def __init__(
        self,
        db: str | Path,
        snapshot_id: int,
        *,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ):
        self.db = db
        self.snapshot_id = snapshot_id
        self.batch_bytes = batch_bytes
        self.lock_timeout = lock_timeout
        self.batches_written = 0
        self._pending: _Batch = {}
        self._pending_bytes = 0
        self._lock = threading.Lock()
        # One batch queued while another is written: at most three in memory at once.
        self._queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._columns: dict[str, list[str]] | None = None
        self._thread = threading.Thread(target=self._run, name="snapshot-writer", daemon=True)
        self._thread.start()

    def add(self, table: str, rows: EncodedRows) -> None:
        self._raise_if_failed()
        if not rows.count:
            return
        with self._lock:
            self._pending.setdefault(table, []).append(rows)
            self._pending_bytes += len(rows.text)
            if self._pending_bytes < self.batch_bytes:
                return
            batch = self._take()
        self._queue.put(batch)

    def close(self) -> None:
        """Write whatever is pending, wait for the writer, raise its error if it had one."""
        with self._lock:
            batch = self._take()
        if batch:
            self._queue.put(batch)
        self._stop()
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop without writing what is pending (the snapshot stays incomplete anyway)."""
        with self._lock:
            self._take()
        self._stop()

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _take(self) -> _Batch:
        batch, self._pending, self._pending_bytes = self._pending, {}, 0
        return batch

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep draining, so that no add() waits for ever
            try:
                self._write(batch)
            except BaseException as exc:  # handed to the collecting threads by add/close
                self._error = exc

    def _write(self, batch: _Batch) -> None:
        con = connect(self.db, lock_timeout=self.lock_timeout)
        try:
            # One thread: DuckDB's parallel readers would take CPU from the collecting
            # threads (measured: some 10% more CPU for a collection) to save little here.
            con.execute("SET threads = 1")
            if self._columns is None:
                self._columns = {t: list(c) for t, c in column_types(con).items()}
            own = {"snapshot_id": self.snapshot_id}  # the same in every row of the snapshot
            con.execute("BEGIN TRANSACTION")
            try:
                for table, chunks in batch.items():
                    if table not in self._columns:
                        raise ValueError(f"no table history.{table}")
                    insert_encoded(con, f"history.{table}", self._columns[table], chunks, own)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()
        self.batches_written += 1
