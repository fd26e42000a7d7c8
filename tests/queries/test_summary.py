"""The run summary: failing results grouped per account and reason, and the pass matrix."""

from __future__ import annotations

import pytest

from watchkeeper.queries.results import Result, Status
from watchkeeper.queries.summary import (
    controls_label,
    failure_groups,
    matrix,
    summarise,
)

JUDGED = [f"4.{i}" for i in range(1, 17)]
SINGLE_REGION = "trail `t` is single-region (us-east-1); events elsewhere are not seen"


def result(control_id: str, account: str, status: Status, reason: str = "ok") -> Result:
    return Result(
        benchmark="cis-v3.0.0",
        control_id=control_id,
        topic=f"topic_{control_id}",
        title="t",
        account_id=account,
        region="us-east-1",
        resource=None,
        status=status,
        reason=reason,
        evidence={},
    )


def demo_like() -> list[Result]:
    """The demo's sandbox: 4.1–4.15 fail for one cause; 4.16 passes; another account passes."""
    out = [result(c, "222222222222", "fail", SINGLE_REGION) for c in JUDGED[:15]]
    out.append(result("4.16", "222222222222", "pass"))
    out += [result(c, "111111111111", "pass") for c in JUDGED]
    return out


def test_same_reason_on_fifteen_controls_is_one_line() -> None:
    groups = failure_groups(demo_like())
    assert len(groups) == 1
    g = groups[0]
    assert g.line == f"4.1–4.15 · 222222222222: {SINGLE_REGION}"
    assert g.control_ids == tuple(JUDGED[:15])
    assert g.status == "fail"
    assert g.ou_path is None
    assert len(g.results) == 15


@pytest.mark.parametrize(
    ("ids", "judged", "label"),
    [
        (["4.1", "4.3", "4.4", "4.5"], JUDGED, "4.1, 4.3–4.5"),
        (["4.10", "4.9", "4.11"], JUDGED, "4.9–4.11"),  # numeric, not string, order
        (["4.2"], JUDGED, "4.2"),
        (["4.1", "4.2"], JUDGED, "4.1–4.2"),
        (["4.1", "4.16"], JUDGED, "4.1, 4.16"),
        # 4.2 was not judged: 4.1 and 4.3 are adjacent among the judged controls
        (["4.1", "4.3"], ["4.1", "4.3", "4.5"], "4.1–4.3"),
        (["4.1", "9.9"], JUDGED, "4.1, 9.9"),  # an unknown id never extends a run
        ([], JUDGED, ""),
    ],
)
def test_range_labels(ids: list[str], judged: list[str], label: str) -> None:
    assert controls_label(ids, judged) == label


def test_groups_order_fail_first_then_size_then_account() -> None:
    results = [
        result("4.1", "333333333333", "error", "no permission"),
        result("4.2", "333333333333", "error", "no permission"),
        result("4.3", "333333333333", "error", "no permission"),
        result("4.1", "222222222222", "fail", "b"),
        result("4.1", "111111111111", "fail", "a"),
        result("4.2", "111111111111", "fail", "a"),
        result("4.3", "111111111111", "fail", "c"),
        result("4.4", "111111111111", "manual", "attested"),
    ]
    groups = failure_groups(results, {"111111111111": "Root/Prod"})
    assert [(g.status, g.account_id, g.controls_label) for g in groups] == [
        ("fail", "111111111111", "4.1–4.2"),
        ("fail", "111111111111", "4.3"),
        ("fail", "222222222222", "4.1"),
        ("error", "333333333333", "4.1–4.3"),
    ]
    assert [g.ou_path for g in groups] == ["Root/Prod", "Root/Prod", None, None]


def test_matrix_by_account_when_few() -> None:
    m = matrix(demo_like())
    assert m.kind == "account"
    assert [c.key for c in m.columns] == ["111111111111", "222222222222"]
    row = m.rows[0]
    assert row.control_id == "4.1"
    assert (row.total.passed, row.total.total) == (1, 2)
    assert [c.worst for c in row.cells] == ["pass", "fail"]
    assert [r.control_id for r in m.rows] == JUDGED


def test_matrix_by_ou_when_placed_and_many() -> None:
    ou_of = {"111111111111": "Root/Security", "222222222222": "Root/Workloads/Sandbox"}
    few = [*demo_like(), result("4.1", "999999999999", "pass")]
    assert matrix(few, ou_of).kind == "account"  # a few accounts read best by name
    m = matrix(few, ou_of, max_account_columns=2)
    assert m.kind == "ou"
    assert [(c.label, c.accounts) for c in m.columns] == [
        ("Security", 1),
        ("Workloads/Sandbox", 1),
        ("(no OU data)", 1),
    ]
    first = m.rows[0]
    assert [(t.passed, t.total) for t in first.cells] == [(1, 1), (0, 1), (1, 1)]
    assert first.total.rate == pytest.approx(2 / 3)


def test_matrix_per_control_when_many_accounts() -> None:
    results = [result("4.1", f"{i:012d}", "pass" if i % 2 else "fail") for i in range(30)]
    s = summarise(results)
    assert s.matrix.kind == "control"
    assert s.matrix.columns == ()
    assert (s.matrix.rows[0].total.passed, s.matrix.rows[0].total.total) == (15, 30)
    assert s.counts["fail"] == 15
    assert len(s.failures) == 15
