"""Collecting many accounts: one client per service and region serves them all, each call
signed and retried as its own account's, rows streamed to the store as units finish."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials

import watchkeeper.collector.clients as clients_module
import watchkeeper.collector.run as run_module
from tests.awsfake.faultproxy import FaultProxy, Request, Rule
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from watchkeeper.collector import AwsOptions, CollectOutcome, CollectRequest, collect
from watchkeeper.collector import accounts as accounts_module
from watchkeeper.collector.aws import MAX_AUTO_WORKERS, ErrorLog, Scope, Telemetry
from watchkeeper.collector.clients import Clients, UnboundCallError
from watchkeeper.store import Collection, SnapshotWriter, connect, verify_snapshots

CALLER_KEY = "testing"  # tests/conftest.py


def run(db: Path, proxy: FaultProxy, **kwargs: Any) -> CollectOutcome:
    aws = AwsOptions(endpoint_url=proxy.url, concurrency=kwargs.pop("concurrency", 4))
    kwargs.setdefault("regions", ("us-east-1",))
    return collect(CollectRequest(db=db, aws=aws, **kwargs))


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_one_client_per_service_and_region_serves_every_account(
    estate: Estate, proxy: FaultProxy, db: Path, monkeypatch: pytest.MonkeyPatch
):
    members = estate.organization(["a", "b", "c"])
    for m in members:
        estate.account(m).chain(region="eu-west-1")
    created: list[tuple[str, str]] = []
    real = boto3.Session.client

    def counting(self: boto3.Session, service: str, *args: Any, **kwargs: Any) -> Any:
        created.append((service, kwargs["region_name"]))
        return real(self, service, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(boto3.Session, "client", counting)
    outcome = run(
        db, proxy, organization=True, role_name="wk-reader", regions=("us-east-1", "eu-west-1")
    )
    assert outcome.errors == []
    assert sorted(created) == sorted(set(created))  # four accounts, each client made once
    assert Counter(service for service, _ in created)["logs"] == 2  # one per region
    # Each member's calls were signed as that member: moto answered with its own data.
    keys = {r.access_key for r in proxy.requests if r.operation == "DescribeLogGroups"}
    assert len(keys) == 4
    groups = query(db, "SELECT DISTINCT account_id, region FROM aws_cloudwatch_log_group")
    assert sorted(groups) == sorted((m, "eu-west-1") for m in members)


def test_throttling_in_one_account_is_retried_there_alone(
    estate: Estate, proxy: FaultProxy, db: Path
):
    members = estate.organization(["a", "b"])
    for m in members:
        estate.account(m).chain()
    victim: dict[str, str] = {}

    def first_member(req: Request) -> bool:
        if req.access_key == CALLER_KEY:
            return False
        return victim.setdefault("key", req.access_key) == req.access_key

    rule = proxy.add(
        Rule(
            "logs",
            "DescribeLogGroups",
            code="ThrottlingException",
            message="Rate exceeded",
            when=first_member,
            times=3,
        )
    )
    outcome = run(db, proxy, organization=True, role_name="wk-reader")
    assert outcome.errors == []
    assert rule.hits == 3
    calls = Counter(r.access_key for r in proxy.requests if r.operation == "DescribeLogGroups")
    assert calls.pop(victim["key"]) == 4
    assert sorted(calls.values()) == [1, 1]
    assert len(query(db, "SELECT * FROM aws_cloudwatch_log_group")) == 2


def test_accounts_share_the_client_but_not_the_retry_state(proxy: FaultProxy):
    base = Clients(boto3.Session(), AwsOptions(endpoint_url=proxy.url), Telemetry())
    a = base.for_account(Credentials("AKIAAAAAAAAAAAAAAAAA", "secret-a"))
    b = base.for_account(Credentials("AKIABBBBBBBBBBBBBBBB", "secret-b"))
    la, lb = a.get("logs", "us-east-1"), b.get("logs", "us-east-1")
    assert la.meta is lb.meta  # the same botocore client
    assert la._acting.retry.keys() == lb._acting.retry.keys()
    for event, handlers in la._acting.retry.items():
        others = lb._acting.retry[event]
        assert all(h.__self__ is not o.__self__ for h, o in zip(handlers, others, strict=True))
    assert a.get("logs", "us-east-1") is la  # one retry state per account, service, region
    a.release("us-east-1")
    assert a.get("logs", "us-east-1") is not la


@pytest.mark.parametrize("botocore_builds_the_same", [True, False], ids=["recipe", "fallback"])
def test_each_account_gets_the_retry_handlers_botocore_would_register(
    monkeypatch: pytest.MonkeyPatch, botocore_builds_the_same: bool
):
    """Per-account retry state is built from a recipe (its stateless parts shared) only
    while the recipe matches botocore's own registration, handler for handler."""
    if not botocore_builds_the_same:  # as if a botocore version registered another handler
        real = clients_module._RetryRecipe.new_state

        def one_more(self: Any) -> dict[str, list[Any]]:
            state = real(self)
            state["after-call.extra"] = [print]
            return state

        monkeypatch.setattr(clients_module._RetryRecipe, "new_state", one_more)
    base = Clients(boto3.Session(region_name="us-east-1"), AwsOptions(), Telemetry())
    shared = base.pool.shared("logs", "eu-west-1")
    used = "_RetryRecipe.new_state" if botocore_builds_the_same else "_registered_retry_state"
    assert shared.new_retry_state.__qualname__.endswith(used)
    made = shared.new_retry_state()
    registered = shared._registered_retry_state()
    assert clients_module._shape(made) == clients_module._shape(registered)
    assert "after-call.extra" not in made
    assert made.keys() >= {"needs-retry.cloudwatch-logs", "needs-retry", "before-send"}
    # Each account's quota and rate limiter are its own; the retry policy may be shared.
    again = shared.new_retry_state()
    for event, handlers in made.items():
        pairs = zip(handlers, again[event], strict=True)
        assert all(h.__self__ is not o.__self__ for h, o in pairs)


