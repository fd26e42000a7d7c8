-- Schema 6 → 7: composite alarms share aws_cloudwatch_alarm with metric alarms (the
-- Steampipe AWS plugin's table holds metric alarms only and has no composite table, so the
-- composite fields become columns here). Rows written before are metric alarms; their
-- hashes leave these columns out (integrity.py: COLUMN_SINCE).
ALTER TABLE history.aws_cloudwatch_alarm ADD COLUMN IF NOT EXISTS alarm_type VARCHAR;
ALTER TABLE history.aws_cloudwatch_alarm ADD COLUMN IF NOT EXISTS alarm_rule VARCHAR;
ALTER TABLE history.aws_cloudwatch_alarm ADD COLUMN IF NOT EXISTS actions_suppressor VARCHAR;
ALTER TABLE history.aws_cloudwatch_alarm
    ADD COLUMN IF NOT EXISTS actions_suppressor_wait_period INTEGER;
ALTER TABLE history.aws_cloudwatch_alarm
    ADD COLUMN IF NOT EXISTS actions_suppressor_extension_period INTEGER;
ALTER TABLE history.aws_cloudwatch_alarm ADD COLUMN IF NOT EXISTS actions_suppressed_by VARCHAR;
ALTER TABLE history.aws_cloudwatch_alarm
    ADD COLUMN IF NOT EXISTS actions_suppressed_reason VARCHAR;
