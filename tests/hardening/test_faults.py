"""Faults through the proxy: throttling storms, concurrent collections, kills at random
points. The slow, many-trial versions live in bench/kill_soak.py."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import Estate
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.store import RESOURCE_TABLES, connect, verify_snapshots

# Concurrent and killed collector processes, timed against the proxy's log.
pytestmark = pytest.mark.serial
REGIONS = ("us-east-1", "eu-west-1")
# The collected resources (account and region rows describe the run, not the estate).
TABLES = tuple(t for t in RESOURCE_TABLES if t not in ("aws_account", "aws_region"))


def collect_cmd(db: Path, endpoint: str, *regions: str) -> list[str]:
    """`watchkeeper collect` as its own process (so it can be killed, or run twice at once)."""
    region_flags = [flag for r in regions for flag in ("-r", r)]
    return [sys.executable, "-m", "watchkeeper", "collect", "--db", str(db), "--quiet",
            "--endpoint-url", endpoint, *region_flags]  # fmt: skip


def _content(db: Path) -> dict[str, list[dict[str, Any]]]:
    con = connect(db, read_only=True)
    try:
        out = {}
        for t in TABLES:
            # The emulator stamps LatestDeliveryTime with "now" on every status read.
            skip = (
                "snapshot_id, latest_delivery_time, raw_status" if "trail" in t else "snapshot_id"
            )
            cur = con.execute(f"SELECT * EXCLUDE ({skip}) FROM {t} ORDER BY ALL")
            names = [d[0] for d in cur.description or []]
            out[t] = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        return out
    finally:
        con.close()


def _seed(estate: Estate) -> None:
    a = estate.account()
    a.chain()
    a.chain(prefix="eu", region="eu-west-1", trail=False)
    a.enable_security_hub()


def test_throttling_storm_on_every_service_gives_the_same_data(
    estate: Estate, proxy: FaultProxy, tmp_path: Path
):
    _seed(estate)
    clean, stormy = tmp_path / "clean.duckdb", tmp_path / "stormy.duckdb"
    regions = ("us-east-1",)
    collect(CollectRequest(db=clean, regions=regions, aws=AwsOptions(endpoint_url=proxy.url)))
    rng = random.Random(7)
    codes = {
        "sns": ("Throttling", 400),
        "securityhub": ("TooManyRequestsException", 429),
        "ec2": ("RequestLimitExceeded", 503),
    }
    for service in (
        "cloudtrail",
        "logs",
        "cloudwatch",
        "sns",
        "securityhub",
        "iam",
        "organizations",
        "sts",
    ):
        code, status = codes.get(service, ("ThrottlingException", 400))
        proxy.add(
            Rule(
                service,
                status=status,
                code=code,
                message="Rate exceeded",
                when=lambda r, rng=rng: rng.random() < 0.25,
            )
        )  # type: ignore[misc]
    outcome = collect(
        CollectRequest(
            db=stormy, regions=regions, aws=AwsOptions(endpoint_url=proxy.url, max_attempts=12)
        )
    )
    injected = sum(rule.hits for rule in proxy.rules)
    assert injected >= 5
    assert outcome.errors == []
    assert outcome.snapshot.api_retries == injected  # every injected throttle was retried
    before, after = _content(clean), _content(stormy)
    for table in TABLES:
        assert len(after[table]) == len(before[table]), table
        for a, b in zip(after[table], before[table], strict=True):
            assert a == b, (table, {k for k in a if a[k] != b[k]})


def test_two_collections_at_once_both_land(estate: Estate, proxy: FaultProxy, db: Path):
    _seed(estate)
    # Slow both down so their runs overlap.
    proxy.add(Rule("logs", "DescribeMetricFilters", delay=1.0))
    cmd = collect_cmd(db, proxy.url, "us-east-1")
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0, 0], [p.stderr.read() for p in procs if p.stderr]
    con = connect(db, read_only=True)
    try:
        statuses = con.execute("SELECT status FROM snapshot ORDER BY snapshot_id").fetchall()
        assert statuses == [("complete",), ("complete",)]
        results = verify_snapshots(con)
        assert all(r.ok for r in results), results
    finally:
        con.close()


def kill_trial(
    proxy: FaultProxy,
    db: Path,
    after: float | None,
    wait_for: tuple[str, str] | None = ("cloudwatch", "DescribeAlarms"),
) -> int:
    """Start a collection and SIGKILL it ``after`` seconds past its first ``wait_for``
    (service, operation) call, or past its start when None (``after`` None: let it finish);
    its return code. DescribeAlarms comes after the snapshot was begun, so a kill counted
    from there lands mid-collection, not before the process has started."""
    seen = proxy.count(*wait_for) if wait_for else 0
    proc = subprocess.Popen(
        collect_cmd(db, proxy.url, *REGIONS),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    if after is None:
        return proc.wait(timeout=120)
    deadline = time.monotonic() + 120
    while wait_for and proxy.count(*wait_for) == seen and proc.poll() is None:
        assert time.monotonic() < deadline, "the collection never reached DescribeAlarms"
        time.sleep(0.02)
    time.sleep(after)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait()


def assert_store_sound(db: Path) -> tuple[int, int]:
    """The DB opens, every complete snapshot verifies, the views show only complete ones."""
    con = connect(db, read_only=True)
    try:
        results = verify_snapshots(con)
        assert all(r.ok for r in results), [r for r in results if not r.ok]
        complete = [r.snapshot_id for r in results if r.status == "complete"]
        shown = {
            r[0] for r in con.execute("SELECT DISTINCT snapshot_id FROM aws_account").fetchall()
        }
        assert shown <= set(complete)
        return len(complete), len(results) - len(complete)
    finally:
        con.close()


def test_kills_at_random_points_leave_the_store_sound(estate: Estate, proxy: FaultProxy, db: Path):
    _seed(estate)
    # Each DescribeAlarms waits, so the collection is still running when the kill comes.
    proxy.add(Rule("cloudwatch", "DescribeAlarms", delay=0.3))
    rng = random.Random(11)
    assert kill_trial(proxy, db, after=None) == 0  # one run to completion first
    # The first kill at the first DescribeAlarms call (certainly mid-collection), the others
    # at random points after it (a kill may land in a batch write or after the end).
    codes = [kill_trial(proxy, db, after=d) for d in (0.0, *(rng.uniform(0, 1.5) for _ in "abc"))]
    assert codes[0] == -signal.SIGKILL and set(codes) <= {0, -signal.SIGKILL}, codes
    complete, incomplete = assert_store_sound(db)
    # Every run left one snapshot; the first kill (at DescribeAlarms) always lands mid-write,
    # and a later one may land mid-write or after the snapshot was sealed (process exiting).
    assert complete + incomplete == 1 + len(codes), codes
    assert 1 <= incomplete <= codes.count(-signal.SIGKILL), (codes, incomplete)
    assert complete >= 1 + codes.count(0), codes
