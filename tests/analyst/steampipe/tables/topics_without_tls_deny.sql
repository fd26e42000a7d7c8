-- Written for watchkeeper in Steampipe's dialect: topics whose policy_std has no Deny for
-- everyone ('*' among the AWS principals, tested with jsonb @>) on at least one action when
-- aws:securetransport is false (the Bool condition's values cast with ::bool).
with tls_guarded as (
  select distinct tp.topic_arn
  from
    aws_sns_topic as tp,
    jsonb_array_elements(tp.policy_std -> 'Statement') as deny_stmt,
    jsonb_array_elements_text(deny_stmt -> 'Condition' -> 'Bool' -> 'aws:securetransport') as secure
  where deny_stmt ->> 'Effect' = 'Deny'
    and (deny_stmt -> 'Principal' -> 'AWS') @> '["*"]'::jsonb
    and jsonb_array_length(deny_stmt -> 'Action') > 0
    and not secure::bool
)
select tp.title, '' as action
from aws_sns_topic as tp
left join tls_guarded as g on g.topic_arn = tp.topic_arn
where g.topic_arn is null
order by tp.title;