def test_a_shared_client_called_outside_an_account_is_refused(proxy: FaultProxy):
    base = Clients(boto3.Session(), AwsOptions(endpoint_url=proxy.url), Telemetry())
    base.get("logs", "us-east-1").describe_log_groups()  # through the caller's binding: fine
    with pytest.raises(UnboundCallError):
        base.pool.shared("logs", "us-east-1").client.describe_log_groups()
    assert proxy.count("logs", "DescribeLogGroups") == 1


def test_rows_reach_the_store_as_units_finish_not_all_at_the_end(
    estate: Estate, proxy: FaultProxy, db: Path, monkeypatch: pytest.MonkeyPatch
):
    estate.account().chain()
    estate.account().chain(prefix="eu", region="eu-west-1", trail=False)
    writers: list[SnapshotWriter] = []

    class EveryRow(SnapshotWriter):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, batch_bytes=1, **kwargs)
            writers.append(self)

    sealed: list[Collection] = []
    complete = run_module.complete_snapshot

    def capture(db: Path, snapshot_id: int, collection: Collection) -> Any:
        sealed.append(collection)
        return complete(db, snapshot_id, collection)

    monkeypatch.setattr(run_module, "SnapshotWriter", EveryRow)
    monkeypatch.setattr(run_module, "complete_snapshot", capture)
    outcome = run(db, proxy, regions=("us-east-1", "eu-west-1"))
    assert outcome.errors == []
    assert writers[0].batches_written >= 10
    # Only the account rows (amended once every unit is done) wait for the final write.
    assert set(sealed[0].tables) == {"aws_account"}
    assert sealed[0].encoded == {}
    assert query(db, "SELECT count(*) FROM aws_cloudwatch_log_metric_filter") == [(2,)]
    assert query(db, "SELECT count(*), bool_and(status_collected) FROM aws_cloudtrail_trail") == [
        (2, True)
    ]
    assert all(r.ok for r in verify_snapshots(connect(db, read_only=True)))


def test_workers_grow_with_the_accounts_unless_given():
    assert AwsOptions().workers(1) == 8  # one account: as before
    assert AwsOptions().workers(3) == 24
    assert AwsOptions().workers(1000) == MAX_AUTO_WORKERS
    assert AwsOptions(concurrency=5).workers(1000) == 5


def test_region_partitions_are_looked_up_once_per_process(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
):
    accounts_module._partition_of.cache_clear()
    accounts_module._botocore_session.cache_clear()
    built: list[object] = []
    real = accounts_module.BotocoreSession

    def counting() -> Any:
        built.append(real())
        return built[-1]

    monkeypatch.setattr(accounts_module, "BotocoreSession", counting)
    base = Clients(boto3.Session(), AwsOptions(endpoint_url=proxy.url), Telemetry())
    scope = Scope(base, DEFAULT_ACCOUNT, "us-east-1", "aws", ErrorLog())
    first = accounts_module.enabled_regions(scope)
    assert first is not None and len(first) > 10
    assert accounts_module.enabled_regions(scope) == first
    assert len(built) == 1  # not one per region and account (80 ms each)


def test_units_are_handed_out_a_few_at_a_time_and_a_failure_stops_them():
    from concurrent.futures import ThreadPoolExecutor

    from watchkeeper.collector.run import _run_all

    done: list[int] = []
    ahead: list[int] = []

    def items(n: int) -> Any:
        for i in range(n):
            ahead.append(i - len(done))  # handed out but not finished yet
            yield i

    def square(i: int) -> int:
        done.append(i)
        return i * i

    with ThreadPoolExecutor(2) as pool:
        assert _run_all(pool, 2, square, items(200)) == [i * i for i in range(200)]
        assert max(ahead) <= 8  # 4 per worker, not all 200 at once

        def fails_at_3(i: int) -> int:
            if i == 3:
                raise ValueError("unit 3")
            return square(i)

        done.clear()
        with pytest.raises(ValueError, match="unit 3"):
            _run_all(pool, 2, fails_at_3, range(10_000))
    assert len(done) < 100  # the rest were never run
