-- Written for watchkeeper in Steampipe's dialect: aws_region's name and opt_in_status, keeping
-- every region the account has not explicitly declined.
select r.name as region_name, r.opt_in_status
from aws_region as r
where r.opt_in_status is distinct from 'not-opted-in'
order by r.name;
