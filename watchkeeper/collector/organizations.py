"""The organization's tree, from the management account or a delegated administrator:
roots, organizational units and the OU (or root) each account sits in.

One walk from the roots down: ListRoots, then per parent ListOrganizationalUnitsForParent
and ListAccountsForParent, about 2 × (OUs + roots) + 1 calls for the whole organization,
never one ListParents per account. A parent whose listing fails is recorded (``attempt``)
and the walk goes on: the accounts under it simply have no placement.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from watchkeeper.collector.aws import Scope, paginate
from watchkeeper.store.model import Row

SERVICE = "organizations"


@dataclass(frozen=True)
class OrgUnit:
    raw: dict[str, Any]  # ListOrganizationalUnitsForParent OrganizationalUnits[]
    parent_id: str
    path: str  # Steampipe's: ids from the root, '.'-joined, '-' replaced by '_'


@dataclass
class OrgTree:
    roots: list[dict[str, Any]] = field(default_factory=list)
    units: list[OrgUnit] = field(default_factory=list)
    # account id → (Account object, the parent the walk found it under, if any)
    accounts: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)


def _path_part(entity_id: str) -> str:
    return entity_id.replace("-", "_")  # ltree labels take no '-'


def fetch(scope: Scope, listed: Sequence[Mapping[str, Any]] = ()) -> OrgTree:
    """Walk the tree. ``listed`` is the ListAccounts answer when the caller already has it:
    every account it names gets a row, placed or not, whatever part of the walk fails."""
    client = scope.client(SERVICE)
    tree = OrgTree()
    for account in listed:
        tree.accounts[str(account["Id"])] = (dict(account), None)
    roots = scope.attempt(SERVICE, "ListRoots", lambda: paginate(client, "list_roots", "Roots"))
    tree.roots = sorted(roots or [], key=lambda r: str(r["Id"]))
    # Breadth first; each entry is (parent id, its path).
    pending = deque((str(r["Id"]), _path_part(str(r["Id"]))) for r in tree.roots)
    seen: set[str] = set()
    while pending:
        parent, path = pending.popleft()
        if parent in seen:  # AWS has no cycles; a bad reply must not make the walk endless
            continue
        seen.add(parent)
        units = scope.attempt(
            SERVICE,
            "ListOrganizationalUnitsForParent",
            partial(
                paginate,
                client,
                "list_organizational_units_for_parent",
                "OrganizationalUnits",
                ParentId=parent,
            ),
        )
        for unit in sorted(units or [], key=lambda u: str(u["Id"])):
            if str(unit["Id"]) in seen:
                continue
            unit_path = f"{path}.{_path_part(str(unit['Id']))}"
            tree.units.append(OrgUnit(unit, parent, unit_path))
            pending.append((str(unit["Id"]), unit_path))
        members = scope.attempt(
            SERVICE,
            "ListAccountsForParent",
            partial(paginate, client, "list_accounts_for_parent", "Accounts", ParentId=parent),
        )
        for account in members or []:
            tree.accounts[str(account["Id"])] = (account, parent)
    return tree


def root_rows(tree: OrgTree, scope: Scope) -> list[Row]:
    return [
        {
            "account_id": scope.account_id,
            "region": scope.region,
            "id": r["Id"],
            "name": r.get("Name"),
            "arn": r.get("Arn"),
            "policy_types": r.get("PolicyTypes"),
            "raw": r,
        }
        for r in tree.roots
    ]


def unit_rows(tree: OrgTree, scope: Scope) -> list[Row]:
    return [
        {
            "account_id": scope.account_id,
            "region": scope.region,
            "id": u.raw["Id"],
            "name": u.raw.get("Name"),
            "arn": u.raw.get("Arn"),
            "parent_id": u.parent_id,
            "path": u.path,
            "raw": u.raw,
        }
        for u in tree.units
    ]


def account_rows(tree: OrgTree, scope: Scope) -> list[Row]:
    out: list[Row] = []
    for account_id in sorted(tree.accounts):
        a, parent = tree.accounts[account_id]
        out.append(
            {
                "account_id": scope.account_id,
                "region": scope.region,
                "id": account_id,
                "name": a.get("Name"),
                "arn": a.get("Arn"),
                "email": a.get("Email"),
                # 'State' replaces 'Status' in newer API versions; Steampipe names it status.
                "status": a.get("Status") or a.get("State"),
                "joined_method": a.get("JoinedMethod"),
                "joined_timestamp": a.get("JoinedTimestamp"),
                "parent_id": parent,
                "tags": None,  # views.sql computes them from raw_deep (--deep)
                "raw": a,
            }
        )
    return out
