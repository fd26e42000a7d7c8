-- Schema 7 → 8 (watchkeeper issue 15): `collect --deep` asks the organization for each
-- account's tags (organizations:ListTagsForResource, from the caller); the answers are kept
-- as the other deep answers are, and views.sql computes aws_organizations_account's
-- tags/tags_src from them. Older snapshots have NULL here and their hashes leave the column
-- out (integrity.py: COLUMN_SINCE).

ALTER TABLE history.aws_organizations_account ADD COLUMN IF NOT EXISTS raw_deep JSON;
