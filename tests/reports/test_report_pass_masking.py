"""The pass table reads the passes as checked (unmasked, to keep the main report cheap at
1,000 accounts) and masks what it prints: the key's names and notes and every line's."""

from __future__ import annotations

from typing import Any

import pytest

from watchkeeper.queries.results import Result
from watchkeeper.reports.model import AccountInfo
from watchkeeper.reports.model.passing import pass_groups, usual_chains
from watchkeeper.reports.redact import Redactor

ADDRESS = "oncall@example.com"  # a subscriber endpoint that also names things below
MASKED = "o****@example.com"


def _pass(account: str, control: str, evidence: dict[str, Any]) -> Result:
    return Result(
        "cis-v5.0.0",
        control,
        "t",
        "title",
        account,
        None,
        None,
        "pass",
        "ok",
        evidence,  # type: ignore[arg-type]
    )


def _chain(topic: str) -> dict[str, Any]:
    return {
        "snapshot_id": 1,
        "chain": {"trail": {"name": "org"}, "topic": {"name": topic}, "subscriptions": []},
    }


# (name, results, where the address would show) — each printed text must be masked.
SCENARIOS = [
    (
        "usual chain name",
        [_pass(a, "4.1", _chain(f"alerts-{ADDRESS}")) for a in ("111", "222", "333")],
        "usual",
    ),
    (
        "deviating line's name",
        [
            _pass("111", "4.1", _chain("alerts")),
            _pass("222", "4.1", _chain("alerts")),
            _pass("333", "4.1", _chain(f"alerts-{ADDRESS}")),
        ],
        "line",
    ),
    (
        "a line's note (attestation)",
        [
            _pass(a, "4.3", {"snapshot_id": 1, "attestation": {"approver": who}})
            for a, who in (("1", "sec"), ("2", "sec"), ("3", ADDRESS))
        ],
        "line",
    ),
]


def _printed(results: list[Result], redactor: Redactor | None) -> tuple[str, str]:
    order = {"4.1": 0, "4.3": 1}
    accounts = {r.account_id: AccountInfo(r.account_id, [], None, None) for r in results}
    usual = usual_chains(results, order, redactor)
    groups = pass_groups(results, accounts, order, {1: "ab" * 32}, usual, redactor)
    key = repr([(u.names, u.note) for u in usual])
    lines = repr([(g.shared, [(ln.names, ln.note) for ln in g.lines]) for g in groups])
    return key, lines


@pytest.mark.parametrize(
    ("results", "where"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_pass_table_masks_what_it_prints(results: list[Result], where: str):
    key, lines = _printed(results, Redactor([ADDRESS]))
    shown = key if where == "usual" else lines
    assert ADDRESS not in key + lines and MASKED in shown
    # --no-redact: the same table with the address as checked
    key, lines = _printed(results, None)
    assert ADDRESS in (key if where == "usual" else lines)
