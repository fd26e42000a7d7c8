"""The IAM actions `fix --apply` uses: the fixer role's policy, and the guard that holds the
fixer's clients to exactly these actions.

The write actions come from the steps' table (steps.ACTIONS): the policy cannot list an
action no step takes, nor miss one a step does. The reads are the checks that make apply
idempotent (is it already so?) and carry an alarm's other settings over.
"""

from __future__ import annotations

import json

from watchkeeper.fix.steps import ACTIONS

WRITE_ACTIONS: dict[str, tuple[str, ...]] = {}
for _service, _operation in ACTIONS.values():
    if _operation not in WRITE_ACTIONS.get(_service, ()):
        WRITE_ACTIONS[_service] = (*WRITE_ACTIONS.get(_service, ()), _operation)

READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("DescribeTrails", "GetTrailStatus", "GetEventSelectors"),
    "logs": ("DescribeLogGroups", "DescribeMetricFilters"),
    "cloudwatch": ("DescribeAlarms",),
    "sns": ("GetTopicAttributes", "ListSubscriptionsByTopic"),
}
# Called by the fixer but never denied by IAM (who am I), or needed only to get in.
UNGATED = frozenset({("sts", "GetCallerIdentity"), ("sts", "AssumeRole")})


def allowed(service: str, operation: str) -> bool:
    return (
        operation in WRITE_ACTIONS.get(service, ())
        or operation in READ_ACTIONS.get(service, ())
        or (service, operation) in UNGATED
    )


def _actions(table: dict[str, tuple[str, ...]]) -> list[str]:
    return sorted(f"{svc}:{op}" for svc, ops in table.items() for op in ops)


def write_actions() -> list[str]:
    return _actions(WRITE_ACTIONS)


def fixer_policy() -> str:
    """The identity policy for the fixer role (`--role-name` of `fix --apply`)."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WatchkeeperFixMonitoringChain",
                "Effect": "Allow",
                "Action": write_actions(),
                "Resource": "*",
            },
            {
                "Sid": "WatchkeeperFixReadBeforeWrite",
                "Effect": "Allow",
                "Action": _actions(READ_ACTIONS),
                "Resource": "*",
            },
            {
                # UpdateTrail with --logs-role-arn hands that role to CloudTrail.
                "Sid": "WatchkeeperFixPassLogsRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "cloudtrail.amazonaws.com"}},
            },
        ],
    }
    return json.dumps(doc, indent=2)
