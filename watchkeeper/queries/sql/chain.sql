-- The monitoring chain, one candidate path per row:
--   trail → log group → metric filter → metric → alarm [→ composite alarm] → SNS topic
--   → subscribers
-- with a column per link condition. Controls (control_*.sql) are short queries over
-- wk_control_chain. Reads the plain table names (latest complete snapshot per account);
-- `watchkeeper check --snapshot N` shadows them with temporary views of snapshot N.
--
-- Needs the reference tables watchkeeper materialises from its catalog on each check:
-- wk_control, wk_control_pattern, wk_control_source and pattern_coverage.

-- Trails as their owner sees them in their home region, with the trail-level links.
CREATE OR REPLACE VIEW wk_trail AS
WITH t AS (
    SELECT
        tr.*,
        from_json(tr.event_selectors,
            '[{"ReadWriteType": "VARCHAR", "IncludeManagementEvents": "BOOLEAN",
               "ExcludeManagementEventSources": ["VARCHAR"]}]') AS basic,
        from_json(tr.advanced_event_selectors,
            '[{"Name": "VARCHAR", "FieldSelectors": [{"Field": "VARCHAR",
               "Equals": ["VARCHAR"], "NotEquals": ["VARCHAR"], "StartsWith": ["VARCHAR"],
               "NotStartsWith": ["VARCHAR"], "EndsWith": ["VARCHAR"],
               "NotEndsWith": ["VARCHAR"]}]}]') AS advanced,
        regexp_extract(tr.log_group_arn,
            '^arn:([^:]+):logs:([^:]*):([^:]*):log-group:([^:]+)',
            ['partition', 'region', 'account', 'name']) AS lg
    FROM aws_cloudtrail_trail AS tr
    WHERE NOT tr.is_shadow AND tr.account_id = tr.owner_account_id
),
selectors AS (
    SELECT
        t.*,
        -- Basic selectors: one that includes management events for reads and writes.
        list_filter(coalesce(t.basic, []),
            lambda s: s.IncludeManagementEvents AND s.ReadWriteType = 'All') AS basic_ok,
        -- Advanced selectors on management events that do not filter readOnly and do not
        -- narrow eventSource to a list (NotEquals exclusions are judged per control).
        list_filter(coalesce(t.advanced, []),
            lambda s: list_contains(list_transform(s.FieldSelectors,
                     lambda f: f.Field = 'eventCategory' AND list_contains(f.Equals, 'Management')), true)
                 AND NOT list_contains(list_transform(s.FieldSelectors,
                     lambda f: f.Field = 'readOnly'), true)
                 AND NOT list_contains(list_transform(s.FieldSelectors,
                     lambda f: f.Field = 'eventSource' AND (f.Equals IS NOT NULL
                          OR f.StartsWith IS NOT NULL OR f.EndsWith IS NOT NULL
                          OR f.NotStartsWith IS NOT NULL OR f.NotEndsWith IS NOT NULL)), true)
        ) AS advanced_ok
    FROM t
)
SELECT
    s.owner_account_id,
    s.arn AS trail_arn,
    s.name AS trail_name,
    s.home_region,
    s.snapshot_id,
    s.is_organization_trail,
    s.status_collected,
    s.log_group_arn AS trail_log_group_arn,
    s.lg.partition AS lg_partition,
    s.lg.region AS lg_region,
    s.lg.account AS lg_account,
    s.lg.name AS lg_name,
    s.latest_cloudwatch_logs_delivery_time,
    s.latest_cloudwatch_logs_delivery_error,
    s.start_logging_time,
    s.event_selectors,
    s.advanced_event_selectors,
    coalesce(s.is_multi_region_trail, false) AS trail_multi_region,
    s.is_logging AS trail_logging,
    CASE
        WHEN NOT s.status_collected THEN NULL
        -- No selectors at all is CloudTrail's default: every management event.
        WHEN coalesce(len(s.basic), 0) = 0 AND coalesce(len(s.advanced), 0) = 0 THEN true
        ELSE len(s.basic_ok) > 0 OR len(s.advanced_ok) > 0
    END AS trail_management_events,
    -- Management event sources the trail drops (basic ExcludeManagementEventSources or
    -- advanced eventSource NotEquals); a control is broken if it needs one of them.
    CASE
        WHEN len(s.basic_ok) > 0 THEN flatten(list_transform(s.basic_ok,
            lambda x: coalesce(x.ExcludeManagementEventSources, [])))
        WHEN len(s.advanced_ok) > 0 THEN flatten(list_transform(s.advanced_ok,
            lambda x: flatten(list_transform(list_filter(x.FieldSelectors,
                lambda f: f.Field = 'eventSource'), lambda f: coalesce(f.NotEquals, [])))))
        ELSE []
    END AS excluded_sources,
    s.log_group_arn IS NOT NULL AS trail_delivers_to_logs,
    CASE
        WHEN NOT s.status_collected THEN NULL
        WHEN coalesce(s.latest_cloudwatch_logs_delivery_error, '') <> '' THEN false
        -- Management events flow all the time; a day without delivery means it stopped.
        WHEN s.latest_cloudwatch_logs_delivery_time IS NOT NULL
             AND s.latest_cloudwatch_logs_delivery_time
                 < snap.started_at - INTERVAL 24 HOURS THEN false
        -- Logging for over a day and never delivered: the delivery has never worked (AWS
        -- omits the time until a first delivery; a newly started trail gets the doubt).
        WHEN s.latest_cloudwatch_logs_delivery_time IS NULL
             AND s.log_group_arn IS NOT NULL
             AND s.start_logging_time < snap.started_at - INTERVAL 24 HOURS THEN false
        ELSE true
    END AS trail_delivery_healthy
