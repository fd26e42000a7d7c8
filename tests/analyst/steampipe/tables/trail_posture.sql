-- Written for watchkeeper in Steampipe's dialect: aws_cloudtrail_trail's name, home_region,
-- region and is_multi_region_trail (a shadow copy is a multi-region trail seen outside its
-- home region), kms_key_id, log_file_validation_enabled and is_logging as yes/no findings.
select
  t.name as trail,
  t.home_region,
  t.region,
  case
    when t.is_multi_region_trail and t.home_region <> t.region then 'shadow'
    else 'home'
  end as copy_kind,
  t.kms_key_id is null as unencrypted,
  not t.log_file_validation_enabled as unvalidated,
  not t.is_logging as stopped
from aws_cloudtrail_trail as t
order by t.name, t.region;
