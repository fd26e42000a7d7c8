-- The plain table names: per account, the rows of the latest complete snapshot that
-- collected it. History stays queryable in the `history` schema (filter on snapshot_id).

CREATE OR REPLACE VIEW latest_snapshot_account AS
SELECT a.account_id, max(a.snapshot_id) AS snapshot_id
FROM history.aws_account AS a
JOIN snapshot AS s USING (snapshot_id)
WHERE s.status = 'complete'
GROUP BY a.account_id;

CREATE OR REPLACE VIEW latest_snapshot AS
SELECT * FROM snapshot
WHERE status = 'complete'
ORDER BY snapshot_id DESC
LIMIT 1;

-- Errors of the latest complete snapshot per account; errors not tied to one account
-- (e.g. listing the organization) from the latest complete snapshot.
CREATE OR REPLACE VIEW collection_error AS
SELECT e.* FROM history.collection_error AS e
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id)
UNION ALL
SELECT e.* FROM history.collection_error AS e
JOIN latest_snapshot AS s USING (snapshot_id)
WHERE e.account_id IS NULL;

-- The collected tables also carry the columns every Steampipe AWS table has (title, akas,
-- tags, partition, _ctx) and the plugin's documented columns that watchkeeper holds. They
-- are computed here from the stored API objects (raw, raw_status, raw_deep), never stored:
-- a snapshot's hash covers only what was collected. `history.*` holds the stored columns.
-- tags/tags_src and the per-resource columns come from raw_deep, which only `collect
-- --deep` fills: NULL there means "not asked", an empty object means "none".