FROM selectors AS s
JOIN snapshot AS snap USING (snapshot_id);

-- Which trails can carry evidence for which account: its own, and the organization
-- trails of its organization's management account.
CREATE OR REPLACE VIEW wk_account_trail AS
SELECT DISTINCT a.account_id, t.*
FROM aws_account AS a
JOIN wk_trail AS t
  ON t.owner_account_id = a.account_id
  OR (t.is_organization_trail
      AND (t.owner_account_id = a.organization_master_account_id
           OR t.trail_arn IN (SELECT s.arn FROM aws_cloudtrail_trail AS s
                              WHERE s.account_id = a.account_id)));

-- SNS topics with their subscriptions counted (confirmed vs. pending). Subscriptions are
-- the ones the topic's owner lists for the topic (another account's subscribers included).
CREATE OR REPLACE VIEW wk_topic AS
SELECT
    t.account_id,
    t.region,
    t.topic_arn,
    t.name AS topic_name,
    t.attributes_collected,
    t.subscriptions_listed,
    t.kms_master_key_id,
    t.kms_key_manager,
    t.kms_key_described,
    count(s.subscription_arn) FILTER (WHERE s.confirmed) AS confirmed_subscriptions,
    count(s.subscription_arn) FILTER (WHERE s.pending_confirmation) AS pending_subscriptions,
    list(struct_pack(arn := s.subscription_arn, protocol := s.protocol,
                     endpoint := s.endpoint, confirmed := s.confirmed))
        FILTER (WHERE s.subscription_arn IS NOT NULL) AS subscriptions
FROM aws_sns_topic AS t
LEFT JOIN aws_sns_topic_subscription AS s
  ON s.account_id = t.account_id AND s.region = t.region AND s.topic_arn = t.topic_arn
GROUP BY ALL;

-- Alarms with the metric they watch (a metric-math alarm counts when it is one metric).
CREATE OR REPLACE VIEW wk_alarm AS
SELECT
    a.*,
    coalesce(a.metric_name,
        CASE WHEN json_array_length(a.metrics) = 1
             THEN a.metrics->0->'MetricStat'->'Metric'->>'MetricName' END) AS watched_metric,
    coalesce(a.namespace,
        CASE WHEN json_array_length(a.metrics) = 1
             THEN a.metrics->0->'MetricStat'->'Metric'->>'Namespace' END) AS watched_namespace,
    coalesce(a.statistic,
        CASE WHEN json_array_length(a.metrics) = 1
             THEN a.metrics->0->'MetricStat'->>'Stat' END) AS watched_statistic,
    -- A metric-math alarm's top-level Dimensions is an empty list, not NULL: its metric's
    -- dimensions are inside Metrics[].MetricStat.Metric.
    coalesce(json_array_length(
        CASE WHEN a.metric_name IS NULL AND json_array_length(a.metrics) = 1
             THEN a.metrics->0->'MetricStat'->'Metric'->'Dimensions'
             ELSE a.dimensions END), 0)
        AS watched_dimension_count,
    list_filter(from_json(a.alarm_actions, '["VARCHAR"]'), lambda x: x LIKE 'arn:%:sns:%')
        AS sns_actions
