-- Written for watchkeeper in Steampipe's dialect: where each log group's data-protection
-- policy sends audit findings. Walks data_protection_policy -> 'Statement' and each
-- statement's DataIdentifier list with two jsonb_array_elements* in the FROM list, then
-- the Operation -> Audit -> FindingsDestination members.
with audit_statements as (
  select g.name as log_group, st
  from
    aws_cloudwatch_log_group as g,
    jsonb_array_elements(g.data_protection_policy -> 'Statement') as st
  where st -> 'Operation' ? 'Audit'
)
select
  a.log_group,
  ident as data_identifier,
  a.st -> 'Operation' -> 'Audit' -> 'FindingsDestination' -> 'CloudWatchLogs' ->> 'LogGroup' as to_log_group,
  a.st -> 'Operation' -> 'Audit' -> 'FindingsDestination' -> 'S3' ->> 'Bucket' as to_bucket,
  a.st -> 'Operation' -> 'Audit' -> 'FindingsDestination' -> 'Firehose' ->> 'DeliveryStream' as to_stream
from
  audit_statements as a,
  jsonb_array_elements_text(a.st -> 'DataIdentifier') as ident;
