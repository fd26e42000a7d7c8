-- Schema 1 → 2: record which machine collected each snapshot (evidence of provenance).
-- Snapshots written before have NULL here, and their hashes leave the column out
-- (integrity.py: columns are hashed only for snapshots of the schema that has them).
ALTER TABLE snapshot ADD COLUMN IF NOT EXISTS collector_host VARCHAR;
