"""Collector benchmark: API calls vs. the page lower bound, wall time vs. a bare boto3 loop.

    python -m bench.collect_bench [--scale 1.0] [--accounts 2] [--regions 6] [--runs 3]
                                  [--warmup 1] [--concurrency 8]

Seeds a moto server with an estate (default 2 accounts × 6 regions × 200 log groups,
400 metric filters, 400 alarms, 50 topics, 150 subscriptions), then alternately runs
`watchkeeper collect` and a bare boto3 loop that issues the same minimal calls at the same
concurrency, each in its own process (so both pay interpreter start-up), and reports the
median wall time, the calls made and the peak RSS of each. The first rounds (--warmup) are
not timed: the emulator is slower to answer each kind of request the first time, which would
otherwise count against whichever side runs first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from watchkeeper.emulator import MotoServer

REGIONS = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "sa-east-1",
    "us-east-2",
    "us-west-1",
    "eu-west-2",
    "eu-north-1",
    "ap-northeast-1",
    "ca-central-1",
]


def account_ids(count: int) -> list[str]:
    return [str(i + 1) * 12 if i < 9 else f"{i + 1:012d}" for i in range(count)]


ROLE = "watchkeeper-bench"

# Page sizes of the emulator's listings (moto: log groups 50, SNS 100, filters and alarms
# unpaged). Real AWS pages filters and alarms at 50/100, which only raises both sides.
PAGE = {"log_groups": 50, "topics": 100, "subscriptions": 100}


def session_for(endpoint: str, account: str) -> boto3.Session:
    base = boto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    creds = base.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def seed(endpoint: str, sizes: dict[str, int], accounts: list[str], regions: list[str]) -> None:
    def region_job(account: str, region: str) -> None:
        s = session_for(endpoint, account)
        logs = s.client("logs", region_name=region, endpoint_url=endpoint)
        cw = s.client("cloudwatch", region_name=region, endpoint_url=endpoint)
        sns = s.client("sns", region_name=region, endpoint_url=endpoint)
        for g in range(sizes["log_groups"]):
            logs.create_log_group(logGroupName=f"group-{g:04d}")
        for f in range(sizes["filters"]):
            logs.put_metric_filter(
                logGroupName=f"group-{f % sizes['log_groups']:04d}",
                filterName=f"filter-{f:04d}",
                filterPattern="{ ($.eventName = CreateTrail) || ($.eventName = StopLogging) }",
                metricTransformations=[
                    {"metricName": f"m-{f:04d}", "metricNamespace": "Bench", "metricValue": "1"}
                ],
            )
        topics = [
            sns.create_topic(Name=f"topic-{t:03d}")["TopicArn"] for t in range(sizes["topics"])
        ]
        for i in range(sizes["subscriptions"]):
            sns.subscribe(
                TopicArn=topics[i % len(topics)], Protocol="email", Endpoint=f"p{i}@example.com"
            )
        for a in range(sizes["alarms"]):
            cw.put_metric_alarm(
                AlarmName=f"alarm-{a:04d}",
                MetricName=f"m-{a:04d}",
                Namespace="Bench",
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                AlarmActions=[topics[a % sizes["alarm_topics"]]],
            )
        if region == regions[0]:
            s3 = s.client("s3", region_name=region, endpoint_url=endpoint)
            s3.create_bucket(Bucket=f"bench-trail-{account}")
            ct = s.client("cloudtrail", region_name=region, endpoint_url=endpoint)
            ct.create_trail(
                Name="org-trail", S3BucketName=f"bench-trail-{account}", IsMultiRegionTrail=True
            )
            ct.start_logging(Name="org-trail")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda ar: region_job(*ar), [(a, r) for a in accounts for r in regions]))


def lower_bound(sizes: dict[str, int], accounts: int, regions: int) -> int:
    per_region = (
        1  # DescribeTrails
        + math.ceil(sizes["log_groups"] / PAGE["log_groups"])
        + 1  # DescribeMetricFilters (one listing of the region)
        + 1  # DescribeAlarms
        # SNS hands out a next token with every full page, so an exact multiple of the
        # page size costs one more (empty) page; the bare loop pays it too.
        + sizes["topics"] // PAGE["topics"]
        + 1
        # Per notified topic: GetTopicAttributes and its subscribers' pages (the seed deals
        # subscriptions round-robin over the topics).
        + sum(
            1 + len(range(t, sizes["subscriptions"], sizes["topics"])) // PAGE["subscriptions"] + 1
            for t in range(sizes["alarm_topics"])
        )
        + 1  # DescribeHub
    )
    per_account = 2 + 1 + 1  # trail status + selectors (its one trail), alias, organization
    caller = 1 + accounts  # GetCallerIdentity + AssumeRole per account
    return accounts * (regions * per_region + per_account) + caller


BARE_LOOP = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
endpoint, concurrency, accounts, regions, role = json.loads(sys.argv[1])
cfg = Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=2 * concurrency)
calls = 0
def count(**kw):
    global calls
    calls += 1
base = boto3.Session()
def client(session, svc, region):
    c = session.client(svc, region_name=region, endpoint_url=endpoint, config=cfg)
    c.meta.events.register("before-call.*.*", count)
    return c
def pages(c, op, key, **kw):
    return [x for p in c.get_paginator(op).paginate(**kw) for x in p.get(key, [])]
client(base, "sts", "us-east-1").get_caller_identity()
def account_job(acct):
    cr = client(base, "sts", "us-east-1").assume_role(RoleArn=f"arn:aws:iam::{acct}:role/{role}",
        RoleSessionName="bare")["Credentials"]
    return boto3.Session(aws_access_key_id=cr["AccessKeyId"],
        aws_secret_access_key=cr["SecretAccessKey"], aws_session_token=cr["SessionToken"])
with ThreadPoolExecutor(concurrency) as pool:
    sessions = dict(zip(accounts, pool.map(account_job, accounts)))
    def region_job(ar):
        acct, region = ar
        s = sessions[acct]
        out = {}
        ct = client(s, "cloudtrail", region)
        trails = ct.describe_trails(includeShadowTrails=True)["trailList"]
        for t in trails:
            if t["HomeRegion"] == region:
                ct.get_trail_status(Name=t["TrailARN"])
                ct.get_event_selectors(TrailName=t["TrailARN"])
        lg = client(s, "logs", region)
        out["groups"] = pages(lg, "describe_log_groups", "logGroups")
        out["filters"] = pages(lg, "describe_metric_filters", "metricFilters")
        alarms = pages(client(s, "cloudwatch", region), "describe_alarms", "MetricAlarms")
        sn = client(s, "sns", region)
        topics = pages(sn, "list_topics", "Topics")
        for arn in sorted({x for a in alarms for x in a["AlarmActions"]}):
            sn.get_topic_attributes(TopicArn=arn)
            pages(sn, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
        try:
            client(s, "securityhub", region).describe_hub()
        except Exception:
            pass
        if region == regions[0]:
            client(s, "iam", region).list_account_aliases()
            try:
                client(s, "organizations", region).describe_organization()
            except Exception:
                pass
        return len(out["filters"])
    list(pool.map(region_job, [(a, r) for a in accounts for r in regions]))
print(json.dumps({"calls": calls}))
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0,):
        raise SystemExit(f"{cmd[:3]} failed: {err.decode()[-2000:]}")
    return wall, usage.ru_maxrss, out.decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="resources per region")
    ap.add_argument("--accounts", type=int, default=2)
    ap.add_argument("--regions", type=int, default=6, choices=range(1, len(REGIONS) + 1))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    sizes = {
        "log_groups": max(1, round(200 * args.scale)),
        "filters": max(1, round(400 * args.scale)),
        "alarms": max(1, round(400 * args.scale)),
        "topics": max(1, round(50 * args.scale)),
        "subscriptions": max(1, round(150 * args.scale)),
    }
    sizes["alarm_topics"] = min(sizes["topics"], 5)
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
    accounts, regions = account_ids(args.accounts), REGIONS[: args.regions]
    with MotoServer() as server, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        seed(server.url, sizes, accounts, regions)
        print(
            f"seeded {len(accounts)} accounts × {len(regions)} regions × {sizes} "
            f"in {time.perf_counter() - t0:.0f}s",
            flush=True,
        )
        accounts_flags = [x for a in accounts for x in ("--account", a)]
        region_flags = [x for r in regions for x in ("--region", r)]
        tool: list[tuple[float, int, int]] = []
        bare: list[tuple[float, int, int]] = []
        for i in range(-args.warmup, args.runs):
            db = Path(tmp) / f"run{i}.duckdb"
            wall, rss, _ = timed(
                [
                    sys.executable,
                    "-m",
                    "watchkeeper",
                    "collect",
                    "--db",
                    str(db),
                    "--quiet",
                    "--endpoint-url",
                    server.url,
                    "--role-name",
                    ROLE,
                    "--concurrency",
                    str(args.concurrency),
                    *accounts_flags,
                    *region_flags,
                ],
                env,
            )
            calls = json.loads(
                subprocess.run(
                    [sys.executable, "-m", "watchkeeper", "snapshots", "--db", str(db), "--json"],
                    capture_output=True,
                    check=True,
                    env=env,
                ).stdout
            )[-1]["api_calls"]
            payload = json.dumps([server.url, args.concurrency, accounts, regions, ROLE])
            bare_wall, bare_rss, out = timed([sys.executable, "-c", BARE_LOOP, payload], env)
            label = "warm-up" if i < 0 else f"run {i + 1}"
            print(
                f"{label}: watchkeeper {wall:.2f}s {calls} calls; "
                f"bare loop {bare_wall:.2f}s {json.loads(out)['calls']} calls",
                flush=True,
            )
            if i >= 0:
                tool.append((wall, rss, calls))
                bare.append((bare_wall, bare_rss, json.loads(out)["calls"]))
    bound = lower_bound(sizes, len(accounts), len(regions))
    result: dict[str, Any] = {
        "sizes": sizes,
        "accounts": len(accounts),
        "regions": len(regions),
        "concurrency": args.concurrency,
        "runs": args.runs,
        "warmup_rounds": args.warmup,
        "lower_bound_calls": bound,
        "watchkeeper": {
            "median_wall_s": round(statistics.median(w for w, _, _ in tool), 3),
            "walls_s": [round(w, 3) for w, _, _ in tool],
            "calls": tool[-1][2],
            "peak_rss_mib": round(max(r for _, r, _ in tool) / 1024, 1),
        },
        "bare_loop": {
            "median_wall_s": round(statistics.median(w for w, _, _ in bare), 3),
            "walls_s": [round(w, 3) for w, _, _ in bare],
            "calls": bare[-1][2],
            "peak_rss_mib": round(max(r for _, r, _ in bare) / 1024, 1),
        },
    }
    result["wall_ratio"] = round(
        result["watchkeeper"]["median_wall_s"] / result["bare_loop"]["median_wall_s"], 3
    )
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
