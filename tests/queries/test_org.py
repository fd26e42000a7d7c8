"""OU placement: the chain of OUs above each account, and --ou selectors over it."""

from __future__ import annotations

import duckdb
import pytest

from watchkeeper.queries.org import OuError, placements, select_accounts


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE SCHEMA history")
    c.execute(
        "CREATE TABLE history.aws_organizations_organizational_unit "
        "(snapshot_id INTEGER, id VARCHAR, name VARCHAR, parent_id VARCHAR)"
    )
    c.execute(
        "CREATE TABLE history.aws_organizations_account "
        "(snapshot_id INTEGER, id VARCHAR, name VARCHAR, parent_id VARCHAR)"
    )
    c.executemany(
        "INSERT INTO history.aws_organizations_organizational_unit VALUES (?, ?, ?, ?)",
        [
            (1, "ou-root-work", "Workloads", "r-root"),
            (1, "ou-root-prod", "Prod", "ou-root-work"),
            (1, "ou-root-sec", "Security", "r-root"),
        ],
    )
    c.executemany(
        "INSERT INTO history.aws_organizations_account VALUES (?, ?, ?, ?)",
        [
            (1, "111111111111", "management", "r-root"),
            (1, "222222222222", "app-prod", "ou-root-prod"),
            (1, "333333333333", "audit", "ou-root-sec"),
            (2, "444444444444", "other snapshot", "ou-root-sec"),
        ],
    )
    return c


def test_paths_follow_the_parent_chain(con: duckdb.DuckDBPyConnection) -> None:
    found = placements(con, [1])
    assert {a: p.ou_path for a, p in found.items()} == {
        "111111111111": "Root",
        "222222222222": "Root/Workloads/Prod",
        "333333333333": "Root/Security",
    }
    assert found["222222222222"].ou_ids == ("r-root", "ou-root-work", "ou-root-prod")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("Workloads", {"222222222222"}),
        ("Root/Workloads/Prod", {"222222222222"}),
        ("ou-root-work", {"222222222222"}),
        ("Root", {"111111111111", "222222222222", "333333333333"}),
        ("Security", {"333333333333"}),
    ],
)
def test_selectors(con: duckdb.DuckDBPyConnection, selector: str, expected: set[str]) -> None:
    assert select_accounts(placements(con, [1]), [selector]) == expected


def test_a_partial_name_is_not_an_ou(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(OuError, match="no collected account is in that OU"):
        select_accounts(placements(con, [1]), ["Work"])


def test_no_org_tables_means_no_placements() -> None:
    c = duckdb.connect()
    assert placements(c, [1]) == {}
    with pytest.raises(OuError, match="no organization data"):
        select_accounts({}, ["Workloads"])
