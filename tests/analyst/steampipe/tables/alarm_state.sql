-- Written for watchkeeper in Steampipe's dialect: aws_cloudwatch_alarm's single-metric columns
-- (metric_name, namespace, statistic, period, comparison_operator, dimensions), its
-- state_value/state_reason and actions_enabled, with the count of alarm_actions.
select
  a.name as alarm,
  a.metric_name,
  a.namespace,
  a.statistic,
  a.period,
  a.comparison_operator,
  a.state_value = 'ALARM' as firing,
  a.state_reason is not null as has_reason,
  a.actions_enabled,
  jsonb_array_length(a.alarm_actions) as action_count,
  a.arn is not null as has_arn
from aws_cloudwatch_alarm as a
where a.metric_name is not null
order by a.name;
