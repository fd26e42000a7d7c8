"""The result contract shared by `check`, the reports and the e-mails."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from watchkeeper.queries.evidence import Evidence

Status = Literal["pass", "fail", "error", "manual"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "manual")
# How results are listed for people: what needs attention first.
STATUS_ORDER: dict[str, int] = {"fail": 0, "error": 1, "manual": 2, "pass": 3}


def control_sort_key(control_id: str) -> tuple[int, ...]:
    """The one ordering of control ids: numeric by part, so 4.10 sorts after 4.9.

    A part that is not a number sorts as 0 rather than failing: stored or attested results
    are sorted with it too, and a sort should not be where a foreign id is rejected.
    """
    return tuple(int(part) if part.isdigit() else 0 for part in control_id.split("."))


@dataclass(frozen=True)
class Result:
    benchmark: str
    control_id: str
    topic: str
    title: str
    account_id: str
    region: str | None
    resource: str | None
    status: Status
    reason: str
    evidence: Evidence  # plain JSON data at run time (queries.evidence types it)

    def to_json(self) -> dict[str, Any]:
        # Shallow on purpose: evidence is already plain JSON data, and asdict's deep copy
        # dominated the cost of storing a large run.
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SnapshotRef:
    id: int
    collected_at: datetime
    sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "collected_at": self.collected_at.isoformat(), "sha256": self.sha256}


@dataclass(frozen=True)
class CheckRun:
    benchmark: str
    profile: str
    checked_at: datetime
    snapshot: SnapshotRef
    snapshot_ids: list[int]
    results: list[Result]
    run_id: int | None = None
    # Account id → OU path ("Root/Workloads/Prod") when the snapshot holds organization data,
    # for grouping on the terminal; not part of the JSON contract, so not in to_json().
    ou_paths: Mapping[str, str] = field(default_factory=dict)
    # The digest of the verdicts as checked, kept when a report masks them (redact_run): the
    # hash that ties a redacted report to `check --format json` and the stored check run.
    checked_sha256: str | None = None

    def digest(self) -> str:
        return self.checked_sha256 or results_digest(self.results)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            out[r.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "profile": self.profile,
            "checked_at": self.checked_at.isoformat(),
            "run_id": self.run_id,
            "snapshot": self.snapshot.to_json(),
            "snapshot_ids": self.snapshot_ids,
            "summary": self.counts(),
            "results_sha256": self.digest(),
            "results": [r.to_json() for r in self.results],
        }


def results_digest(results: list[Result]) -> str:
    """SHA-256 over the verdicts (canonical JSON), printed on reports next to the snapshot's."""
    h = hashlib.sha256()
    for r in results:
        h.update(json.dumps(r.to_json(), sort_keys=True, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()
