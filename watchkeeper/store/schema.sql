-- watchkeeper store, schema version 8 (migrations/ upgrades older files in place).
--
-- Every collected row lives in the `history` schema, keyed by snapshot_id, and is never
-- updated. The plain names in `main` (created by views.sql) show, per account, the rows of
-- the latest *complete* snapshot that collected that account. Column names follow the
-- Steampipe AWS plugin where it has the table, so analysts' queries carry over.

CREATE SCHEMA IF NOT EXISTS history;

CREATE TABLE IF NOT EXISTS watchkeeper_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS snapshot_id_seq START 1;

CREATE TABLE IF NOT EXISTS snapshot (
    snapshot_id      INTEGER PRIMARY KEY DEFAULT nextval('snapshot_id_seq'),
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    -- 'incomplete' from the moment the run starts; only a run that reached the end and
    -- wrote all its rows in one transaction becomes 'complete'.
    status           VARCHAR NOT NULL CHECK (status IN ('complete', 'incomplete')),
    tool_version     VARCHAR NOT NULL,
    schema_version   INTEGER NOT NULL,
    caller_arn       VARCHAR,
    collector_host   VARCHAR,       -- the machine that collected (schema 2)
    accounts         JSON,          -- account ids requested
    regions          JSON,          -- regions requested (NULL: each account's enabled ones)
    api_calls        INTEGER,
    api_retries      INTEGER,
    error_count      INTEGER,
    sha256           VARCHAR,       -- over the snapshot's canonical content (store/integrity.py)
    previous_snapshot_id INTEGER,   -- the complete snapshot this one chains to
    previous_sha256  VARCHAR        -- its sha256 when this one was written
);

CREATE TABLE IF NOT EXISTS history.collection_error (
    snapshot_id INTEGER NOT NULL,
    account_id  VARCHAR,
    region      VARCHAR,
    service     VARCHAR NOT NULL,
    operation   VARCHAR NOT NULL,
    error_code  VARCHAR NOT NULL,
    message     VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS history.aws_account (
    snapshot_id                     INTEGER NOT NULL,
    account_id                      VARCHAR NOT NULL,
    region                          VARCHAR NOT NULL,   -- the region the identity calls used
    partition                       VARCHAR NOT NULL,
    arn                             VARCHAR NOT NULL,   -- arn:<partition>:::<account_id>
    caller_arn                      VARCHAR,            -- who the collector acted as
    access_method                   VARCHAR NOT NULL,   -- 'caller' or 'assume_role'
    -- 'ok', 'partial' (some calls failed) or 'failed' (no access at all): every targeted
    -- account gets a row, so a failed account never shows an older snapshot's data as current.
    collection_status               VARCHAR NOT NULL,
    role_arn                        VARCHAR,
    account_aliases                 JSON,
    organization_id                 VARCHAR,
    organization_arn                VARCHAR,
    organization_master_account_id  VARCHAR,
    is_organization_management      BOOLEAN,
    raw                             JSON
);

CREATE TABLE IF NOT EXISTS history.aws_region (
    snapshot_id     INTEGER NOT NULL,
    account_id      VARCHAR NOT NULL,
    region          VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    opt_in_status   VARCHAR,            -- from ec2:DescribeRegions; NULL when given by --region
    collected       BOOLEAN NOT NULL,
    skip_reason     VARCHAR,
    raw             JSON
);

CREATE TABLE IF NOT EXISTS history.aws_cloudtrail_trail (
    snapshot_id                            INTEGER NOT NULL,
    account_id                             VARCHAR NOT NULL,   -- the account that listed it
    region                                 VARCHAR NOT NULL,   -- the region that listed it
    name                                   VARCHAR NOT NULL,
    arn                                    VARCHAR NOT NULL,
    home_region                            VARCHAR NOT NULL,
    owner_account_id                       VARCHAR NOT NULL,   -- from the ARN (org trails)
    is_shadow                              BOOLEAN NOT NULL,   -- region <> home_region
    is_multi_region_trail                  BOOLEAN,
    is_organization_trail                  BOOLEAN,
    include_global_service_events          BOOLEAN,
    log_file_validation_enabled            BOOLEAN,
    has_custom_event_selectors             BOOLEAN,
    has_insight_selectors                  BOOLEAN,
    log_group_arn                          VARCHAR,            -- CloudWatchLogsLogGroupArn
    cloudwatch_logs_role_arn               VARCHAR,
    s3_bucket_name                         VARCHAR,
    s3_key_prefix                          VARCHAR,
    sns_topic_arn                          VARCHAR,
    kms_key_id                             VARCHAR,
    -- Status and selectors are read once per trail, in its home region, by its owner;
    -- status_collected says whether these columns were filled.
    status_collected                       BOOLEAN NOT NULL,
    is_logging                             BOOLEAN,
    latest_cloudwatch_logs_delivery_time   TIMESTAMPTZ,
    latest_cloudwatch_logs_delivery_error  VARCHAR,
    latest_delivery_time                   TIMESTAMPTZ,
    latest_delivery_error                  VARCHAR,
    start_logging_time                     TIMESTAMPTZ,
    stop_logging_time                      TIMESTAMPTZ,
    event_selectors                        JSON,
    advanced_event_selectors               JSON,
    raw                                    JSON,   -- describe_trails object
    raw_status                             JSON,   -- get_trail_status
    raw_event_selectors                    JSON,   -- get_event_selectors
    raw_deep                               JSON    -- per-resource calls of `collect --deep` (schema 6)
);

CREATE TABLE IF NOT EXISTS history.aws_cloudwatch_log_group (
    snapshot_id          INTEGER NOT NULL,
    account_id           VARCHAR NOT NULL,
    region               VARCHAR NOT NULL,
    name                 VARCHAR NOT NULL,
    arn                  VARCHAR NOT NULL,   -- without the trailing ':*'
    creation_time        TIMESTAMPTZ,
    retention_in_days    INTEGER,
    metric_filter_count  INTEGER,
    stored_bytes         BIGINT,
    kms_key_id           VARCHAR,
    log_group_class      VARCHAR,
    data_protection_status VARCHAR,
    raw                  JSON,
    raw_deep             JSON    -- per-resource calls of `collect --deep` (schema 6)
);

CREATE TABLE IF NOT EXISTS history.aws_cloudwatch_log_metric_filter (
    snapshot_id                          INTEGER NOT NULL,
    account_id                           VARCHAR NOT NULL,
    region                               VARCHAR NOT NULL,
    name                                 VARCHAR NOT NULL,
    log_group_name                       VARCHAR NOT NULL,
    creation_time                        TIMESTAMPTZ,
    filter_pattern                       VARCHAR,
    -- AWS allows exactly one transformation per filter; the columns hold it and
    -- metric_transformations keeps the list as returned.
    metric_transformation_name           VARCHAR,
    metric_transformation_namespace      VARCHAR,
    metric_transformation_value          VARCHAR,
    metric_transformation_default_value  DOUBLE,
    metric_transformation_dimensions     JSON,
    metric_transformation_unit           VARCHAR,
    metric_transformations               JSON,
    apply_on_transformed_logs            BOOLEAN,
    raw                                  JSON
);

CREATE TABLE IF NOT EXISTS history.aws_cloudwatch_alarm (
    snapshot_id                            INTEGER NOT NULL,
    account_id                             VARCHAR NOT NULL,
    region                                 VARCHAR NOT NULL,
    name                                   VARCHAR NOT NULL,
    arn                                    VARCHAR NOT NULL,
    alarm_description                      VARCHAR,
    actions_enabled                        BOOLEAN,
    alarm_actions                          JSON,
    ok_actions                             JSON,
    insufficient_data_actions              JSON,
    metric_name                            VARCHAR,
    namespace                              VARCHAR,
    statistic                              VARCHAR,
    extended_statistic                     VARCHAR,
    dimensions                             JSON,
    period                                 INTEGER,
    unit                                   VARCHAR,
    evaluation_periods                     INTEGER,
    datapoints_to_alarm                    INTEGER,
    threshold                              DOUBLE,
    comparison_operator                    VARCHAR,
    treat_missing_data                     VARCHAR,
    evaluate_low_sample_count_percentile   VARCHAR,
    threshold_metric_id                    VARCHAR,
    metrics                                JSON,      -- metric-math alarms
    state_value                            VARCHAR,
    state_reason                           VARCHAR,
    state_updated_timestamp                TIMESTAMPTZ,
    raw                                    JSON,
    raw_deep                               JSON,   -- per-resource calls of `collect --deep` (schema 6)
    -- Since schema 7 (after raw_deep, where the migration appends them): composite alarms.
    alarm_type                             VARCHAR,   -- MetricAlarm | CompositeAlarm
    alarm_rule                             VARCHAR,   -- composite: its AlarmRule expression
    actions_suppressor                     VARCHAR,   -- composite: alarm that mutes its actions
    actions_suppressor_wait_period         INTEGER,
    actions_suppressor_extension_period    INTEGER,
    actions_suppressed_by                  VARCHAR,   -- WaitPeriod | ExtensionPeriod | Alarm
    actions_suppressed_reason              VARCHAR
);

CREATE TABLE IF NOT EXISTS history.aws_sns_topic (
    snapshot_id               INTEGER NOT NULL,
    account_id                VARCHAR NOT NULL,
    region                    VARCHAR NOT NULL,
    topic_arn                 VARCHAR NOT NULL,
    name                      VARCHAR NOT NULL,
    -- Attributes are read only for topics that some collected alarm (of any account)
    -- notifies: the only ones a monitoring chain can run through.
    attributes_collected      BOOLEAN NOT NULL,
    display_name              VARCHAR,
    owner                     VARCHAR,
    kms_master_key_id         VARCHAR,
    policy                    JSON,
    subscriptions_confirmed   INTEGER,
    subscriptions_pending     INTEGER,
    subscriptions_deleted     INTEGER,
    raw                       JSON,
    -- Schema 4. ListSubscriptionsByTopic read every page (true) or failed (false); NULL:
    -- not asked (no collected alarm notifies the topic, or an older snapshot whose
    -- subscriptions came from the region-wide ListSubscriptions).
    subscriptions_listed      BOOLEAN,
    -- KeyManager of kms_master_key_id: 'AWS' or 'CUSTOMER' (kms:DescribeKey; the alias
    -- alias/aws/sns is 'AWS' without asking). kms_key_described: DescribeKey answered
    -- (true) or failed (false); NULL when not asked.
    kms_key_manager           VARCHAR,
    kms_key_described         BOOLEAN,
    raw_deep                  JSON    -- per-resource calls of `collect --deep` (schema 6)
);

CREATE TABLE IF NOT EXISTS history.aws_sns_topic_subscription (
    snapshot_id             INTEGER NOT NULL,
    account_id              VARCHAR NOT NULL,
    region                  VARCHAR NOT NULL,
    -- 'PendingConfirmation' until confirmed, 'Deleted' for a while after some unsubscribes.
    -- Listed per notified topic, as the topic's owner (account_id) sees them.
    subscription_arn        VARCHAR NOT NULL,
    topic_arn               VARCHAR NOT NULL,
    owner                   VARCHAR,
    protocol                VARCHAR,
    endpoint                VARCHAR,
    pending_confirmation    BOOLEAN NOT NULL,
    confirmed               BOOLEAN NOT NULL,
    raw                     JSON,
    raw_deep                JSON    -- per-resource calls of `collect --deep` (schema 6)
);

CREATE TABLE IF NOT EXISTS history.aws_securityhub_hub (
    snapshot_id                 INTEGER NOT NULL,
    account_id                  VARCHAR NOT NULL,
    region                      VARCHAR NOT NULL,
    -- One row per collected region: subscribed = false is the fact "Security Hub is off
    -- here" (describe_hub answered InvalidAccessException), not a collection error.
    subscribed                  BOOLEAN NOT NULL,
    hub_arn                     VARCHAR,
    subscribed_at               TIMESTAMPTZ,
    auto_enable_controls        BOOLEAN,
    control_finding_generator   VARCHAR,
    raw                         JSON,
    raw_deep                    JSON    -- per-resource calls of `collect --deep` (schema 6)
);

CREATE TABLE IF NOT EXISTS history.aws_organizations_root (
    snapshot_id   INTEGER NOT NULL,
    account_id    VARCHAR NOT NULL,   -- the management account or delegated administrator
    region        VARCHAR NOT NULL,   -- the region the Organizations calls used
    id            VARCHAR NOT NULL,   -- r-…
    name          VARCHAR,
    arn           VARCHAR,
    policy_types  JSON,
    raw           JSON
);

CREATE TABLE IF NOT EXISTS history.aws_organizations_organizational_unit (
    snapshot_id   INTEGER NOT NULL,
    account_id    VARCHAR NOT NULL,   -- the management account or delegated administrator
    region        VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,   -- ou-…
    name          VARCHAR,
    arn           VARCHAR,
    parent_id     VARCHAR,            -- the OU or root it sits in
    path          VARCHAR,            -- Steampipe's: ids from the root, '.'-joined, '-' → '_'
    raw           JSON
);

CREATE TABLE IF NOT EXISTS history.aws_organizations_account (
    snapshot_id       INTEGER NOT NULL,
    account_id        VARCHAR NOT NULL,   -- the account whose API answered, not the member
    region            VARCHAR NOT NULL,
    id                VARCHAR NOT NULL,   -- the member account
    name              VARCHAR,
    arn               VARCHAR,
    email             VARCHAR,
    status            VARCHAR,
    joined_method     VARCHAR,
    joined_timestamp  TIMESTAMPTZ,
    -- The OU or root the account sits in; NULL when the tree walk could not reach it.
    parent_id         VARCHAR,
    tags              JSON,               -- always NULL: the view computes it from raw_deep
    raw               JSON,
    raw_deep          JSON                -- `collect --deep`: ListTagsForResource (schema 8)
);

-- `fix --apply` runs (migrations/0005_remediation_run.sql says why; same DDL).
CREATE SEQUENCE IF NOT EXISTS remediation_run_id_seq START 1;

CREATE TABLE IF NOT EXISTS remediation_run (
    remediation_id    INTEGER PRIMARY KEY DEFAULT nextval('remediation_run_id_seq'),
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    tool_version      VARCHAR NOT NULL,
    applied_by        VARCHAR NOT NULL,   -- the caller's ARN (sts:GetCallerIdentity)
    role_arns         JSON,               -- account id → the fixer role assumed there
    benchmark         VARCHAR NOT NULL,
    check_run_before  INTEGER,            -- the check run the plan was made from
    check_run_after   INTEGER,            -- the re-check
    snapshots_before  JSON,               -- the snapshots the plan's verdicts were read from
    snapshot_after    INTEGER,            -- the re-collection of the accounts and regions touched
    status            VARCHAR NOT NULL
        CHECK (status IN ('applied', 'partial', 'failed', 'unchanged', 'nothing')),
    plan              JSON NOT NULL,      -- the plan as `fix --format json` prints it
    steps             JSON NOT NULL,      -- one entry per step: API call, parameters, result
    outcome           JSON                -- per chain: status before → after, and why
);
