"""Shared fixtures: one moto server per test session (real HTTP on 127.0.0.1), wiped
before every test that uses it, and a fault-injecting proxy in front of it.

Under pytest-xdist (`make test` runs `-n`), every worker is its own session: its own moto
server and proxy on free ports, its own temporary directories. See `pytest_collection_
modifyitems` for how tests are grouped onto workers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # pytest 9 keeps the node id as a NodeId in `item._id` (see the xdist note below)
    from _pytest.nodeid import NodeId
except ImportError:  # pytest 8: xdist's own `item._nodeid` rewrite works there
    NodeId = None

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


@pytest.fixture(scope="module")
def module_estate(moto_server: MotoServer, _proxy: FaultProxy) -> Iterator[Estate]:
    """For a scenario built and collected once per module (the estate's proxy is
    ``estate.proxy_endpoint``): moto wiped and the proxy cleared before and after. The
    module's tests then read private copies of the collected database (`copy_db`), never
    moto, which the `proxy` fixture of any other test wipes."""
    moto_server.reset()
    _proxy.reset()
    yield Estate(moto_server.url, _proxy.url)
    moto_server.reset()
    _proxy.reset()


def copy_db(source: Path, directory: Path) -> Path:
    """A private, writable copy of a closed DuckDB database, as ``directory/wk.duckdb``."""
    target = directory / "wk.duckdb"
    shutil.copy(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + ".wal"))
    return target


# --- spreading the suite over pytest-xdist workers ------------------------------------
# `make test` runs `pytest -n N --dist loadgroup`: a test without an xdist_group goes to
# whichever worker is free. Two kinds are kept together instead:
#  * tests marked `serial` (they time something, or start competing processes): one group,
#    so they never run at the same time as each other;
#  * tests that share a module- or class-scoped fixture (a rendered PDF, a running
#    dashboard, a browser): grouped by module, so the fixture is built once, not per worker.
# Session-scoped scenarios are built once per worker (cheaper than idling a worker).
# pytest-xdist 3.8 applies a group by appending "@group" to `item._nodeid`, which pytest 9
# no longer reads (it keeps a NodeId in `item._id`): on a worker, do that step here.
_SHARED_SCOPES = {"module", "class", "package"}


def _shares_a_scoped_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope in _SHARED_SCOPES for defs in info.name2fixturedefs.values())


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_worker = config.getoption("loadgroup", False)
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None:
            if item.get_closest_marker("serial") is not None:
                group = "serial"
            elif _shares_a_scoped_fixture(item):
                group = item.nodeid.split("::")[0]
            else:
                continue
            item.add_marker(pytest.mark.xdist_group(group))
            mark = pytest.mark.xdist_group(group).mark
        # a group written by hand needs this step as much as the ones above
        if on_worker and NodeId is not None and isinstance(getattr(item, "_id", None), NodeId):
            item._id = NodeId.parse(f"{item.nodeid}@{mark.args[0]}")
