"""Steampipe's columns of the collected tables, documented: those the plain views
(store/views.sql) compute from what is stored, so a snapshot's hash never covers them and
history.NAME lacks them, and the `raw_deep` column the per-resource ones come from, which only
`collect --deep` fills (NULL without it: not asked). catalog_tables adds them to its tables."""

from __future__ import annotations

from watchkeeper.analyst.catalog_base import ACC, AL, CTS, LG, ORG, TA, Column

DEEP = "NULL unless collected with `collect --deep` ([collect] deep = true)"
# The tables whose per-resource calls `collect --deep` makes, and those calls.
_DEEP_SOURCES = {
    "aws_cloudtrail_trail": "cloudtrail:ListTags + cloudtrail:GetInsightSelectors",
    "aws_cloudwatch_log_group": "logs:ListTagsForResource + logs:GetDataProtectionPolicy",
    "aws_cloudwatch_alarm": "cloudwatch:ListTagsForResource",
    "aws_sns_topic": "sns:ListTagsForResource (and sns:GetTopicAttributes for every topic)",
    "aws_sns_topic_subscription": "sns:GetSubscriptionAttributes",
    "aws_securityhub_hub": "securityhub:GetAdministratorAccount + securityhub:ListTagsForResource",
}
DEEP_COLUMNS: dict[str, Column] = {
    **{
        table: Column(
            "Answers of the per-resource calls, JSON keyed by operation (schema 6); " + DEEP,
            source,
        )
        for table, source in _DEEP_SOURCES.items()
    },
    "aws_organizations_account": Column(
        "The account's tags as the organization lists them, JSON keyed by operation "
        "(schema 8); " + DEEP,
        "organizations:ListTagsForResource, asked by the identity that walks the organization",
    ),
}


def _v(meaning: str, source: str = "derived") -> Column:
    return Column(meaning, source, view_only=True)


def _common(title: str, akas: str, tags: Column | None) -> dict[str, Column]:
    out = {
        "title": _v("Steampipe title: " + title),
        "akas": _v("Steampipe akas: " + akas + ", JSON array"),
        "partition": _v("AWS partition of the row's region", "derived: wk_partition(region)"),
        "_ctx": _v(
            "Steampipe connection context: `connection_name` is `aws_<account_id>`",
        ),
    }
    if tags is not None:
        out["tags"] = tags
    return out


