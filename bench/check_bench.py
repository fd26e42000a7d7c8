"""Check benchmark: all 16 controls over a synthetic snapshot inserted straight into DuckDB.

    python -m bench.check_bench [--accounts 100] [--regions 17] [--runs 5]

Each account has a multi-region trail (a shadow copy per region), its log group with the
15 CIS filters plus noise filters, alarms, a topic with subscribers, and a hub per region;
every third account has a broken link so both verdicts occur. Reports the median wall
time of `check` (prepare + all controls + storing the results) and of the first, cold run
(pattern coverage judged for the first time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.store import Collection, begin_snapshot, complete_snapshot

ALL_REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
]


def build(
    n_accounts: int, regions: list[str], noise: int, *, broken_share: float | None = None
) -> Collection:
    """The synthetic estate. By default every third account is broken in every control;
    with ``broken_share`` (e.g. 0.05) that share of the accounts, evenly spread, each has one
    broken link in one control (filter misses events or alarm actions off, alternately)."""
    controls = [c for c in load_catalog().controls("cis-v5.0.0") if c.kind != "security_hub"]
    accounts = [f"{100000000000 + i}" for i in range(n_accounts)]
    col = Collection(
        caller_arn="arn:aws:iam::100000000000:user/bench", accounts=accounts, regions=regions
    )
    home = regions[0]
    every = round(1 / broken_share) if broken_share else 0
    for i, acct in enumerate(accounts):
        broken = i % 3 == 2 if not every else False
        # (control index, link) broken in this account under broken_share; None: none
        one: tuple[int, str] | None = None
        if every and i % every == every - 1:
            k = i // every
            one = (k % len(controls), "filter" if k % 2 == 0 else "alarm")
        col.add(
            "aws_account",
            [
                {
                    "account_id": acct,
                    "region": home,
                    "partition": "aws",
                    "arn": f"arn:aws:::{acct}",
                    "access_method": "assume_role",
                    "collection_status": "ok",
                }
            ],
        )
        lg = "cloudtrail-logs"
        trail_arn = f"arn:aws:cloudtrail:{home}:{acct}:trail/main"
        for r in regions:
            col.add("aws_region", [{"account_id": acct, "region": r, "name": r, "collected": True}])
            col.add(
                "aws_cloudtrail_trail",
                [
                    {
                        "account_id": acct,
                        "region": r,
                        "name": "main",
                        "arn": trail_arn,
                        "home_region": home,
                        "owner_account_id": acct,
                        "is_shadow": r != home,
                        "is_multi_region_trail": True,
                        "is_organization_trail": False,
                        "log_group_arn": f"arn:aws:logs:{home}:{acct}:log-group:{lg}:*",
                        "status_collected": True,
                        "is_logging": True,
                        "event_selectors": [
                            {"ReadWriteType": "All", "IncludeManagementEvents": True}
                        ],
                    }
                ],
            )
            col.add(
                "aws_securityhub_hub",
                [
                    {
                        "account_id": acct,
                        "region": r,
                        "subscribed": not (broken and r == regions[-1]),
                    }
                ],
            )
            col.add(
                "aws_cloudwatch_log_group",
                [
                    {
                        "account_id": acct,
                        "region": r,
                        "name": f"app-{r}-{k}",
                        "arn": f"arn:aws:logs:{r}:{acct}:log-group:app-{r}-{k}",
                    }
                    for k in range(2)
                ],
            )
            col.add(
                "aws_cloudwatch_log_metric_filter",
                [
                    {
                        "account_id": acct,
                        "region": r,
                        "name": f"noise-{k}",
                        "log_group_name": f"app-{r}-0",
                        "filter_pattern": f'{{ $.level = "E{k}" }}',
                        "metric_transformation_name": f"noise-{k}",
                        "metric_transformation_namespace": "App",
                        "metric_transformation_value": "1",
                    }
                    for k in range(noise)
                ],
            )
        topic = f"arn:aws:sns:{home}:{acct}:security-alerts"
        col.add(
            "aws_cloudwatch_log_group",
            [
                {
                    "account_id": acct,
                    "region": home,
                    "name": lg,
                    "arn": f"arn:aws:logs:{home}:{acct}:log-group:{lg}",
                }
            ],
        )
        col.add(
            "aws_sns_topic",
            [
                {
                    "account_id": acct,
                    "region": home,
                    "topic_arn": topic,
                    "name": "security-alerts",
                    "attributes_collected": True,
                }
            ],
        )
        col.add(
            "aws_sns_topic_subscription",
            [
                {
                    "account_id": acct,
                    "region": home,
                    "subscription_arn": f"{topic}:sub-{k}",
                    "topic_arn": topic,
                    "protocol": "email",
                    "endpoint": f"soc{k}@example.com",
                    "pending_confirmation": False,
                    "confirmed": True,
                }
                for k in range(2)
            ],
        )
        for j, c in enumerate(controls):
            pattern = c.required_patterns[0]
            if (broken and j % 2) or one == (j, "filter"):
                pattern = "{ (" + pattern.strip()[1:-1] + ") && ($.awsRegion = nowhere) }"
            metric = f"{c.topic}-count"
            col.add(
                "aws_cloudwatch_log_metric_filter",
                [
                    {
                        "account_id": acct,
                        "region": home,
                        "name": c.topic,
                        "log_group_name": lg,
                        "filter_pattern": pattern,
                        "metric_transformation_name": metric,
                        "metric_transformation_namespace": "CISBenchmark",
                        "metric_transformation_value": "1",
                    }
                ],
            )
            col.add(
                "aws_cloudwatch_alarm",
                [
                    {
                        "account_id": acct,
                        "region": home,
                        "name": f"{c.topic}-alarm",
                        "arn": f"arn:aws:cloudwatch:{home}:{acct}:alarm:{c.topic}-alarm",
                        "actions_enabled": not ((broken and j % 2 == 0) or one == (j, "alarm")),
                        "alarm_actions": [topic],
                        "metric_name": metric,
                        "namespace": "CISBenchmark",
                        "statistic": "Sum",
                        "period": 300,
                        "evaluation_periods": 1,
                        "threshold": 1.0,
                        "comparison_operator": "GreaterThanOrEqualToThreshold",
                        "dimensions": [],
                    }
                ],
            )
    return col


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--noise", type=int, default=5, help="extra filters per region")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    regions = ALL_REGIONS[: args.regions]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        col = build(args.accounts, regions, args.noise)
        sid = begin_snapshot(db, col.accounts, regions, col.caller_arn)
        complete_snapshot(db, sid, col)
        rows = sum(len(v) for v in col.tables.values())
        print(f"inserted {rows} rows in {time.perf_counter() - t0:.1f}s", flush=True)
        walls: list[float] = []
        counts: dict[str, int] = {}
        for i in range(args.runs + 1):
            t = time.perf_counter()
            run = check(CheckRequest(db=db))
            walls.append(time.perf_counter() - t)
            counts = run.counts()
            print(f"run {i}: {walls[-1]:.3f}s {counts}", flush=True)
    result: dict[str, Any] = {
        "accounts": args.accounts,
        "regions": len(regions),
        "rows": rows,
        "results_per_run": sum(counts.values()),
        "counts": counts,
        "cold_first_run_s": round(walls[0], 3),
        "median_warm_s": round(statistics.median(walls[1:]), 3),
        "warm_runs_s": [round(w, 3) for w in walls[1:]],
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
