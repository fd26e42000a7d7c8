-- Written for watchkeeper in Steampipe's dialect: the metric-math side of aws_cloudwatch_alarm,
-- one row per entry of its metrics array, reading Id, Expression, ReturnData and the nested
-- MetricStat -> Metric members with chained -> and ->>.
select
  a.name as alarm,
  m ->> 'Id' as query_id,
  m ->> 'Expression' as expression,
  m -> 'MetricStat' -> 'Metric' ->> 'Namespace' as stat_namespace,
  m -> 'MetricStat' -> 'Metric' ->> 'MetricName' as stat_metric,
  m -> 'MetricStat' -> 'Metric' -> 'Dimensions' as stat_dimensions,
  coalesce((m ->> 'ReturnData')::boolean, true) as returned
from aws_cloudwatch_alarm as a
cross join lateral jsonb_array_elements(a.metrics) as m;