FROM aws_cloudwatch_alarm AS a
-- Rows of schema 3 and before have no alarm_type: they are all metric alarms.
WHERE a.alarm_type IS DISTINCT FROM 'CompositeAlarm';

-- How a metric alarm pages: through its own actions, or through a composite alarm of its
-- account and region whose AlarmRule names it (by name or ARN). Whether that rule fires on
-- this alarm alone comes from alarm_rule_reference (materialised by
-- queries/alarm_rules.py; wk_rule_fires_alone() answers the same for one rule).
CREATE OR REPLACE VIEW wk_alarm_route AS
SELECT
    a.account_id,
    a.region,
    a.arn AS alarm_arn,
    NULL::VARCHAR AS composite_name,
    NULL::VARCHAR AS composite_arn,
    NULL::VARCHAR AS composite_rule,
    NULL::BOOLEAN AS composite_fires_alone,
    NULL::VARCHAR AS composite_suppressor,
    NULL::VARCHAR AS composite_suppressed_by,
    a.actions_enabled AS notifier_actions_enabled,
    a.sns_actions AS notifier_sns_actions
FROM wk_alarm AS a
UNION ALL
SELECT
    a.account_id,
    a.region,
    a.arn,
    c.name,
    c.arn,
    c.alarm_rule,
    r.fires_alone,
    c.actions_suppressor,
    c.actions_suppressed_by,
    c.actions_enabled,
    list_filter(from_json(c.alarm_actions, '["VARCHAR"]'), lambda x: x LIKE 'arn:%:sns:%')
FROM wk_alarm AS a
JOIN aws_cloudwatch_alarm AS c
  ON c.account_id = a.account_id AND c.region = a.region AND c.alarm_type = 'CompositeAlarm'
-- A rule naming the alarm twice (name and ARN) is one route; it fires if either does.
JOIN (SELECT alarm_rule, reference, bool_or(fires_alone) AS fires_alone
      FROM alarm_rule_reference WHERE reference IS NOT NULL GROUP BY ALL) AS r
  ON r.alarm_rule = c.alarm_rule AND r.reference IN (a.name, a.arn)
QUALIFY row_number() OVER (PARTITION BY a.arn, c.arn ORDER BY r.fires_alone DESC) = 1;

-- The chain without any control: every trail → log group → filter → alarm → topic path.
CREATE OR REPLACE VIEW wk_chain AS
SELECT
    atr.account_id,
    atr.* EXCLUDE (account_id),
    lg.name AS log_group_name,
    lg.arn AS log_group_arn,
    mf.name AS filter_name,
    mf.filter_pattern,
    mf.metric_transformation_name AS filter_metric,
    mf.metric_transformation_namespace AS filter_namespace,
    mf.metric_transformation_value AS filter_value,
    mf.metric_transformation_default_value AS filter_default_value,
    mf.metric_transformation_dimensions AS filter_dimensions,
    al.name AS alarm_name,
    al.arn AS alarm_arn,
    al.region AS alarm_region,
    al.watched_namespace AS alarm_namespace,
    al.watched_statistic AS alarm_statistic,
    al.extended_statistic AS alarm_extended_statistic,
    al.watched_dimension_count AS alarm_dimension_count,
    rt.notifier_actions_enabled AS alarm_actions_enabled,
    rt.composite_name,
    rt.composite_arn,
    rt.composite_rule,
    rt.composite_fires_alone,
    rt.composite_suppressor,
    rt.composite_suppressed_by,
    al.threshold AS alarm_threshold,
    al.comparison_operator AS alarm_comparison,
    al.evaluation_periods AS alarm_evaluation_periods,
    al.datapoints_to_alarm AS alarm_datapoints_to_alarm,
    al.period AS alarm_period,
    rt.notifier_sns_actions AS alarm_sns_actions,
    act.action_arn AS topic_action_arn,
    tp.topic_arn,
    tp.topic_name,
    tp.attributes_collected AS topic_attributes_collected,
    tp.subscriptions_listed AS topic_subscriptions_listed,
    tp.kms_master_key_id AS topic_kms_key,
    tp.kms_key_manager AS topic_kms_key_manager,
    tp.kms_key_described AS topic_kms_key_described,
    tp.confirmed_subscriptions,
    tp.pending_subscriptions,
    tp.subscriptions
