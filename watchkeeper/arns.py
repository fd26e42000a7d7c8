"""ARN fields. The chain crosses accounts and regions by ARN (an alarm naming another
account's topic, an organization trail owned by the management account), so the collector,
the verdicts, the findings and the fixer all read the same fields from one parser."""

from __future__ import annotations

from typing import NamedTuple


class Arn(NamedTuple):
    partition: str
    service: str
    region: str
    account: str
    resource: str  # everything after the account, colons included


def parse_arn(text: str) -> Arn | None:
    """The fields of ``arn:partition:service:region:account:resource``; None otherwise."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def topic_location(text: str) -> tuple[str, str] | None:
    """(account, region) of an SNS topic ARN, None for anything else (an alarm action may
    also be an Auto Scaling policy, an EC2 action or an SSM incident plan)."""
    arn = parse_arn(text)
    if arn is None or arn.service != "sns" or ":" in arn.resource:
        return None
    return arn.account, arn.region
