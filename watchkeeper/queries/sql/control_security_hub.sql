-- Security Hub enabled (CIS 4.16 / 5.16), one row per account: it passes when the hub is
-- subscribed in every region collected for the account.
-- In the duckdb shell:
--   SET VARIABLE benchmark = 'cis-v5.0.0'; SET VARIABLE control_id = '4.16';
SELECT
    c.benchmark,
    c.control_id,
    a.account_id,
    coalesce(list(r.region ORDER BY r.region) FILTER (WHERE h.subscribed), [])
        AS enabled_regions,
    coalesce(list(r.region ORDER BY r.region) FILTER (WHERE NOT h.subscribed), [])
        AS disabled_regions,
    coalesce(list(r.region ORDER BY r.region) FILTER (WHERE h.region IS NULL), [])
        AS unknown_regions,
    coalesce(list(h.hub_arn ORDER BY r.region) FILTER (WHERE h.subscribed), []) AS hub_arns,
    count(r.region) > 0
        AND count(r.region) FILTER (WHERE h.subscribed IS NOT TRUE) = 0 AS passed
FROM aws_account AS a
CROSS JOIN wk_control AS c
LEFT JOIN aws_region AS r ON r.account_id = a.account_id AND r.collected
LEFT JOIN aws_securityhub_hub AS h ON h.account_id = r.account_id AND h.region = r.region
WHERE c.benchmark = getvariable('benchmark')
  AND c.control_id = getvariable('control_id')
GROUP BY ALL
ORDER BY a.account_id;