_NO_TAGS = _v("Tags: watchkeeper does not collect them for this table, always NULL")
_SU_ATTR = "sns:GetSubscriptionAttributes Attributes"
STEAMPIPE_COLUMNS: dict[str, dict[str, Column]] = {
    "aws_account": {
        "organization_feature_set": _v("`ALL` or `CONSOLIDATED_BILLING`", f"{ORG}.FeatureSet"),
        "organization_master_account_arn": _v("Management account ARN", f"{ORG}.MasterAccountArn"),
        "organization_master_account_email": _v(
            "Management account e-mail", f"{ORG}.MasterAccountEmail"
        ),
        "organization_available_policy_types": _v(
            "Policy types available, JSON array", f"{ORG}.AvailablePolicyTypes"
        ),
        **_common("first alias, else the account id", "`arn`", _NO_TAGS),
    },
    "aws_region": {
        "steampipe_available": _v(
            "The region is in the collection's scope (Steampipe: in the connection's regions)",
            "derived: collected",
        ),
        "steampipe_default": _v(
            "The region the account's identity calls used — the collector's default region "
            "(Steampipe: the connection's default region)",
            "derived: name = aws_account.region",
        ),
        **_common("region name", "`arn:<partition>::<region>:<account_id>`", _NO_TAGS),
    },
    "aws_cloudtrail_trail": {
        "latest_digest_delivery_time": _v(
            "Last digest file delivery", f"{CTS} LatestDigestDeliveryTime"
        ),
        "latest_digest_delivery_error": _v(
            "Last digest delivery error", f"{CTS} LatestDigestDeliveryError"
        ),
        "latest_notification_time": _v("Last SNS notification", f"{CTS} LatestNotificationTime"),
        "latest_notification_error": _v(
            "Last SNS notification error", f"{CTS} LatestNotificationError"
        ),
        "insight_selectors": _v(
            "Insights selectors, JSON array; " + DEEP,
            "cloudtrail:GetInsightSelectors InsightSelectors",
        ),
        "tags_src": _v(
            "Tags as [{Key, Value}]; " + DEEP,
            "cloudtrail:ListTags ResourceTagList[0].TagsList",
        ),
        **_common(
            "name",
            "`arn`",
            _v("Tags as an object; " + DEEP, "cloudtrail:ListTags ResourceTagList[0].TagsList"),
        ),
    },
    "aws_cloudwatch_log_group": {
        "log_group_arn": _v("Log group ARN without `:*` (same as arn)", f"{LG}.logGroupArn"),
        "inherited_properties": _v(
            "Properties inherited from account policies, JSON array", f"{LG}.inheritedProperties"
        ),
        "data_protection": _v(
            "The data-protection policy answer, JSON; " + DEEP,
            "logs:GetDataProtectionPolicy",
        ),
        "data_protection_policy": _v(
            "The data-protection policy document, JSON; " + DEEP,
            "logs:GetDataProtectionPolicy policyDocument",
        ),
        **_common(
            "name",
            "`arn`",
            _v("Tags as an object; " + DEEP, "logs:ListTagsForResource tags"),
        ),
    },
    "aws_cloudwatch_log_metric_filter": _common(
        "name",
        "`arn:<partition>:logs:<region>:<account>:log-group:<group>:metric-filter:<name>`",
        _v("Tags: metric filters have none, always NULL"),
    ),
    "aws_cloudwatch_alarm": {
        "evaluation_state": _v("Why the alarm could not be evaluated", f"{AL}.EvaluationState"),
        "alarm_configuration_updated_timestamp": _v(
            "Last configuration change", f"{AL}.AlarmConfigurationUpdatedTimestamp"
        ),
        "state_reason_data": _v("State reason data, JSON", f"{AL}.StateReasonData"),
        "state_transitioned_timestamp": _v(
            "Last change of state value", f"{AL}.StateTransitionedTimestamp"
        ),
        "tags_src": _v("Tags as [{Key, Value}]; " + DEEP, "cloudwatch:ListTagsForResource Tags"),
        **_common(
            "name",
            "`arn`",
            _v("Tags as an object; " + DEEP, "cloudwatch:ListTagsForResource Tags"),
        ),
    },
    "aws_sns_topic": {
        **{
            f"{proto}_{kind}": _v(
                f"{label} {what}; NULL unless attributes_collected",
                f"{TA}.{label}{attr}",
            )
            for proto, label in (
                ("application", "Application"),
                ("firehose", "Firehose"),
                ("http", "HTTP"),
                ("lambda", "Lambda"),
                ("sqs", "SQS"),
            )
            for kind, what, attr in (
                ("failure_feedback_role_arn", "failure feedback role", "FailureFeedbackRoleArn"),
                ("success_feedback_role_arn", "success feedback role", "SuccessFeedbackRoleArn"),
                (
                    "success_feedback_sample_rate",
                    "success sample rate",
                    "SuccessFeedbackSampleRate",
                ),
            )
        },
        "policy_std": _v(
            "The access policy in Steampipe's canonical form: Statement a list; Action and "
            "NotAction lower-cased; actions, resources, principals and condition values sorted "
            "lists of distinct strings; condition keys lower-cased; absent members null",
            "derived: wk_policy_std(policy)",
        ),
        "delivery_policy": _v("Delivery policy, JSON", f"{TA}.DeliveryPolicy"),
        "effective_delivery_policy": _v(
            "Effective delivery policy, JSON", f"{TA}.EffectiveDeliveryPolicy"
        ),
        "tags_src": _v("Tags as [{Key, Value}]; " + DEEP, "sns:ListTagsForResource Tags"),
        **_common(
            "name", "`topic_arn`", _v("Tags as an object; " + DEEP, "sns:ListTagsForResource Tags")
        ),
    },
    "aws_sns_topic_subscription": {
        "confirmation_was_authenticated": _v(
            "Confirmed with authentication; " + DEEP, f"{_SU_ATTR}.ConfirmationWasAuthenticated"
        ),
        "raw_message_delivery": _v(
            "Raw message delivery; " + DEEP, f"{_SU_ATTR}.RawMessageDelivery"
        ),
        "delivery_policy": _v("Delivery policy, JSON; " + DEEP, f"{_SU_ATTR}.DeliveryPolicy"),
        "effective_delivery_policy": _v(
            "Effective delivery policy, JSON; " + DEEP, f"{_SU_ATTR}.EffectiveDeliveryPolicy"
        ),
        "redrive_policy": _v(
            "Dead-letter queue (redrive) policy, JSON; " + DEEP, f"{_SU_ATTR}.RedrivePolicy"
        ),
        "filter_policy": _v("Filter policy, JSON; " + DEEP, f"{_SU_ATTR}.FilterPolicy"),
        "filter_policy_scope": _v(
            "`MessageAttributes` or `MessageBody`; " + DEEP, f"{_SU_ATTR}.FilterPolicyScope"
        ),
        **_common(
            "the subscription id (last field of the ARN)",
            "`subscription_arn` (NULL while pending)",
            _v("Tags: subscriptions have none, always NULL"),
        ),
    },
    "aws_securityhub_hub": {
        "administrator_account": _v(
            "The administrator account of this member hub, JSON; " + DEEP,
            "securityhub:GetAdministratorAccount Administrator",
        ),
        **_common(
            "`default` when subscribed",
            "`hub_arn`",
            _v("Tags as an object; " + DEEP, "securityhub:ListTagsForResource Tags"),
        ),
    },
    "aws_organizations_root": _common("name", "`arn`", _NO_TAGS),
    "aws_organizations_organizational_unit": _common("name", "`arn`", _NO_TAGS),
    "aws_organizations_account": {
        "state": _v("`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`…", f"{ACC}.State"),
        "tags_src": _v(
            "Account tags as [{Key, Value}], as the API lists them; " + DEEP,
            "organizations:ListTagsForResource Tags[]",
        ),
        **_common("name", "`arn`", None),
    },
}
