-- Written for watchkeeper in Steampipe's dialect. CIS "Security Hub is enabled", per region:
-- every region row of aws_region is judged by whether aws_securityhub_hub has a hub there;
-- regions the connection cannot reach (steampipe_available), regions without Security Hub and
-- regions the account has not opted into are skipped. Exercises a left join on account and
-- region, = any(array[...]), and case over steampipe_available/opt_in_status/hub_arn.
select
  hub.hub_arn as resource,
  case
    when not reg.steampipe_available then 'skip'
    when reg.opt_in_status = 'not-opted-in' then 'skip'
    when reg.name = any(array['af-south-1', 'ap-northeast-3', 'eu-south-1', 'cn-north-1']) then 'skip'
    when hub.hub_arn is null then 'alarm'
    else 'ok'
  end as status,
  case
    when not reg.steampipe_available then reg.name || ': outside this connection.'
    when reg.opt_in_status = 'not-opted-in' then reg.name || ': not opted in.'
    when reg.name = any(array['af-south-1', 'ap-northeast-3', 'eu-south-1', 'cn-north-1']) then reg.name || ': no Security Hub here.'
    when hub.hub_arn is null then 'No Security Hub hub in ' || reg.name || '.'
    else 'Security Hub hub ' || hub.hub_arn || ' in ' || reg.name || '.'
  end as reason,
  reg.region,
  reg.account_id
from aws_region as reg
left join aws_securityhub_hub as hub
  on hub.account_id = reg.account_id and hub.region = reg.name
order by reg.account_id, reg.name;
