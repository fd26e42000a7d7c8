"""The evidence `check` writes has the shape queries.evidence declares (TypedDicts are not
checked at run time, so this holds the types to the real JSON)."""

from __future__ import annotations

import types
import typing
from typing import Any, NotRequired, Required, is_typeddict

from tests.reports.conftest import Scenario
from watchkeeper.queries.evidence import MetricFilterEvidence, SecurityHubEvidence


def _problems(value: Any, tp: Any, path: str) -> list[str]:
    """Where ``value`` does not fit ``tp`` (TypedDicts, lists, unions, plain types)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return []
    if origin in (Required, NotRequired):
        return _problems(value, typing.get_args(tp)[0], path)
    if origin in (types.UnionType, typing.Union):
        options = [_problems(value, t, path) for t in typing.get_args(tp)]
        return [] if any(not p for p in options) else min(options, key=len)
    if tp is type(None):
        return [] if value is None else [f"{path}: {value!r} is not None"]
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not {tp.__name__}"]
        hints = typing.get_type_hints(tp)
        out = [f"{path}.{k}: missing" for k in tp.__required_keys__ if k not in value]
        out += [f"{path}.{k}: not declared in {tp.__name__}" for k in value if k not in hints]
        for k, v in value.items():
            if k in hints:
                out += _problems(v, hints[k], f"{path}.{k}")
        return out
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, not a list"]
        (item,) = typing.get_args(tp)
        return [p for i, v in enumerate(value) for p in _problems(v, item, f"{path}[{i}]")]
    ok = isinstance(value, int | float) and not isinstance(value, bool) if tp is float else None
    if ok is None:
        ok = isinstance(value, tp) and (tp is bool or not isinstance(value, bool))
    return [] if ok else [f"{path}: {value!r} is not {tp.__name__}"]


def test_every_result_of_the_scenario_fits_its_evidence_type(scenario: Scenario):
    kinds = set()
    for r in scenario.run.results:
        tp = SecurityHubEvidence if r.topic == "security_hub_enabled" else MetricFilterEvidence
        kinds.add(tp)
        assert _problems(r.evidence, tp, f"{r.control_id}/{r.account_id}") == []
    assert kinds == {SecurityHubEvidence, MetricFilterEvidence}
    # The optional parts were exercised too: coverage with a command, an attestation, errors.
    found = [r.evidence for r in scenario.run.results]
    assert any("test_command" in ev.get("pattern_coverage", {}) for ev in found)
    assert any("attestation" in ev for ev in found)
    assert any(r.evidence["collection_errors"] for r in scenario.run.results)


def test_the_checker_finds_a_wrong_shape():
    ev: dict[str, Any] = {
        "snapshot_id": "1",
        "enabled_regions": ["us-east-1"],
        "disabled_regions": [],
        "hub_arns": [],
        "collection_errors": [],
        "sql": "x",
        "extra": 1,
    }
    assert sorted(_problems(ev, SecurityHubEvidence, "ev")) == [
        "ev.extra: not declared in SecurityHubEvidence",
        "ev.snapshot_id: '1' is not int",
        "ev.unknown_regions: missing",
    ]
