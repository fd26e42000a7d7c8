-- Schema 2 → 3: the organization's tree (roots, OUs, accounts and where each sits), collected
-- from the management account or a delegated administrator. Snapshots written before have
-- no rows here, and their hashes leave these tables out (integrity.py: TABLE_SINCE).

CREATE TABLE IF NOT EXISTS history.aws_organizations_root (
    snapshot_id   INTEGER NOT NULL,
    account_id    VARCHAR NOT NULL,   -- the management account or delegated administrator
    region        VARCHAR NOT NULL,   -- the region the Organizations calls used
    id            VARCHAR NOT NULL,   -- r-…
    name          VARCHAR,
    arn           VARCHAR,
    policy_types  JSON,
    raw           JSON
);

CREATE TABLE IF NOT EXISTS history.aws_organizations_organizational_unit (
    snapshot_id   INTEGER NOT NULL,
    account_id    VARCHAR NOT NULL,   -- the management account or delegated administrator
    region        VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,   -- ou-…
    name          VARCHAR,
    arn           VARCHAR,
    parent_id     VARCHAR,            -- the OU or root it sits in
    path          VARCHAR,            -- Steampipe's: ids from the root, '.'-joined, '-' → '_'
    raw           JSON
);

CREATE TABLE IF NOT EXISTS history.aws_organizations_account (
    snapshot_id       INTEGER NOT NULL,
    account_id        VARCHAR NOT NULL,   -- the account whose API answered, not the member
    region            VARCHAR NOT NULL,
    id                VARCHAR NOT NULL,   -- the member account
    name              VARCHAR,
    arn               VARCHAR,
    email             VARCHAR,
    status            VARCHAR,
    joined_method     VARCHAR,
    joined_timestamp  TIMESTAMPTZ,
    -- The OU or root the account sits in; NULL when the tree walk could not reach it.
    parent_id         VARCHAR,
    tags              JSON,               -- not collected (ListTagsForResource): NULL
    raw               JSON
);
