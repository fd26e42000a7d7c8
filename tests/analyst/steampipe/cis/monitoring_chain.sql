-- Written for watchkeeper in Steampipe's dialect. One CIS monitoring control (v1.2.0 3.x,
-- v1.3.0-v5.0.0 4.x, v6.0.0 5.x), in the shape of the AWS Compliance mod's controls: an
-- account passes when a multi-region, logging trail with an all-events selector delivers to a
-- log group whose metric filter names every term of the control (Postgres regex `~` on the
-- pattern text, blanks and double quotes squeezed out), that filter's metric has an alarm, and
-- the alarm notifies a topic with a subscription. The test fills in @SUBJECT@ and @TERMS@ (a
-- JSON array of regexes). Exercises ::jsonb, jsonb_array_elements[_text] in lateral joins,
-- ->>, split_part, bool_and, coalesce and case over aws_account, aws_cloudtrail_trail,
-- aws_cloudwatch_log_metric_filter, aws_cloudwatch_alarm and aws_sns_topic_subscription.
with control as (
  select '@SUBJECT@' as subject, '@TERMS@'::jsonb as terms
),
feeding_groups as (
  select distinct
    tr.account_id,
    split_part(tr.log_group_arn, ':', 7) as group_name
  from aws_cloudtrail_trail as tr
  cross join lateral jsonb_array_elements(tr.event_selectors) as sel
  where tr.is_multi_region_trail
    and tr.is_logging
    and tr.log_group_arn is not null
    and sel ->> 'ReadWriteType' = 'All'
),
squeezed as (
  select
    mf.account_id,
    mf.name as filter_name,
    mf.log_group_name as group_name,
    mf.metric_transformation_name as metric,
    regexp_replace(mf.filter_pattern, '[[:space:]"]+', '', 'g') as pattern_text
  from aws_cloudwatch_log_metric_filter as mf
),
covering_filters as (
  select sq.account_id, sq.filter_name, sq.group_name, sq.metric
  from squeezed as sq
  cross join control as c
  cross join lateral jsonb_array_elements_text(c.terms) as term
  group by sq.account_id, sq.filter_name, sq.group_name, sq.metric
  having bool_and(sq.pattern_text ~ term)
),
notified_metrics as (
  select distinct al.account_id, al.metric_name as metric
  from aws_cloudwatch_alarm as al
  cross join lateral jsonb_array_elements_text(al.alarm_actions) as target_arn
  where target_arn in (select sub.topic_arn from aws_sns_topic_subscription as sub)
),
complete_chain as (
  select fg.account_id, min(cf.filter_name) as filter_name
  from feeding_groups as fg
  join covering_filters as cf
    on cf.account_id = fg.account_id and cf.group_name = fg.group_name
  join notified_metrics as nm
    on nm.account_id = cf.account_id and nm.metric = cf.metric
  group by fg.account_id
)
select
  'arn:' || acct.partition || ':::' || acct.account_id as resource,
  case when chain.filter_name is null then 'alarm' else 'ok' end as status,
  coalesce(
    chain.filter_name || ' alerts subscribers to ' || c.subject || '.',
    'No trail, metric filter, alarm and subscribed topic alert on ' || c.subject || '.'
  ) as reason,
  acct.account_id
from aws_account as acct
cross join control as c
left join complete_chain as chain on chain.account_id = acct.account_id
order by acct.account_id;
