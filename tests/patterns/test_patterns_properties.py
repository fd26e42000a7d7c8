"""Property tests: rendering round-trips, covers() is sound on random events, and the
parser only ever raises FilterPatternError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.patterns import FilterPatternError, covers, matches, parse, render
from watchkeeper.patterns.ast import (
    And,
    Compare,
    CompareOp,
    Expr,
    FieldCond,
    FieldOr,
    Index,
    JsonPattern,
    Key,
    Num,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    Slot,
    SpacePattern,
    Str,
    Term,
    TermPattern,
    Test,
    TestOp,
)

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# --- generators -------------------------------------------------------------------------------

# field paths that matter for CloudTrail, plus a misspelt and a free-form one
PATHS: list[tuple[str | int, ...]] = [
    ("eventName",),
    ("eventSource",),
    ("errorCode",),
    ("eventType",),
    ("userIdentity", "type"),
    ("userIdentity", "invokedBy"),
    ("additionalEventData", "MFAUsed"),
    ("sourceIPAddress",),
    ("awsRegion",),
    ("readOnly",),
    ("requestParameters",),
    ("requestParameters", "n"),
    ("requestParameters", "s"),
    ("eventname",),
]
WORDS = [
    "CreateTrail",
    "StopLogging",
    "CreatePolicy",
    "DeletePolicy",
    "ConsoleLogin",
    "CreateRoute",
    "DisableKey",
    "cloudtrail.amazonaws.com",
    "iam.amazonaws.com",
    "organizations.amazonaws.com",
    "ec2.amazonaws.com",
    "signin.amazonaws.com",
    "kms.amazonaws.com",
    "AccessDenied",
    "Root",
    "IAMUser",
    "AWSService",
    "AwsServiceEvent",
    "AwsApiCall",
    "AwsConsoleSignIn",
    "Yes",
    "No",
    "us-east-1",
    "true",
]


def str_values() -> st.SearchStrategy[Str]:
    word = st.sampled_from(WORDS)
    cut = st.builds(lambda w, k: w[: max(1, len(w) - k)], word, st.integers(0, 6))
    glob = st.one_of(
        word,
        cut.map(lambda w: w + "*"),
        word.map(lambda w: "*" + w[len(w) // 2 :]),
        word.map(lambda w: "*" + w[2:5] + "*"),
        st.just("*"),
    )
    return st.builds(Str, glob, st.booleans())


def values() -> st.SearchStrategy[Str | Num]:
    nums = st.integers(-3, 12).map(lambda n: Num(str(n)))
    return st.one_of(str_values(), nums)


REGEXES = ["Trail", "^Create", "Logging$", "^Stop|Trail$", "[A-Z]ail", "^Aws.*Event$", "1"]


def selectors() -> st.SearchStrategy[Selector]:
    return st.sampled_from(PATHS).map(
        lambda path: Selector(tuple(Key(p) if isinstance(p, str) else Index(p) for p in path))
    )


def combined(leaves: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    """Trees of '&&' and '||' over ``leaves``."""
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
            st.lists(kids, min_size=2, max_size=4).map(lambda xs: Or(tuple(xs))),
        ),
        max_leaves=6,
    )


@st.composite
def conditions_rx(draw: st.DrawFn) -> Expr:
    if draw(st.integers(0, 4)) > 0:
        return draw(conditions())
    selector = draw(selectors())
    op: CompareOp = draw(st.sampled_from(["=", "!="]))
    return Compare(selector, op, Regex(draw(st.sampled_from(REGEXES))))


def _regex_count(e: Expr) -> int:
    if isinstance(e, And | Or):
        return sum(_regex_count(x) for x in e.items)
    return int(isinstance(e, Compare) and isinstance(e.value, Regex))


json_patterns_rx = combined(conditions_rx()).filter(lambda e: _regex_count(e) <= 2).map(JsonPattern)


@st.composite
def conditions(draw: st.DrawFn) -> Expr:
    selector = draw(selectors())
    if draw(st.integers(0, 5)) == 0:
        test_op: TestOp = draw(st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]))
        return Test(selector, test_op)
    value = draw(values())
    op: CompareOp
    if isinstance(value, Num):
        op = draw(st.sampled_from(["=", "!=", "<", ">", "<=", ">="]))
    else:
        op = draw(st.sampled_from(["=", "=", "!="]))
    return Compare(selector, op, value)


json_patterns = combined(conditions()).map(JsonPattern)

_BARE = st.text(st.sampled_from("abcXYZ09_.:/"), min_size=1, max_size=6).filter(
    lambda s: s[0] not in "0123456789." and s != "..."
)


@st.composite
def other_patterns(draw: st.DrawFn) -> Pattern:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        terms = draw(
            st.lists(
                st.one_of(
                    st.builds(Term, _BARE, st.sampled_from(["all", "any", "not"]), st.just(False)),
                    st.builds(
                        Term,
                        st.text('ab c"\\', min_size=1, max_size=5),
                        st.sampled_from(["all", "any", "not"]),
                        st.just(True),
                    ),
                ),
                min_size=1,
                max_size=4,
            )
        )
        return TermPattern(tuple(terms))
    if kind == 1:
        names = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4))
        slots = []
        for n in names:
            if draw(st.booleans()):
                slots.append(Slot("..."))
            conds = [
                FieldCond(n, draw(st.sampled_from(["=", "!="])), draw(values()))
                for _ in range(draw(st.integers(0, 2)))
            ]
            if not conds:
                slots.append(Slot(n))
            else:
                slots.append(Slot(n, conds[0] if len(conds) == 1 else FieldOr(tuple(conds))))
        return SpacePattern(tuple(slots))
    body = draw(st.text(st.sampled_from("abc019.^$|"), min_size=1, max_size=8))
    return RegexPattern(Regex(body))


# --- CloudTrail events, written independently of the package's tables -----------------------

EVENTS: list[tuple[str, str]] = [
    ("CreateTrail", "cloudtrail.amazonaws.com"),
    ("StopLogging", "cloudtrail.amazonaws.com"),
    ("DescribeTrails", "cloudtrail.amazonaws.com"),
    ("CreatePolicy", "iam.amazonaws.com"),
    ("CreatePolicy", "organizations.amazonaws.com"),
    ("DeletePolicy", "organizations.amazonaws.com"),
    ("CreateRoute", "ec2.amazonaws.com"),
    ("CreateRoute", "apigateway.amazonaws.com"),
    ("DisableKey", "kms.amazonaws.com"),
    ("Decrypt", "kms.amazonaws.com"),
    ("RunInstances", "ec2.amazonaws.com"),
    ("AssumeRole", "sts.amazonaws.com"),
]


@st.composite
def cloudtrail_events(draw: st.DrawFn) -> dict[str, Any]:
    signin = draw(st.integers(0, 4)) == 0
    if signin:
        name, source, etype = "ConsoleLogin", "signin.amazonaws.com", "AwsConsoleSignIn"
        itype = draw(st.sampled_from(["IAMUser", "Root", "AssumedRole"]))
    else:
        name, source = draw(st.sampled_from(EVENTS))
        itype = draw(st.sampled_from(["IAMUser", "Root", "AssumedRole", "AWSService"]))
        etype = (
            draw(st.sampled_from(["AwsServiceEvent", "AwsApiCall"]))
            if itype == "AWSService"
            else draw(st.sampled_from(["AwsApiCall", "AwsConsoleAction"]))
        )
    ident: dict[str, Any] = {"type": itype, "accountId": "123456789012"}
    if itype == "AWSService" or draw(st.integers(0, 3)) == 0:
        ident["invokedBy"] = draw(st.sampled_from(["AWS Internal", "ec2.amazonaws.com"]))
    ev: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": ident,
        "eventTime": "2024-01-01T00:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        "sourceIPAddress": draw(st.sampled_from(["203.0.113.1", "delivery.logs.amazonaws.com"])),
        "userAgent": "agent",
        "requestParameters": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "n": st.one_of(st.integers(-4, 14), st.sampled_from(WORDS), st.none()),
                        "s": st.one_of(st.sampled_from(WORDS), st.booleans()),
                    },
                ),
            )
        ),
        "responseElements": None,
        "requestID": "r",
        "eventID": "e",
        "readOnly": name.startswith("Describe"),
        "eventType": etype,
        "managementEvent": True,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
    }
    if draw(st.booleans()):
        ev["errorCode"] = draw(
            st.sampled_from(
                ["AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation"]
            )
        )
    if signin and draw(st.integers(0, 3)) > 0:
        ev["additionalEventData"] = {"MFAUsed": draw(st.sampled_from(["Yes", "No"]))}
    return ev


# --- properties ------------------------------------------------------------------------------


@FAST
@given(st.one_of(json_patterns, other_patterns()))
def test_render_then_parse_is_identity(p: Pattern) -> None:
    assert parse(render(p)) == p


@settings(FAST, max_examples=200)
@given(json_patterns_rx, json_patterns_rx, st.lists(cloudtrail_events(), min_size=1, max_size=8))
def test_covers_is_sound_and_counterexamples_are_real(
    actual: JsonPattern, required: JsonPattern, events: list[dict[str, Any]]
) -> None:
    cov = covers(actual, required)
    if cov.covered:
        for ev in events:
            assert not (matches(required, ev) and not matches(actual, ev)), (
                render(actual),
                render(required),
                json.dumps(ev),
            )
    elif not cov.decided:
        # only non-literal regexes and numbers-vs-strings are left undecided here
        assert "numbers and strings" in cov.reason or "regex" in cov.reason
        assert cov.counterexample is None
    else:
        assert cov.counterexample is not None
        assert matches(required, cov.counterexample)
        assert not matches(actual, cov.counterexample)
    if cov.broader is not None:
        assert matches(actual, cov.broader) and not matches(required, cov.broader)


@FAST
@given(json_patterns, st.lists(cloudtrail_events(), min_size=1, max_size=5))
def test_a_pattern_covers_itself_and_its_or_with_anything(
    p: JsonPattern, events: list[dict[str, Any]]
) -> None:
    assert covers(p, p).covered
    wider = JsonPattern(Or((p.expr, Compare(Selector((Key("awsRegion"),)), "=", Str("x")))))
    cov = covers(wider, p)
    assert cov.covered or (not cov.decided and "numbers and strings" in cov.reason)
    for ev in events:
        assert matches(p, ev) == matches(p, json.dumps(ev))


PATTERN_ALPHABET = st.sampled_from([*"{}[]()$.*=!<>&|\"'% ?-,\\abAZ019", "IS ", "NOT "])


@settings(max_examples=400, deadline=None, database=None)
@given(st.one_of(st.text(max_size=60), st.lists(PATTERN_ALPHABET, max_size=40).map("".join)))
def test_parser_only_raises_filter_pattern_error(text: str) -> None:
    try:
        p = parse(text)
    except FilterPatternError as exc:
        assert exc.position >= 1
        return
    # whatever parses must render, re-parse to itself and evaluate without crashing
    assert parse(render(p)) == p
    matches(p, 'some message {"a": 1}')
    matches(p, {"a": [1, {"b": None}], "c": "x"})


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(st.sampled_from("ab.*+?[]{},0-9^$|\\dws"), min_size=1, max_size=12))
def test_regex_compilation_never_hangs_or_crashes(body: str) -> None:
    try:
        p = parse("%" + body + "%")
    except FilterPatternError:
        return
    assert isinstance(matches(p, "ab" * 200 + "x"), bool)


@settings(max_examples=400, deadline=None, database=None)
@given(
    st.lists(st.sampled_from([*"ab.*+?[]{},-029^$|", "\\d", "\\w", "\\s", "\\."]), max_size=10).map(
        "".join
    ),
    st.text(st.sampled_from("ab 9.-,x"), max_size=12),
)
def test_regex_agrees_with_python_re_on_the_common_subset(body: str, text: str) -> None:
    import re
    import warnings

    try:
        p = parse("%" + body + "%")
    except FilterPatternError:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set"
            expected = re.search(body, text) is not None
    except re.error:
        return
    assert matches(p, text) is expected, (body, text)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(st.sampled_from(["a", "b", "ab", "^", "$", "|", "\\.", "."]), max_size=6).map("".join),
    st.text(st.sampled_from("ab."), max_size=6),
)
def test_literal_regexes_equal_their_wildcard_form(body: str, text: str) -> None:
    from watchkeeper.patterns.match import glob_match
    from watchkeeper.patterns.regex import as_globs, compile_regex

    try:
        rx = compile_regex(body)
    except FilterPatternError:
        return
    globs = as_globs(rx)
    if globs is None:
        return
    assert any(glob_match(g, text) for g in globs) == rx.search(text), (body, text, globs)


# --- term and space-delimited filters against JSON required patterns ------------------------

TERM_WORDS = [
    "CreateTrail",
    "StopLogging",
    "CreatePolicy",
    "CreateRoute",
    "ConsoleLogin",
    "cloudtrail",
    "amazonaws",
    "organizations",
    "ec2.amazonaws.com",
    "Root",
    "IAMUser",
    "AccessDenied",
    "eventName",
    "true",
    "east",
    "Trail",
    "agent",
    '"eventName":"StopLogging"',
]


@st.composite
def term_filters(draw: st.DrawFn) -> Pattern:
    if draw(st.integers(0, 4)) == 0:
        words = draw(st.lists(st.sampled_from(TERM_WORDS[:8]), min_size=1, max_size=2))
        slots = [Slot("...")]
        slots.append(Slot("f", FieldOr(tuple(FieldCond("f", "=", Str(f"*{w}*")) for w in words))))
        return SpacePattern((*slots, Slot("...")))
    terms = draw(
        st.lists(
            st.builds(
                Term,
                st.sampled_from(TERM_WORDS),
                st.sampled_from(["all", "any", "any", "not"]),
                st.just(True),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return TermPattern(tuple(terms))


@settings(FAST, max_examples=60)
@given(term_filters(), json_patterns, st.lists(cloudtrail_events(), min_size=1, max_size=8))
def test_text_filters_covers_agrees_with_matches(
    actual: Pattern, required: JsonPattern, events: list[dict[str, Any]]
) -> None:
    cov = covers(actual, required)
    if cov.covered:
        for ev in events:
            # the events are seen as CloudTrail delivers them: one compact JSON line
            line = json.dumps(ev, separators=(",", ":"))
            assert not (matches(required, line) and not matches(actual, line)), (
                render(actual),
                render(required),
                line,
            )
    elif cov.decided:
        assert cov.counterexample is not None
        assert matches(required, cov.counterexample)
        assert not matches(actual, cov.counterexample)
    else:
        assert cov.counterexample is None
