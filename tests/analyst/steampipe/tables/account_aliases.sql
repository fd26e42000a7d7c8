-- Written for watchkeeper in Steampipe's dialect: aws_account's organization columns
-- (organization_id, organization_master_account_id/_email) with one row per alias, by
-- expanding account_aliases with jsonb_array_elements_text in the FROM list.
select
  acct.arn as account_arn,
  coalesce(acct.organization_id, '(standalone)') as org,
  acct.organization_master_account_id as management_account,
  acct.organization_master_account_email as management_email,
  alias_item as alias
from
  aws_account as acct,
  jsonb_array_elements_text(acct.account_aliases) as alias_item;
