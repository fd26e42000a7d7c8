"""Tests for the CIS monitoring controls catalog.

The expected facts below are written out from the reference table
(shared/reference/cis-monitoring.md), not derived from catalog.yaml, so a slip in the YAML
shows up as a failure here.
"""

from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from watchkeeper.queries.catalog import (
    DEFAULT_BENCHMARK,
    Catalog,
    CatalogError,
    Control,
    control_sort_key,
    load_catalog,
)

BENCHMARKS = [
    "cis-v1.2.0",
    "cis-v1.3.0",
    "cis-v1.4.0",
    "cis-v1.5.0",
    "cis-v2.0.0",
    "cis-v3.0.0",
    "cis-v4.0.0",
    "cis-v5.0.0",
    "cis-v6.0.0",
]
PRE_V2 = BENCHMARKS[:4]
V2_ON = BENCHMARKS[4:]

# Monitoring section number per version: 3.x in v1.2.0, 4.x up to v5.0.0, 5.x in v6.0.0.
SECTION = {b: 4 for b in BENCHMARKS} | {"cis-v1.2.0": 3, "cis-v6.0.0": 5}

# topic -> (item number, Security Hub id)
TOPICS: dict[str, tuple[int, str | None]] = {
    "unauthorized_api_calls": (1, "CloudWatch.2"),
    "console_signin_without_mfa": (2, "CloudWatch.3"),
    "root_account_usage": (3, "CloudWatch.1"),
    "iam_policy_changes": (4, "CloudWatch.4"),
    "cloudtrail_configuration_changes": (5, "CloudWatch.5"),
    "console_authentication_failures": (6, "CloudWatch.6"),
    "cmk_disable_or_deletion": (7, "CloudWatch.7"),
    "s3_bucket_policy_changes": (8, "CloudWatch.8"),
    "aws_config_changes": (9, "CloudWatch.9"),
    "security_group_changes": (10, "CloudWatch.10"),
    "nacl_changes": (11, "CloudWatch.11"),
    "network_gateway_changes": (12, "CloudWatch.12"),
    "route_table_changes": (13, "CloudWatch.13"),
    "vpc_changes": (14, "CloudWatch.14"),
    "organizations_changes": (15, None),
    "security_hub_enabled": (16, None),
}

# What every required pattern of a topic must mention (event names, error codes, fields).
MUST_MENTION: dict[str, list[str]] = {
    "unauthorized_api_calls": ["*UnauthorizedOperation", "AccessDenied*"],
    "console_signin_without_mfa": ["ConsoleLogin", "MFAUsed", "Yes"],
    "root_account_usage": ["Root", "invokedBy", "NOT EXISTS", "AwsServiceEvent"],
    "iam_policy_changes": [
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
    ],
    "cloudtrail_configuration_changes": [
        "CreateTrail",
        "UpdateTrail",
        "DeleteTrail",
        "StartLogging",
        "StopLogging",
    ],
    "console_authentication_failures": ["ConsoleLogin", "Failed authentication"],
    "cmk_disable_or_deletion": ["kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"],
    "s3_bucket_policy_changes": [
        "s3.amazonaws.com",
        "PutBucketAcl",
        "PutBucketPolicy",
        "PutBucketCors",
        "PutBucketLifecycle",
        "PutBucketReplication",
        "DeleteBucketPolicy",
        "DeleteBucketCors",
        "DeleteBucketLifecycle",
        "DeleteBucketReplication",
    ],
    "aws_config_changes": [
        "config.amazonaws.com",
        "StopConfigurationRecorder",
        "DeleteDeliveryChannel",
        "PutDeliveryChannel",
        "PutConfigurationRecorder",
    ],
    "security_group_changes": [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
    ],
    "nacl_changes": [
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
    ],
    "network_gateway_changes": [
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
    ],
    "route_table_changes": [
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
    ],
    "vpc_changes": [
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc",
        "DetachClassicLinkVpc",
        "DisableVpcClassicLink",
        "EnableVpcClassicLink",
    ],
    "organizations_changes": [
        "organizations.amazonaws.com",
        "AcceptHandshake",
        "AttachPolicy",
        "CreateAccount",
        "CreateOrganizationalUnit",
        "CreatePolicy",
        "DeclineHandshake",
        "DeleteOrganization",
        "DeleteOrganizationalUnit",
        "DeletePolicy",
        "DetachPolicy",
        "DisablePolicyType",
        "EnablePolicyType",
        "InviteAccountToOrganization",
        "LeaveOrganization",
        "MoveAccount",
        "RemoveAccountFromOrganization",
        "UpdatePolicy",
        "UpdateOrganizationalUnit",
    ],
}


