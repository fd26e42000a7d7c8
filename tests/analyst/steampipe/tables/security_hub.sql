-- Written for watchkeeper in Steampipe's dialect: aws_securityhub_hub's hub_arn, region,
-- subscribed_at, auto_enable_controls and the administrator_account members (->>).
select
  h.region,
  h.hub_arn,
  h.subscribed_at,
  coalesce(h.auto_enable_controls, false) as auto_controls,
  h.administrator_account ->> 'AccountId' as admin_account,
  h.administrator_account ->> 'MemberStatus' as admin_link
from aws_securityhub_hub as h
order by h.region;
