-- Written for watchkeeper in Steampipe's dialect: aws_cloudwatch_log_metric_filter joined to
-- aws_cloudwatch_log_group by log_group_name, with filter_pattern (and an ilike test on it),
-- creation_time, the metric_transformation_name/_namespace/_value, and a per-group count.
with per_group as (
  select f.log_group_name, count(f.name) as filters_on_group
  from aws_cloudwatch_log_metric_filter as f
  group by f.log_group_name
)
select
  g.name as log_group,
  f.name as metric_filter,
  f.filter_pattern ilike '%error%' as about_errors,
  f.creation_time is not null as dated,
  f.metric_transformation_namespace || '/' || f.metric_transformation_name as metric,
  f.metric_transformation_value,
  pg.filters_on_group
from aws_cloudwatch_log_group as g
join aws_cloudwatch_log_metric_filter as f on f.log_group_name = g.name
join per_group as pg on pg.log_group_name = g.name
order by g.name, f.name;