def present_in(bench: str, topic: str) -> bool:
    if topic == "organizations_changes":
        return bench != "cis-v1.2.0"
    if topic == "security_hub_enabled":
        return BENCHMARKS.index(bench) >= BENCHMARKS.index("cis-v1.5.0")
    return True


def expected_level(bench: str, item: int) -> int:
    if item == 1:
        return 2 if bench in V2_ON else 1
    if item == 6 and bench == "cis-v6.0.0":
        return 1  # copies of v6.0.0 disagree; the catalog records Level 1
    return 2 if item in (6, 7, 9, 10, 11, 16) else 1


def expected_assessment(bench: str, item: int) -> str:
    if item == 16 or bench in PRE_V2:
        return "Automated"
    if item == 1 and bench == "cis-v4.0.0":
        return "Automated"
    return "Manual"


def mentions(pattern: str, word: str) -> bool:
    # Whole-token match so "CreateRoute" is not satisfied by "CreateRouteTable".
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", pattern) is not None


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def packaged() -> dict[str, Any]:
    text = resources.files("watchkeeper.queries").joinpath("catalog.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


# --- structure ---------------------------------------------------------------------------


def test_benchmarks_are_ordered_and_default_is_known(catalog: Catalog) -> None:
    assert catalog.benchmarks == BENCHMARKS
    assert DEFAULT_BENCHMARK == "cis-v5.0.0"
    assert DEFAULT_BENCHMARK in catalog.benchmarks


def test_topics_are_the_sixteen(catalog: Catalog) -> None:
    assert [t.key for t in catalog.topics] == list(TOPICS)


@pytest.mark.parametrize(
    ("bench", "count"),
    [("cis-v1.2.0", 14), ("cis-v1.3.0", 15), ("cis-v1.4.0", 15)]
    + [(b, 16) for b in BENCHMARKS[3:]],
)
def test_control_count_per_version(catalog: Catalog, bench: str, count: int) -> None:
    assert len(catalog.controls(bench)) == count


@pytest.mark.parametrize("bench", BENCHMARKS)
def test_numbering_per_version(catalog: Catalog, bench: str) -> None:
    expected = {
        topic: f"{SECTION[bench]}.{item}"
        for topic, (item, _) in TOPICS.items()
        if present_in(bench, topic)
    }
    actual = {c.topic: c.control_id for c in catalog.controls(bench)}
    assert actual == expected


def test_numbering_spot_checks(catalog: Catalog) -> None:
    seed = "cloudtrail_configuration_changes"
    assert catalog.find("cis-v1.2.0", seed).control_id == "3.5"
    assert catalog.find("cis-v1.4.0", seed).control_id == "4.5"
    assert catalog.find("cis-v5.0.0", seed).control_id == "4.5"
    assert catalog.find("cis-v6.0.0", seed).control_id == "5.5"
    assert catalog.find("cis-v1.3.0", "organizations_changes").control_id == "4.15"
    assert catalog.find("cis-v1.5.0", "security_hub_enabled").control_id == "4.16"
    assert catalog.find("cis-v6.0.0", "security_hub_enabled").control_id == "5.16"


@pytest.mark.parametrize("bench", BENCHMARKS)
def test_controls_sorted_numerically(catalog: Catalog, bench: str) -> None:
    ids = [c.control_id for c in catalog.controls(bench)]
    n = len(ids)
    assert ids == [f"{SECTION[bench]}.{i}" for i in range(1, n + 1)]
    assert ids.index(f"{SECTION[bench]}.10") == ids.index(f"{SECTION[bench]}.9") + 1


def test_control_sort_key_is_numeric_and_shared(catalog: Catalog) -> None:
    ids = ["4.10", "10.1", "4.9", "4.1", "x.2"]
    assert sorted(ids, key=control_sort_key) == ["x.2", "4.1", "4.9", "4.10", "10.1"]
    for control in catalog.controls():
        assert control.sort_key == control_sort_key(control.control_id)


def test_absent_topics_have_no_control(catalog: Catalog) -> None:
    with pytest.raises(CatalogError):
        catalog.find("cis-v1.2.0", "organizations_changes")
    for bench in ("cis-v1.2.0", "cis-v1.3.0", "cis-v1.4.0"):
        with pytest.raises(CatalogError):
            catalog.find(bench, "security_hub_enabled")
    assert "cis-v1.2.0" not in catalog.topic("organizations_changes").versions


# --- titles, levels, assessment ----------------------------------------------------------


def test_seed_titles(catalog: Catalog) -> None:
    old = "Ensure a log metric filter and alarm exist for CloudTrail configuration changes"
    new = "Ensure CloudTrail configuration changes are monitored"
    for bench in PRE_V2:
        assert catalog.find(bench, "cloudtrail_configuration_changes").title == old
    for bench in V2_ON:
        assert catalog.find(bench, "cloudtrail_configuration_changes").title == new


@pytest.mark.parametrize("bench", BENCHMARKS)
def test_title_style_switches_at_v2(catalog: Catalog, bench: str) -> None:
    for control in catalog.controls(bench):
        if control.topic == "security_hub_enabled":
            assert control.title == "Ensure AWS Security Hub is enabled"
        elif bench in PRE_V2:
            assert control.title.startswith("Ensure a log metric filter and alarm exist for ")
        else:
            assert control.title.startswith("Ensure ")
            assert re.search(r" (is|are) monitored$", control.title), control.title
            assert "log metric filter" not in control.title


def test_title_wording_changes(catalog: Catalog) -> None:
    assert catalog.find("cis-v3.0.0", "4.3").title == "Ensure usage of 'root' account is monitored"
    assert catalog.find("cis-v4.0.0", "4.3").title == (
        "Ensure usage of the 'root' account is monitored"
    )
    assert catalog.find("cis-v2.0.0", "4.11").title == (
        "Ensure Network Access Control Lists (NACL) changes are monitored"
    )
    assert catalog.find("cis-v6.0.0", "5.11").title == (
        "Ensure Network Access Control List (NACL) changes are monitored"
    )
    assert catalog.find("cis-v2.0.0", "4.2").title == (
        "Ensure management console sign-in without MFA is monitored"
    )


@pytest.mark.parametrize("bench", BENCHMARKS)
def test_levels(catalog: Catalog, bench: str) -> None:
    for control in catalog.controls(bench):
        item, _ = TOPICS[control.topic]
        assert control.level == expected_level(bench, item), control.control_id


@pytest.mark.parametrize("bench", BENCHMARKS)
def test_assessment(catalog: Catalog, bench: str) -> None:
    for control in catalog.controls(bench):
        item, _ = TOPICS[control.topic]
        assert control.assessment == expected_assessment(bench, item), control.control_id


def test_assessment_spot_checks(catalog: Catalog) -> None:
    assert catalog.find("cis-v1.5.0", "4.1").assessment == "Automated"
    assert catalog.find("cis-v3.0.0", "4.1").assessment == "Manual"
    assert catalog.find("cis-v4.0.0", "4.1").assessment == "Automated"
    assert catalog.find("cis-v4.0.0", "4.2").assessment == "Manual"
    assert catalog.find("cis-v5.0.0", "4.1").assessment == "Manual"
    for bench in BENCHMARKS[3:]:
        assert catalog.find(bench, "security_hub_enabled").assessment == "Automated"


# --- patterns ----------------------------------------------------------------------------


def test_every_pattern_mentions_the_reference_names(catalog: Catalog) -> None:
    checked = 0
    for bench in BENCHMARKS:
        for control in catalog.controls(bench):
            if control.kind == "security_hub":
                assert control.required_patterns == ()
                continue
            assert control.required_patterns, control.control_id
            for pattern in control.required_patterns:
                assert pattern.startswith("{") and pattern.endswith("}"), pattern
                for word in MUST_MENTION[control.topic]:
                    assert mentions(pattern, word), f"{bench} {control.control_id}: {word}"
                checked += 1
    assert checked > 9 * 14


def test_seed_pattern_is_the_published_one(catalog: Catalog) -> None:
    for bench in BENCHMARKS:
        patterns = catalog.find(bench, "CloudWatch.5").required_patterns
        assert patterns == (
            "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
            "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
            "($.eventName = StopLogging) }",
        )


def test_unauthorized_api_calls_erratum(catalog: Catalog) -> None:
    v12 = catalog.find("cis-v1.2.0", "unauthorized_api_calls")
    assert len(v12.required_patterns) == 1
    assert "sourceIPAddress" not in v12.required_patterns[0]

    v2_intent = catalog.find("cis-v2.0.0", "unauthorized_api_calls").required_patterns
    assert len(v2_intent) == 1
    assert '&& ($.sourceIPAddress!="delivery.logs.amazonaws.com")' in v2_intent[0]
    assert '&& ($.eventName!="HeadBucket")' in v2_intent[0]

    for bench in ("cis-v1.3.0", "cis-v1.4.0", "cis-v1.5.0"):
        control = catalog.find(bench, "unauthorized_api_calls")
        published, *alternatives = control.required_patterns
        assert '|| ($.sourceIPAddress!="delivery.logs.amazonaws.com")' in published
        assert alternatives == [v2_intent[0]]
        assert control.notes is not None and "v2.0.0" in control.notes
    for bench in V2_ON:
        assert catalog.find(bench, "unauthorized_api_calls").required_patterns == v2_intent


def test_console_signin_sso_alternative(catalog: Catalog) -> None:
    for bench in ("cis-v1.2.0", "cis-v1.3.0"):
        assert len(catalog.find(bench, "console_signin_without_mfa").required_patterns) == 1
    for bench in BENCHMARKS[2:]:
        control = catalog.find(bench, "console_signin_without_mfa")
        assert len(control.required_patterns) == 2
        plain, sso_safe = control.required_patterns
        assert "IAMUser" not in plain
        assert mentions(sso_safe, "IAMUser") and mentions(sso_safe, "Success")
        assert control.notes


def test_security_group_modify_rules_from_v5(catalog: Catalog) -> None:
    for bench in BENCHMARKS:
        control = catalog.find(bench, "security_group_changes")
        has_modify = [mentions(p, "ModifySecurityGroupRules") for p in control.required_patterns]
        want = BENCHMARKS.index(bench) >= BENCHMARKS.index("cis-v5.0.0")
        assert has_modify == [want], bench
    assert catalog.find("cis-v5.0.0", "security_group_changes").notes


def test_route_table_event_source_variant_from_v3(catalog: Catalog) -> None:
    for bench in BENCHMARKS:
        patterns = catalog.find(bench, "route_table_changes").required_patterns
        if BENCHMARKS.index(bench) < BENCHMARKS.index("cis-v3.0.0"):
            assert len(patterns) == 1
            assert "eventSource" not in patterns[0]
        else:
            assert len(patterns) == 2
            plain, prefixed = patterns
            assert "eventSource" not in plain
            assert prefixed.startswith("{ ($.eventSource = ec2.amazonaws.com) && ")
            assert catalog.find(bench, "route_table_changes").notes


def test_patterns_have_no_duplicates(catalog: Catalog) -> None:
    for bench in BENCHMARKS:
        for control in catalog.controls(bench):
            assert len(set(control.required_patterns)) == len(control.required_patterns)


def test_patterns_parse_with_the_patterns_package(catalog: Catalog) -> None:
    patterns_module = pytest.importorskip("watchkeeper.patterns")
    parse = getattr(patterns_module, "parse", None)
    if parse is None:
        pytest.skip("watchkeeper.patterns.parse is not available yet")
    for bench in BENCHMARKS:
        for control in catalog.controls(bench):
            for pattern in control.required_patterns:
                parse(pattern)  # raises on anything the filter-pattern grammar rejects


# --- other fields ------------------------------------------------------------------------


def test_security_hub_ids(catalog: Catalog) -> None:
    for topic, (_, hub_id) in TOPICS.items():
        assert catalog.topic(topic).security_hub_id == hub_id


def test_texts_and_metric_fields(catalog: Catalog) -> None:
    names: set[str] = set()
    for control in catalog.controls("cis-v6.0.0"):
        for text in (
            control.description,
            control.rationale,
            control.impact,
            control.audit,
            control.remediation,
            control.subject,
        ):
            assert text.strip()
        if control.kind == "metric_filter_alarm":
            assert control.metric_namespace == "CISBenchmark"
            assert control.metric_name is not None
            assert re.fullmatch(r"cis-[a-z0-9-]+", control.metric_name)
            assert "describe-metric-filters" in control.audit
            assert "put-metric-filter" in control.remediation
            names.add(control.metric_name)
        else:
            assert control.metric_name is None and control.metric_namespace is None
            assert "describe-hub" in control.audit
    assert len(names) == 15
    seed = catalog.find("cis-v5.0.0", "cloudtrail_configuration_changes")
    assert seed.metric_name == "cis-cloudtrail-configuration-changes"
    assert seed.subject == "CloudTrail configuration changes"


# --- find() ------------------------------------------------------------------------------


def test_find_by_id_topic_and_security_hub_id(catalog: Catalog) -> None:
    by_id = catalog.find("cis-v5.0.0", "4.5")
    assert isinstance(by_id, Control)
    assert by_id.topic == "cloudtrail_configuration_changes"
    assert by_id.benchmark == "cis-v5.0.0"
    assert catalog.find("cis-v5.0.0", "cloudtrail_configuration_changes") == by_id
    assert catalog.find("cis-v5.0.0", "CloudWatch.5") == by_id
    assert catalog.find("cis-v5.0.0", "cloudwatch.5") == by_id
    assert catalog.find("cis-v1.2.0", "CloudWatch.1").control_id == "3.3"
    assert catalog.find("cis-v6.0.0", "CloudWatch.14").control_id == "5.14"


def test_find_accepts_short_benchmark_names(catalog: Catalog) -> None:
    assert catalog.find("v6.0.0", "5.5").benchmark == "cis-v6.0.0"
    assert catalog.find("6.0.0", "5.5").benchmark == "cis-v6.0.0"
    assert catalog.controls() == catalog.controls(DEFAULT_BENCHMARK)


def test_find_unknown_control_message(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.find("cis-v5.0.0", "4.99")
    assert str(info.value) == "unknown control 4.99 in cis-v5.0.0; known: 4.1 … 4.16"
    with pytest.raises(CatalogError, match=r"known: 3\.1 … 3\.14"):
        catalog.find("cis-v1.2.0", "3.15")
    with pytest.raises(CatalogError, match=re.escape("unknown control 4.5 in cis-v6.0.0")):
        catalog.find("cis-v6.0.0", "4.5")
    with pytest.raises(CatalogError, match=re.escape("unknown control CloudWatch.99")):
        catalog.find("cis-v5.0.0", "CloudWatch.99")


def test_unknown_benchmark_and_topic(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match=r"unknown benchmark version 'cis-v9\.9\.9'"):
        catalog.controls("cis-v9.9.9")
    with pytest.raises(CatalogError, match=re.escape("known: cis-v1.2.0")):
        catalog.find("cis-v7.0.0", "4.5")
    with pytest.raises(CatalogError, match="unknown topic"):
        catalog.topic("nope")


def test_catalog_objects_are_frozen(catalog: Catalog) -> None:
    control = catalog.find("cis-v5.0.0", "4.5")
    with pytest.raises(AttributeError):
        control.title = "changed"  # type: ignore[misc]


# --- validation on load ------------------------------------------------------------------


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_round_trip_of_packaged_data_loads_identically(
    tmp_path: Path, catalog: Catalog, packaged: dict[str, Any]
) -> None:
    # Guards the helper used below: an unmodified copy must load cleanly.
    assert load_catalog(write(tmp_path, packaged)) == catalog


# (path inside the YAML, new value or _DELETE, expected text of the error)
Mutation = tuple[str, Any, str]


def _set_in(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split("/")
    node = data
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()

BROKEN: list[Mutation] = [
    (
        "topics/vpc_changes/title",
        {"cis-v1.2.0": "x", "cis-v9.9.9": "y"},
        "topics.vpc_changes.title: unknown benchmark version 'cis-v9.9.9'",
    ),
    ("topics/vpc_changes/since", "cis-v0.1.0", "unknown benchmark version 'cis-v0.1.0'"),
    ("topics/vpc_changes/item", 13, "duplicate control id 3.13 in cis-v1.2.0"),
    ("topics/vpc_changes/description", _DELETE, "topics.vpc_changes: missing description"),
    ("topics/vpc_changes/rationale", "   ", "rationale: expected non-empty text"),
    ("topics/vpc_changes/patterns", _DELETE, "metric_filter_alarm topic needs patterns"),
    ("topics/vpc_changes/patterns", {"cis-v1.2.0": []}, "patterns must be a non-empty list"),
    ("topics/vpc_changes/level", {"cis-v1.2.0": 3}, "level 3 must be 1 or 2"),
    ("topics/vpc_changes/level", {"cis-v1.2.0": True}, "must be 1 or 2"),
    (
        "topics/vpc_changes/assessment",
        {"cis-v1.2.0": "Scored"},
        "assessment 'Scored' must be Automated or Manual",
    ),
    ("topics/vpc_changes/kind", "metric_filter", "kind: 'metric_filter' is not one of"),
    ("topics/vpc_changes/asessment", "Manual", "unknown field(s) asessment"),
    ("topics/vpc_changes/metric_name", _DELETE, "needs metric_name"),
    ("topics/vpc_changes/security_hub_id", "CloudWatch.13", "used by both"),
    ("topics/vpc_changes/security_hub_id", "CIS.3.14", "must be CloudWatch.<n> or null"),
    (
        "topics/vpc_changes/title",
        {"cis-v2.0.0": "Ensure VPC changes are monitored"},
        "vpc_changes in cis-v1.2.0: no title",
    ),
    (
        "topics/vpc_changes/assessment",
        {"cis-v2.0.0": "Manual", "cis-v1.2.0": "Automated"},
        "versions must be listed oldest first",
    ),
    ("topics/security_hub_enabled/patterns", {"cis-v1.5.0": ["{ $.x = 1 }"]}, "has no patterns"),
    ("benchmarks/cis-v1.3.0", {"section": "four"}, "expected a positive integer"),
    ("benchmarks/cis-v10", {"section": 4}, "must look like cis-v1.2.0"),
    ("schema", 2, "unsupported schema 2"),
    ("topics", {}, "at least one topic"),
]


@pytest.mark.parametrize(("where", "value", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_catalog_is_rejected(
    tmp_path: Path, packaged: dict[str, Any], where: str, value: Any, message: str
) -> None:
    data = copy.deepcopy(packaged)
    _set_in(data, where, value)
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_catalog(write(tmp_path, data))


def test_benchmarks_out_of_order_rejected(tmp_path: Path, packaged: dict[str, Any]) -> None:
    data = copy.deepcopy(packaged)
    data["benchmarks"] = dict(reversed(list(data["benchmarks"].items())))
    with pytest.raises(CatalogError, match="oldest first"):
        load_catalog(write(tmp_path, data))


def test_duplicate_yaml_key_rejected(tmp_path: Path) -> None:
    text = resources.files("watchkeeper.queries").joinpath("catalog.yaml").read_text("utf-8")
    # A second definition of an existing topic; plain PyYAML would keep only the last one.
    duplicate = "\n  vpc_changes:\n    kind: security_hub\n"
    path = tmp_path / "catalog.yaml"
    path.write_text(text + duplicate, encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate key 'vpc_changes'"):
        load_catalog(path)


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read catalog"):
        load_catalog(tmp_path / "missing.yaml")
    not_mapping = tmp_path / "list.yaml"
    not_mapping.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="expected a mapping"):
        load_catalog(not_mapping)


def test_error_names_the_file(tmp_path: Path, packaged: dict[str, Any]) -> None:
    data = copy.deepcopy(packaged)
    del data["topics"]["nacl_changes"]["audit"]
    path = write(tmp_path, data)
    with pytest.raises(CatalogError, match=re.escape(str(path))):
        load_catalog(path)
