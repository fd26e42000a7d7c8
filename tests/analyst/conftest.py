"""A database with three snapshots of one account and known changes between them,
built once per session from real collections against the moto server.

  snapshot A: compliant CIS 4.5 chain (trail with event selectors → … → subscriber)
  snapshot B: the metric filter no longer matches StopLogging (4.5 fails); topic
              `extra-alerts` added
  snapshot C: filter restored (4.5 passes); `extra-alerts` deleted; log group `app-logs`
              added.
  Stored check runs: `check --snapshot B` and a plain `check` after C; none for A.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result

from tests.awsfake.scenarios import CIS_4_5, DEFAULT_ACCOUNT, Estate
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.emulator import MotoServer
from watchkeeper.queries.check import CheckRequest, check

R = "us-east-1"
NO_STOP = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
    "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }"
)


@dataclass(frozen=True)
class History:
    db: Path
    a: int
    b: int
    c: int
    account: str = DEFAULT_ACCOUNT


def collect_into(db: Path, endpoint: str, **kwargs: object) -> int:
    out = collect(
        CollectRequest(
            db=db,
            regions=(R,),
            aws=AwsOptions(endpoint_url=endpoint, max_attempts=2),
            **kwargs,
        )
    )
    return out.snapshot.snapshot_id


@pytest.fixture(scope="session")
def history_db(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> History:
    moto_server.reset()
    estate = Estate(moto_server.url)
    acct = estate.account()
    acct.log_group("ct-logs")
    acct.trail(
        "main-trail",
        log_group="ct-logs",
        event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    acct.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    topic = acct.topic("sec-alerts")
    acct.subscribe(topic, "secops@example.com")
    acct.alarm("ct-alarm", "ct-metric", "CISBenchmark", [topic])
    db = tmp_path_factory.mktemp("history") / "wk.duckdb"
    a = collect_into(db, moto_server.url)

    logs = acct.client("logs")
    # moto appends on put_metric_filter with an existing name (AWS replaces): delete first.
    logs.delete_metric_filter(logGroupName="ct-logs", filterName="ct-changes")
    acct.metric_filter("ct-logs", "ct-changes", NO_STOP, "ct-metric")
    extra = acct.topic("extra-alerts")
    b = collect_into(db, moto_server.url)
    check(CheckRequest(db=db, snapshot_id=b))

    logs.delete_metric_filter(logGroupName="ct-logs", filterName="ct-changes")
    acct.metric_filter("ct-logs", "ct-changes", CIS_4_5, "ct-metric")
    acct.client("sns").delete_topic(TopicArn=extra)
    acct.log_group("app-logs")
    c = collect_into(db, moto_server.url)
    check(CheckRequest(db=db))  # the nightly kind: latest snapshot, no --snapshot
    moto_server.reset()
    return History(db, a, b, c)


@pytest.fixture
def history_copy(history_db: History, tmp_path: Path) -> History:
    """A private, writable copy of the three-snapshot database."""
    target = tmp_path / "copy.duckdb"
    shutil.copy(history_db.db, target)
    return History(target, history_db.a, history_db.b, history_db.c)


@pytest.fixture
def cli() -> Callable[..., Result]:
    from typer.testing import CliRunner

    from watchkeeper.cli import app
    from watchkeeper.cli.analyst import register

    register(app)  # no-op once the lead wires it into watchkeeper.cli
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return run
