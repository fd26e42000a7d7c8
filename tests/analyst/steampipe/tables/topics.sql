-- Written for watchkeeper in Steampipe's dialect: aws_sns_topic's kms_master_key_id (none, the
-- AWS-managed alias/aws/sns, or a customer key), an owner tag via tags::jsonb ? 'owner', and
-- the five *_failure_feedback_role_arn delivery-logging columns.
select
  tp.title,
  tp.topic_arn,
  tp.region,
  case
    when tp.kms_master_key_id is null then 'none'
    when tp.kms_master_key_id = 'alias/aws/sns' then 'aws-managed'
    else 'customer'
  end as key_kind,
  coalesce(tp.tags::jsonb ? 'owner', false) as owned,
  coalesce(
    tp.application_failure_feedback_role_arn,
    tp.firehose_failure_feedback_role_arn,
    tp.http_failure_feedback_role_arn,
    tp.lambda_failure_feedback_role_arn,
    tp.sqs_failure_feedback_role_arn
  ) is null as no_failure_logging
from aws_sns_topic as tp
order by tp.title;
