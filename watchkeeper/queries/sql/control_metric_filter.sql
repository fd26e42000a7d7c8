-- A metric-filter control (CIS 4.1–4.15), one row per account: it passes when at least one
-- candidate chain holds every link; `best` is that chain, or else the nearest candidate
-- (the one holding the longest run of links from the trail onwards; see candidate_rank).
-- In the duckdb shell:
--   SET VARIABLE benchmark = 'cis-v5.0.0'; SET VARIABLE control_id = '4.5';
--   SET VARIABLE profile = 'full';   -- or 'literal'
SELECT
    c.benchmark,
    c.control_id,
    a.account_id,
    coalesce(bool_or(ch.chain_holds), false) AS passed,
    count(ch.account_id) AS candidates,
    arg_max(ch, ch.candidate_rank) AS best
FROM aws_account AS a
CROSS JOIN wk_control AS c
LEFT JOIN wk_control_chain AS ch
  ON ch.account_id = a.account_id
 AND ch.benchmark = c.benchmark
 AND ch.control_id = c.control_id
WHERE c.benchmark = getvariable('benchmark')
  AND c.control_id = getvariable('control_id')
GROUP BY ALL
ORDER BY a.account_id;