-- The partition a region belongs to (aws_account holds the caller's; rows carry a region).
CREATE OR REPLACE MACRO wk_partition(region) AS
    CASE
        WHEN region LIKE 'cn-%' THEN 'aws-cn'
        WHEN region LIKE 'us-gov-%' THEN 'aws-us-gov'
        WHEN region LIKE 'us-isob-%' THEN 'aws-iso-b'
        WHEN region LIKE 'us-iso-%' THEN 'aws-iso'
        ELSE 'aws'
    END;

-- Steampipe's connection context: one connection per account, named aws_<account_id>.
CREATE OR REPLACE MACRO wk_ctx(account_id) AS json_object('connection_name', 'aws_' || account_id);

-- A [{"Key": …, "Value": …}] tag list as Steampipe's `tags` object; NULL stays NULL.
CREATE OR REPLACE MACRO wk_tag_map(tag_list) AS
    CASE WHEN tag_list IS NOT NULL THEN to_json(map_from_entries(list_transform(
        json_extract(tag_list, '$[*]'), lambda e: struct_pack(k := e ->> 'Key', v := e ->> 'Value')
    ))) END;

-- A JSON string or array of strings as a list of strings.
CREATE OR REPLACE MACRO wk_strings(j) AS
    CASE WHEN json_type(j) = 'ARRAY' THEN json_extract_string(j, '$[*]')
        ELSE [json_extract_string(j, '$')] END;
CREATE OR REPLACE MACRO wk_string_set(j) AS
    CASE WHEN j IS NOT NULL THEN to_json(list_sort(list_distinct(wk_strings(j)))) END;
CREATE OR REPLACE MACRO wk_lower_set(j) AS
    CASE WHEN j IS NOT NULL THEN to_json(list_sort(list_distinct(list_transform(
        wk_strings(j), lambda x: lower(x)
    )))) END;
-- A Principal or NotPrincipal: "*" is {"AWS": ["*"]}; an object's values string sets.
CREATE OR REPLACE MACRO wk_principal_std(pr) AS
    CASE
        WHEN json_type(pr) = 'VARCHAR' THEN json_object('AWS', json_array(json_extract_string(pr, '$')))
        WHEN json_type(pr) = 'OBJECT' THEN to_json(map_from_entries(
            list_transform(map_entries(pr::MAP(VARCHAR, JSON)),
                lambda e: struct_pack(k := e.key, v := wk_string_set(e.value)))))
    END;
-- Steampipe's policy_std: an IAM policy in canonical form, so queries need not handle the
-- many spellings AWS accepts. Statement is always a list; Action/NotAction lower-cased;
-- Action, NotAction, Resource, NotResource and every Principal and Condition value a sorted
-- list of distinct strings; a "*" principal is {"AWS": ["*"]}; condition keys lower-cased.
-- DuckDB cannot bind a macro argument inside another macro's lambda, so statements and
-- conditions are expanded in this one macro (a lambda's own variable may be passed to a
-- macro, as to wk_principal_std), objects as MAPs; and
-- json_extract, not ->, which inside a lambda function reads as a (deprecated) lambda.
CREATE OR REPLACE MACRO wk_policy_std(p) AS
    CASE WHEN p IS NOT NULL THEN json_object(
        'Id', json_extract_string(p, '$.Id'),
        'Version', json_extract_string(p, '$.Version'),
        'Statement', to_json(list_transform(
            json_extract(
                CASE WHEN json_type(json_extract(p, '$.Statement')) = 'ARRAY' THEN json_extract(p, '$.Statement')
                    ELSE json_array(json_extract(p, '$.Statement')) END,
                '$[*]'
            ),
            lambda s: json_object(
                'Sid', json_extract_string(s, '$.Sid'),
                'Effect', json_extract_string(s, '$.Effect'),
                'Principal', wk_principal_std(json_extract(s, '$.Principal')),
                'NotPrincipal', wk_principal_std(json_extract(s, '$.NotPrincipal')),
                'Action', wk_lower_set(json_extract(s, '$.Action')),
                'NotAction', wk_lower_set(json_extract(s, '$.NotAction')),
                'Resource', wk_string_set(json_extract(s, '$.Resource')),
                'NotResource', wk_string_set(json_extract(s, '$.NotResource')),
                'Condition', CASE WHEN json_extract(s, '$.Condition') IS NOT NULL THEN to_json(map_from_entries(
                    list_transform(
                        map_entries(json_extract(s, '$.Condition')::MAP(VARCHAR, MAP(VARCHAR, JSON))),
                        lambda e: struct_pack(k := e.key, v := to_json(map_from_entries(
                            list_transform(map_entries(e.value),
                                lambda f: struct_pack(k := lower(f.key), v := wk_string_set(f.value))
                            )
                        )))
                    )
                )) END
            )
        ))
    ) END;

CREATE OR REPLACE VIEW aws_account AS
SELECT
    t.*,
    t.raw -> '$.Organization' ->> 'FeatureSet' AS organization_feature_set,
    t.raw -> '$.Organization' ->> 'MasterAccountArn' AS organization_master_account_arn,
    t.raw -> '$.Organization' ->> 'MasterAccountEmail' AS organization_master_account_email,
    t.raw -> '$.Organization' -> 'AvailablePolicyTypes' AS organization_available_policy_types,
    coalesce(t.account_aliases ->> 0, t.account_id) AS title,
    json_array(t.arn) AS akas,
    NULL::JSON AS tags,
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_account AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_region AS
SELECT
    t.*,
    t.collected AS steampipe_available,
    -- The connection's default region is, here, the one the account's identity calls used.
    coalesce(t.name = a.region, false) AS steampipe_default,
    t.name AS title,
    json_array('arn:' || wk_partition(t.region) || '::' || t.name || ':' || t.account_id) AS akas,
    NULL::JSON AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_region AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id)
