"""ARN fields as the chain reads them: which alarm actions are topics, and where they live."""

from __future__ import annotations

import pytest

from watchkeeper.arns import parse_arn, topic_location

CASES = {
    "topic": ("arn:aws:sns:eu-west-1:111122223333:alerts", ("111122223333", "eu-west-1")),
    "gov-cloud topic": ("arn:aws-us-gov:sns:us-gov-west-1:1:t", ("1", "us-gov-west-1")),
    # A subscription ARN has the topic name and a subscription id after the account.
    "subscription": ("arn:aws:sns:us-east-1:1:alerts:5f1e-11", None),
    "auto scaling policy": (
        "arn:aws:autoscaling:us-east-1:1:scalingPolicy:abc:autoScalingGroupName/g:policyName/p",
        None,
    ),
    "ec2 action": ("arn:aws:automate:us-east-1:ec2:stop", None),
    "not an arn": ("alerts", None),
    "empty": ("", None),
}


@pytest.mark.parametrize("text, place", CASES.values(), ids=CASES.keys())
def test_topic_location(text: str, place: tuple[str, str] | None) -> None:
    assert topic_location(text) == place


def test_resource_keeps_its_colons() -> None:
    arn = parse_arn("arn:aws:logs:us-east-1:1:log-group:/aws/ct:*")
    assert arn is not None
    assert (arn.service, arn.region, arn.account) == ("logs", "us-east-1", "1")
    assert arn.resource == "log-group:/aws/ct:*"
