"""Term and space-delimited filters judged against a JSON required pattern: a named table
of scenarios, each decided exactly, every counterexample re-checked with ``matches``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from watchkeeper.patterns import covers, matches

TRAIL_INTENT = (
    "{ $.eventSource = cloudtrail.amazonaws.com && ($.eventName = CreateTrail || "
    "$.eventName = UpdateTrail || $.eventName = DeleteTrail || $.eventName = StartLogging || "
    "$.eventName = StopLogging) }"
)
STOP = "{ $.eventName = StopLogging }"
ALL_FIVE = "?CreateTrail ?UpdateTrail ?DeleteTrail ?StartLogging ?StopLogging"


@dataclass(frozen=True)
class Case:
    name: str
    filter: str
    required: str
    covered: bool
    missed_event: str | None = None  # the counterexample's eventName, when it matters
    user_agent_has: str | None = None  # a term the counterexample's caller sent


CASES = [
    Case("or-terms of the five trail events cover", ALL_FIVE, TRAIL_INTENT, True),
    Case(
        "or-terms in another order cover",
        "?StopLogging ?StartLogging ?DeleteTrail ?UpdateTrail ?CreateTrail",
        TRAIL_INTENT,
        True,
    ),
    Case(
        "or-terms missing StopLogging name it",
        "?CreateTrail ?UpdateTrail ?DeleteTrail ?StartLogging",
        TRAIL_INTENT,
        False,
        missed_event="StopLogging",
    ),
    Case("part of a word is not a term", "?Trail ?Logging", TRAIL_INTENT, False),
    Case("terms are case-sensitive", ALL_FIVE.lower(), TRAIL_INTENT, False),
    Case(
        "a quoted key-value phrase is one term",
        '"\\"eventSource\\":\\"cloudtrail.amazonaws.com\\""',
        TRAIL_INTENT,
        True,
    ),
    Case("a quoted service name", '"cloudtrail.amazonaws.com"', TRAIL_INTENT, True),
    Case("a word of the service name", "cloudtrail", TRAIL_INTENT, True),
    Case("a key every record has", "eventName", STOP, True),
    Case(
        "an exclusion lets the caller's text hide the event",
        ALL_FIVE + " -Describe",
        TRAIL_INTENT,
        False,
        user_agent_has="Describe",
    ),
    Case(
        "a quoted exclusion",
        '?StopLogging -"dry run"',
        STOP,
        False,
        missed_event="StopLogging",
        user_agent_has="dry run",
    ),
    Case("and of two terms every record carries", "StopLogging cloudtrail", STOP, True),
    Case(
        "and with a term only some records carry",
        "StopLogging IAMUser",
        STOP,
        False,
        missed_event="StopLogging",
    ),
    Case(
        "and of two event names matches neither alone",
        "StopLogging CreateTrail",
        TRAIL_INTENT,
        False,
    ),
    Case(
        "?-terms next to a plain term are ignored", "StopLogging ?CreateTrail", TRAIL_INTENT, False
    ),
    Case("a free-text word is not guaranteed", "east", STOP, False, missed_event="StopLogging"),
    # Found by the property test: a condition on the region (any value) made the search fix
    # it to its first realistic value, us-east-1, which carried the term in every branch.
    Case(
        "a word in a field the required pattern conditions",
        "east",
        "{ $.eventName = StopLogging && $.awsRegion = * }",
        False,
        missed_event="StopLogging",
    ),
    Case("… but not when the condition fixes it", "east", '{ $.awsRegion = "us-east-1" }', True),
    Case(
        "… nor a glob only the word's regions fit",
        "east",
        '{ $.eventName = StopLogging && $.awsRegion = "*-east-*" }',
        True,
    ),
    Case("space-delimited: any number of fields", "[...]", TRAIL_INTENT, True),
    Case("space-delimited: one field and the rest", "[line, ...]", TRAIL_INTENT, True),
    Case("space-delimited: two fields need a blank", "[a, b, ...]", TRAIL_INTENT, False),
    Case("space-delimited: exactly one field", "[line]", TRAIL_INTENT, False),
    Case(
        "space-delimited: some field holds a name",
        "[..., f = *Logging* || f = *Trail*, ...]",
        TRAIL_INTENT,
        True,
    ),
    Case(
        "space-delimited: some field holds a name, one missing",
        "[..., f = *Logging*, ...]",
        TRAIL_INTENT,
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_text_filter_scenarios(case: Case) -> None:
    cov = covers(case.filter, case.required)
    assert cov.decided, cov.reason
    assert cov.covered == case.covered, cov.reason
    if case.covered:
        assert cov.counterexample is None
        return
    cex = cov.counterexample
    assert cex is not None
    assert matches(case.required, cex) and not matches(case.filter, cex)
    if case.missed_event:
        assert cex["eventName"] == case.missed_event
        assert case.missed_event in cov.reason
    if case.user_agent_has:
        assert case.user_agent_has in cex["userAgent"]
        assert "userAgent" in cov.reason


def test_terms_match_whole_terms_only() -> None:
    line = '{"eventName":"StopLogging","userAgent":"ERRORS [ERROR 400] x_y"}'
    assert matches("StopLogging", line) and matches("ERROR", line)
    assert not matches("Logging", line) and not matches("Stop", line)
    assert not matches("x", line) and matches('"400] x_y"', line)
    assert matches('"eventName"', line) and not matches("eventNam", line)
