"""Steampipe-dialect analyst queries on a moto-collected store.

The queries under tests/analyst/steampipe/ are written for watchkeeper: the CIS monitoring
controls in the shape of the AWS Compliance mod's (cis/) and queries over every Steampipe
table watchkeeper holds, using the plugin's columns and Postgres idioms (tables/). Turbot's
own queries are never copied here; the opt-in tests at the end run them from local checkouts
(WATCHKEEPER_STEAMPIPE_MOD, WATCHKEEPER_STEAMPIPE_PLUGIN)."""

from __future__ import annotations

import functools
import json
import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.analyst.conftest import History
from watchkeeper.analyst.query import QueryError, execute, translate
from watchkeeper.api import connect

Cli = Callable[..., Result]
DATA = Path(__file__).parent / "steampipe"
CIS = DATA / "cis"
TABLES = DATA / "tables"


def _events(*names: str) -> list[str]:
    """One term per CloudTrail event name, as it reads in a squeezed filter pattern."""
    return [rf"\$\.eventName={name}\b" for name in names]


def _field(path: str, op: str, value: str) -> str:
    return rf"\$\.{re.escape(path)}{op}{re.escape(value)}"


# CIS monitoring control (the compliance mod's query name) → (subject, terms every filter
# pattern must name). Terms are regexes over the pattern with blanks and quotes removed; the
# event lists are the CIS benchmark's recommended filters.
CIS_CONTROLS: dict[str, tuple[str, list[str]]] = {
    "log_metric_filter_unauthorized_api": (
        "unauthorized API calls",
        [
            _field("errorCode", "=", "*UnauthorizedOperation"),
            _field("errorCode", "=", "AccessDenied*"),
        ],
    ),
    "log_metric_filter_console_login_mfa": (
        "console sign-in without MFA",
        [*_events("ConsoleLogin"), _field("additionalEventData.MFAUsed", "!=", "Yes")],
    ),
    "log_metric_filter_root_login": (
        "use of the root user",
        [_field("userIdentity.type", "=", "Root"), _field("eventType", "!=", "AwsServiceEvent")],
    ),
    "log_metric_filter_iam_policy": (
        "IAM policy changes",
        _events(
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
        ),
    ),
    "log_metric_filter_cloudtrail_configuration": (
        "CloudTrail configuration changes",
        _events("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ),
    "log_metric_filter_console_authentication_failure": (
        "failed console sign-ins",
        [*_events("ConsoleLogin"), _field("errorMessage", "=", "Failedauthentication")],
    ),
    "log_metric_filter_disable_or_delete_cmk": (
        "disabling or scheduled deletion of KMS keys",
        [
            _field("eventSource", "=", "kms.amazonaws.com"),
            *_events("DisableKey", "ScheduleKeyDeletion"),
        ],
    ),
    "log_metric_filter_bucket_policy": (
        "S3 bucket policy changes",
        [
            _field("eventSource", "=", "s3.amazonaws.com"),
            *_events(
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ),
        ],
    ),
    "log_metric_filter_config_configuration": (
        "AWS Config changes",
        [
            _field("eventSource", "=", "config.amazonaws.com"),
            *_events(
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ),
        ],
    ),
    "log_metric_filter_security_group": (
        "security group changes",
        _events(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ),
    ),
    "log_metric_filter_network_acl": (
        "network ACL changes",
        _events(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
    ),
    "log_metric_filter_network_gateway": (
        "network gateway changes",
        _events(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ),
    ),
    "log_metric_filter_route_table": (
        "route table changes",
        _events(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ),
    ),
    "log_metric_filter_vpc": (
        "VPC changes",
        _events(
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
        ),
    ),
    "log_metric_filter_organization": (
        "AWS Organizations changes",
        [
            _field("eventSource", "=", "organizations.amazonaws.com"),
            *_events(
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
            ),
        ],
    ),
}
# The fixture's one account has exactly one chain, the CIS 4.5 one the conftest builds
# (main-trail → ct-logs → metric filter ct-changes naming the five trail events → ct-alarm →
# sec-alerts → an e-mail subscriber): that control passes, every other one fails.
PASSING = {"log_metric_filter_cloudtrail_configuration": "ct-changes"}


def cis_query(name: str) -> str:
    subject, terms = CIS_CONTROLS[name]
    sql = (CIS / "monitoring_chain.sql").read_text(encoding="utf-8")
    return sql.replace("@SUBJECT@", subject).replace("@TERMS@", json.dumps(terms))


@pytest.mark.parametrize("name", sorted(CIS_CONTROLS))
def test_cis_monitoring_control(history_db: History, name: str):
    con = connect(history_db.db)
    result = execute(con, cis_query(name))
    con.close()
    assert result.columns == ["resource", "status", "reason", "account_id"]
    subject = CIS_CONTROLS[name][0]
    if name in PASSING:
        expected = ("ok", f"{PASSING[name]} alerts subscribers to {subject}.")
    else:
        expected = (
            "alarm",
            f"No trail, metric filter, alarm and subscribed topic alert on {subject}.",
        )
    assert result.rows == [(f"arn:aws:::{history_db.account}", *expected, history_db.account)]


def test_an_apostrophe_in_a_comment_opens_no_string():
    """Every query file here begins with "-- Written for watchkeeper in Steampipe's dialect"."""
    sql = "-- the analyst's note\nselect title from aws_sns_topic where tags::jsonb ? 'owner'"
    assert translate(sql).endswith("where jsonb_exists(tags::jsonb, 'owner')")


def test_cis_security_hub_control(history_db: History):
    """The fixture never enabled Security Hub in its one region, us-east-1."""
    con = connect(history_db.db)
    result = execute(con, (CIS / "security_hub_regions.sql").read_text(encoding="utf-8"))
    con.close()
    assert result.columns == ["resource", "status", "reason", "region", "account_id"]
    assert result.rows == [
        (None, "alarm", "No Security Hub hub in us-east-1.", "us-east-1", history_db.account)
    ]


def test_cis_query_through_the_cli(history_db: History, cli: Cli):
    sql = cis_query("log_metric_filter_cloudtrail_configuration")  # begins with "--"
    res = cli("query", "--db", str(history_db.db), "-f", "json", "--", sql)
    assert res.exit_code == 0, res.output
    assert '"status": "ok"' in res.stdout
    assert "ct-changes alerts subscribers to CloudTrail configuration changes." in res.stdout


@pytest.mark.parametrize(
    "sql",
    [
        "select name, arn from aws_s3_bucket",
        "select b.name from aws_cloudtrail_trail t "
        "join aws_s3_bucket b on b.name = t.s3_bucket_name",
        "select * from history.aws_iam_role",
    ],
)
def test_tables_outside_scope_fail_with_one_line(history_db: History, cli: Cli, sql: str):
    table = sql.split("aws_")[-1].split()[0]
    con = connect(history_db.db)
    with pytest.raises(QueryError) as caught:
        execute(con, sql)
    con.close()
    assert str(caught.value) == (
        f"table aws_{table} is not in this store: watchkeeper does not collect it "
        "(`watchkeeper tables` lists the tables it holds)"
    )
    res = cli("query", sql, "--db", str(history_db.db))
    assert res.exit_code == 2 and f"aws_{table} is not in this store" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output


S3 = "s3_bucket"  # out of scope: the query must fail with the one-line message
ARN = "arn:aws:{}:us-east-1:123456789012:{}"
TOPIC = ARN.format("sns", "sec-alerts")
# Query file (tables/STEM.sql) → its rows on the fixture's latest snapshot, or a row count,
# or S3. The snapshot holds one account (no alias, no organization) in us-east-1 (collected
# with --region, so no opt-in status); the multi-region trail main-trail (unencrypted, no log
# file validation, logging to ct-logs); log groups ct-logs and app-logs (no KMS key, no
# retention, no data-protection policy); the metric filter ct-changes on ct-logs (metric
# CISBenchmark/CloudTrailChanges); the alarm ct-alarm on that metric (actions enabled,
# INSUFFICIENT_DATA, one action: sec-alerts); the topic sec-alerts (no KMS key, no feedback
# roles) with one confirmed e-mail subscription; Security Hub not enabled. Collected without
# --deep: tags and subscription filter/redrive policies are NULL.
TABLE_ROWS: dict[str, int | str | list[tuple[Any, ...]]] = {
    "account_aliases": 0,  # no alias to expand
    "account_policy_types": 0,
    "regions": [("us-east-1", None)],
    "trail_posture": [("main-trail", "us-east-1", "us-east-1", "home", True, True, False)],
    "trail_bucket": S3,
    "alarm_state": 1,
    "alarm_math_metrics": 0,
    "log_groups": 2,
    "log_group_audit_findings": 0,
    "metric_filters": 1,
    "org_accounts": 0,
    "org_units": 0,
    "org_root_policies": 0,
    "security_hub": 1,
    "topics": [("sec-alerts", TOPIC, "us-east-1", "none", False, True)],
    "subscriptions": [(TOPIC, 1, 1, 1, 1)],
}


def test_every_table_query_is_listed():
    stems = {p.stem for p in TABLES.glob("*.sql")}
    assert stems == set(TABLE_ROWS) | {"topic_policy_grants", "topics_without_tls_deny"}


@pytest.mark.parametrize("stem", sorted(TABLE_ROWS))
def test_table_query(history_db: History, stem: str):
    sql = (TABLES / f"{stem}.sql").read_text(encoding="utf-8")
    expected = TABLE_ROWS[stem]
    con = connect(history_db.db)
    try:
        if expected == S3:
            with pytest.raises(QueryError, match="table aws_s3_bucket is not in this store"):
                execute(con, sql)
            return
        rows = execute(con, sql).rows
    finally:
        con.close()
    if isinstance(expected, int):
        assert len(rows) == expected
    else:
        assert rows == expected


def test_alarm_and_log_group_values(history_db: History):
    con = connect(history_db.db)
    alarm = execute(con, (TABLES / "alarm_state.sql").read_text(encoding="utf-8"))
    groups = execute(con, (TABLES / "log_groups.sql").read_text(encoding="utf-8"))
    filters = execute(con, (TABLES / "metric_filters.sql").read_text(encoding="utf-8"))
    con.close()
    row = dict(zip(alarm.columns, alarm.rows[0], strict=True))
    assert (row["alarm"], row["firing"], row["actions_enabled"], row["action_count"]) == (
        "ct-alarm",
        False,
        True,
        1,
    )
    assert [r[:2] for r in groups.rows] == [("app-logs", False), ("ct-logs", False)]
    assert [r[:3] for r in filters.rows] == [("ct-logs", "ct-changes", False)]


def test_topic_policy_grants_over_policy_std(history_db: History):
    oracle = _policy_oracle(history_db.db)
    con = connect(history_db.db)
    result = execute(con, (TABLES / "topic_policy_grants.sql").read_text(encoding="utf-8"))
    con.close()
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    assert {(r["title"], r["action"]) for r in rows if r["anonymous"]} == oracle["anonymous"]
    assert {(r["title"], r["action"]) for r in rows if r["full_access"]} == oracle["full"]
    # The fixture's topic has the default policy: anyone in the owner account may publish.
    assert ("sec-alerts", "sns:publish") in oracle["anonymous"]


def test_topics_without_tls_deny_over_policy_std(history_db: History):
    con = connect(history_db.db)
    result = execute(con, (TABLES / "topics_without_tls_deny.sql").read_text(encoding="utf-8"))
    con.close()
    assert {(r[0], r[1]) for r in result.rows} == _policy_oracle(history_db.db)["no_tls"]


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _policy_oracle(db: Path) -> dict[str, set[tuple[str, str]]]:
    """(topic title, action) pairs per example, from the raw policies by plain Python."""
    con = connect(db)
    topics = con.execute(
        "SELECT name, policy FROM history.aws_sns_topic t "
        "JOIN latest_snapshot_account USING (snapshot_id, account_id) "
        "WHERE policy IS NOT NULL"
    ).fetchall()
    con.close()
    out: dict[str, set[tuple[str, str]]] = {"anonymous": set(), "full": set(), "no_tls": set()}
    for name, text in topics:
        statements = json.loads(text)["Statement"]
        statements = statements if isinstance(statements, list) else [statements]
        tls = False
        for st in statements:
            principal = st.get("Principal")
            aws = (
                _as_list(principal.get("AWS", []))
                if isinstance(principal, dict)
                else _as_list(principal)
            )
            actions = {a.lower() for a in _as_list(st.get("Action", []))}
            if st["Effect"] == "Allow" and "*" in aws:
                out["anonymous"] |= {(name, a) for a in actions}
            if st["Effect"] == "Allow" and aws:
                out["full"] |= {(name, a) for a in actions & {"*", "sns:*"}}
            secure = (st.get("Condition") or {}).get("Bool", {})
            ssl = {k.lower(): v for k, v in secure.items()}.get("aws:securetransport")
            if st["Effect"] == "Deny" and "*" in aws and ssl is not None and actions:
                tls = tls or "false" in {str(v).lower() for v in _as_list(ssl)}
        if not tls:
            out["no_tls"].add((name, ""))
    return out


# Values, not only counts, for the columns this issue added.
PLUGIN_VALUES: list[tuple[str, list[tuple[Any, ...]]]] = [
    (
        "select title, akas, partition, region, account_id, _ctx ->> 'connection_name' "
        "from aws_cloudtrail_trail",
        [
            (
                "main-trail",
                '["arn:aws:cloudtrail:us-east-1:123456789012:trail/main-trail"]',
                "aws",
                "us-east-1",
                "123456789012",
                "aws_123456789012",
            )
        ],
    ),
    ("select title, akas from aws_account", [("123456789012", '["arn:aws:::123456789012"]')]),
    (
        "select title, akas from aws_region",
        [("us-east-1", '["arn:aws::us-east-1:123456789012"]')],
    ),
    (
        "select title, tags, steampipe_available from aws_region r",
        [("us-east-1", None, True)],
    ),
    (
        "select title, akas from aws_cloudwatch_log_metric_filter",
        [
            (
                "ct-changes",
                '["arn:aws:logs:us-east-1:123456789012:log-group:ct-logs:metric-filter:'
                'ct-changes"]',
            )
        ],
    ),
    (
        "select title, log_group_arn = arn, tags, data_protection_policy "
        "from aws_cloudwatch_log_group order by 1",
        [("app-logs", True, None, None), ("ct-logs", True, None, None)],
    ),
    (
        "select t.title, t.tags, s.filter_policy, s.redrive_policy, "
        "s.title = split_part(s.subscription_arn, ':', 7) "
        "from aws_sns_topic t join aws_sns_topic_subscription s using (topic_arn)",
        [("sec-alerts", None, None, None, True)],
    ),
]


@pytest.mark.parametrize(("sql", "rows"), PLUGIN_VALUES)
def test_steampipe_columns_values(history_db: History, sql: str, rows: list[tuple[Any, ...]]):
    con = connect(history_db.db)
    assert execute(con, sql).rows == rows
    con.close()


# --- Opt-in: Turbot's own queries, read from local checkouts (never copied into this repo) ---

MOD_ENV = "WATCHKEEPER_STEAMPIPE_MOD"  # a checkout of turbot/steampipe-mod-aws-compliance
PLUGIN_ENV = "WATCHKEEPER_STEAMPIPE_PLUGIN"  # a checkout of turbot/steampipe-plugin-aws


def _checkout(env: str, repo: str) -> Path:
    value = os.environ.get(env, "")
    if not value:
        pytest.skip(f"{env} is not set: point it at a local checkout of {repo} to run its queries")
    root = Path(value)
    if not root.is_dir():
        pytest.fail(f"{env}={value} is not a directory")
    return root


_MOD_QUERY = re.compile(r'^query "(\w+)" \{\s*sql\s*=\s*<<-EOQ\n(.*?)^\s*EOQ$', re.M | re.S)
_MOD_TEMPLATE = re.compile(
    r'\$\{(?:replace\(local\.(\w+), "__QUALIFIER__", "([\w.]*)"\)|local\.(\w+))\}'
)
# The mod's default dimensions (variables.pp: common_dimensions = ["account_id", "region"],
# tag_dimensions = []), spelt out for its ${local....} templates.
_DIMENSIONS = {
    "common_dimensions_qualifier_sql": ", {q}region, {q}account_id",
    "common_dimensions_qualifier_global_sql": ", {q}account_id",
    "tag_dimensions_qualifier_sql": "",
}
_DIMENSIONS |= {k.replace("_qualifier", ""): v for k, v in _DIMENSIONS.items()}


def _mod_template(m: re.Match[str]) -> str:
    return _DIMENSIONS[m.group(1) or m.group(3)].format(q=m.group(2) or "")


@functools.cache
def _mod_queries(root: Path) -> dict[str, str]:
    """query name → SQL, from every ``query "…" { sql = <<-EOQ … EOQ }`` block of the mod."""
    out: dict[str, str] = {}
    for pp in sorted(root.rglob("*.pp")):
        for m in _MOD_QUERY.finditer(pp.read_text(encoding="utf-8")):
            out[m.group(1)] = _MOD_TEMPLATE.sub(_mod_template, textwrap.dedent(m.group(2)))
    return out


_HEADING = re.compile(r"^### (.+)$", re.M)
_SQL_BLOCK = re.compile(r"^```sql(?:\+postgres)?\n(.*?)^```", re.M | re.S)


@functools.cache
def _plugin_examples(root: Path, table: str) -> dict[str, str]:
    """heading → the first Postgres example under it, from docs/tables/TABLE.md."""
    text = (root / "docs" / "tables" / f"{table}.md").read_text(encoding="utf-8")
    parts = _HEADING.split(text)  # [preamble, heading, body, heading, body, …]
    out: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        block = _SQL_BLOCK.search(body)
        if block is not None:
            out[heading.strip()] = block.group(1)
    return out


@pytest.mark.parametrize("name", sorted(CIS_CONTROLS))
def test_upstream_compliance_mod_cis_monitoring_query(history_db: History, name: str):
    queries = _mod_queries(_checkout(MOD_ENV, "turbot/steampipe-mod-aws-compliance"))
    assert name in queries, f"no query {name!r} in the mod checkout"
    con = connect(history_db.db)
    result = execute(con, queries[name])
    con.close()
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    status = "ok" if name in PASSING else "alarm"
    assert [(r["resource"], r["status"], r["account_id"]) for r in rows] == [
        (f"arn:aws:::{history_db.account}", status, history_db.account)
    ]
    if status == "ok":  # the mod's sentence: "<filter> forwards events for <subject>."
        assert rows[0]["reason"] == (
            "ct-changes forwards events for CloudTrail configuration changes."
        )
    else:
        assert rows[0]["reason"].startswith("No log metric filter and alarm exist")


def test_upstream_compliance_mod_security_hub_query(history_db: History):
    queries = _mod_queries(_checkout(MOD_ENV, "turbot/steampipe-mod-aws-compliance"))
    con = connect(history_db.db)
    result = execute(con, queries["securityhub_enabled"])
    con.close()
    assert result.columns == ["resource", "status", "reason", "region", "account_id"]
    assert result.rows == [
        (None, "alarm", "Security Hub disabled in us-east-1.", "us-east-1", history_db.account)
    ]


# Turbot's plugin examples (docs/tables/TABLE.md, by heading) → rows on the fixture (see
# TABLE_ROWS for what it holds), or S3. Those over policy_std are checked against the oracle.
UPSTREAM_ROWS: dict[str, dict[str, int | str]] = {
    "aws_account": {"Basic AWS account info": 0, "Organization policy of aws account": 0},
    "aws_region": {"AWS region info": 1, "List of AWS regions that are enabled": 0},
    "aws_cloudtrail_trail": {
        "Basic info": 1,
        "List shadow trails": 0,
        "List trails that are not encrypted": 1,
        "List trails that do not send log events to CloudWatch Logs": 0,
        "List trails that store logs in an S3 bucket with versioning disabled": S3,
        "List trails that store logs in publicly accessible S3 buckets": S3,
        "List trails with log file validation disabled": 1,
    },
    "aws_cloudwatch_alarm": {
        "Basic info": 1,
        "Get metrics attached to each alarm based on a metric math expression": 0,
        "Get the metric attached to each alarm based on a single metric": 1,
        "List alarms in alarm state": 0,
        "List alarms with alarm actions enabled": 1,
    },
    "aws_cloudwatch_log_group": {
        "List all the log groups that are not encrypted": 2,
        "List data protection audit policies and their destinations for each log group": 0,
        "List log groups with no data protection policy": 2,
        "List of log groups whose retention period is less than 7 days": 0,
        "Metric filters info attached log groups": 1,
    },
    "aws_cloudwatch_log_metric_filter": {
        "Basic AWS cloudwatch log metric info": 1,
        "List the cloudwatch metric filters that sends error logs to cloudwatch log groups": 0,
        "Number of metric filters attached to each cloudwatch log group": 1,
    },
    "aws_organizations_account": {"Basic info": 0, "List suspended accounts": 0},
    "aws_organizations_organizational_unit": {
        "Basic info": 0,
        "Find a specific organizational unit and all its descendants": 0,
        "Get all ancestors of a given organizational unit": 0,
        "Retrieve all siblings of a specific organizational unit": 0,
        "Select all organizational units at a certain level in the hierarchy": 0,
        "Select organizational units with a path that matches a specific pattern": 0,
    },
    "aws_organizations_root": {
        "Basic info": 0,
        "Get the policy details attached to organization root account": 0,
    },
    "aws_securityhub_hub": {
        "Basic info": 1,
        "List administrator account details for the hub": 0,
        "List hubs that do not automatically enable new controls": 0,
    },
    "aws_sns_topic": {
        "List of SNS topics which are not using Customer Managed Keys(CMK)": 0,
        "List of SNS topics without owner tag key": 0,  # tags NULL without --deep
        "List of unencrypted SNS topic": 1,
        "List topics which have delivery status logging for notification messages disabled": 1,
        "List of SNS topics policy statements that grant anonymous access": "anonymous",
        "List of topics that DO NOT enforce encryption in transit": "no_tls",
        "Topic policy statements that grant full access to the resource": "full",
    },
    "aws_sns_topic_subscription": {
        "List of subscriptions which are not configured to filter messages": 1,
        "List of subscriptions which are not configured with dead letter queue": 1,
        "Subscription count by topic arn": 1,
    },
}


@pytest.mark.parametrize("table", sorted(UPSTREAM_ROWS))
def test_upstream_plugin_doc_examples(history_db: History, table: str):
    """Every Postgres example in the plugin's page for a table watchkeeper holds runs: with the
    rows written down above, or (an example this list does not know) without error unless it
    names a table watchkeeper does not collect."""
    examples = _plugin_examples(_checkout(PLUGIN_ENV, "turbot/steampipe-plugin-aws"), table)
    known = UPSTREAM_ROWS[table]
    oracle = _policy_oracle(history_db.db)
    failures: list[str] = []
    con = connect(history_db.db)
    try:
        for heading, sql in examples.items():
            expected = known.get(heading)
            try:
                rows = execute(con, sql).rows
            except QueryError as exc:
                if expected != S3 and not (expected is None and "is not in this store" in str(exc)):
                    failures.append(f"{heading}: {exc}")
                continue
            if isinstance(expected, int) and len(rows) != expected:
                failures.append(f"{heading}: {len(rows)} rows, expected {expected}")
            elif expected in oracle:
                got = {(str(r[0]), str(r[2]) if len(r) > 2 else "") for r in rows}
                if got != oracle[str(expected)]:
                    failures.append(f"{heading}: {sorted(got)} != {sorted(oracle[str(expected)])}")
            elif expected == S3:
                failures.append(f"{heading}: ran, but names aws_s3_bucket")
    finally:
        con.close()
    assert not failures, "\n".join(failures)
    missing = set(known) - set(examples)
    assert not missing, f"examples no longer in docs/tables/{table}.md: {sorted(missing)}"


def test_policy_std_canonical_forms(history_db: History):
    """wk_policy_std over the spellings the fixture's default topic policy never uses: a
    single Statement object, a "*" and an object Principal, NotPrincipal, string and list
    values with duplicates and mixed case."""
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:2", "arn:1", "arn:1"], "Service": "sns.amazonaws.com"},
                "Action": ["SNS:Publish", "sns:publish", "SNS:Subscribe"],
                "Resource": ["b", "a"],
                "Condition": {
                    "StringEquals": {"AWS:SourceOwner": "1", "aws:SourceArn": ["z", "y"]}
                },
            },
            {"Effect": "Deny", "NotPrincipal": "*", "NotAction": "SNS:*", "NotResource": "r"},
        ]
    }
    single = {
        "Id": "x",
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": "SNS:Publish"},
    }
    con = connect(history_db.db)
    std = [
        json.loads(con.execute("select wk_policy_std(?::JSON)", [json.dumps(p)]).fetchone()[0])
        for p in (policy, single)
    ]
    con.close()
    allow, deny = std[0]["Statement"]
    assert allow["Principal"] == {"AWS": ["arn:1", "arn:2"], "Service": ["sns.amazonaws.com"]}
    assert allow["Action"] == ["sns:publish", "sns:subscribe"] and allow["Resource"] == ["a", "b"]
    assert allow["Condition"] == {
        "StringEquals": {"aws:sourceowner": ["1"], "aws:sourcearn": ["y", "z"]}
    }
    assert allow["NotPrincipal"] is None and deny["Principal"] is None
    assert deny["NotPrincipal"] == {"AWS": ["*"]}
    assert (deny["NotAction"], deny["NotResource"]) == (["sns:*"], ["r"])
    assert std[1]["Id"] == "x" and std[1]["Statement"][0]["Principal"] == {"AWS": ["*"]}
