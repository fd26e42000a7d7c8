"""One dashboard store for the serve tests: the report tests' scenario (collected once per
session over moto), plus a second snapshot in which GOOD lost its subscribers, so that
history, diff and the trend have something to show. Built once per session.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from tests.awsfake.faultproxy import FaultProxy
from tests.reports.conftest import BAD, GOOD, scenario_once
from watchkeeper.analyst.shard import import_snapshots
from watchkeeper.emulator import MotoServer
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.serve.app import create_app
from watchkeeper.serve.console import ConsoleLimits
from watchkeeper.store import connect

__all__ = ["BAD", "GOOD", "ServeStore", "Served", "running"]

TOKEN = "s3rve-test-token-0123456789"


@dataclass(frozen=True)
class ServeStore:
    db: Path
    first_run: int
    second_run: int


@pytest.fixture(scope="session")
def serve_store(
    moto_server: MotoServer, _proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> ServeStore:
    scenario = scenario_once(moto_server, _proxy, tmp_path_factory)
    root = tmp_path_factory.mktemp("serve-store")
    db = root / "wk.duckdb"
    shutil.copy(scenario.db, db)
    changed = root / "changed.duckdb"
    shutil.copy(scenario.db, changed)
    con = connect(changed)
    try:  # GOOD's subscribers are gone in the next snapshot: its chains break at the end
        con.execute("DELETE FROM history.aws_sns_topic_subscription WHERE account_id = ?", [GOOD])
    finally:
        con.close()
    import_snapshots(db, [changed])
    first = scenario.run.run_id
    second = check(CheckRequest(db=db, attestations=scenario.attestations, today=date(2026, 1, 1)))
    assert first is not None and second.run_id is not None
    return ServeStore(db, first, second.run_id)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    url: str
    store: ServeStore


@contextmanager
def running(app: Starlette) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in a thread of this process; its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.dashboard.close()


@pytest.fixture(scope="module")
def served(serve_store: ServeStore) -> Iterator[Served]:
    """The dashboard under uvicorn on a free loopback port, in a thread of this process."""
    app = create_app(serve_store.db, limits=ConsoleLimits(max_rows=200, timeout=2.0))
    with running(app) as url:
        yield Served(url, serve_store)
