"""The `fix --apply` runs on /history: stored as the fix code stores them (record_run, then
complete_run once re-checked) into a copy of the serve store, read back over HTTP."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from tests.serve.conftest import BAD, GOOD, ServeStore
from watchkeeper.fix.apply import ChainOutcome, StepLog
from watchkeeper.fix.runs import complete_run, record_run
from watchkeeper.serve.app import create_app

HOSTILE_CALLER = 'arn:aws:iam::111111111111:user/<img src=x onerror="alert(1)">'


@dataclass(frozen=True)
class FixCase:
    applied_by: str
    steps: list[StepLog]
    completed: bool  # complete_run stored the re-check (snapshot 2, the second check run)
    outcome: list[ChainOutcome]


STEP_SUBSCRIBE = StepLog(
    1, GOOD, "us-east-1", "sns:Subscribe", {"Protocol": "email"}, "applied", "subscribed"
)
STEP_ALARM = StepLog(
    2, BAD, "us-east-1", "cloudwatch:PutMetricAlarm", {"AlarmName": "x"}, "failed", "denied"
)
FIXES = {
    "re-checked": FixCase(
        "arn:aws:sts::111111111111:assumed-role/fixer/ops",
        [STEP_SUBSCRIBE],
        True,
        [ChainOutcome("4.3", GOOD, "fail", "pass", "mended")],
    ),
    "died before the re-check": FixCase(HOSTILE_CALLER, [STEP_SUBSCRIBE, STEP_ALARM], False, []),
}


@dataclass(frozen=True)
class Stored:
    client: TestClient
    ids: dict[str, int]


@pytest.fixture(scope="module")
def stored(serve_store: ServeStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    db = tmp_path_factory.mktemp("serve-fixes") / "wk.duckdb"
    shutil.copy(serve_store.db, db)
    ids: dict[str, int] = {}
    for name, case in FIXES.items():
        ids[name] = record_run(
            db,
            started_at=datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
            applied_by=case.applied_by,
            role_arns={s.account_id: f"arn:aws:iam::{s.account_id}:role/f" for s in case.steps},
            benchmark="cis-v5.0.0",
            check_run_before=serve_store.first_run,
            snapshots_before=[1],
            status="applied" if case.completed else "failed",
            plan={"check_run_id": serve_store.first_run, "steps": [{}, {}, {}]},
            steps=[s.to_json() for s in case.steps],
        )
        if case.completed:
            complete_run(
                db,
                ids[name],
                snapshot_after=2,
                check_run_after=serve_store.second_run,
                outcome=[o.to_json() for o in case.outcome],
            )
    app = create_app(db, warm=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        yield Stored(client, ids)
    app.state.dashboard.close()


def _row(page: str, remediation_id: int) -> str:
    found = re.search(rf'<tr id="fix-{remediation_id}">(.*?)</tr>', page, re.S)
    assert found, f"no row for remediation run {remediation_id}"
    return found.group(1)


@pytest.mark.parametrize("name", FIXES.keys())
def test_history_lists_the_fix_runs(stored: Stored, serve_store: ServeStore, name: str):
    page = stored.client.get("/history")
    assert page.status_code == 200 and "Remediation runs" in page.text
    case = FIXES[name]
    row = _row(page.text, stored.ids[name])
    assert str(escape(case.applied_by)) in row and "<img" not in row
    for account in {s.account_id for s in case.steps}:
        assert f'href="/accounts/{account}"' in row
    statuses = [s.status for s in case.steps]
    assert "3 planned" in row and f"{statuses.count('applied')} applied" in row
    assert (f"{statuses.count('failed')} failed" in row) is ("failed" in statuses)
    assert f"run={serve_store.first_run}" in row
    diff = "/history/diff?benchmark=cis-v5.0.0&amp;from=1&amp;to=2"
    if case.completed:
        assert f"run={serve_store.second_run}" in row and diff in row
        assert f"4.3 {GOOD}: fail → pass (mended)" in row
        assert "not re-checked" not in row
    else:
        assert "/history/diff" not in row and "(not re-checked)" in row


def test_newest_fix_run_first_and_its_diff_link_opens(stored: Stored):
    page = stored.client.get("/history").text
    ids = [int(i) for i in re.findall(r'<tr id="fix-(\d+)">', page)]
    assert ids == sorted(stored.ids.values(), reverse=True)
    href = re.search(r'class="fix-diff" href="([^"]+)"', page)
    assert href
    diff = stored.client.get(html.unescape(href.group(1)))
    assert diff.status_code == 200 and "aws_sns_topic_subscription" in diff.text


def test_no_fix_run_stored_says_so(serve_store: ServeStore):
    app = create_app(serve_store.db, warm=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        page = client.get("/history").text
    app.state.dashboard.close()
    assert "No <code>fix --apply</code> run is stored." in page and 'id="fix-' not in page
