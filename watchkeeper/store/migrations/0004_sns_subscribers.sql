-- Schema 3 → 4: how a topic's subscribers were read (per topic, as its owner), and the
-- manager of the KMS key that encrypts it. Snapshots written before have NULL here, and
-- their hashes leave these columns out (integrity.py: COLUMN_SINCE).
ALTER TABLE history.aws_sns_topic ADD COLUMN IF NOT EXISTS subscriptions_listed BOOLEAN;
ALTER TABLE history.aws_sns_topic ADD COLUMN IF NOT EXISTS kms_key_manager VARCHAR;
ALTER TABLE history.aws_sns_topic ADD COLUMN IF NOT EXISTS kms_key_described BOOLEAN;
