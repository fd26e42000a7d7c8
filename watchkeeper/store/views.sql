-- The plain table names: per account, the rows of the latest complete snapshot that
-- collected it. History stays queryable in the `history` schema (filter on snapshot_id).

CREATE OR REPLACE VIEW latest_snapshot_account AS
SELECT a.account_id, max(a.snapshot_id) AS snapshot_id
FROM history.aws_account AS a
JOIN snapshot AS s USING (snapshot_id)
WHERE s.status = 'complete'
GROUP BY a.account_id;

CREATE OR REPLACE VIEW latest_snapshot AS
SELECT * FROM snapshot
WHERE status = 'complete'
ORDER BY snapshot_id DESC
LIMIT 1;

-- Errors of the latest complete snapshot per account; errors not tied to one account
-- (e.g. listing the organization) from the latest complete snapshot.
CREATE OR REPLACE VIEW collection_error AS
SELECT e.* FROM history.collection_error AS e
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id)
UNION ALL
SELECT e.* FROM history.collection_error AS e
JOIN latest_snapshot AS s USING (snapshot_id)
WHERE e.account_id IS NULL;

CREATE OR REPLACE VIEW aws_account AS
SELECT t.* FROM history.aws_account AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_region AS
SELECT t.* FROM history.aws_region AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudtrail_trail AS
SELECT t.* FROM history.aws_cloudtrail_trail AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudwatch_log_group AS
SELECT t.* FROM history.aws_cloudwatch_log_group AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudwatch_log_metric_filter AS
SELECT t.* FROM history.aws_cloudwatch_log_metric_filter AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_cloudwatch_alarm AS
SELECT t.* FROM history.aws_cloudwatch_alarm AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_sns_topic AS
SELECT t.* FROM history.aws_sns_topic AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_sns_topic_subscription AS
SELECT t.* FROM history.aws_sns_topic_subscription AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_securityhub_hub AS
SELECT t.* FROM history.aws_securityhub_hub AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

-- The organization's tree carries the answering (management or delegated-admin) account's
-- id, so the same join shows the tree of the latest complete snapshot that collected it.
CREATE OR REPLACE VIEW aws_organizations_root AS
SELECT t.* FROM history.aws_organizations_root AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_organizations_organizational_unit AS
SELECT t.* FROM history.aws_organizations_organizational_unit AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);

CREATE OR REPLACE VIEW aws_organizations_account AS
SELECT t.* FROM history.aws_organizations_account AS t
JOIN latest_snapshot_account AS l USING (snapshot_id, account_id);
