"""Check benchmark: all 16 controls over a synthetic snapshot inserted straight into DuckDB.

    python -m bench.check_bench [--accounts 100 300 1000] [--regions 17] [--runs 3]
                                [--broken 0.05] [--code /work/main --code .]

Each account has a multi-region trail (a shadow copy per region), its log group with the
15 CIS filters plus noise filters, alarms, a topic with subscribers, and a hub per region;
every third account (or ``--broken`` share of them) has a broken link so both verdicts occur.

Each check runs in a child process with one ``--code`` checkout first on PYTHONPATH; with
several, they take turns on the same estate, so before/after figures come from one run.
Reports per size and checkout the median over ``--runs`` of the check's wall time (prepare +
all controls + storing the results), the child's CPU seconds and peak RSS (wait4), the first,
cold run (pattern coverage judged for the first time), and the results hash of every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from watchkeeper.queries.catalog import load_catalog
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


def _child(db: Path) -> None:
    """Runs in the child, importing watchkeeper from the code under test: one check."""
    import hashlib
    import resource

    from watchkeeper.queries.check import CheckRequest, check
    from watchkeeper.queries.results import results_digest

    t = time.perf_counter()
    run = check(CheckRequest(db=db))
    wall = time.perf_counter() - t
    # The check's own peak, before the hashing below adds anything of the bench's.
    check_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The results as `check --format json` lists them, hashed one result at a time so the
    # bench holds no second copy of the run.
    listed = hashlib.sha256()
    for r in run.results:
        listed.update(json.dumps(r.to_json(), sort_keys=True, default=str).encode() + b"\n")
    figures = {
        "check_s": round(wall, 3),
        "counts": run.counts(),
        "results_sha256": results_digest(run.results),
        "results_json_sha256": listed.hexdigest(),
        "check_peak_rss_mb": round(check_peak, 1),
    }
    print(json.dumps(figures))


def child_figures(
    script: str, args: list[str], code: Path, cwd: Path | None = None
) -> tuple[dict[str, Any], float, Any]:
    """Run the bench ``script`` as a child with ``args`` and ``code`` first on PYTHONPATH:
    the JSON of its last stdout line, its wall seconds and its rusage from wait4 (its own and
    that of the workers it reaped; ru_maxrss is the largest process among them, KiB on Linux)."""
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = [sys.executable, str(Path(script).resolve()), *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True, cwd=cwd)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if (exit_code := os.waitstatus_to_exitcode(status)) != 0:
        raise SystemExit(f"{' '.join(args[:2])} with {code} failed (exit {exit_code})")
    return json.loads(out.strip().splitlines()[-1]), wall, usage


def _measure(db: Path, code: Path) -> dict[str, Any]:
    """One check in a child process with ``code`` first on PYTHONPATH: its wall, CPU
    seconds and peak RSS from wait4 (the machine is shared: CPU says more than wall)."""
    figures, wall, usage = child_figures(__file__, ["--child", str(db)], code, cwd=code)
    figures["process_wall_s"] = round(wall, 3)
    figures["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return figures


def _estate(db: Path, accounts: int, regions: list[str], noise: int, broken: float | None) -> int:
    col = build(accounts, regions, noise, broken_share=broken)
    # Stand-in API objects about the size of real ones: the row's own columns.
    for table_rows in col.tables.values():
        for row in table_rows:
            row["raw"] = json.dumps({k: v for k, v in row.items() if v is not None})
    sid = begin_snapshot(db, col.accounts, regions, col.caller_arn)
    complete_snapshot(db, sid, col)
    return sum(len(v) for v in col.tables.values())


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, nargs="+", default=[100])
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--noise", type=int, default=5, help="extra filters per region")
    ap.add_argument(
        "--broken", type=float, help="share of accounts broken (default: every third account)"
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--code",
        type=Path,
        action="append",
        help="checkout to measure (repeat to compare side by side; default: this one)",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--estate", type=Path, help="copy this estate database (one size) instead of building"
    )
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    codes: list[Path] = args.code or [Path(__file__).resolve().parent.parent]
    regions = ALL_REGIONS[: args.regions]
    results: list[dict[str, Any]] = []
    for n in args.accounts:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            t0 = time.perf_counter()
            if args.estate:
                shutil.copy(args.estate, db)
                rows = 0  # not counted: built elsewhere
            else:
                rows = _estate(db, n, regions, args.noise, args.broken)
            print(f"{n} accounts: {rows} rows in {time.perf_counter() - t0:.1f}s", flush=True)
            # The first check judges pattern coverage into the store (cold); not in the median.
            cold = {str(c): _measure(db, c) for c in codes}
            runs: dict[str, list[dict[str, Any]]] = {str(c): [] for c in codes}
            for i in range(args.runs):
                # Interleaved, so the neighbours' load falls on both sides alike.
                for c in codes:
                    runs[str(c)].append(_measure(db, c))
                    print(f"  run {i} {c}: {json.dumps(runs[str(c)][-1])}", flush=True)
            for c in codes:
                side = runs[str(c)]
                digests = {r["results_sha256"] for r in side} | {cold[str(c)]["results_sha256"]}
                results.append(
                    {
                        "accounts": n,
                        "regions": len(regions),
                        "rows": rows,
                        "code": str(c),
                        "counts": side[-1]["counts"],
                        "cold_check_s": cold[str(c)]["check_s"],
                        "median_check_s": _median(side, "check_s"),
                        "median_process_wall_s": _median(side, "process_wall_s"),
                        "median_cpu_s": _median(side, "cpu_s"),
                        "median_peak_rss_mb": _median(side, "peak_rss_mb"),
                        "cold_peak_rss_mb": cold[str(c)]["peak_rss_mb"],
                        "results_sha256": sorted(digests),
                        "results_json_sha256": sorted({r["results_json_sha256"] for r in side}),
                    }
                )
    print(
        "| accounts | code | check s (median) | CPU s | peak RSS MB | cold check s | "
        "cold RSS MB | results sha256 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['accounts']} | {r['code']} | {r['median_check_s']} | {r['median_cpu_s']} | "
            f"{r['median_peak_rss_mb']} | {r['cold_check_s']} | {r['cold_peak_rss_mb']} | "
            f"{','.join(d[:12] for d in r['results_sha256'])} |"
        )
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