LEFT JOIN history.aws_account AS a USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudtrail_trail AS
SELECT
    t.*,
    try_cast(t.raw_status ->> 'LatestDigestDeliveryTime' AS TIMESTAMPTZ)
        AS latest_digest_delivery_time,
    t.raw_status ->> 'LatestDigestDeliveryError' AS latest_digest_delivery_error,
    try_cast(t.raw_status ->> 'LatestNotificationTime' AS TIMESTAMPTZ)
        AS latest_notification_time,
    t.raw_status ->> 'LatestNotificationError' AS latest_notification_error,
    -- A trail without Insights answers without the key (or InsightNotEnabledException).
    CASE WHEN (t.raw_deep -> '$.GetInsightSelectors') IS NOT NULL
        THEN coalesce(t.raw_deep -> '$.GetInsightSelectors.InsightSelectors', '[]'::JSON)
    END AS insight_selectors,
    t.raw_deep -> '$.ListTags.ResourceTagList[0].TagsList' AS tags_src,
    t.name AS title,
    json_array(t.arn) AS akas,
    wk_tag_map(t.raw_deep -> '$.ListTags.ResourceTagList[0].TagsList') AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_cloudtrail_trail AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudwatch_log_group AS
SELECT
    t.*,
    t.arn AS log_group_arn,
    t.raw -> '$.inheritedProperties' AS inherited_properties,
    t.raw_deep -> '$.GetDataProtectionPolicy' AS data_protection,
    json(t.raw_deep -> '$.GetDataProtectionPolicy' ->> 'policyDocument') AS data_protection_policy,
    t.name AS title,
    json_array(t.arn) AS akas,
    t.raw_deep -> '$.ListTagsForResource' -> 'tags' AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_cloudwatch_log_group AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudwatch_log_metric_filter AS
SELECT
    t.*,
    t.name AS title,
    json_array('arn:' || wk_partition(t.region) || ':logs:' || t.region || ':' || t.account_id
        || ':log-group:' || t.log_group_name || ':metric-filter:' || t.name) AS akas,
    NULL::JSON AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_cloudwatch_log_metric_filter AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudwatch_alarm AS
SELECT
    t.*,
    t.raw ->> 'EvaluationState' AS evaluation_state,
    try_cast(t.raw ->> 'AlarmConfigurationUpdatedTimestamp' AS TIMESTAMPTZ)
        AS alarm_configuration_updated_timestamp,
    try_cast(t.raw ->> 'StateReasonData' AS JSON) AS state_reason_data,
    try_cast(t.raw ->> 'StateTransitionedTimestamp' AS TIMESTAMPTZ)
        AS state_transitioned_timestamp,
    t.raw_deep -> '$.ListTagsForResource' -> 'Tags' AS tags_src,
    t.name AS title,
    json_array(t.arn) AS akas,
    wk_tag_map(t.raw_deep -> '$.ListTagsForResource' -> 'Tags') AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_cloudwatch_alarm AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_sns_topic AS
SELECT
    t.*,
    t.raw -> '$.Attributes' ->> 'ApplicationFailureFeedbackRoleArn'
        AS application_failure_feedback_role_arn,
    t.raw -> '$.Attributes' ->> 'ApplicationSuccessFeedbackRoleArn'
        AS application_success_feedback_role_arn,
    try_cast(t.raw -> '$.Attributes' ->> 'ApplicationSuccessFeedbackSampleRate' AS INTEGER)
        AS application_success_feedback_sample_rate,
    t.raw -> '$.Attributes' ->> 'FirehoseFailureFeedbackRoleArn'
        AS firehose_failure_feedback_role_arn,
    t.raw -> '$.Attributes' ->> 'FirehoseSuccessFeedbackRoleArn'
        AS firehose_success_feedback_role_arn,
    try_cast(t.raw -> '$.Attributes' ->> 'FirehoseSuccessFeedbackSampleRate' AS INTEGER)
        AS firehose_success_feedback_sample_rate,
    t.raw -> '$.Attributes' ->> 'HTTPFailureFeedbackRoleArn'
        AS http_failure_feedback_role_arn,
    t.raw -> '$.Attributes' ->> 'HTTPSuccessFeedbackRoleArn'
        AS http_success_feedback_role_arn,
    try_cast(t.raw -> '$.Attributes' ->> 'HTTPSuccessFeedbackSampleRate' AS INTEGER)
        AS http_success_feedback_sample_rate,
    t.raw -> '$.Attributes' ->> 'LambdaFailureFeedbackRoleArn'
        AS lambda_failure_feedback_role_arn,
    t.raw -> '$.Attributes' ->> 'LambdaSuccessFeedbackRoleArn'
        AS lambda_success_feedback_role_arn,
    try_cast(t.raw -> '$.Attributes' ->> 'LambdaSuccessFeedbackSampleRate' AS INTEGER)
        AS lambda_success_feedback_sample_rate,
    t.raw -> '$.Attributes' ->> 'SQSFailureFeedbackRoleArn'
        AS sqs_failure_feedback_role_arn,
    t.raw -> '$.Attributes' ->> 'SQSSuccessFeedbackRoleArn'
        AS sqs_success_feedback_role_arn,
    try_cast(t.raw -> '$.Attributes' ->> 'SQSSuccessFeedbackSampleRate' AS INTEGER)
        AS sqs_success_feedback_sample_rate,
    wk_policy_std(t.policy) AS policy_std,
    try_cast(t.raw -> '$.Attributes' ->> 'DeliveryPolicy' AS JSON) AS delivery_policy,
    try_cast(t.raw -> '$.Attributes' ->> 'EffectiveDeliveryPolicy' AS JSON)
        AS effective_delivery_policy,
    t.raw_deep -> '$.ListTagsForResource' -> 'Tags' AS tags_src,
    t.name AS title,
    json_array(t.topic_arn) AS akas,
    wk_tag_map(t.raw_deep -> '$.ListTagsForResource' -> 'Tags') AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_sns_topic AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_sns_topic_subscription AS
