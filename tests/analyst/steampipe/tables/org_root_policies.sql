-- Written for watchkeeper in Steampipe's dialect: aws_organizations_root's id, name and arn
-- with each entry of policy_types (Type/Status via ->>).
select r.id, r.name, r.arn, pol ->> 'Type' as kind, pol ->> 'Status' as state
from aws_organizations_root as r, jsonb_array_elements(r.policy_types) as pol;
