"""`check --ou`: OU selectors narrow every output format to the accounts below them.

The organization tables are made by hand in the collected database (as test_org.py does),
since collecting them is not this test's subject.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.awsfake.scenarios import Estate
from tests.conftest import copy_db
from watchkeeper.cli import app
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.store import connect

MGMT, PROD, SANDBOX = "111111111111", "222222222222", "333333333333"
R = "us-east-1"
runner = CliRunner()


@pytest.fixture(scope="module")
def org_db_once(module_estate: Estate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("check-ou") / "wk.duckdb"
    for acct in (MGMT, PROD, SANDBOX):
        a = module_estate.account(acct)
        a.log_group("cloudtrail-logs")
        a.trail("trail", log_group="cloudtrail-logs")
    collect(
        CollectRequest(
            db=db,
            accounts=(MGMT, PROD, SANDBOX),
            role_name="reader",
            regions=(R,),
            aws=AwsOptions(endpoint_url=module_estate.proxy_endpoint),
        )
    )
    con = connect(db)
    try:
        found = con.execute("SELECT max(snapshot_id) FROM snapshot").fetchone()
        assert found is not None
        snapshot = found[0]
        # The OU tree as the collector's Organizations walk stores it (the schema's tables),
        # written here so that this test needs no organization in the emulator.
        con.executemany(
            "INSERT INTO history.aws_organizations_organizational_unit "
            "(snapshot_id, account_id, region, id, name, parent_id) "
            f"VALUES (?, '{MGMT}', '{R}', ?, ?, ?)",
            [
                (snapshot, "ou-r-work", "Workloads", "r-root"),
                (snapshot, "ou-r-prod", "Prod", "ou-r-work"),
                (snapshot, "ou-r-sand", "Sandbox", "ou-r-work"),
            ],
        )
        con.executemany(
            "INSERT INTO history.aws_organizations_account "
            "(snapshot_id, account_id, region, id, name, parent_id) "
            f"VALUES (?, '{MGMT}', '{R}', ?, ?, ?)",
            [
                (snapshot, MGMT, "management", "r-root"),
                (snapshot, PROD, "prod", "ou-r-prod"),
                (snapshot, SANDBOX, "sandbox", "ou-r-sand"),
            ],
        )
    finally:
        con.close()
    return db


@pytest.fixture
def org_db(org_db_once: Path, tmp_path: Path) -> Path:
    """Each test's own copy of the module's database."""
    return copy_db(org_db_once, tmp_path)


def check(db: Path, *args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["check", "--db", str(db), "--fail-on", "never", *args])
    return res.exit_code, res.stdout, res.stderr


def json_accounts(stdout: str) -> set[str]:
    return {r["account_id"] for r in json.loads(stdout)["results"]}


def test_ou_narrows_every_format(org_db: Path) -> None:
    code, stdout, _ = check(org_db, "-f", "json")
    assert code == 0 and json_accounts(stdout) == {MGMT, PROD, SANDBOX}
    code, stdout, _ = check(org_db, "--ou", "Workloads", "-f", "json")
    assert code == 0 and json_accounts(stdout) == {PROD, SANDBOX}
    code, stdout, _ = check(org_db, "--ou", "Workloads/Prod", "--ou", "ou-r-sand", "-f", "csv")
    assert {r["account_id"] for r in csv.DictReader(io.StringIO(stdout))} == {PROD, SANDBOX}
    code, stdout, _ = check(org_db, "--ou", "Workloads/Prod", "-f", "junit")
    assert PROD in stdout and SANDBOX not in stdout and MGMT not in stdout
    code, stdout, _ = check(org_db, "--ou", "Workloads/Prod", "-f", "markdown")
    assert PROD in stdout and SANDBOX not in stdout
    # The terminal: three accounts read best by id (a grid by account; by OU from 21 accounts
    # on, see test_summary), one failing item per account and cause, 80 columns.
    code, stdout, _ = check(org_db)
    assert code == 0
    assert "passed, by OU" not in stdout and all(a in stdout for a in (MGMT, PROD, SANDBOX))
    assert all(len(line) <= 80 for line in stdout.splitlines())
    failing = [line for line in stdout.splitlines() if line.startswith("FAIL ")]
    assert failing and all(" · " in line for line in failing)
    code, stdout, _ = check(org_db, "--ou", "Workloads/Prod", "--all")
    assert code == 0 and PROD in stdout and SANDBOX not in stdout


def test_ou_and_account_intersect_and_unknown_ou_is_an_error(org_db: Path) -> None:
    code, stdout, _ = check(org_db, "--ou", "Workloads", "-a", SANDBOX, "-a", MGMT, "-f", "json")
    assert code == 0 and json_accounts(stdout) == {SANDBOX}
    code, stdout, stderr = check(org_db, "--ou", "Workloads/Prod", "-a", SANDBOX)
    assert code == 2 and stdout == ""
    assert stderr.strip() == "error: no account given with --account is under --ou Workloads/Prod"
    code, stdout, stderr = check(org_db, "--ou", "Nowhere")
    assert code == 2 and stdout == ""
    assert stderr.strip() == "error: --ou Nowhere: no collected account is in that OU"
