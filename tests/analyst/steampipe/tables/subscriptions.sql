-- Written for watchkeeper in Steampipe's dialect: aws_sns_topic_subscription grouped by
-- topic_arn — subscriptions (subscription_arn), and how many lack a filter_policy or a
-- redrive_policy (dead-letter queue), and how many distinct titles.
select
  s.topic_arn,
  count(distinct s.title) as titles,
  count(s.subscription_arn) as subscribers,
  count(*) filter (where s.filter_policy is null) as unfiltered,
  count(*) filter (where s.redrive_policy is null) as without_dlq
from aws_sns_topic_subscription as s
group by s.topic_arn
order by s.topic_arn;
