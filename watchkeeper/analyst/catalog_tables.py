"""The one description of every table and column: `watchkeeper tables` prints it and
``readme_section()`` renders the README's "Tables and columns" section from it.

Each column says what it means and where it comes from: the AWS API field (operation and
response path), or how watchkeeper derives it. A test checks that every column of every
table and view in a checked database is described here, so the docs cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchkeeper.analyst.catalog_base import (
    ACC,
    AL,
    CA,
    CT,
    CTE,
    CTS,
    HUB,
    LG,
    MF,
    MT,
    ORG,
    OU,
    ROOT,
    SU,
    TA,
    Column,
)
from watchkeeper.analyst.catalog_steampipe import DEEP_COLUMNS, STEAMPIPE_COLUMNS
from watchkeeper.errors import UserError


@dataclass(frozen=True)
class TableDoc:
    name: str
    kind: str  # collected | store | results | reference | view
    description: str
    columns: dict[str, Column] = field(default_factory=dict)
    # Columns not listed here are those of this table/view, with the same meaning.
    inherits: str | None = None


KINDS = {
    "collected": "Collected evidence (`history.NAME` holds every snapshot; `NAME`, the latest)",
    "store": "Snapshots and bookkeeping",
    "results": "Check results",
    "reference": "Reference tables written by `watchkeeper check`",
    "view": "Views the controls are stated over (queries/sql/chain.sql)",
}


def _c(meaning: str, source: str = "watchkeeper") -> Column:
    return Column(meaning, source)


def _keys(api: str) -> dict[str, Column]:
    """The columns every collected row carries."""
    return {
        "snapshot_id": _c("Snapshot that collected the row (snapshot.snapshot_id)"),
        "account_id": _c("Account the row was collected from"),
        "region": _c("Region the row was collected in"),
        "raw": _c("The API object as returned, JSON", api),
    }


TABLES: dict[str, TableDoc] = {}


def _add(doc: TableDoc) -> None:
    TABLES[doc.name] = doc


_add(
    TableDoc(
        "snapshot",
        "store",
        "One row per collection run. Rows of a snapshot become visible (status `complete`) "
        "only when all of them are written; `sha256` covers the metadata and every row, and "
        "chains to the previous complete snapshot.",
        {
            "snapshot_id": _c("Snapshot id, increasing"),
            "started_at": _c("When the collection started (UTC)"),
            "finished_at": _c("When its rows were written; NULL while incomplete"),
            "status": _c("`complete` or `incomplete` (the run died or is still running)"),
            "tool_version": _c("watchkeeper version that collected"),
            "schema_version": _c("Store schema version the rows follow"),
            "caller_arn": _c(
                "Identity the collector ran as (comma-separated when merged from shards)",
                "sts:GetCallerIdentity Arn",
            ),
            "collector_host": _c(
                "Host name of the machine that collected (schema 2; NULL for older snapshots)"
            ),
            "accounts": _c("Account ids requested, JSON array"),
            "regions": _c("Regions requested, JSON array; NULL means each account's enabled ones"),
            "api_calls": _c("AWS API calls made"),
            "api_retries": _c("Calls retried (throttling, transient errors)"),
            "error_count": _c("Rows in collection_error for this snapshot"),
            "sha256": _c("SHA-256 over the snapshot's metadata and rows (store/integrity.py)"),
            "previous_snapshot_id": _c("The complete snapshot this one chains to"),
            "previous_sha256": _c("That snapshot's sha256 when this one was written"),
        },
    )
)
_add(
    TableDoc(
        "latest_snapshot",
        "store",
        "View: the newest complete snapshot (one row).",
        inherits="snapshot",
    )
)
_add(
    TableDoc(
        "latest_snapshot_account",
        "store",
        "View: per account, the latest complete snapshot that collected it — what the plain "
        "table names show.",
        {
            "account_id": _c("Account id"),
            "snapshot_id": _c("Latest complete snapshot with an aws_account row for it"),
        },
    )
)
_add(
    TableDoc(
        "collection_error",
        "collected",
        "One row per API call that failed after retries (AccessDenied, throttling, an "
        "unreachable region, a role that could not be assumed). The rest is still collected.",
        {
            **_keys(""),
            "account_id": _c("Account of the failed call; NULL for organization-wide calls"),
            "region": _c("Region of the failed call; NULL for global calls"),
            "service": _c("AWS service (e.g. `cloudtrail`)", "botocore service name"),
            "operation": _c("API operation (e.g. `GetTrailStatus`)", "botocore operation name"),
            "error_code": _c("Error code", "Error.Code of the AWS error response"),
            "message": _c("Error message", "Error.Message of the AWS error response"),
        },
    )
)
del TABLES["collection_error"].columns["raw"]
_add(
    TableDoc(
        "aws_account",
        "collected",
        "One row per targeted account and snapshot, even when the account could not be "
        "reached (collection_status `failed`), so an unreachable account never shows older "
        "data as current.",
        {
            **_keys("iam:ListAccountAliases + organizations:DescribeOrganization"),
            "region": _c("Region the identity calls were made in"),
            "partition": _c("AWS partition (`aws`, `aws-cn`, `aws-us-gov`)", "sts caller ARN"),
            "arn": _c("`arn:<partition>:::<account_id>`"),
            "caller_arn": _c("Identity the collector acted as", "sts:GetCallerIdentity Arn"),
            "access_method": _c("`caller` (own credentials) or `assume_role`"),
            "collection_status": _c("`ok`, `partial` (some calls failed) or `failed` (no access)"),
            "role_arn": _c("Role assumed in the account", "sts:AssumeRole AssumedRoleUser"),
            "account_aliases": _c("Account aliases, JSON array", "iam:ListAccountAliases"),
            "organization_id": _c("Organization id", f"{ORG}.Id"),
            "organization_arn": _c("Organization ARN", f"{ORG}.Arn"),
            "organization_master_account_id": _c(
                "Management account of the organization", f"{ORG}.MasterAccountId"
            ),
            "is_organization_management": _c(
                "This account is the organization's management account",
                "derived: MasterAccountId = account_id",
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_region",
        "collected",
        "One row per account and region considered: collected, or skipped with the reason.",
        {
            **_keys("ec2:DescribeRegions Regions[]"),
            "region": _c("The region (same as name)"),
            "name": _c("Region name", "ec2:DescribeRegions Regions[].RegionName"),
            "opt_in_status": _c(
                "Opt-in status; NULL when the region was given by --region",
                "ec2:DescribeRegions Regions[].OptInStatus",
            ),
            "collected": _c("Whether the region was collected"),
            "skip_reason": _c("Why it was not (e.g. opt-in region not enabled)"),
        },
    )
)
_add(
    TableDoc(
        "aws_cloudtrail_trail",
        "collected",
        "One row per trail per region that lists it (a multi-region trail appears in every "
        "region; `is_shadow` marks the copies). Status and selectors are read once, in the "
        "home region, by the owner.",
        {
            **_keys(CT),
            "account_id": _c("Account that listed the trail"),
            "region": _c("Region that listed the trail"),
            "name": _c("Trail name", f"{CT}.Name"),
            "arn": _c("Trail ARN", f"{CT}.TrailARN"),
            "home_region": _c("Region the trail was created in", f"{CT}.HomeRegion"),
            "owner_account_id": _c(
                "Account that owns the trail (differs for organization trails)",
                "derived: account field of TrailARN",
            ),
            "is_shadow": _c("Listed outside its home region", "derived: region <> home_region"),
            "is_multi_region_trail": _c("Multi-region trail", f"{CT}.IsMultiRegionTrail"),
            "is_organization_trail": _c("Organization trail", f"{CT}.IsOrganizationTrail"),
            "include_global_service_events": _c(
                "Records global services (IAM, STS…)", f"{CT}.IncludeGlobalServiceEvents"
            ),
            "log_file_validation_enabled": _c(
                "Log file integrity validation", f"{CT}.LogFileValidationEnabled"
            ),
            "has_custom_event_selectors": _c(
                "Has event selectors", f"{CT}.HasCustomEventSelectors"
            ),
            "has_insight_selectors": _c("Has Insights selectors", f"{CT}.HasInsightSelectors"),
            "log_group_arn": _c(
                "CloudWatch Logs group it delivers to", f"{CT}.CloudWatchLogsLogGroupArn"
            ),
            "cloudwatch_logs_role_arn": _c(
                "Role CloudTrail uses to write to the log group", f"{CT}.CloudWatchLogsRoleArn"
            ),
            "s3_bucket_name": _c("S3 bucket for log files", f"{CT}.S3BucketName"),
            "s3_key_prefix": _c("S3 key prefix", f"{CT}.S3KeyPrefix"),
            "sns_topic_arn": _c("Topic notified of log file delivery", f"{CT}.SnsTopicARN"),
            "kms_key_id": _c("KMS key encrypting log files", f"{CT}.KmsKeyId"),
            "status_collected": _c("Status and selectors were read (columns below are filled)"),
            "is_logging": _c("Currently logging", f"{CTS} IsLogging"),
            "latest_cloudwatch_logs_delivery_time": _c(
                "Last delivery to CloudWatch Logs", f"{CTS} LatestCloudWatchLogsDeliveryTime"
            ),
            "latest_cloudwatch_logs_delivery_error": _c(
                "Last CloudWatch Logs delivery error", f"{CTS} LatestCloudWatchLogsDeliveryError"
            ),
            "latest_delivery_time": _c("Last S3 delivery", f"{CTS} LatestDeliveryTime"),
            "latest_delivery_error": _c("Last S3 delivery error", f"{CTS} LatestDeliveryError"),
            "start_logging_time": _c("When logging last started", f"{CTS} StartLoggingTime"),
            "stop_logging_time": _c("When logging last stopped", f"{CTS} StopLoggingTime"),
            "event_selectors": _c("Basic event selectors, JSON", f"{CTE} EventSelectors"),
            "advanced_event_selectors": _c(
                "Advanced event selectors, JSON", f"{CTE} AdvancedEventSelectors"
            ),
            "raw_status": _c("GetTrailStatus response, JSON", CTS),
            "raw_event_selectors": _c("GetEventSelectors response, JSON", CTE),
        },
    )
)
_add(
    TableDoc(
        "aws_cloudwatch_log_group",
        "collected",
        "One row per CloudWatch Logs log group.",
        {
            **_keys(LG),
            "name": _c("Log group name", f"{LG}.logGroupName"),
            "arn": _c("Log group ARN without the trailing `:*`", f"{LG}.arn"),
            "creation_time": _c("Created", f"{LG}.creationTime (epoch ms)"),
            "retention_in_days": _c("Retention; NULL is forever", f"{LG}.retentionInDays"),
            "metric_filter_count": _c("Metric filters on it", f"{LG}.metricFilterCount"),
            "stored_bytes": _c("Stored bytes", f"{LG}.storedBytes"),
            "kms_key_id": _c("KMS key", f"{LG}.kmsKeyId"),
            "log_group_class": _c("`STANDARD` or `INFREQUENT_ACCESS`", f"{LG}.logGroupClass"),
            "data_protection_status": _c(
                "Data protection policy status", f"{LG}.dataProtectionStatus"
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_cloudwatch_log_metric_filter",
        "collected",
        "One row per metric filter. AWS allows one metric transformation per filter; its "
        "fields are columns, and `metric_transformations` keeps the list as returned.",
        {
            **_keys(MF),
            "name": _c("Filter name", f"{MF}.filterName"),
            "log_group_name": _c("Log group it filters", f"{MF}.logGroupName"),
            "creation_time": _c("Created", f"{MF}.creationTime (epoch ms)"),
            "filter_pattern": _c("The filter pattern", f"{MF}.filterPattern"),
            "metric_transformation_name": _c("Metric name", f"{MT}.metricName"),
            "metric_transformation_namespace": _c("Metric namespace", f"{MT}.metricNamespace"),
            "metric_transformation_value": _c(
                "Value published per matching event", f"{MT}.metricValue"
            ),
            "metric_transformation_default_value": _c(
                "Value published for non-matching events", f"{MT}.defaultValue"
            ),
            "metric_transformation_dimensions": _c(
                "Metric dimensions, JSON object", f"{MT}.dimensions"
            ),
            "metric_transformation_unit": _c("Metric unit", f"{MT}.unit"),
            "metric_transformations": _c(
                "All transformations, JSON array", f"{MF}.metricTransformations"
            ),
            "apply_on_transformed_logs": _c(
                "Filter applies to transformed logs", f"{MF}.applyOnTransformedLogs"
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_cloudwatch_alarm",
        "collected",
        "One row per CloudWatch alarm: metric alarms (as in Steampipe's table) and composite "
        "alarms (`alarm_type`; from CompositeAlarms[], with the same fields where they have "
        "them; Steampipe has no composite table, so their own fields are columns here).",
        {
            **_keys(AL),
            "name": _c("Alarm name", f"{AL}.AlarmName"),
            "arn": _c("Alarm ARN", f"{AL}.AlarmArn"),
            "alarm_description": _c("Description", f"{AL}.AlarmDescription"),
            "actions_enabled": _c("Actions run on state change", f"{AL}.ActionsEnabled"),
            "alarm_actions": _c("ARNs notified on ALARM, JSON array", f"{AL}.AlarmActions"),
            "ok_actions": _c("ARNs notified on OK, JSON array", f"{AL}.OKActions"),
            "insufficient_data_actions": _c(
                "ARNs notified on INSUFFICIENT_DATA, JSON array", f"{AL}.InsufficientDataActions"
            ),
            "metric_name": _c("Metric watched", f"{AL}.MetricName"),
            "namespace": _c("Metric namespace", f"{AL}.Namespace"),
            "statistic": _c("Statistic (Sum, Average…)", f"{AL}.Statistic"),
            "extended_statistic": _c("Percentile statistic", f"{AL}.ExtendedStatistic"),
            "dimensions": _c("Metric dimensions, JSON array", f"{AL}.Dimensions"),
            "period": _c("Period in seconds", f"{AL}.Period"),
            "unit": _c("Metric unit", f"{AL}.Unit"),
            "evaluation_periods": _c("Periods evaluated", f"{AL}.EvaluationPeriods"),
            "datapoints_to_alarm": _c("Breaching datapoints needed", f"{AL}.DatapointsToAlarm"),
            "threshold": _c("Threshold", f"{AL}.Threshold"),
            "comparison_operator": _c("Comparison with the threshold", f"{AL}.ComparisonOperator"),
            "treat_missing_data": _c("Missing-data handling", f"{AL}.TreatMissingData"),
            "evaluate_low_sample_count_percentile": _c(
                "Low-sample percentile handling", f"{AL}.EvaluateLowSampleCountPercentile"
            ),
            "threshold_metric_id": _c("Anomaly-band threshold metric", f"{AL}.ThresholdMetricId"),
            "metrics": _c("Metric-math definition, JSON array", f"{AL}.Metrics"),
            "state_value": _c("OK, ALARM or INSUFFICIENT_DATA at collection", f"{AL}.StateValue"),
            "state_reason": _c("Why it is in that state", f"{AL}.StateReason"),
            "state_updated_timestamp": _c("Last state change", f"{AL}.StateUpdatedTimestamp"),
            "alarm_type": _c(
                "MetricAlarm or CompositeAlarm (NULL in snapshots before schema 7: metric)",
                "cloudwatch:DescribeAlarms: the list it came in",
            ),
            "alarm_rule": _c("Composite: the rule over other alarms", f"{CA}.AlarmRule"),
            "actions_suppressor": _c(
                "Composite: the alarm whose ALARM state mutes its actions",
                f"{CA}.ActionsSuppressor",
            ),
            "actions_suppressor_wait_period": _c(
                "Composite: seconds to wait for the suppressor", f"{CA}.ActionsSuppressorWaitPeriod"
            ),
            "actions_suppressor_extension_period": _c(
                "Composite: seconds suppression lasts after the suppressor leaves ALARM",
                f"{CA}.ActionsSuppressorExtensionPeriod",
            ),
            "actions_suppressed_by": _c(
                "Composite: WaitPeriod, ExtensionPeriod, Alarm or None at collection",
                f"{CA}.ActionsSuppressedBy",
            ),
            "actions_suppressed_reason": _c(
                "Composite: why its actions are suppressed", f"{CA}.ActionsSuppressedReason"
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_sns_topic",
        "collected",
        "One row per SNS topic. Attributes, subscribers and the KMS key's manager are read "
        "only for topics some collected alarm (of any account) notifies "
        "(`attributes_collected`, `subscriptions_listed`): the only topics a chain can run "
        "through.",
        {
            **_keys("sns:ListTopics + sns:GetTopicAttributes"),
            "topic_arn": _c("Topic ARN", "sns:ListTopics Topics[].TopicArn"),
            "name": _c("Topic name", "derived: last field of TopicArn"),
            "attributes_collected": _c("GetTopicAttributes was called for it"),
            "display_name": _c("Display name", f"{TA}.DisplayName"),
            "owner": _c("Owning account", f"{TA}.Owner"),
            "kms_master_key_id": _c("KMS key encrypting messages", f"{TA}.KmsMasterKeyId"),
            "policy": _c("Access policy, JSON", f"{TA}.Policy"),
            "subscriptions_confirmed": _c(
                "Confirmed subscriptions", f"{TA}.SubscriptionsConfirmed"
            ),
            "subscriptions_pending": _c("Pending subscriptions", f"{TA}.SubscriptionsPending"),
            "subscriptions_deleted": _c("Deleted subscriptions", f"{TA}.SubscriptionsDeleted"),
            "subscriptions_listed": _c(
                "ListSubscriptionsByTopic read every page (true) or failed (false); NULL: not "
                "asked (not notified, or a snapshot before schema 4)"
            ),
            "kms_key_manager": _c(
                "AWS or CUSTOMER: who manages the KMS key (alias/aws/sns is AWS)",
                "kms:DescribeKey KeyMetadata.KeyManager",
            ),
            "kms_key_described": _c(
                "DescribeKey answered (true) or failed (false); NULL: not asked"
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_sns_topic_subscription",
        "collected",
        "One row per subscription of a topic some collected alarm notifies, listed per topic "
        "as the topic's owner (`account_id`) sees it: other accounts' subscribers included.",
        {
            **_keys(SU),
            "subscription_arn": _c(
                "Subscription ARN; `PendingConfirmation` until confirmed, `Deleted` for a while "
                "after some unsubscribes",
                f"{SU}.SubscriptionArn",
            ),
            "topic_arn": _c("Topic subscribed to", f"{SU}.TopicArn"),
            "owner": _c("Subscription owner account", f"{SU}.Owner"),
            "protocol": _c("email, sms, https, lambda, sqs…", f"{SU}.Protocol"),
            "endpoint": _c("Where messages go", f"{SU}.Endpoint"),
            "pending_confirmation": _c(
                "Awaiting confirmation", "derived: SubscriptionArn = 'PendingConfirmation'"
            ),
            "confirmed": _c("Confirmed (can deliver)", "derived: SubscriptionArn is an ARN"),
        },
    )
)
_add(
    TableDoc(
        "aws_securityhub_hub",
        "collected",
        "One row per collected account and region. `subscribed = false` is the fact "
        '"Security Hub is not enabled here", not a collection error.',
        {
            **_keys(HUB),
            "subscribed": _c(
                "Security Hub is enabled", "derived: DescribeHub succeeded (not InvalidAccess)"
            ),
            "hub_arn": _c("Hub ARN", f"{HUB} HubArn"),
            "subscribed_at": _c("When it was enabled", f"{HUB} SubscribedAt"),
            "auto_enable_controls": _c(
                "New controls enabled automatically", f"{HUB} AutoEnableControls"
            ),
            "control_finding_generator": _c(
                "Consolidated or per-standard findings", f"{HUB} ControlFindingGenerator"
            ),
        },
    )
)


# The organization's tree: read once per snapshot, from the caller (management account or
# delegated administrator), whose id is the rows' account_id.
def _org_keys(api: str) -> dict[str, Column]:
    return {
        **_keys(api),
        "account_id": _c("The management account or delegated administrator that answered"),
        "region": _c("Region the Organizations calls were made in"),
    }


_add(
    TableDoc(
        "aws_organizations_root",
        "collected",
        "One row per root of the organization (there is one), collected with "
        "`--organization` from the management account or a delegated administrator.",
        {
            **_org_keys(ROOT),
            "id": _c("Root id (`r-…`)", f"{ROOT}.Id"),
            "name": _c("Root name", f"{ROOT}.Name"),
            "arn": _c("Root ARN", f"{ROOT}.Arn"),
            "policy_types": _c(
                "Policy types enabled in the root and their status, JSON array",
                f"{ROOT}.PolicyTypes",
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_organizations_organizational_unit",
        "collected",
        "One row per organizational unit, found by walking the tree from the root "
        "(`--organization`). A parent whose listing failed leaves its subtree out (see "
        "collection_error).",
        {
            **_org_keys(OU),
            "id": _c("OU id (`ou-…`)", f"{OU}.Id"),
            "name": _c("OU name", f"{OU}.Name"),
            "arn": _c("OU ARN", f"{OU}.Arn"),
            "parent_id": _c(
                "The OU or root it sits in",
                "organizations:ListOrganizationalUnitsForParent ParentId (the request)",
            ),
            "path": _c(
                "Ids from the root down to this OU, `.`-separated with `-` as `_` (Steampipe's "
                "ltree form, e.g. `r_ab12.ou_ab12_11111111`)",
                "derived: the walk from the root",
            ),
        },
    )
)
_add(
    TableDoc(
        "aws_organizations_account",
        "collected",
        "One row per account of the organization (`--organization`), with the OU or root it "
        "sits in. `id` is the member account; `account_id` is the account that answered.",
        {
            **_org_keys("organizations:ListAccounts Accounts[] or " + ACC),
            "id": _c("Member account id", f"{ACC}.Id"),
            "name": _c("Account name", f"{ACC}.Name"),
            "arn": _c("Account ARN in the organization", f"{ACC}.Arn"),
            "email": _c("Root user e-mail address", f"{ACC}.Email"),
            "status": _c("`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`…", f"{ACC}.Status (or State)"),
            "joined_method": _c("`INVITED` or `CREATED`", f"{ACC}.JoinedMethod"),
            "joined_timestamp": _c("When it joined the organization", f"{ACC}.JoinedTimestamp"),
            "parent_id": _c(
                "The OU or root it sits in; NULL when the walk could not reach it",
                "organizations:ListAccountsForParent ParentId (the request)",
            ),
            "tags": _c(
                "Account tags as a {key: value} object (Steampipe's `tags`): the view computes "
                "it from raw_deep, the stored column is always NULL; NULL unless collected with "
                "`collect --deep`",
                "organizations:ListTagsForResource Tags[]",
            ),
        },
    )
)
_add(
    TableDoc(
        "check_run",
        "results",
        "One row per `watchkeeper check` run.",
        {
            "run_id": _c("Run id, increasing"),
            "checked_at": _c("When the check ran (UTC)"),
            "tool_version": _c("watchkeeper version"),
            "benchmark": _c("Benchmark version (e.g. `cis-v5.0.0`)"),
            "profile": _c("`full` (every link) or `literal` (the benchmark's audit only)"),
            "snapshot_id": _c("--snapshot given; NULL means the latest snapshot per account"),
            "snapshot_ids": _c("Snapshots the verdicts were read from, JSON array"),
            "controls": _c("--control filter, JSON array (empty: all)"),
            "accounts": _c("--account filter, JSON array (empty: all)"),
            "attestations": _c("Path of the attestations file, if any"),
            "results_sha256": _c("SHA-256 over the run's verdicts"),
        },
    )
)
_add(
    TableDoc(
        "control_result",
        "results",
        "One row per verdict: control × account (the result contract).",
        {
            "run_id": _c("check_run it belongs to"),
            "benchmark": _c("Benchmark version"),
            "control_id": _c("Control id in that benchmark (e.g. `4.5`)"),
            "topic": _c(
                "Version-independent control name (e.g. `cloudtrail_configuration_changes`)"
            ),
            "title": _c("Control title"),
            "account_id": _c("Account judged"),
            "region": _c("Region of the deciding resource, if any"),
            "resource": _c("ARN of the deciding resource (alarm, trail, hub), if any"),
            "status": _c("`pass`, `fail`, `error` (could not evaluate) or `manual` (attested)"),
            "reason": _c("Why; a failure names the first broken link"),
            "evidence": _c("The chain, each link held or not, coverage counterexample; JSON"),
            "snapshot_id": _c("Snapshot the verdict was read from"),
        },
    )
)
_add(
    TableDoc(
        "remediation_run",
        "results",
        "One row per `watchkeeper fix --apply`: the plan, every step and the re-check.",
        {
            "remediation_id": _c("Remediation run id, increasing"),
            "started_at": _c("When the apply started (UTC)"),
            "finished_at": _c("When the re-check finished (UTC); NULL if it did not"),
            "tool_version": _c("watchkeeper version"),
            "applied_by": _c("The caller's ARN (sts:GetCallerIdentity) that applied the plan"),
            "role_arns": _c("Account id → the fixer role assumed there, JSON"),
            "benchmark": _c("Benchmark version the plan was made for"),
            "check_run_before": _c("check_run the plan was made from"),
            "check_run_after": _c("check_run of the re-check"),
            "snapshots_before": _c("Snapshots the plan's verdicts were read from, JSON array"),
            "snapshot_after": _c("Snapshot re-collected for the accounts and regions touched"),
            "status": _c("applied, partial, failed, unchanged or nothing"),
            "plan": _c("The plan, as `fix --format json` prints it"),
            "steps": _c("One entry per step: API call, parameters, result, JSON"),
            "outcome": _c("Per chain: status before → after, and why, JSON"),
        },
    )
)
_add(
    TableDoc(
        "pattern_coverage",
        "reference",
        "Whether a metric filter's pattern matches every CloudTrail event a control's "
        "required pattern matches (the pattern prover), per pair seen.",
        {
            "filter_pattern": _c("A filter's pattern", f"{MF}.filterPattern"),
            "required_pattern": _c("A control's required pattern (catalog)"),
            "covered": _c("The filter catches every event the required pattern catches"),
            "decided": _c("The prover reached a verdict (false: undecided, reported as such)"),
            "reason": _c("Explanation of the verdict"),
            "counterexample": _c("A CloudTrail record required matches and the filter misses"),
            "broader": _c("An example the filter matches beyond the required pattern, JSON"),
            "similarity": _c(
                "Token overlap of the two patterns (0–1); only ranks near misses, never a verdict"
            ),
        },
    )
)
_add(
    TableDoc(
        "wk_control",
        "reference",
        "Controls of every benchmark version, from queries/catalog.yaml.",
        {
            "benchmark": _c("Benchmark version"),
            "control_id": _c("Control id in that version"),
            "topic": _c("Version-independent control name"),
            "kind": _c("`metric_filter_alarm` or `security_hub`"),
            "title": _c("Control title"),
            "level": _c("CIS profile level (1 or 2)"),
            "assessment": _c("`Automated` or `Manual`"),
            "security_hub_id": _c("AWS Security Hub control id (CloudWatch.N)"),
        },
    )
)
_add(
    TableDoc(
        "wk_control_pattern",
        "reference",
        "The pattern a filter is judged against per control: the control's intent "
        "(catalog.yaml), which every published form of the benchmark's pattern covers.",
        {
            "benchmark": _c("Benchmark version"),
            "control_id": _c("Control id"),
            "pattern_index": _c("Position of the pattern (0: the intent)"),
            "pattern": _c("The required pattern (the control's intent)"),
        },
    )
)
_add(
    TableDoc(
        "wk_control_source",
        "reference",
        "Event sources whose management events a control needs (`*`: any).",
        {
            "benchmark": _c("Benchmark version"),
            "control_id": _c("Control id"),
            "event_source": _c("e.g. `cloudtrail.amazonaws.com`"),
        },
    )
)
_add(
    TableDoc(
        "wk_trail",
        "view",
        "Trails as their owner sees them in their home region, with the trail-level links.",
        {
            "owner_account_id": _c("Account owning the trail"),
            "trail_arn": _c("Trail ARN", f"{CT}.TrailARN"),
            "trail_name": _c("Trail name", f"{CT}.Name"),
            "home_region": _c("Trail home region", f"{CT}.HomeRegion"),
            "snapshot_id": _c("Snapshot of the trail row"),
            "is_organization_trail": _c("Organization trail", f"{CT}.IsOrganizationTrail"),
            "status_collected": _c("Status and selectors were read"),
            "trail_log_group_arn": _c(
                "Log group it delivers to", f"{CT}.CloudWatchLogsLogGroupArn"
            ),
            "lg_partition": _c("Partition of that log group ARN", "derived from the ARN"),
            "lg_region": _c("Region of that log group", "derived from the ARN"),
            "lg_account": _c("Account of that log group", "derived from the ARN"),
            "lg_name": _c("Name of that log group", "derived from the ARN"),
            "latest_cloudwatch_logs_delivery_time": _c(
                "Last delivery to CloudWatch Logs", f"{CTS} LatestCloudWatchLogsDeliveryTime"
            ),
            "latest_cloudwatch_logs_delivery_error": _c(
                "Last delivery error", f"{CTS} LatestCloudWatchLogsDeliveryError"
            ),
            "start_logging_time": _c("When logging last started", f"{CTS} StartLoggingTime"),
            "event_selectors": _c("Basic event selectors, JSON", f"{CTE} EventSelectors"),
            "advanced_event_selectors": _c(
                "Advanced event selectors, JSON", f"{CTE} AdvancedEventSelectors"
            ),
            "trail_multi_region": _c("Link: multi-region trail"),
            "trail_logging": _c("Link: currently logging"),
            "trail_management_events": _c(
                "Link: records management events, reads and writes (basic or advanced selectors)"
            ),
            "excluded_sources": _c("Management event sources the selectors drop"),
            "trail_delivers_to_logs": _c("Link: delivers to a CloudWatch Logs group"),
            "trail_delivery_healthy": _c(
                "Link: no delivery error, delivered within 24 h of the snapshot, and not "
                "logging for over 24 h without ever delivering"
            ),
        },
    )
)
_add(
    TableDoc(
        "wk_account_trail",
        "view",
        "Trails that can carry evidence for an account: its own, and its organization's "
        "organization trails.",
        {"account_id": _c("Account the trail covers")},
        inherits="wk_trail",
    )
)
_add(
    TableDoc(
        "wk_topic",
        "view",
        "SNS topics with their subscriptions counted.",
        {
            "account_id": _c("Account of the topic"),
            "region": _c("Region of the topic"),
            "topic_arn": _c("Topic ARN", "sns:ListTopics Topics[].TopicArn"),
            "topic_name": _c("Topic name"),
            "attributes_collected": _c("GetTopicAttributes answered for it"),
            "subscriptions_listed": _c("ListSubscriptionsByTopic answered (NULL: not asked)"),
            "kms_master_key_id": _c("KMS key", f"{TA}.KmsMasterKeyId"),
            "kms_key_manager": _c("AWS or CUSTOMER", "kms:DescribeKey KeyMetadata.KeyManager"),
            "kms_key_described": _c("DescribeKey answered (NULL: not asked)"),
            "confirmed_subscriptions": _c("Confirmed subscriptions in the listing"),
            "pending_subscriptions": _c("Subscriptions pending confirmation"),
            "subscriptions": _c("List of {arn, protocol, endpoint, confirmed}"),
        },
    )
)
_add(
    TableDoc(
        "wk_alarm",
        "view",
        "Metric alarms with the metric they watch (a one-metric metric-math alarm counts).",
        {
            "watched_metric": _c("MetricName, or the single metric of a metric-math alarm"),
            "watched_namespace": _c("Its namespace"),
            "watched_statistic": _c("Its statistic"),
            "watched_dimension_count": _c("Number of dimensions on the watched metric"),
            "sns_actions": _c("SNS topic ARNs among AlarmActions"),
        },
        inherits="aws_cloudwatch_alarm",
    )
)
_add(
    TableDoc(
        "wk_alarm_route",
        "view",
        "How each metric alarm pages: through its own actions, or through each composite "
        "alarm of its account and region whose rule names it.",
        {
            "account_id": _c("Account of the alarm"),
            "region": _c("Region of the alarm"),
            "alarm_arn": _c("The metric alarm"),
            "composite_name": _c("Composite alarm it notifies through; NULL: itself"),
            "composite_arn": _c("Its ARN"),
            "composite_rule": _c("Its AlarmRule", f"{CA}.AlarmRule"),
            "composite_fires_alone": _c(
                "The rule goes to ALARM on this alarm alone (alarm_rule_reference)"
            ),
            "composite_suppressor": _c("Its ActionsSuppressor", f"{CA}.ActionsSuppressor"),
            "composite_suppressed_by": _c("Its ActionsSuppressedBy", f"{CA}.ActionsSuppressedBy"),
            "notifier_actions_enabled": _c("ActionsEnabled of the alarm that notifies"),
            "notifier_sns_actions": _c("SNS topics among that alarm's AlarmActions"),
        },
    )
)
_add(
    TableDoc(
        "alarm_rule_reference",
        "reference",
        "Composite alarm rules, one row per alarm a rule names: whether the rule goes to "
        "ALARM on that alarm alone (the others OK), per rule text seen.",
        {
            "alarm_rule": _c("A composite alarm's rule", f"{CA}.AlarmRule"),
            "reference": _c("An alarm it names, name or ARN as written; NULL: not understood"),
            "fires_alone": _c("The rule fires when this alarm alone goes to ALARM"),
            "error": _c("Why the rule was not understood"),
        },
    )
)
_add(
    TableDoc(
        "wk_chain",
        "view",
        "Every trail → log group → metric filter → alarm [→ composite] → topic path, one "
        "candidate per row.",
        {
            "log_group_name": _c("Log group the trail delivers to, if it exists"),
            "log_group_arn": _c("Its ARN"),
            "filter_name": _c("Metric filter on it"),
            "filter_pattern": _c("The filter's pattern"),
            "filter_metric": _c("Metric the filter publishes"),
            "filter_namespace": _c("Namespace of that metric"),
            "filter_value": _c("Value per matching event"),
            "filter_default_value": _c("Default value"),
            "filter_dimensions": _c("Dimensions, JSON"),
            "alarm_name": _c("Alarm on that metric name"),
            "alarm_arn": _c("Its ARN"),
            "alarm_region": _c("Its region"),
            "alarm_namespace": _c("Namespace it watches"),
            "alarm_statistic": _c("Statistic"),
            "alarm_extended_statistic": _c("Percentile statistic"),
            "alarm_dimension_count": _c("Dimensions it watches"),
            "alarm_actions_enabled": _c("Actions enabled, of the alarm that notifies"),
            "composite_name": _c("Composite alarm the alarm notifies through; NULL: itself"),
            "composite_arn": _c("Its ARN"),
            "composite_rule": _c("Its AlarmRule"),
            "composite_fires_alone": _c("Its rule fires on this alarm alone"),
            "composite_suppressor": _c("Its ActionsSuppressor"),
            "composite_suppressed_by": _c("Its ActionsSuppressedBy at collection"),
            "alarm_threshold": _c("Threshold"),
            "alarm_comparison": _c("Comparison operator"),
            "alarm_evaluation_periods": _c("Evaluation periods"),
            "alarm_datapoints_to_alarm": _c("Datapoints to alarm"),
            "alarm_period": _c("Period in seconds"),
            "alarm_sns_actions": _c("SNS topics it (or its composite) notifies"),
            "topic_action_arn": _c("One of those topic ARNs (one row per action)"),
            "topic_arn": _c("That topic, if it exists in a collected account"),
            "topic_name": _c("Its name"),
            "topic_attributes_collected": _c("Its attributes were read"),
            "topic_subscriptions_listed": _c("Its subscriptions were listed"),
            "topic_kms_key": _c("Its KMS key"),
            "topic_kms_key_manager": _c("AWS or CUSTOMER"),
            "topic_kms_key_described": _c("DescribeKey answered for its key"),
            "confirmed_subscriptions": _c("Its confirmed subscriptions"),
            "pending_subscriptions": _c("Its pending subscriptions"),
            "subscriptions": _c("Its subscriptions"),
        },
        inherits="wk_account_trail",
    )
)
_add(
    TableDoc(
        "wk_control_chain",
        "view",
        "Each chain judged for each metric-filter control and required pattern, with a "
        "column per link; controls are short queries over it.",
        {
            "benchmark": _c("Benchmark version"),
            "control_id": _c("Control id"),
            "pattern_index": _c("Which accepted required pattern"),
            "required_pattern": _c("That pattern"),
            "filter_covers": _c("The filter covers the required pattern (pattern_coverage)"),
            "coverage_decided": _c("The prover decided"),
            "coverage_reason": _c("The prover's explanation"),
            "counterexample": _c("A required event the filter misses"),
            "trail_sources_kept": _c("Link: the trail keeps the event sources the control needs"),
            "metric_value": _c("Numeric metric value per matching event"),
            "single_event_value": _c("What one matching event adds to the alarm's statistic"),
            "links": _c("Every link in chain order: {link, literal, held}"),
            "links_held": _c("Links held from the trail onwards before the first broken one"),
            "chain_holds": _c("Every link holds: this chain proves the control"),
            "filter_similarity": _c("pattern_coverage.similarity of this filter and pattern"),
            "candidate_rank": _c(
                "Orders candidates: holding chains, then most links held, then most similar "
                "filter, then a path through a composite alarm"
            ),
        },
        inherits="wk_chain",
    )
)


for _t, _raw_deep in DEEP_COLUMNS.items():
    TABLES[_t].columns["raw_deep"] = _raw_deep
for _t, _cols in STEAMPIPE_COLUMNS.items():
    # A stored column of the same name (aws_account.partition) keeps its own entry.
    TABLES[_t].columns.update({k: v for k, v in _cols.items() if k not in TABLES[_t].columns})

# Errors read best after the resources they are about.
TABLES["collection_error"] = TABLES.pop("collection_error")


class UnknownTable(UserError, KeyError):
    pass


def columns(name: str) -> dict[str, Column]:
    """Every documented column of ``name``, including the ones it inherits."""
    doc = TABLES.get(name)
    if doc is None:
        raise UnknownTable(name)
    inherited = columns(doc.inherits) if doc.inherits else {}
    return {**inherited, **doc.columns}


def find(name: str) -> TableDoc:
    key = name.strip().lower().removeprefix("history.").removeprefix("main.")
    if key not in TABLES:
        near = [t for t in TABLES if key in t]
        hint = f"; did you mean {', '.join(near[:3])}?" if near else ""
        raise UnknownTable(f"no table {name!r}{hint}")
    return TABLES[key]


def describe(name: str) -> str:
    """Plain-text description of one table (for `watchkeeper tables NAME`)."""
    doc = find(name)
    cols = columns(doc.name)
    width = max(len(c) for c in cols)
    lines = [doc.name, f"  {doc.description}", ""]
    if doc.kind == "collected":
        lines.insert(2, f"  (history.{doc.name}: every snapshot; {doc.name}: latest per account)")
    for c, col in cols.items():
        view = " (plain view only)" if col.view_only else ""
        lines.append(f"  {c.ljust(width)}  {col.meaning}{view}")
        if col.source != "watchkeeper":
            prefix = "" if col.source.startswith("derived") else "from "
            lines.append(f"  {' ' * width}    {prefix}{col.source}")
    return "\n".join(lines) + "\n"


def summary() -> str:
    """One line per table (for `watchkeeper tables`)."""
    width = max(len(t) for t in TABLES)
    out = []
    for kind, heading in KINDS.items():
        out.append(heading)
        for t in TABLES.values():
            if t.kind == kind:
                first = t.description.split(". ")[0].rstrip(".")
                out.append(f"  {t.name.ljust(width)}  {first}")
        out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def readme_section() -> str:
    """The README's "Tables and columns" section, generated (paste it verbatim)."""
    out = [
        "### Tables and columns",
        "",
        "<!-- generated by watchkeeper.analyst.catalog_tables.readme_section(); "
        "do not edit by hand -->",
        "",
        "`watchkeeper tables [NAME]` prints the same. *from* is the AWS API field "
        "(operation and response path) or how watchkeeper derives the value.",
    ]
    for kind, heading in KINDS.items():
        out += ["", f"#### {heading}"]
        for t in TABLES.values():
            if t.kind != kind:
                continue
            out += ["", f"**`{t.name}`** — {_md(t.description)}"]
            if t.inherits:
                out.append(f"Also every column of `{t.inherits}`.")
            out += ["", "| column | meaning | from |", "|---|---|---|"]
            for c, col in t.columns.items():
                source = "" if col.source == "watchkeeper" else f"`{_md(col.source)}`"
                view = " *(view only)*" if col.view_only else ""
                out.append(f"| `{c}` | {_md(col.meaning)}{view} | {source} |")
    return "\n".join(out) + "\n"
