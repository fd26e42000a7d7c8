-- Written for watchkeeper in Steampipe's dialect: the policy types an account's organization
-- offers, one row each, from aws_account.organization_available_policy_types (->> on the
-- elements of jsonb_array_elements in a lateral join).
select
  acct.account_id,
  acct.organization_id,
  pt ->> 'Type' as kind,
  pt ->> 'Status' as enabled_state
from aws_account as acct
cross join lateral jsonb_array_elements(acct.organization_available_policy_types) as pt
order by kind;
