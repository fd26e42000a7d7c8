"""The main report's compact table of passing results: one line per account and control,
with the chain's object names and the snapshot (id and SHA-256) the verdict was drawn from.

The full chain of a passing result is in the account's evidence pack; here a line only has
to let an auditor find the objects and tie the line to the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from watchkeeper.queries.results import Result
from watchkeeper.reports.model.display import anchor
from watchkeeper.reports.model.types import AccountInfo, PassGroup, PassLine

__all__ = ["pass_groups"]

# The names a line shows, in chain order: metric, subscribers and ARNs are in the pack.
_SHOWN = (
    ("trail", "trail"),
    ("log_group", "log group"),
    ("metric_filter", "filter"),
    ("alarm", "alarm"),
    ("topic", "topic"),
)
# Names an account's chains usually share; said once per account when every line has them.
_SHAREABLE = ("trail", "log group", "topic", "subscribers")


def _names(r: Result) -> list[tuple[str, str]]:
    chain = r.evidence.get("chain")
    if not chain:
        return []
    objects = cast(dict[str, Any], chain)  # looked up by key, in chain order
    out: list[tuple[str, str]] = []
    for key, label in _SHOWN:
        obj = objects.get(key)
        if obj and obj.get("name"):
            out.append((label, str(obj["name"])))
    subs = objects.get("subscriptions") or []
    if subs:
        out.append(("subscribers", str(sum(1 for s in subs if s.get("confirmed")))))
    return out


def _note(r: Result) -> str | None:
    ev = r.evidence
    if "enabled_regions" in ev:
        return f"Security Hub enabled in {len(ev['enabled_regions'])} region(s)"
    att = ev.get("attestation")
    if att:
        return f"attested by {att['approver']}"
    return None if ev.get("chain") else r.reason


def pass_groups(
    results: list[Result],
    accounts: Mapping[str, AccountInfo],
    control_order: Mapping[str, int],
    hashes: Mapping[int, str | None],
) -> list[PassGroup]:
    """The passing ``results`` grouped by account (accounts and controls in report order)."""
    by_account: dict[str, list[Result]] = {}
    for r in results:
        if r.status == "pass":
            by_account.setdefault(r.account_id, []).append(r)
    groups: list[PassGroup] = []
    for acct in sorted(by_account):
        rs = sorted(by_account[acct], key=lambda r: control_order[r.control_id])
        named = [(r, _names(r)) for r in rs]
        chains = [names for _, names in named if names]
        shared = [
            pair
            for pair in (chains[0] if chains else [])
            if pair[0] in _SHAREABLE and all(pair in names for names in chains)
        ]
        lines = []
        for r, names in named:
            snap = int(r.evidence.get("snapshot_id") or 0)
            lines.append(
                PassLine(
                    anchor=anchor("v", r.control_id, acct),
                    control_id=r.control_id,
                    names=[p for p in names if p not in shared],
                    note=_note(r),
                    snapshot_id=snap,
                    snapshot_sha256=hashes.get(snap),
                )
            )
        groups.append(PassGroup(accounts[acct], shared, lines))
    return groups
