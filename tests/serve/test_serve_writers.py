"""`collect` and `check` write the database while the dashboard serves it: the dashboard
holds the file only while requests need it, and what the writer added shows up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.serve.conftest import ServeStore, running
from watchkeeper.cli import ExitCode
from watchkeeper.serve.app import create_app
from watchkeeper.serve.lease import Lease, LeaseTimes
from watchkeeper.store import connect


@dataclass(frozen=True)
class WriterCase:
    args: tuple[str, ...]  # after `check --db FILE`
    exit_code: int
    shown: str  # where the new run appears: "overview" (latest whole-estate), "runs", "none"
    busy: bool = False  # a client requests pages all the while


WRITERS = {
    "check while idle, findings": WriterCase((), ExitCode.FINDINGS, "overview"),
    "check while the dashboard is polled": WriterCase((), ExitCode.FINDINGS, "overview", True),
    "scoped check: listed, not the overview's": WriterCase(
        ("--control", "4.1"), ExitCode.FINDINGS, "runs"
    ),
    "check of an unknown control: nothing written": WriterCase(
        ("--control", "9.99"), ExitCode.USAGE, "none"
    ),
}


def _run_ids(url: str) -> list[int]:
    got = httpx.get(f"{url}/runs.json", timeout=30)
    assert got.status_code == 200
    return [int(r["run_id"]) for r in got.json()]


@pytest.fixture()
def own_copy(serve_store: ServeStore, tmp_path: Path) -> Path:
    db = tmp_path / "wk.duckdb"
    shutil.copy(serve_store.db, db)
    return db


@pytest.mark.parametrize("case", WRITERS.values(), ids=WRITERS.keys())
def test_check_writes_while_serving(own_copy: Path, serve_store: ServeStore, case: WriterCase):
    app = create_app(own_copy, warm=False)
    with running(app) as url:
        before = _run_ids(url)
        assert max(before) == serve_store.second_run
        assert f"run={serve_store.second_run}" in httpx.get(url, timeout=30).text
        stop = threading.Event()
        answered: list[int] = []

        def poll() -> None:
            while not stop.is_set():
                answered.append(httpx.get(f"{url}/controls/4.3", timeout=60).status_code)

        poller = threading.Thread(target=poll, daemon=True)
        if case.busy:
            poller.start()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "watchkeeper", "check", "--db", str(own_copy), *case.args],
                capture_output=True,
                text=True,
                env=dict(os.environ),
                timeout=120,
            )
        finally:
            stop.set()
            if case.busy:
                poller.join(timeout=60)
        assert done.returncode == case.exit_code, done.stderr
        if case.busy:
            assert answered and set(answered) == {200}
        after = _run_ids(url)
        overview = httpx.get(url, timeout=30).text
        if case.shown == "none":
            assert after == before
            assert "9.99" in done.stderr and "lock" not in done.stderr.lower()
            return
        assert len(after) == len(before) + 1
        new = max(after)
        assert new > serve_store.second_run
        assert (f"run={new}" in overview) is (case.shown == "overview")
        assert httpx.get(f"{url}/controls/4.1", params={"run": new}, timeout=30).status_code == 200


def test_a_writer_holding_the_file_too_long_is_a_503(own_copy: Path):
    app = create_app(own_copy, warm=False, times=LeaseTimes(linger=0, lock_wait=0.5))
    writer = None
    with running(app) as url:
        assert httpx.get(url, timeout=30).status_code == 200
        code = (
            "import sys, time; from watchkeeper.store import connect; "
            "c = connect(sys.argv[1]); print('locked', flush=True); time.sleep(30)"
        )
        writer = subprocess.Popen(
            [sys.executable, "-c", code, str(own_copy)],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
            got = httpx.get(url, timeout=30)
            assert got.status_code == 503
            assert got.headers["retry-after"] == "10"
            assert "being written by another watchkeeper process" in got.text
        finally:
            writer.kill()
            writer.wait()
        assert httpx.get(url, timeout=30).status_code == 200


# --- the lease itself ---------------------------------------------------------------------

# A writer in another process (DuckDB's file lock is per process): exit 0 when it got the
# lock within the timeout, 3 when the file stayed locked.
WRITER = (
    "import sys; from watchkeeper.store import StoreLockedError, connect\n"
    "try:\n    connect(sys.argv[1], lock_timeout=float(sys.argv[2])).close()\n"
    "except StoreLockedError:\n    sys.exit(3)\n"
)


def _writer_gets_in(db: Path, wait: float) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(db), str(wait)], env=dict(os.environ), timeout=60
    )
    assert done.returncode in (0, 3)
    return done.returncode == 0


@contextmanager
def _lease(db: Path, times: LeaseTimes) -> Iterator[Lease[duckdb.DuckDBPyConnection]]:
    opened: Lease[duckdb.DuckDBPyConnection] = Lease(
        lambda: connect(db, read_only=True), lambda con: con.close(), times
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.serial
def test_lease_closes_after_the_last_user_lingers(own_copy: Path):
    with _lease(own_copy, LeaseTimes(linger=0.3, lock_wait=0, max_hold=60)) as lease:
        _lingers(lease, own_copy)


def _lingers(lease: Lease[duckdb.DuckDBPyConnection], own_copy: Path) -> None:
    with lease.hold(), lease.hold():
        assert lease.is_open
        assert not _writer_gets_in(own_copy, 0)  # held: a writer cannot get in
    with lease.hold():  # within the linger: a burst of requests shares one open
        pass
    assert lease.opens == 1
    time.sleep(0.6)
    assert not lease.is_open
    assert _writer_gets_in(own_copy, 0)  # the writer's turn


@pytest.mark.serial
def test_lease_held_continuously_still_leaves_a_gap(own_copy: Path):
    """Overlapping requests for far longer than max_hold: the lease closes in between
    for long enough that a writer retrying every 0.2 s gets in."""
    times = LeaseTimes(linger=0.3, lock_wait=20, max_hold=0.3, gap=0.3)
    with _lease(own_copy, times) as lease:
        _still_gaps(lease, own_copy)


def _still_gaps(lease: Lease[duckdb.DuckDBPyConnection], own_copy: Path) -> None:
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            with lease.hold():
                time.sleep(0.05)

    workers = [threading.Thread(target=busy) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        assert _writer_gets_in(own_copy, 10)
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert lease.opens >= 2