SELECT
    t.*,
    try_cast(t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.ConfirmationWasAuthenticated' AS BOOLEAN)
        AS confirmation_was_authenticated,
    try_cast(t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.RawMessageDelivery' AS BOOLEAN) AS raw_message_delivery,
    try_cast(t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.DeliveryPolicy' AS JSON) AS delivery_policy,
    try_cast(t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.EffectiveDeliveryPolicy' AS JSON) AS effective_delivery_policy,
    try_cast(t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.RedrivePolicy' AS JSON) AS redrive_policy,
    try_cast(t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.FilterPolicy' AS JSON) AS filter_policy,
    t.raw_deep ->> '$.GetSubscriptionAttributes.Attributes.FilterPolicyScope' AS filter_policy_scope,
    split_part(t.subscription_arn, ':', 7) AS title,
    CASE WHEN t.subscription_arn LIKE 'arn:%' THEN json_array(t.subscription_arn) END AS akas,
    NULL::JSON AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_sns_topic_subscription AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_securityhub_hub AS
SELECT
    t.*,
    t.raw_deep -> '$.GetAdministratorAccount' -> 'Administrator' AS administrator_account,
    CASE WHEN t.subscribed THEN 'default' END AS title,
    CASE WHEN t.hub_arn IS NOT NULL THEN json_array(t.hub_arn) END AS akas,
    t.raw_deep -> '$.ListTagsForResource' -> 'Tags' AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_securityhub_hub AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);


-- The organization's tree carries the answering (management or delegated-admin) account's
-- id, so the same join shows the tree of the latest complete snapshot that collected it.

CREATE OR REPLACE VIEW aws_organizations_root AS
SELECT
    t.*,
    t.name AS title,
    json_array(t.arn) AS akas,
    NULL::JSON AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_organizations_root AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_organizations_organizational_unit AS
SELECT
    t.*,
    t.name AS title,
    json_array(t.arn) AS akas,
    NULL::JSON AS tags,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_organizations_organizational_unit AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_organizations_account AS
SELECT
    -- The stored tags column is never filled: the answer lives in raw_deep (`--deep`).
    t.* REPLACE (wk_tag_map(t.raw_deep -> '$.ListTagsForResource.Tags') AS tags),
    t.raw ->> 'State' AS state,
    t.raw_deep -> '$.ListTagsForResource.Tags' AS tags_src,
    t.name AS title,
    json_array(t.arn) AS akas,
    wk_partition(t.region) AS "partition",
    wk_ctx(t.account_id) AS _ctx
FROM history.aws_organizations_account AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);
