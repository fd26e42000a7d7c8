"""The read before a write (fix.probes), without AWS: one read per step."""

from __future__ import annotations

from typing import Any

from watchkeeper.fix.plan import ONE_EVENT_ALARM
from watchkeeper.fix.probes import write_params
from watchkeeper.fix.steps import Step

TOPIC = "arn:aws:sns:us-east-1:111111111111:alerts"
WANT = {
    **ONE_EVENT_ALARM,
    "AlarmName": "root-alarm",
    "MetricName": "root",
    "Namespace": "CIS",
    "AlarmActions": [TOPIC],
}


class CloudWatch:
    def __init__(self, alarm: dict[str, Any] | None) -> None:
        self.alarm, self.reads = alarm, 0

    def describe_alarms(self, **_: Any) -> dict[str, Any]:
        self.reads += 1
        return {"MetricAlarms": [self.alarm] if self.alarm else []}


def _step(changes_existing: bool) -> Step:
    return Step(
        1,
        "111111111111",
        "us-east-1",
        "put_alarm",
        "alarm_notifies_topic",
        "p",
        WANT,
        "root-alarm",
        changes_existing,
    )


def test_a_repair_reads_the_alarm_once_and_keeps_its_other_settings() -> None:
    have = {**WANT, "AlarmActions": [], "AlarmDescription": "mine", "OKActions": [TOPIC]}
    cw = CloudWatch(have)
    why, params = write_params(_step(True), cw)
    assert why is None and cw.reads == 1
    assert params == {**WANT, "AlarmDescription": "mine", "OKActions": [TOPIC]}


def test_an_alarm_already_so_needs_no_write() -> None:
    cw = CloudWatch({**WANT, "AlarmActions": [TOPIC, "arn:other"]})
    assert write_params(_step(True), cw) == ("alarm already so", WANT) and cw.reads == 1


def test_a_new_alarm_is_written_as_planned() -> None:
    cw = CloudWatch(None)
    assert write_params(_step(False), cw) == (None, WANT) and cw.reads == 1
