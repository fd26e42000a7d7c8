-- Stored check runs, so verdicts can be compared across runs and reported later.
CREATE SEQUENCE IF NOT EXISTS check_run_id_seq START 1;

CREATE TABLE IF NOT EXISTS check_run (
    run_id          INTEGER PRIMARY KEY DEFAULT nextval('check_run_id_seq'),
    checked_at      TIMESTAMPTZ NOT NULL,
    tool_version    VARCHAR NOT NULL,
    benchmark       VARCHAR NOT NULL,
    profile         VARCHAR NOT NULL,
    snapshot_id     INTEGER,          -- NULL: latest complete snapshot per account
    snapshot_ids    JSON,             -- the snapshots the verdicts were read from
    controls        JSON,
    accounts        JSON,
    attestations    VARCHAR,          -- path of the attestations file, if any
    results_sha256  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS control_result (
    run_id       INTEGER NOT NULL,
    benchmark    VARCHAR NOT NULL,
    control_id   VARCHAR NOT NULL,
    topic        VARCHAR NOT NULL,
    title        VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    region       VARCHAR,
    resource     VARCHAR,
    status       VARCHAR NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'manual')),
    reason       VARCHAR NOT NULL,
    evidence     JSON,
    snapshot_id  INTEGER
);
