-- Written for watchkeeper in Steampipe's dialect: aws_cloudwatch_log_group's kms_key_id,
-- retention_in_days (unset counts as kept forever), metric_filter_count, creation_time and
-- data_protection_policy, for the groups without a KMS key.
select
  g.name as log_group,
  coalesce(g.retention_in_days, 0) between 1 and 6 as short_retention,
  g.metric_filter_count,
  g.creation_time is not null as dated,
  g.data_protection_policy is null as unprotected,
  g.arn
from aws_cloudwatch_log_group as g
where g.kms_key_id is null
order by g.name;
