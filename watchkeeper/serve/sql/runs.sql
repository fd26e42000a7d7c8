-- The stored check runs, newest first, with their verdict counts (the dashboard's run list).
-- Runnable in the duckdb shell against a watchkeeper database.
SELECT
    r.run_id,
    r.benchmark,
    r.profile,
    r.checked_at,
    r.snapshot_id,
    CAST(r.snapshot_ids AS VARCHAR) AS snapshot_ids,
    CAST(r.controls AS VARCHAR) AS controls,
    CAST(r.accounts AS VARCHAR) AS accounts,
    r.attestations,
    r.results_sha256,
    count(c.status) FILTER (WHERE c.status = 'pass') AS pass,
    count(c.status) FILTER (WHERE c.status = 'fail') AS fail,
    count(c.status) FILTER (WHERE c.status = 'error') AS error,
    count(c.status) FILTER (WHERE c.status = 'manual') AS manual,
    count(DISTINCT c.account_id) AS account_count
FROM check_run AS r
LEFT JOIN control_result AS c USING (run_id)
GROUP BY ALL
ORDER BY r.run_id DESC
