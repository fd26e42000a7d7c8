"""The collector's progress as its reporter sees it: the total counts both visits of each
account × region (resources, then SNS topics), so the bar reaches its end only when the
SNS phase has too, and the SNS visits report their topic and subscription counts."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.progress import LogReporter

OTHER = "210987654321"
_LINE = re.compile(r"\[(\d+)/(\d+)\] (\w+) (\d{12}) ([a-z0-9-]+): (.*); (\d+) error\(s\)")

# id, accounts collected, is the second account's role refused, regions, units expected
# (account × region × 2 visits, only for accounts that could be entered)
SCENARIOS: list[tuple[str, tuple[str, ...], bool, tuple[str, ...], int]] = [
    ("one account, two regions", (DEFAULT_ACCOUNT,), False, ("us-east-1", "eu-west-1"), 4),
    ("two accounts", (DEFAULT_ACCOUNT, OTHER), False, ("us-east-1",), 4),
    ("second account's role refused", (DEFAULT_ACCOUNT, OTHER), True, ("us-east-1",), 2),
]


@pytest.mark.parametrize(
    ("accounts", "refused", "regions", "units"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_progress_total_includes_the_sns_phase(
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    accounts: tuple[str, ...],
    refused: bool,
    regions: tuple[str, ...],
    units: int,
):
    estate.account().chain()  # one topic with one confirmed subscriber, us-east-1
    if refused:
        proxy.add(Rule("sts", "AssumeRole", status=403, code="AccessDenied"))
    stream = io.StringIO()
    reporter = LogReporter(stream)
    request = CollectRequest(
        db=db,
        accounts=accounts,
        role_name="reader",
        regions=regions,
        aws=AwsOptions(endpoint_url=proxy.url, max_attempts=2),
    )
    collect(request, reporter)

    assert (reporter.done, reporter.total) == (units, units)
    lines = stream.getvalue().splitlines()
    progress = [m for line in lines if (m := _LINE.search(line))]
    assert len(progress) == units
    # Never past the total, and the SNS visits come after every resource visit.
    assert all(int(m[1]) <= int(m[2]) for m in progress)
    phases = [m[3] for m in progress]
    assert phases == sorted(phases, key=["resources", "sns"].index)
    assert phases.count("sns") == units // 2
    sns = {(m[4], m[5]): m[6] for m in progress if m[3] == "sns"}
    assert sns[(DEFAULT_ACCOUNT, "us-east-1")] == "1 sns_topic, 1 sns_topic_subscription"
    # The phase is announced once, with its unit count.
    (announced,) = [line for line in lines if "sns: topics and subscribers" in line]
    assert announced.endswith(f"of {units // 2} account/region(s)")
