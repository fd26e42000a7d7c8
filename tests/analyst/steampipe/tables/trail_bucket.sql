-- Written for watchkeeper in Steampipe's dialect: joins each trail to its delivery bucket in
-- aws_s3_bucket (s3_bucket_name, versioning_enabled, bucket_policy_is_public). watchkeeper does
-- not collect S3 buckets, so this must fail with the one-line out-of-scope message.
select t.name as trail, b.name as bucket, b.versioning_enabled, b.bucket_policy_is_public
from aws_cloudtrail_trail as t
join aws_s3_bucket as b on b.name = t.s3_bucket_name
where not b.versioning_enabled or b.bucket_policy_is_public;
