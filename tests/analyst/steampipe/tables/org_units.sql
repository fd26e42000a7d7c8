-- Written for watchkeeper in Steampipe's dialect: aws_organizations_organizational_unit's
-- ltree path — nlevel(), descendant <@, ancestor @>, an lquery match with ~ — and
-- siblings found through parent_id, next to name, id, arn, title and akas.
with anchor as (
  select parent_id from aws_organizations_organizational_unit where name = 'Workloads'
)
select
  u.name, u.id, u.arn, u.title, u.akas, u.parent_id,
  nlevel(u.path) as depth,
  u.path <@ 'r_k2m9.ou_k2m9_aaaa1111' as below_prod,
  'r_k2m9.ou_k2m9_aaaa1111.ou_k2m9_bbbb2222' @> u.path as above_team,
  u.parent_id in (select parent_id from anchor) as sibling_of_workloads
from aws_organizations_organizational_unit as u
where nlevel(u.path) >= 2
  or u.path ~ 'r_k2m9.*.ou_k2m9_bbbb2222.*'
order by u.path;
