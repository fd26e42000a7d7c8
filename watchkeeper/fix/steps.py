"""What a fix plan is made of: steps (one AWS write each) and the chains they mend.

A step is one boto3 call with its real parameters, so the same object is applied by
``apply``, printed as an AWS CLI line, and rendered as Terraform or CloudFormation. Steps
are shared: the trail of an account serves all fifteen controls, so "start logging" is one
step that every failing chain of that trail points at.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["ACTIONS", "Action", "ChainPlan", "Plan", "Step"]

# What a step does, in chain order. Each action is one boto3 operation.
Action = Literal[
    "start_logging",
    "make_multi_region",
    "record_management_events",
    "create_log_group",
    "point_trail_at_log_group",
    "create_metric_filter",
    "repair_metric_filter",
    "create_topic",
    "subscribe",
    "put_alarm",
    "enable_alarm_actions",
]
ACTIONS: dict[Action, tuple[str, str]] = {
    "start_logging": ("cloudtrail", "StartLogging"),
    "make_multi_region": ("cloudtrail", "UpdateTrail"),
    "record_management_events": ("cloudtrail", "PutEventSelectors"),
    "create_log_group": ("logs", "CreateLogGroup"),
    "point_trail_at_log_group": ("cloudtrail", "UpdateTrail"),
    "create_metric_filter": ("logs", "PutMetricFilter"),
    "repair_metric_filter": ("logs", "PutMetricFilter"),
    "create_topic": ("sns", "CreateTopic"),
    "subscribe": ("sns", "Subscribe"),
    "put_alarm": ("cloudwatch", "PutMetricAlarm"),
    "enable_alarm_actions": ("cloudwatch", "EnableAlarmActions"),
}


@dataclass
class Step:
    """One AWS write, with the API's own parameter names (as boto3 takes them)."""

    id: int
    account_id: str
    region: str
    action: Action
    link: str  # the chain link it mends (queries.links names)
    purpose: str
    params: dict[str, Any]
    resource: str  # the name of what it creates or changes
    # True: an object of the user's that the step changes (the rest are new objects).
    changes_existing: bool = False
    controls: list[str] = field(default_factory=list)  # control ids of the chains it serves

    @property
    def service(self) -> str:
        return ACTIONS[self.action][0]

    @property
    def operation(self) -> str:
        return ACTIONS[self.action][1]

    def key(self) -> str:
        """Two steps with the same key are one step (shared between chains)."""
        return json.dumps(
            [self.account_id, self.region, self.action, self.params], sort_keys=True, default=str
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "region": self.region,
            "action": self.action,
            "link": self.link,
            "purpose": self.purpose,
            "api_call": f"{self.service}:{self.operation}",
            "params": self.params,
            "resource": self.resource,
            "changes_existing": self.changes_existing,
            "controls": self.controls,
        }


@dataclass
class ChainPlan:
    """One failing verdict (control × account) and the steps that mend its chain."""

    benchmark: str
    control_id: str
    title: str
    account_id: str
    region: str | None
    status: str  # before the fix
    reason: str
    failed_link: str | None
    steps: list[int] = field(default_factory=list)  # Step ids, in order
    notes: list[str] = field(default_factory=list)  # what the plan keeps or cannot confirm
    # What a person must do before (or instead of) the remaining steps; set, the chain
    # cannot be mended by `fix --apply` alone.
    manual: list[str] = field(default_factory=list)
    # Where the chain's objects are (trail home, log group): what a re-check must collect.
    regions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    check_run_id: int | None
    benchmark: str
    snapshot_ids: list[int]
    created_at: datetime
    chains: list[ChainPlan]
    steps: list[Step]

    def step(self, step_id: int) -> Step:
        return self.steps[step_id - 1]

    def targets(self) -> list[tuple[str, str]]:
        """(account, region) pairs the steps write to, in order."""
        return list(dict.fromkeys((s.account_id, s.region) for s in self.steps))

    def recheck_targets(self) -> list[tuple[str, str]]:
        """(account, region) pairs to collect again after an apply: where the steps wrote,
        and where the chains of those accounts have their other objects."""
        written = self.targets()
        accounts = {a for a, _ in written}
        chains = [
            (c.account_id, r) for c in self.chains if c.account_id in accounts for r in c.regions
        ]
        return list(dict.fromkeys([*written, *chains]))

    def to_json(self) -> dict[str, Any]:
        return {
            "check_run_id": self.check_run_id,
            "benchmark": self.benchmark,
            "snapshot_ids": self.snapshot_ids,
            "created_at": self.created_at.isoformat(),
            "chains": [c.to_json() for c in self.chains],
            "steps": [s.to_json() for s in self.steps],
        }
