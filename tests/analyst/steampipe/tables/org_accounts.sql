-- Written for watchkeeper in Steampipe's dialect: aws_organizations_account's id, arn, name,
-- email, status, joined_method, joined_timestamp and tags, for members not ACTIVE.
select
  m.id, m.arn, m.name, m.email, m.status, m.joined_method, m.joined_timestamp,
  coalesce(m.tags, '{}'::jsonb) as tags
from aws_organizations_account as m
where m.status <> 'ACTIVE'
order by m.joined_timestamp;
