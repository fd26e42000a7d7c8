"""Shared fixtures: one moto server per test session (real HTTP on 127.0.0.1), wiped
before every test that uses it, and a fault-injecting proxy in front of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import Estate
from watchkeeper.emulator import MotoServer

# Never reach real AWS or read a developer's AWS config from the tests.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "WATCHKEEPER_DB"):
    os.environ.pop(var, None)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_server.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(_proxy: FaultProxy, moto_server: MotoServer) -> Iterator[FaultProxy]:
    """The proxy, with no rules and an empty request log; moto wiped."""
    moto_server.reset()
    _proxy.reset()
    yield _proxy
    _proxy.reset()


@pytest.fixture
def estate(proxy: FaultProxy, moto_server: MotoServer) -> Estate:
    """Scenario builder talking to moto directly (seeding stays out of the proxy's log),
    except for what only the proxy keeps (composite alarms)."""
    return Estate(moto_server.url, proxy.url)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wk.duckdb"