FROM wk_account_trail AS atr
LEFT JOIN aws_cloudwatch_log_group AS lg
  ON lg.account_id = atr.lg_account AND lg.region = atr.lg_region AND lg.name = atr.lg_name
LEFT JOIN aws_cloudwatch_log_metric_filter AS mf
  ON mf.account_id = lg.account_id AND mf.region = lg.region AND mf.log_group_name = lg.name
-- Alarms are joined on the metric *name* only; namespace and dimensions are links of
-- their own so that a near miss is reported as such.
LEFT JOIN wk_alarm AS al
  ON al.account_id = mf.account_id AND al.region = mf.region
 AND al.watched_metric = mf.metric_transformation_name
-- Each way the alarm pages (itself, or a composite naming it) is a candidate of its own.
LEFT JOIN wk_alarm_route AS rt
  ON rt.account_id = al.account_id AND rt.region = al.region AND rt.alarm_arn = al.arn
LEFT JOIN LATERAL (SELECT unnest(coalesce(rt.notifier_sns_actions, [NULL::VARCHAR])) AS action_arn)
  AS act ON true
-- The topic may be another account's: joined by ARN across the snapshot, so it is judged
-- as its owner's collection saw it (an uncollected owner is an error, in verdicts.py).
LEFT JOIN wk_topic AS tp ON tp.topic_arn = act.action_arn;

