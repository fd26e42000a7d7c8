"""Where each account sits in its AWS Organization: the OU path that reports, `check` and
the terminal group and filter by (`--ou`).

Read from the snapshot's `aws_organizations_account` / `aws_organizations_organizational_unit`
rows (collected from the management account or a delegated administrator). A snapshot
without them (a single account, an older database, no Organizations access) simply has no
placements: every caller treats that as "not grouped", never as an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb

from watchkeeper.errors import UserError
from watchkeeper.store import has_table, rows

ROOT_NAME = "Root"
# Accounts with no placement (organization not collected) group under this label.
UNPLACED = "(no OU data)"


class OuError(UserError):
    """An --ou selector that matches no account of the snapshot."""


@dataclass(frozen=True)
class OrgPlacement:
    account_id: str
    account_name: str | None
    parent_id: str | None  # the OU (ou-…) or root (r-…) the account sits in
    ou_ids: tuple[str, ...]  # ancestor chain, root first, ending with parent_id
    ou_path: str  # names along that chain, e.g. "Root/Workloads/Prod"

    def matches(self, selector: str) -> bool:
        """An OU id on the chain, or a name path at or above the account ("Workloads/Prod",
        with or without the leading "Root/")."""
        if selector in self.ou_ids:
            return True
        wanted = [p for p in selector.strip("/").split("/") if p]
        have = self.ou_path.split("/")
        if wanted and wanted[0] != ROOT_NAME:
            wanted = [ROOT_NAME, *wanted]
        return bool(wanted) and have[: len(wanted)] == wanted


def placements(
    con: duckdb.DuckDBPyConnection, snapshot_ids: Sequence[int]
) -> dict[str, OrgPlacement]:
    """Account id → its placement, from the given snapshots (later snapshots win)."""
    if not snapshot_ids or not (
        has_table(con, "aws_organizations_account", "history")
        and has_table(con, "aws_organizations_organizational_unit", "history")
    ):
        return {}
    ids = [int(i) for i in snapshot_ids]
    units: dict[str, tuple[str, str | None]] = {}
    for r in rows(
        con,
        "SELECT id, name, parent_id FROM history.aws_organizations_organizational_unit "
        "WHERE list_contains(?, snapshot_id) ORDER BY snapshot_id",
        [ids],
    ):
        units[str(r["id"])] = (str(r["name"]), r["parent_id"])
    out: dict[str, OrgPlacement] = {}
    for r in rows(
        con,
        "SELECT id, name, parent_id FROM history.aws_organizations_account "
        "WHERE list_contains(?, snapshot_id) ORDER BY snapshot_id",
        [ids],
    ):
        chain = _chain(r["parent_id"], units)
        names = [ROOT_NAME if i.startswith("r-") else units.get(i, (i, None))[0] for i in chain]
        out[str(r["id"])] = OrgPlacement(
            account_id=str(r["id"]),
            account_name=r["name"],
            parent_id=r["parent_id"],
            ou_ids=tuple(chain),
            ou_path="/".join(names) if names else UNPLACED,
        )
    return out


def _chain(parent: str | None, units: Mapping[str, tuple[str, str | None]]) -> list[str]:
    chain: list[str] = []
    seen: set[str] = set()
    while parent and parent not in seen:  # a cycle cannot happen in AWS; do not hang on one
        seen.add(parent)
        chain.append(parent)
        parent = units[parent][1] if parent in units else None
    return list(reversed(chain))


def ou_label(placements_: Mapping[str, OrgPlacement], account_id: str) -> str:
    """The OU path an account is grouped under (UNPLACED when the org was not collected)."""
    p = placements_.get(account_id)
    return p.ou_path if p else UNPLACED


def select_accounts(
    placements_: Mapping[str, OrgPlacement], selectors: Iterable[str]
) -> frozenset[str]:
    """Accounts under any of the selectors; an unknown selector is a user error."""
    chosen: set[str] = set()
    for selector in selectors:
        found = {a for a, p in placements_.items() if p.matches(selector)}
        if not found:
            if not placements_:
                raise OuError(
                    f"--ou {selector}: the snapshot has no organization data; collect with "
                    "--organization from the management account or a delegated administrator"
                )
            raise OuError(f"--ou {selector}: no collected account is in that OU")
        chosen |= found
    return frozenset(chosen)
