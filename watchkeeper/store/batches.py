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
import time
from pathlib import Path
from types import TracebackType

from watchkeeper.store.bulk import insert_encoded
from watchkeeper.store.db import column_types, connect
from watchkeeper.store.model import EncodedRows
from watchkeeper.store.snapshots import DEFAULT_LOCK_TIMEOUT

# Encoded text per batch. Large enough that opening the file and DuckDB's per-statement
# work are paid rarely (some 20 batches for 1,000 accounts), small enough to stay flat.
DEFAULT_BATCH_BYTES = 8 * 1024 * 1024
# Chunks (one table's rows of one unit) waiting for the writer before add() waits too: the
# writer falls behind only while another process holds the file's lock.
MAX_QUEUED = 4096

# How long the writer lets chunks gather before it takes the next ones.
GATHER_SECONDS = 0.05

_Batch = dict[str, list[EncodedRows]]
_CLOSE, _ABORT = "close", "abort"  # what the writer does with what it still holds


class SnapshotWriter:
    """Writes one snapshot's encoded rows in the background, a batch at a time.

    ``add`` is thread-safe and returns at once: it hands the rows to the writer's thread,
    which gathers them into batches (a lock-free queue, so that the many collecting
    threads never queue up behind one another for a lock while waiting for the GIL). It
    waits only while MAX_QUEUED chunks are already waiting: that keeps memory bounded
    when the writer cannot write. A failed write (the lock not obtained in time, a column
    the table lacks) is raised by a later ``add`` and by ``close``.
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
        self._queue: queue.SimpleQueue[tuple[str, EncodedRows] | str] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._columns: dict[str, list[str]] | None = None
        self._thread = threading.Thread(target=self._run, name="snapshot-writer", daemon=True)
        self._thread.start()

    def add(self, table: str, rows: EncodedRows) -> None:
        self._raise_if_failed()
        if not rows.count:
            return
        self._queue.put((table, rows))
        while self._queue.qsize() > MAX_QUEUED and self._thread.is_alive():
            time.sleep(0.05)  # the writer is behind (the file is locked): wait for it

    def close(self) -> None:
        """Write whatever is pending, wait for the writer, raise its error if it had one."""
        self._stop(_CLOSE)
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop without writing what is pending (the snapshot stays incomplete anyway)."""
        self._stop(_ABORT)

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

    def _stop(self, how: str) -> None:
        if self._thread.is_alive():
            self._queue.put(how)
            self._thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        batch: _Batch = {}
        size = 0
        while True:
            item = self._queue.get()
            if isinstance(item, str):  # close or abort
                if item == _CLOSE and batch:
                    self._write_or_keep_error(batch)
                return
            if self._error is None:  # else keep draining, so that no add() waits for ever
                table, rows = item
                batch.setdefault(table, []).append(rows)
                size += len(rows.text)
                if size >= self.batch_bytes:
                    self._write_or_keep_error(batch)
                    batch, size = {}, 0
            if self._queue.empty():
                # Let chunks gather: woken for every chunk, this thread would take the GIL
                # from the collecting threads thousands of times to append one each.
                time.sleep(GATHER_SECONDS)

    def _write_or_keep_error(self, batch: _Batch) -> None:
        if self._error is not None:
            return
        try:
            self._write(batch)
        except BaseException as exc:  # handed to the collecting threads by add/close
            self._error = exc

    def _write(self, batch: _Batch) -> None:
        con = connect(self.db, lock_timeout=self.lock_timeout, refresh_views=False)
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
