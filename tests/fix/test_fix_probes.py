"""The read before a write (fix.probes) against moto, through the fault proxy whose request
log counts the calls: a put_alarm step reads the alarm once, whether it repairs, skips or
creates it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from watchkeeper.fix.plan import ONE_EVENT_ALARM
from watchkeeper.fix.probes import write_params
from watchkeeper.fix.steps import Step

R = "us-east-1"
TOPIC = f"arn:aws:sns:{R}:{DEFAULT_ACCOUNT}:alerts"
OTHER = f"arn:aws:sns:{R}:{DEFAULT_ACCOUNT}:other"
WANT: dict[str, Any] = {
    **ONE_EVENT_ALARM,
    "AlarmName": "root-alarm",
    "MetricName": "root",
    "Namespace": "CIS",
    "AlarmActions": [TOPIC],
}

# name: (the alarm in the account or None, the step repairs an existing alarm,
#        expected (why no write, the write's arguments))
SCENARIOS: dict[str, tuple[dict[str, Any] | None, bool, tuple[str | None, dict[str, Any]]]] = {
    "a repair keeps the user's other settings": (
        {**WANT, "AlarmActions": [], "AlarmDescription": "mine", "OKActions": [TOPIC]},
        True,
        (None, {**WANT, "AlarmDescription": "mine", "OKActions": [TOPIC]}),
    ),
    "an alarm already so needs no write": (
        {**WANT, "AlarmActions": [TOPIC, OTHER]},
        True,
        ("alarm already so", WANT),
    ),
    "a new alarm is written as planned": (None, False, (None, WANT)),
}


@pytest.mark.parametrize(("have", "repair", "expected"), SCENARIOS.values(), ids=SCENARIOS)
def test_put_alarm_reads_the_alarm_once(
    estate: Estate,
    proxy: FaultProxy,
    have: dict[str, Any] | None,
    repair: bool,
    expected: tuple[str | None, dict[str, Any]],
) -> None:
    if have is not None:
        estate.account().client("cloudwatch", R).put_metric_alarm(**have)  # seeded past the proxy
    client = estate.session().client("cloudwatch", region_name=R, endpoint_url=proxy.url)
    step = Step(
        1, DEFAULT_ACCOUNT, R, "put_alarm", "alarm_notifies_topic", "p", WANT, "root-alarm", repair
    )
    assert write_params(step, client) == expected
    assert proxy.operations("cloudwatch") == ["DescribeAlarms"]
