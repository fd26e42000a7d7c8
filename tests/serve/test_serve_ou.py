"""The dashboard over an organization: the control page's OU filter, and the overview's
matrix by account up to 20 accounts and by OU above (queries.summary.matrix_kind).

The store is collected with --organization from moto (an organization of 21 accounts in
three OUs and the root, one region), then checked twice: the whole estate (21 accounts)
and a run over 20 of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from tests.serve.conftest import ServeStore
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.emulator import MotoServer
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.summary import MAX_ACCOUNT_COLUMNS
from watchkeeper.serve.app import create_app

PROD, SANDBOX, SHARED = "Root/Workloads/Prod", "Root/Sandbox", "Root/Workloads"
# Members per OU: 20 members and the management account (left at the root) make 21.
PLACED = {PROD: 9, SANDBOX: 7, SHARED: 4}


@dataclass(frozen=True)
class OrgStore:
    client: TestClient
    ou_of: dict[str, str]  # account → OU path ("Root" for the management account)
    whole: int  # run over all 21 accounts
    twenty: int  # run over 20 of them
    healthy: str  # a Prod account with a whole 4.5 chain


@pytest.fixture(scope="module")
def org_store(
    serve_store: ServeStore,  # built first: it needs moto's state, which is reset here
    moto_server: MotoServer,
    _proxy: FaultProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OrgStore]:
    moto_server.reset()
    _proxy.reset()
    estate = Estate(moto_server.url, _proxy.url)
    members = estate.organization([f"member{n:02d}" for n in range(sum(PLACED.values()))])
    workloads = estate.organizational_unit("Workloads")
    units = {
        PROD: estate.organizational_unit("Prod", workloads),
        SANDBOX: estate.organizational_unit("Sandbox"),
        SHARED: workloads,
    }
    ou_of = {DEFAULT_ACCOUNT: "Root"}
    left = iter(members)
    for path, n in PLACED.items():
        for _ in range(n):
            account = next(left)
            estate.move_account(account, units[path])
            ou_of[account] = path
    healthy = next(a for a, p in ou_of.items() if p == PROD)
    estate.account(healthy).chain()
    db = tmp_path_factory.mktemp("serve-org") / "wk.duckdb"
    outcome = collect(
        CollectRequest(
            db=db,
            organization=True,
            role_name="reader",
            regions=("us-east-1",),
            aws=AwsOptions(endpoint_url=_proxy.url, concurrency=4, max_attempts=2),
        )
    )
    assert outcome.errors == []
    whole = check(CheckRequest(db=db)).run_id
    twenty = check(CheckRequest(db=db, accounts=tuple(sorted(ou_of))[:MAX_ACCOUNT_COLUMNS])).run_id
    assert whole is not None and twenty is not None
    app = create_app(db, warm=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        yield OrgStore(client, ou_of, whole, twenty, healthy)
    app.state.dashboard.close()
    moto_server.reset()
    _proxy.reset()


def _verdict_accounts(page: str) -> set[str]:
    return set(re.findall(r'<a class="evidence-link" href="/accounts/(\d{12})/evidence/', page))


# The OU filter matches the OU and everything below it.
OU_FILTERS = {
    "leaf OU": (PROD, {PROD}),
    "OU with a child OU": (SHARED, {SHARED, PROD}),
    "sibling OU": (SANDBOX, {SANDBOX}),
    "the root holds every account": ("Root", {"Root", PROD, SANDBOX, SHARED}),
}


@pytest.mark.parametrize(("ou", "paths"), OU_FILTERS.values(), ids=OU_FILTERS.keys())
def test_control_page_ou_filter(org_store: OrgStore, ou: str, paths: set[str]):
    page = org_store.client.get("/controls/4.3", params={"ou": ou})
    assert page.status_code == 200
    expected = {a for a, p in org_store.ou_of.items() if p in paths}
    assert _verdict_accounts(page.text) == expected
    assert f'<option value="{ou}" selected>' in page.text or ou == "Root"
    for path in (PROD, SANDBOX, SHARED):  # the filter offers every OU of the run
        assert f'<option value="{path}"' in page.text


def test_unknown_ou_is_a_bad_request(org_store: OrgStore):
    page = org_store.client.get("/controls/4.3", params={"ou": "Root/Nowhere"})
    assert page.status_code == 400
    assert f"no account of run {org_store.whole} is in OU Root/Nowhere" in page.text


def test_ou_filter_with_status_narrows_to_the_healthy_chain(org_store: OrgStore):
    page = org_store.client.get("/controls/4.5", params={"ou": PROD, "status": "pass"})
    assert _verdict_accounts(page.text) == {org_store.healthy}


def _matrix_columns(page: str) -> list[str]:
    return re.findall(r'<th scope="col" title="([^"]+)">', page)


# Run → matrix kind: by account up to 20 accounts, by OU above (the cells then link to
# the control page filtered by that OU).
MATRICES = {
    "21 accounts: by OU": ("whole", "ou"),
    "20 accounts: by account": ("twenty", "account"),
}


@pytest.mark.parametrize(("run", "kind"), MATRICES.values(), ids=MATRICES.keys())
def test_overview_matrix_switches_to_ous_above_20_accounts(
    org_store: OrgStore, run: str, kind: str
):
    run_id = getattr(org_store, run)
    page = org_store.client.get("/", params={"run": run_id})
    assert page.status_code == 200
    columns = _matrix_columns(page.text)
    if kind == "ou":
        assert "Columns are organizational units (21 accounts)." in page.text
        counts = {p: sum(1 for x in org_store.ou_of.values() if x == p) for p in PLACED}
        for path, n in counts.items():
            assert f"{path} ({n} account(s))" in columns
        assert not any(a in " ".join(columns) for a in org_store.ou_of)
        assert f'href="/controls/4.3?ou={PROD.replace("/", "%2F")}' in page.text
    else:
        assert "organizational units" not in page.text
        assert len(columns) == MAX_ACCOUNT_COLUMNS
        assert all(re.match(r"\d{12} \(1 account\(s\)\)", c) for c in columns)
