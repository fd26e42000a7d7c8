"""Matching: AWS's documented examples, the CIS patterns on hand-written records, and the
corner cases of AWS's semantics (missing fields, objects, case, non-JSON messages)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.patterns import FilterPatternError, matches, parse

# --- AWS documentation: JSON log events ------------------------------------------------------

DOC_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "cluster.name": "c",
    "ThisFlag": True,
}

DOC_EVENT_2 = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [
        {"id": 2, "email": "John.Doe@example.com"},
        {"id": 3, "email": "Jane.Doe@example.com"},
    ],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1], [2, 3]],
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType = "updatetrail" }', False),  # case-sensitive
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType = "*Trail" }', True),
        ('{ $.eventType = "*date*" }', True),
        ('{ $.eventType = "Up*Trail" }', False),  # middle '*' is literal
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ("{ $.sourceIPAddress = 111.111.* }", True),
        ('{ $.arrayKey[0] = "value" }', True),
        ('{ $.arrayKey[1] = "value" }', False),
        ('{ $.arrayKey[*] = "another value" }', True),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.objectList[*].id = 2 }", True),
        ("{ $.objectList[*].id = 3 }", False),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.eventType IS NULL }", False),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.SomeObject NOT EXISTS }", False),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.['cluster.name'] = c }", True),
        ("{ $.* = UpdateTrail }", True),
        ("{ $.eventType = %Trail$% }", True),
        ("{ $.eventType = %^Trail% }", False),
        ("{ $.eventType = * }", True),
        ("{ $.missing = * }", False),
    ],
)
def test_aws_json_examples(pattern: str, expected: bool) -> None:
    assert matches(pattern, DOC_EVENT) is expected
    assert matches(pattern, json.dumps(DOC_EVENT)) is expected  # raw message too


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" '
            '&& $.actions[2] = "nomatch" }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") '
            '&& $.actions[2] = "nomatch" }',
            False,
        ),
        ("{ $.coordinates[0][1] = 1 }", True),
        ("{ $.coordinates[1][0] >= 2 }", True),
        ("{ $.user.id > 0 && $.user.id < 2 }", True),
        ("{ $.user.id <= 0.5 }", False),
        ("{ $.user.id = 1.0 }", True),  # numbers compare numerically
        ("{ $.user.id != 1 }", False),
        ("{ $.users[5].id = 2 }", False),
        ("{ $.user = 1 }", False),  # an object under a comparison
        ("{ $.user != 1 }", False),
        ("{ $.actions = GET }", False),  # an array under a comparison
    ],
)
def test_aws_compound_examples(pattern: str, expected: bool) -> None:
    assert matches(pattern, DOC_EVENT_2) is expected


def test_missing_field_makes_equal_and_not_equal_false() -> None:
    event = {"a": "x"}
    assert not matches('{ $.b = "x" }', event)
    assert not matches('{ $.b != "x" }', event)
    assert not matches("{ $.b > 1 }", event)
    assert matches("{ $.b NOT EXISTS }", event)


def test_null_is_neither_equal_nor_unequal() -> None:
    event = {"a": None}
    assert not matches('{ $.a = "x" }', event)
    assert not matches('{ $.a != "x" }', event)
    assert matches("{ $.a IS NULL }", event)


def test_json_patterns_never_match_non_json_messages() -> None:
    assert not matches("{ $.a NOT EXISTS }", "plain text a=1")
    assert not matches("{ $.a NOT EXISTS }", "[1, 2, 3]")
    assert matches("{ $.a NOT EXISTS }", "{}")


def test_strings_do_not_compare_as_numbers_with_order_operators() -> None:
    assert not matches("{ $.n > 5 }", {"n": "10"})
    assert matches("{ $.n > 5 }", {"n": 10})
    assert not matches("{ $.n > 5 }", {"n": True})


# --- AWS documentation: unstructured (term) events --------------------------------------------

TERM_EVENTS = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ERROR", [0, 1, 2, 3]),
        ("ERROR ARGUMENTS", [2, 3]),
        ("?ERROR ?ARGUMENTS", [0, 1, 2, 3]),
        ("?UNAUTHORIZED ?MISSING", [1, 2]),
        ('"INVALID ARGUMENTS"', [3]),
        ("ERROR -ARGUMENTS", [0, 1]),
        ("-ARGUMENTS", [0, 1]),
        ("error", []),  # case-sensitive
        ("REQUEST ?MISSING", [0, 1]),  # '?' terms mixed with plain terms are ignored
        ("", [0, 1, 2, 3]),
        (" ", [0, 1, 2, 3]),
    ],
)
def test_aws_term_examples(pattern: str, expected: list[int]) -> None:
    assert [i for i, e in enumerate(TERM_EVENTS) if matches(pattern, e)] == expected


# --- AWS documentation: space-delimited events ------------------------------------------------

APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /index.html HTTP/1.0" 404 4355',
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", [0, 1, 2]),
        ("[ip, user, username, timestamp, request, status_code]", []),  # too few fields
        ("[ip, user, ..., status_code = 500, bytes]", [1]),
        ("[ip, ..., status_code = 404 || status_code = 410, bytes]", [2]),
        ("[..., status_code = 4*, bytes]", [2]),
        ("[ip, user, username, timestamp, request = *html*, status_code, bytes]", [2]),
        ('[ip, user, username, timestamp, request = "GET /apache*", ...]', [0, 1]),
        ("[..., bytes > 5000]", [1]),
        ("[..., status_code >= 200 && status_code < 300, bytes]", [0]),
        ("[ip = 127.0.0.1, ...]", [0, 1, 2]),
        ("[ip, user != -, ...]", []),
        ("[..., status_code = %^5\\d\\d$%, bytes]", [1]),
        ("[ip, ..., timestamp = *13:35*, ..., bytes]", [1]),
    ],
)
def test_aws_space_delimited_examples(pattern: str, expected: list[int]) -> None:
    assert [i for i, e in enumerate(APACHE) if matches(pattern, e)] == expected


# --- regex patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("%ERROR%", "an ERROR here", True),
        ("%^ERROR%", "an ERROR here", False),
        ("%here$%", "an ERROR here", True),
        ("%[0-9]{3}%", "code 404", True),
        ("%[0-9]{4}%", "code 404", False),
        ("%\\d+\\s\\w+%", "404 found", True),
        ("%foo|bar%", "xbarx", True),
        ("%a.c%", "abc", True),
        ("%a\\.c%", "abc", False),
        ("%[^a-z]%", "abc", False),
        ("%colou?r%", "color", True),
        ("%\\x41B%", "AB", True),
        ("%\\%%", "100%", True),
    ],
)
def test_regex_patterns(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


@pytest.mark.serial
def test_catastrophic_regex_does_not_hang() -> None:
    pattern = "%" + "a*" * 20 + "b%"
    start = time.perf_counter()
    assert not matches(pattern, "a" * 3000)
    assert time.perf_counter() - start < 5


# --- CIS patterns on hand-written CloudTrail records -----------------------------------------

BASE: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDAXXXXXXXXXXXXXXXXX",
        "arn": "arn:aws:iam::123456789012:user/bob",
        "accountId": "123456789012",
        "userName": "bob",
    },
    "eventTime": "2024-01-01T00:00:00Z",
    "eventSource": "cloudtrail.amazonaws.com",
    "eventName": "DescribeTrails",
    "awsRegion": "eu-west-1",
    "sourceIPAddress": "203.0.113.9",
    "userAgent": "aws-cli/2",
    "requestParameters": None,
    "responseElements": None,
    "requestID": "r-1",
    "eventID": "e-1",
    "readOnly": True,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": "123456789012",
    "eventCategory": "Management",
}


def rec(**changes: Any) -> dict[str, Any]:
    r = copy.deepcopy(BASE)
    for key, value in changes.items():
        node = r
        parts = key.split("__")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        if value is ...:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return r


CIS_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("unauthorized_api_calls_v1_2", rec(errorCode="Client.UnauthorizedOperation"), True),
    ("unauthorized_api_calls_v1_2", rec(errorCode="AccessDeniedException"), True),
    ("unauthorized_api_calls_v1_2", rec(errorCode="ThrottlingException"), False),
    ("unauthorized_api_calls_v1_2", rec(), False),
    ("unauthorized_api_calls", rec(errorCode="AccessDenied"), True),
    (
        "unauthorized_api_calls",
        rec(errorCode="AccessDenied", sourceIPAddress="delivery.logs.amazonaws.com"),
        False,
    ),
    (
        "unauthorized_api_calls",
        rec(errorCode="AccessDenied", eventName="HeadBucket", eventSource="s3.amazonaws.com"),
        False,
    ),
    (
        "unauthorized_api_calls",  # A || (B && C && D): the first term alone suffices
        rec(errorCode="Client.UnauthorizedOperation", eventName="HeadBucket"),
        True,
    ),
    ("unauthorized_api_calls_v1_3_erratum", rec(), True),  # the erratum matches ~everything
    (
        "console_signin_without_mfa",
        rec(
            eventName="ConsoleLogin",
            eventSource="signin.amazonaws.com",
            eventType="AwsConsoleSignIn",
            additionalEventData={"MFAUsed": "No"},
        ),
        True,
    ),
    (
        "console_signin_without_mfa",
        rec(eventName="ConsoleLogin", additionalEventData={"MFAUsed": "Yes"}),
        False,
    ),
    ("console_signin_without_mfa", rec(eventName="ConsoleLogin"), False),  # MFAUsed missing
    (
        "console_signin_without_mfa_sso",
        rec(
            eventName="ConsoleLogin",
            additionalEventData={"MFAUsed": "No"},
            responseElements={"ConsoleLogin": "Success"},
        ),
        True,
    ),
    (
        "console_signin_without_mfa_sso",
        rec(
            eventName="ConsoleLogin",
            additionalEventData={"MFAUsed": "No"},
            responseElements={"ConsoleLogin": "Failure"},
        ),
        False,
    ),
    ("root_account_usage", rec(userIdentity__type="Root"), True),
    (
        "root_account_usage",
        rec(userIdentity__type="Root", userIdentity__invokedBy="support.amazonaws.com"),
        False,
    ),
    ("root_account_usage", rec(userIdentity__type="Root", eventType="AwsServiceEvent"), False),
    ("root_account_usage", rec(), False),
    ("iam_policy_changes", rec(eventName="PutUserPolicy", eventSource="iam.amazonaws.com"), True),
    ("iam_policy_changes", rec(eventName="CreateUser", eventSource="iam.amazonaws.com"), False),
    ("cloudtrail_configuration_changes", rec(eventName="StopLogging"), True),
    ("cloudtrail_configuration_changes", rec(eventName="stoplogging"), False),
    ("cloudtrail_configuration_changes", rec(eventName="DescribeTrails"), False),
    (
        "console_authentication_failures",
        rec(eventName="ConsoleLogin", errorMessage="Failed authentication"),
        True,
    ),
    ("console_authentication_failures", rec(eventName="ConsoleLogin"), False),
    ("cmk_disable_or_deletion", rec(eventName="DisableKey", eventSource="kms.amazonaws.com"), True),
    ("cmk_disable_or_deletion", rec(eventName="DisableKey"), False),  # wrong source
    (
        "s3_bucket_policy_changes",
        rec(eventName="PutBucketPolicy", eventSource="s3.amazonaws.com"),
        True,
    ),
    (
        "s3_bucket_policy_changes",
        rec(eventName="GetBucketAcl", eventSource="s3.amazonaws.com"),
        False,
    ),
    (
        "aws_config_changes",
        rec(eventName="StopConfigurationRecorder", eventSource="config.amazonaws.com"),
        True,
    ),
    ("aws_config_changes", rec(eventName="StopConfigurationRecorder"), False),
    ("security_group_changes", rec(eventName="CreateSecurityGroup"), True),
    ("security_group_changes", rec(eventName="ModifySecurityGroupRules"), False),
    ("security_group_changes_v5", rec(eventName="ModifySecurityGroupRules"), True),
    ("nacl_changes", rec(eventName="ReplaceNetworkAclAssociation"), True),
    ("nacl_changes", rec(eventName="DescribeNetworkAcls"), False),
    ("network_gateway_changes", rec(eventName="AttachInternetGateway"), True),
    ("network_gateway_changes", rec(eventName="CreateVpnGateway"), False),
    ("route_table_changes", rec(eventName="DisassociateRouteTable"), True),
    (
        "route_table_changes",
        rec(eventName="CreateRoute", eventSource="apigateway.amazonaws.com"),
        True,
    ),
    (
        "route_table_changes_v3_audit",
        rec(eventName="CreateRoute", eventSource="apigateway.amazonaws.com"),
        False,
    ),
    (
        "route_table_changes_v3_audit",
        rec(eventName="CreateRoute", eventSource="ec2.amazonaws.com"),
        True,
    ),
    (
        "route_table_changes_v3_audit",  # the && binds to CreateRoute only
        rec(eventName="DeleteRoute", eventSource="apigateway.amazonaws.com"),
        True,
    ),
    ("vpc_changes", rec(eventName="EnableVpcClassicLink"), True),
    ("vpc_changes", rec(eventName="DescribeVpcs"), False),
    (
        "organizations_changes",
        rec(eventName="CreatePolicy", eventSource="organizations.amazonaws.com"),
        True,
    ),
    (
        "organizations_changes",
        rec(eventName="CreatePolicy", eventSource="iam.amazonaws.com"),
        False,
    ),
]


@pytest.mark.parametrize(("topic", "record", "expected"), CIS_CASES)
def test_cis_patterns_on_records(topic: str, record: dict[str, Any], expected: bool) -> None:
    assert matches(CIS_PATTERNS[topic], record) is expected
    assert matches(CIS_PATTERNS[topic], json.dumps(record)) is expected


def test_every_cis_pattern_parses() -> None:
    for text in CIS_PATTERNS.values():
        parse(text)


def test_matches_rejects_bad_pattern_with_filter_pattern_error() -> None:
    with pytest.raises(FilterPatternError):
        matches("{ $.a = ", {})


def test_term_patterns_see_cloudtrail_records_as_compact_json() -> None:
    assert matches('"\\"eventName\\":\\"DescribeTrails\\""', rec())
    assert matches("DescribeTrails -StopLogging", rec())
