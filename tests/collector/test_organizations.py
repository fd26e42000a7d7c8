"""The organization's tree, collected with --organization from the management account:
roots, OUs and each account's placement, against moto over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from watchkeeper.collector import AwsOptions, CollectOutcome, CollectRequest, collect
from watchkeeper.collector.shard import shard_of
from watchkeeper.queries.org import UNPLACED, placements
from watchkeeper.store import connect, verify_snapshots


@dataclass(frozen=True)
class Org:
    root: str
    security: str
    workloads: str
    prod: str
    audit: str  # member account in Security
    app: str  # member account in Workloads/Prod
    loose: str  # member account left at the root


def _org(estate: Estate) -> Org:
    audit, app, loose = estate.organization(["audit", "app", "loose"])
    security = estate.organizational_unit("Security")
    workloads = estate.organizational_unit("Workloads")
    prod = estate.organizational_unit("Prod", workloads)
    estate.move_account(audit, security)
    estate.move_account(app, prod)
    estate.account(app).chain()
    return Org(estate.root_id(), security, workloads, prod, audit, app, loose)


def _collect(db: Path, proxy: FaultProxy, **kwargs: Any) -> CollectOutcome:
    aws = AwsOptions(endpoint_url=proxy.url, concurrency=4, max_attempts=2)
    return collect(
        CollectRequest(
            db=db, organization=True, role_name="reader", regions=("us-east-1",), aws=aws, **kwargs
        )
    )


def _ltree(*ids: str) -> str:
    return ".".join(i.replace("-", "_") for i in ids)


def test_tree_is_walked_once_and_gives_each_account_its_ou_path(
    estate: Estate, proxy: FaultProxy, db: Path
):
    org = _org(estate)
    outcome = _collect(db, proxy)
    assert outcome.errors == []

    con = connect(db, read_only=True)
    try:
        units = con.execute(
            "SELECT id, name, parent_id, path, account_id, region "
            "FROM aws_organizations_organizational_unit ORDER BY name"
        ).fetchall()
        accounts = dict(
            con.execute("SELECT id, parent_id FROM aws_organizations_account").fetchall()
        )
        roots = con.execute("SELECT id, account_id FROM aws_organizations_root").fetchall()
        sid = outcome.snapshot.snapshot_id
        where = placements(con, [sid])
        assert all(r.ok for r in verify_snapshots(con))
    finally:
        con.close()

    assert roots == [(org.root, DEFAULT_ACCOUNT)]
    assert units == [
        (org.prod, "Prod", org.workloads, _ltree(org.root, org.workloads, org.prod),
         DEFAULT_ACCOUNT, "us-east-1"),
        (org.security, "Security", org.root, _ltree(org.root, org.security),
         DEFAULT_ACCOUNT, "us-east-1"),
        (org.workloads, "Workloads", org.root, _ltree(org.root, org.workloads),
         DEFAULT_ACCOUNT, "us-east-1"),
    ]  # fmt: skip
    assert accounts == {
        DEFAULT_ACCOUNT: org.root,
        org.audit: org.security,
        org.app: org.prod,
        org.loose: org.root,
    }
    assert {a: p.ou_path for a, p in where.items()} == {
        DEFAULT_ACCOUNT: "Root",
        org.audit: "Root/Security",
        org.app: "Root/Workloads/Prod",
        org.loose: "Root",
    }
    assert where[org.app].ou_ids == (org.root, org.workloads, org.prod)
    # One walk: two listings per parent (the root and three OUs), no per-account lookups.
    assert proxy.count("organizations", "ListRoots") == 1
    assert proxy.count("organizations", "ListOrganizationalUnitsForParent") == 4
    assert proxy.count("organizations", "ListAccountsForParent") == 4
    assert proxy.count("organizations", "ListParents") == 0


def test_denied_ou_listing_is_recorded_and_the_rest_is_collected(
    estate: Estate, proxy: FaultProxy, db: Path
):
    org = _org(estate)
    proxy.add(
        Rule(
            "organizations",
            "ListOrganizationalUnitsForParent",
            code="AccessDeniedException",
            message="not authorized to perform organizations:ListOrganizationalUnitsForParent",
        )
    )
    outcome = _collect(db, proxy)

    assert [(e.account_id, e.service, e.operation, e.error_code) for e in outcome.errors] == [
        (DEFAULT_ACCOUNT, "organizations", "ListOrganizationalUnitsForParent",
         "AccessDeniedException"),
    ]  # fmt: skip
    assert outcome.snapshot.status == "complete"
    con = connect(db, read_only=True)
    try:
        accounts = dict(
            con.execute("SELECT id, parent_id FROM aws_organizations_account").fetchall()
        )
        unit_count = con.execute("SELECT count(*) FROM aws_organizations_organizational_unit")
        assert unit_count.fetchall() == [(0,)]
        # The rest of the snapshot is there: every account, the member's chain.
        collected = con.execute("SELECT account_id FROM aws_account ORDER BY 1").fetchall()
        trails = con.execute("SELECT account_id FROM aws_cloudtrail_trail").fetchall()
        where = placements(con, [outcome.snapshot.snapshot_id])
        assert all(r.ok for r in verify_snapshots(con))
    finally:
        con.close()
    members = sorted([DEFAULT_ACCOUNT, org.audit, org.app, org.loose])
    assert [a for (a,) in collected] == members
    assert trails == [(org.app,)]
    # Accounts come from ListAccounts whatever the walk reached; only the root's are placed.
    assert accounts == {
        DEFAULT_ACCOUNT: org.root,
        org.loose: org.root,
        org.audit: None,
        org.app: None,
    }
    assert where[org.loose].ou_path == "Root"
    assert where[org.app].ou_path == UNPLACED


def test_only_the_shard_with_the_callers_account_writes_the_tree(
    estate: Estate, proxy: FaultProxy, tmp_path: Path
):
    org = _org(estate)
    everyone = [DEFAULT_ACCOUNT, org.audit, org.app, org.loose]
    # moto's member ids are random: pick a split that puts some member apart from the caller.
    n = next(n for n in range(2, 50) if len({shard_of(a, n) for a in everyone}) > 1)
    mine = shard_of(DEFAULT_ACCOUNT, n)
    other = next(shard_of(a, n) for a in everyone if shard_of(a, n) != mine)
    counts = {}
    for i in (mine, other):
        db = tmp_path / f"shard{i}.duckdb"
        _collect(db, proxy, shard=f"{i}/{n}")
        con = connect(db, read_only=True)
        try:
            counts[i] = con.execute(
                "SELECT count(*) FROM history.aws_organizations_account"
            ).fetchall()[0][0]
        finally:
            con.close()
    assert counts == {mine: 4, other: 0}


def test_explicit_accounts_collect_the_tree_only_when_asked(
    estate: Estate, proxy: FaultProxy, tmp_path: Path
):
    org = _org(estate)
    aws = AwsOptions(endpoint_url=proxy.url, concurrency=4, max_attempts=2)
    counts = []
    for units in (False, True):
        db = tmp_path / f"units-{units}.duckdb"
        request = CollectRequest(
            db=db,
            accounts=(DEFAULT_ACCOUNT, org.app),
            role_name="reader",
            regions=("us-east-1",),
            aws=aws,
            organization_units=units,
        )
        assert collect(request).errors == []
        con = connect(db, read_only=True)
        try:
            counts.append(
                con.execute(
                    "SELECT count(*) FROM aws_organizations_organizational_unit"
                ).fetchall()[0][0]
            )
        finally:
            con.close()
    assert counts == [0, 3]