-- The chain judged for each metric-filter control and each accepted required pattern.
-- `links` lists every link in chain order; `literal` marks the ones the benchmark's own
-- audit procedure asks for (profile 'literal'); the full profile asks for all of them.
CREATE OR REPLACE VIEW wk_control_chain AS
WITH judged AS (
    SELECT
        cp.benchmark,
        cp.control_id,
        cp.pattern_index,
        cp.pattern AS required_pattern,
        ch.*,
        pc.covered AS filter_covers,
        pc.decided AS coverage_decided,
        pc.reason AS coverage_reason,
        pc.counterexample,
        coalesce(pc.similarity, 0) AS filter_similarity,
        NOT EXISTS (SELECT 1 FROM wk_control_source AS cs
                    WHERE cs.benchmark = cp.benchmark AND cs.control_id = cp.control_id
                      AND (list_contains(ch.excluded_sources, cs.event_source)
                           OR (cs.event_source = '*' AND len(ch.excluded_sources) > 0)))
            AS trail_sources_kept,
        -- What one matching event contributes to the alarm's statistic (metric value m,
        -- and defaultValue d emitted for every other event of the period).
        TRY_CAST(ch.filter_value AS DOUBLE) AS metric_value,
        CASE
            WHEN ch.alarm_statistic IN ('Sum', 'Maximum') THEN TRY_CAST(ch.filter_value AS DOUBLE)
            WHEN ch.alarm_statistic = 'SampleCount' THEN 1.0
            WHEN ch.alarm_statistic IN ('Average', 'Minimum')
                 OR ch.alarm_extended_statistic IS NOT NULL
                THEN CASE WHEN ch.filter_default_value IS NULL
                          THEN TRY_CAST(ch.filter_value AS DOUBLE)
                          ELSE least(TRY_CAST(ch.filter_value AS DOUBLE), ch.filter_default_value)
                     END
        END AS single_event_value
    FROM wk_control_pattern AS cp
    CROSS JOIN wk_chain AS ch
    LEFT JOIN pattern_coverage AS pc
      ON pc.filter_pattern = ch.filter_pattern AND pc.required_pattern = cp.pattern
),
linked AS (
    SELECT
        j.*,
        [
            struct_pack(link := 'trail_multi_region', literal := true,
                        held := j.trail_multi_region),
            struct_pack(link := 'trail_logging', literal := true, held := j.trail_logging),
            struct_pack(link := 'trail_management_events', literal := true,
                        held := j.trail_management_events),
            struct_pack(link := 'trail_sources_kept', literal := false,
                        held := j.trail_sources_kept),
            struct_pack(link := 'trail_delivers_to_logs', literal := true,
                        held := j.trail_delivers_to_logs),
            struct_pack(link := 'trail_delivery_healthy', literal := false,
                        held := j.trail_delivery_healthy),
            struct_pack(link := 'log_group_exists', literal := true,
                        held := j.log_group_name IS NOT NULL),
            struct_pack(link := 'filter_exists', literal := true,
                        held := j.filter_name IS NOT NULL),
            struct_pack(link := 'filter_covers_pattern', literal := true,
                        held := coalesce(j.filter_covers, false)),
            struct_pack(link := 'metric_value_positive', literal := false,
                        held := coalesce(j.metric_value > 0, false)),
            struct_pack(link := 'alarm_exists', literal := true,
                        held := j.alarm_name IS NOT NULL),
            struct_pack(link := 'metric_namespace_matches', literal := false,
                        held := j.alarm_namespace IS NOT DISTINCT FROM j.filter_namespace),
            struct_pack(link := 'metric_dimensions_match', literal := false,
                        held := coalesce(json_type(j.filter_dimensions) <> 'OBJECT'
                                         OR len(json_keys(j.filter_dimensions)) = 0, true)
                                AND j.alarm_dimension_count = 0),
            struct_pack(link := 'alarm_fires_on_one_event', literal := false,
                        held := coalesce(
                            coalesce(j.alarm_datapoints_to_alarm, j.alarm_evaluation_periods) = 1
                            AND CASE j.alarm_comparison
                                WHEN 'GreaterThanOrEqualToThreshold'
                                    THEN j.single_event_value >= j.alarm_threshold
                                WHEN 'GreaterThanThreshold'
                                    THEN j.single_event_value > j.alarm_threshold
                                ELSE false END, false)),
            struct_pack(link := 'alarm_notifies_topic', literal := true,
                        held := len(coalesce(j.alarm_sns_actions, [])) > 0),
            -- Through a composite: its rule must go to ALARM on this alarm alone (literal
            -- too: else the literal profile would pass an AND-ed composite that never
            -- fires), and nothing may mute its actions.
            struct_pack(link := 'composite_fires_on_alarm', literal := true,
                        held := j.composite_arn IS NULL
                                OR coalesce(j.composite_fires_alone, false)),
            struct_pack(link := 'composite_not_suppressed', literal := false,
                        held := j.composite_arn IS NULL OR j.composite_suppressor IS NULL),
            -- Of the alarm that notifies: the metric alarm itself, or its composite.
            struct_pack(link := 'alarm_actions_enabled', literal := false,
                        held := coalesce(j.alarm_actions_enabled, false)),
            struct_pack(link := 'topic_exists', literal := true,
                        held := j.topic_arn IS NOT NULL),
            -- NULL (cannot verify) when the topic's attributes or its key's manager
            -- could not be read.
            struct_pack(link := 'topic_accepts_alarms', literal := false,
                        held := CASE
                            WHEN NOT j.topic_attributes_collected THEN NULL
                            WHEN j.topic_kms_key IS NULL THEN true
                            WHEN j.topic_kms_key LIKE '%alias/aws/sns'
                                 OR j.topic_kms_key_manager = 'AWS' THEN false
                            WHEN j.topic_kms_key_described IS false THEN NULL
                            ELSE true END),
            -- NULL (cannot verify) when the topic's subscriptions could not be listed.
            struct_pack(link := 'subscriber_confirmed', literal := true,
                        held := CASE WHEN j.topic_subscriptions_listed IS false THEN NULL
                                     ELSE coalesce(j.confirmed_subscriptions, 0) > 0 END)
        ] AS all_links
    FROM judged AS j
),
profiled AS (
    SELECT
        l.*,
        CASE WHEN getvariable('profile') = 'literal'
             THEN list_filter(l.all_links, lambda x: x.literal)
             ELSE l.all_links END AS links
    FROM linked AS l
),
scored AS (
    SELECT p.* EXCLUDE (all_links),
           list_transform(p.links, lambda x: x.held IS TRUE) AS held_flags
    FROM profiled AS p
)
SELECT
    s.* EXCLUDE (held_flags),
    coalesce(list_position(s.held_flags, false) - 1, len(s.held_flags)) AS links_held,
    list_bool_and(s.held_flags) AS chain_holds,
    -- Nearest candidate first: a holding chain, then the longest run of held links, then
    -- (among filters failing alike) the filter most like the required pattern.
    -- On a tie, the path through a composite alarm: it is how such an alarm is meant to page.
    list_bool_and(s.held_flags)::INTEGER * 2000000
        + (coalesce(list_position(s.held_flags, false) - 1, len(s.held_flags))) * 2000
        + round(s.filter_similarity * 999)::INTEGER * 2
        + (s.composite_arn IS NOT NULL)::INTEGER AS candidate_rank
FROM scored AS s;
