"""covers(): reordered/requoted/superset filters are covered; missing names, narrowing
conditions and '&&' for '||' are not, each with a real CloudTrail counterexample."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.patterns import Coverage, covers, equivalent, matches, parse, render

ALWAYS_PRESENT = [
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
]

# Written here by hand (not taken from the package) so the tests check the table.
SERVICE_OF = {
    "CreateTrail": {"cloudtrail.amazonaws.com"},
    "StopLogging": {"cloudtrail.amazonaws.com"},
    "DisableKey": {"kms.amazonaws.com"},
    "CreatePolicy": {"iam.amazonaws.com", "organizations.amazonaws.com", "iot.amazonaws.com"},
    "ConsoleLogin": {"signin.amazonaws.com"},
    "CreateRoute": {"ec2.amazonaws.com", "apigateway.amazonaws.com"},
    "PutBucketPolicy": {"s3.amazonaws.com"},
}


def assert_real_counterexample(cov: Coverage, actual: str, required: str) -> dict[str, Any]:
    assert not cov.covered
    assert cov.decided
    cex = cov.counterexample
    assert cex is not None
    assert matches(required, cex), "required must match the counterexample"
    assert not matches(actual, cex), "actual must miss the counterexample"
    for key in ALWAYS_PRESENT:
        assert key in cex, f"{key} missing from counterexample"
    ident = cex["userIdentity"]
    assert isinstance(ident, dict) and "type" in ident
    if cex["eventName"] in SERVICE_OF:
        assert cex["eventSource"] in SERVICE_OF[cex["eventName"]]
    if cex["eventType"] == "AwsServiceEvent":
        assert ident["type"] == "AWSService"
    assert (cex["eventType"] == "AwsConsoleSignIn") == (
        cex["eventSource"] == "signin.amazonaws.com"
    )
    assert cov.reason.startswith("misses ")
    return cex


def assert_not_covered(actual: str, required: str) -> dict[str, Any]:
    """``covers`` says no, with a real counterexample (returned)."""
    return assert_real_counterexample(covers(actual, required), actual, required)


def assert_covered(actual: str, required: str) -> None:
    cov = covers(actual, required)
    assert cov.covered, cov.reason
    assert cov.decided
    assert cov.counterexample is None


# --- variants that must be covered ------------------------------------------------------------


def _or_terms(text: str) -> list[str]:
    return re.findall(r"\(\$\.eventName\s*=\s*\"?(\w+)\"?\)", text)


LIST_TOPICS = [
    "iam_policy_changes",
    "cloudtrail_configuration_changes",
    "security_group_changes",
    "nacl_changes",
    "network_gateway_changes",
    "route_table_changes",
    "vpc_changes",
]


def _list_pattern(names: list[str], quote: bool = False, extra_parens: bool = False) -> str:
    q = '"' if quote else ""
    terms = [f"($.eventName = {q}{n}{q})" for n in names]
    if extra_parens:
        terms = [f"({t})" for t in terms]
    return "{ " + " || ".join(terms) + " }"


@pytest.mark.parametrize("topic", LIST_TOPICS)
def test_reordered_requoted_reparenthesised_and_superset_variants_are_covered(topic: str) -> None:
    required = CIS_PATTERNS[topic]
    names = _or_terms(required)
    assert len(names) >= 5
    assert_covered(_list_pattern(names[::-1], quote=True), required)
    assert_covered(_list_pattern(names, extra_parens=True), required)
    assert_covered(_list_pattern([*names, "DeleteBucket"]), required)
    assert_covered(_list_pattern(names).replace(" ", ""), required)
    assert equivalent(_list_pattern(names[::-1]), required)


@pytest.mark.parametrize("topic", LIST_TOPICS)
def test_a_missing_event_name_is_found(topic: str) -> None:
    required = CIS_PATTERNS[topic]
    names = _or_terms(required)
    for i, dropped in enumerate(names):
        actual = _list_pattern(names[:i] + names[i + 1 :])
        cov = covers(actual, required)
        cex = assert_real_counterexample(cov, actual, required)
        assert cex["eventName"] == dropped
        assert dropped in cov.reason


@pytest.mark.parametrize("topic", sorted(CIS_PATTERNS))
def test_every_cis_pattern_covers_itself_and_its_rendering(topic: str) -> None:
    required = CIS_PATTERNS[topic]
    assert_covered(required, required)
    assert_covered(render(parse(required)), required)


@pytest.mark.parametrize("topic", sorted(CIS_PATTERNS))
def test_extra_narrowing_condition_is_not_covered(topic: str) -> None:
    required = CIS_PATTERNS[topic]
    inner = required.strip()[1:-1]
    actual = "{ (" + inner + ') && $.awsRegion = "us-east-1" }'
    cex = assert_not_covered(actual, required)
    assert cex["awsRegion"] != "us-east-1"


def test_and_instead_of_or_is_not_covered() -> None:
    required = CIS_PATTERNS["cmk_disable_or_deletion"]
    actual = (
        "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKey) "
        "&& ($.eventName = ScheduleKeyDeletion) }"
    )
    cex = assert_not_covered(actual, required)
    assert cex["eventSource"] == "kms.amazonaws.com"
    assert cex["eventName"] in ("DisableKey", "ScheduleKeyDeletion")


def test_and_instead_of_or_in_trail_pattern() -> None:
    required = CIS_PATTERNS["cloudtrail_configuration_changes"]
    actual = required.replace("||", "&&")
    assert_not_covered(actual, required)


def test_misspelt_field_name_is_not_covered() -> None:
    required = CIS_PATTERNS["cloudtrail_configuration_changes"]
    actual = required.replace("$.eventName", "$.eventname")
    cex = assert_not_covered(actual, required)
    assert "eventname" not in cex


def test_event_name_fixes_the_service() -> None:
    # CreateTrail only comes from CloudTrail: pinning the source loses nothing
    required = "{ $.eventName = CreateTrail || $.eventName = StopLogging }"
    assert_covered("{ $.eventSource = cloudtrail.amazonaws.com }", required)
    assert_covered(
        "{ $.eventSource = cloudtrail.amazonaws.com && "
        "($.eventName = CreateTrail || $.eventName = StopLogging) }",
        required,
    )


def test_names_in_several_services() -> None:
    # CreatePolicy exists in IAM and Organizations (and IoT)
    required = CIS_PATTERNS["iam_policy_changes"]
    actual = "{ $.eventSource = iam.amazonaws.com && (" + required.strip()[1:-1] + ") }"
    cex = assert_not_covered(actual, required)
    assert cex["eventName"] in ("CreatePolicy", "DeletePolicy")
    assert cex["eventSource"] != "iam.amazonaws.com"
    # ...but with the source pinned, the organizations pattern is covered by a name list
    org = CIS_PATTERNS["organizations_changes"]
    names = re.findall(r'"(\w+)"\)', org)
    assert_covered(_list_pattern(names), org)
    assert not covers(org, _list_pattern(names)).covered


def test_route_table_audit_and_remediation_texts() -> None:
    plain = CIS_PATTERNS["route_table_changes"]
    audit = CIS_PATTERNS["route_table_changes_v3_audit"]
    assert_covered(plain, audit)
    cex = assert_not_covered(audit, plain)
    assert cex["eventName"] == "CreateRoute"
    assert cex["eventSource"] == "apigateway.amazonaws.com"


def test_unauthorized_api_calls_versions() -> None:
    v12 = CIS_PATTERNS["unauthorized_api_calls_v1_2"]
    v2 = CIS_PATTERNS["unauthorized_api_calls"]
    erratum = CIS_PATTERNS["unauthorized_api_calls_v1_3_erratum"]
    assert_covered(v12, v2)
    cex = assert_not_covered(v2, v12)
    assert cex["errorCode"].startswith("AccessDenied")
    assert_covered(erratum, v2)
    assert_not_covered(v2, erratum)


def test_wildcards() -> None:
    required = '{ $.errorCode = "*Denied*" }'
    actual = '{ $.errorCode = "AccessDenied*" }'
    cex = assert_not_covered(actual, required)
    assert "Denied" in cex["errorCode"] and not cex["errorCode"].startswith("AccessDenied")
    assert_covered(required, actual)
    assert_covered('{ $.errorCode = "*" }', required)
    assert_covered(
        CIS_PATTERNS["unauthorized_api_calls_v1_2"], '{ $.errorCode = "AccessDeniedException" }'
    )
    assert_covered('{ $.errorCode = "Access*" }', '{ $.errorCode = "AccessDenied*" }')
    assert_covered(
        '{ $.errorCode = "*Denied" || $.errorCode = "*Exception" }',
        '{ $.errorCode = "*DeniedException" }',
    )


def test_root_usage_is_judged_over_real_events() -> None:
    required = CIS_PATTERNS["root_account_usage"]
    # a Root identity never makes service events, so the third clause adds nothing
    assert equivalent(
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', required
    )
    assert_covered('{ $.userIdentity.type = "Root" }', required)
    actual = '{ $.userIdentity.type = "Root" && $.eventType = "AwsApiCall" }'
    cex = assert_not_covered(actual, required)
    assert cex["userIdentity"]["type"] == "Root"
    assert cex["eventType"] in ("AwsConsoleAction", "AwsConsoleSignIn")


def test_console_signin_variants() -> None:
    plain = CIS_PATTERNS["console_signin_without_mfa"]
    sso = CIS_PATTERNS["console_signin_without_mfa_sso"]
    assert_covered(plain, sso)
    cex = assert_not_covered(sso, plain)
    assert cex["eventName"] == "ConsoleLogin"
    # MFAUsed is documented as "Yes" or "No": for real events these are the same filter
    assert equivalent(
        '{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }', plain
    )
    actual = '{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed NOT EXISTS }'
    cex = assert_not_covered(actual, plain)
    assert cex["additionalEventData"]["MFAUsed"] == "No"


def test_numbers_compare_numerically() -> None:
    required = "{ $.requestParameters.maxResults > 10 }"
    assert_covered("{ $.requestParameters.maxResults > 5 }", required)
    actual = "{ $.requestParameters.maxResults >= 10 }"
    assert_covered(actual, required)
    cex = assert_not_covered(required, actual)
    assert cex["requestParameters"]["maxResults"] == 10


def test_null_absent_and_objects() -> None:
    assert_covered(
        "{ $.requestParameters IS NULL || $.requestParameters.bucketName = * }",
        "{ $.requestParameters IS NULL }",
    )
    actual = "{ $.requestParameters.bucketName = * }"
    required = "{ $.eventName = PutBucketPolicy }"
    cex = assert_not_covered(actual, required)
    assert cex["eventSource"] == "s3.amazonaws.com"


def test_match_all_and_broader() -> None:
    required = CIS_PATTERNS["cloudtrail_configuration_changes"]
    cov = covers("", required)
    assert cov.covered and cov.decided
    assert cov.broader is not None
    assert not matches(required, cov.broader)
    cov = covers("{ $.eventName = * }", required)
    assert cov.covered and cov.broader is not None
    assert matches("{ $.eventName = * }", cov.broader)
    assert not matches(required, cov.broader)
    assert_not_covered(required, "")
    assert covers(required, required).broader is None


def test_regex_values_are_exact_when_a_counterexample_exists_else_undecided() -> None:
    required = "{ $.eventName = StopLogging }"
    assert_not_covered("{ $.eventName = %^Create% }", required)
    cov = covers("{ $.eventName = %Logg[a-z]ng$% }", required)
    assert not cov.covered and not cov.decided
    assert cov.counterexample is None
    assert "regex" in cov.reason


def test_literal_regexes_are_judged_exactly() -> None:
    both = "{ $.eventName = StopLogging || $.eventName = CreateTrail }"
    assert_covered("{ $.eventName = %Logging$% }", "{ $.eventName = StopLogging }")
    assert_covered("{ $.eventName = %^Stop|Trail% }", both)
    assert_covered("{ $.eventName != %Trail% }", "{ $.eventName = StopLogging }")
    actual = "{ $.eventName = %^Trail% }"
    cex = assert_not_covered(actual, both)
    assert cex["eventName"] in ("StopLogging", "CreateTrail")


def test_text_pattern_filters() -> None:
    required = "{ $.eventName = StopLogging }"
    assert_not_covered("CreateTrail", required)
    # every StopLogging record carries the term: decided (was "undecided" before terms
    # were judged); a regex filter is still only tried on samples
    assert_covered("StopLogging", required)
    cov = covers("%Stop[L]ogging%", required)
    assert not cov.covered and not cov.decided


def test_wildcard_selectors_are_undecided_without_a_counterexample() -> None:
    required = '{ $.resources[0].type = "AWS::S3::Bucket" }'
    cov = covers('{ $.resources[*].type = "AWS::S3::Bucket" }', required)
    assert not cov.covered
    assert not cov.decided


def test_index_selectors_are_exact() -> None:
    required = '{ $.resources[1].type = "AWS::S3::Bucket" }'
    actual = '{ $.resources[0].type = "AWS::S3::Bucket" }'
    cex = assert_not_covered(actual, required)
    assert cex["resources"][1]["type"] == "AWS::S3::Bucket"


def test_impossible_required_pattern_is_covered_by_anything() -> None:
    assert_covered('{ $.eventName = "x" }', '{ $.eventName = "a" && $.eventName = "b" }')
    assert_covered('{ $.eventName = "x" }', "{ $.eventName NOT EXISTS }")  # always present
