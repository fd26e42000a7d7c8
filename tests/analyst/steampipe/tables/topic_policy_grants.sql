-- Written for watchkeeper in Steampipe's dialect: every (AWS principal, action) pair an Allow
-- statement of aws_sns_topic.policy_std grants, flagging the anonymous ('*') grantee and the
-- full-access actions; three jsonb_array_elements* expansions in the FROM list.
select
  tp.title,
  act as action,
  who as grantee,
  who = '*' as anonymous,
  act in ('*', 'sns:*') as full_access,
  grant_stmt -> 'Condition' as conditions
from
  aws_sns_topic as tp,
  jsonb_array_elements(tp.policy_std -> 'Statement') as grant_stmt,
  jsonb_array_elements_text(grant_stmt -> 'Principal' -> 'AWS') as who,
  jsonb_array_elements_text(grant_stmt -> 'Action') as act
where grant_stmt ->> 'Effect' = 'Allow'
order by tp.title, act, who;
