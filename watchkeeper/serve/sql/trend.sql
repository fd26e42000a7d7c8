-- Verdict counts of the latest full-estate run per (benchmark, snapshot): the overview's
-- trend over snapshots. Parameter: the benchmark.
WITH full_runs AS (
    SELECT max(run_id) AS run_id, coalesce(snapshot_id, CAST(snapshot_ids->>'$[0]' AS INTEGER)) AS snap
    FROM check_run
    WHERE benchmark = ? AND CAST(controls AS VARCHAR) = '[]' AND CAST(accounts AS VARCHAR) = '[]'
    GROUP BY snap
)
SELECT
    f.snap AS snapshot_id,
    f.run_id,
    s.started_at,
    count(*) FILTER (WHERE c.status = 'pass') AS pass,
    count(*) FILTER (WHERE c.status = 'fail') AS fail,
    count(*) FILTER (WHERE c.status = 'error') AS error,
    count(*) FILTER (WHERE c.status = 'manual') AS manual
FROM full_runs AS f
JOIN control_result AS c ON c.run_id = f.run_id
LEFT JOIN snapshot AS s ON s.snapshot_id = f.snap
GROUP BY ALL
ORDER BY f.snap
