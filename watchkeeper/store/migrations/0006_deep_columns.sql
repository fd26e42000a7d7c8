-- Schema 5 → 6 (watchkeeper issue 15): the answers of the per-resource calls `collect --deep`
-- makes (tags, data-protection policy, subscription attributes, insight selectors, Security
-- Hub administrator), one JSON object per row keyed by operation. The Steampipe columns of
-- the plain views (views.sql) are computed from it. Snapshots written before have NULL here,
-- and their hashes leave the column out (integrity.py: COLUMN_SINCE).

ALTER TABLE history.aws_cloudtrail_trail ADD COLUMN IF NOT EXISTS raw_deep JSON;
ALTER TABLE history.aws_cloudwatch_log_group ADD COLUMN IF NOT EXISTS raw_deep JSON;
ALTER TABLE history.aws_cloudwatch_alarm ADD COLUMN IF NOT EXISTS raw_deep JSON;
ALTER TABLE history.aws_sns_topic ADD COLUMN IF NOT EXISTS raw_deep JSON;
ALTER TABLE history.aws_sns_topic_subscription ADD COLUMN IF NOT EXISTS raw_deep JSON;
ALTER TABLE history.aws_securityhub_hub ADD COLUMN IF NOT EXISTS raw_deep JSON;
