-- Schema 4 → 5: `fix --apply` runs, kept as evidence of what was changed, by whom, and what
-- the re-check showed. Like the check runs, not part of any snapshot's hash: a run points
-- at the snapshots before and after it.
CREATE SEQUENCE IF NOT EXISTS remediation_run_id_seq START 1;

CREATE TABLE IF NOT EXISTS remediation_run (
    remediation_id    INTEGER PRIMARY KEY DEFAULT nextval('remediation_run_id_seq'),
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    tool_version      VARCHAR NOT NULL,
    applied_by        VARCHAR NOT NULL,   -- the caller's ARN (sts:GetCallerIdentity)
    role_arns         JSON,               -- account id → the fixer role assumed there
    benchmark         VARCHAR NOT NULL,
    check_run_before  INTEGER,            -- the check run the plan was made from
    check_run_after   INTEGER,            -- the re-check
    snapshots_before  JSON,               -- the snapshots the plan's verdicts were read from
    snapshot_after    INTEGER,            -- the re-collection of the accounts and regions touched
    status            VARCHAR NOT NULL
        CHECK (status IN ('applied', 'partial', 'failed', 'unchanged', 'nothing')),
    plan              JSON NOT NULL,      -- the plan as `fix --format json` prints it
    steps             JSON NOT NULL,      -- one entry per step: API call, parameters, result
    outcome           JSON                -- per chain: status before → after, and why
);
