"""Kill soak: SIGKILL `watchkeeper collect` at random points, many times, and check the
store after every kill (opens, earlier snapshots verify, the killed one is incomplete and
not shown).

    python -m bench.kill_soak [--trials 25] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from tests.awsfake.faultproxy import FaultProxy, Rule
from tests.awsfake.scenarios import Estate
from tests.hardening.test_faults import assert_store_sound, kill_trial
from watchkeeper.emulator import MotoServer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="soak",
        AWS_SECRET_ACCESS_KEY="soak",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    rng = random.Random(args.seed)
    with MotoServer() as server, tempfile.TemporaryDirectory() as tmp:
        proxy = FaultProxy(server.url).start()
        estate = Estate(server.url)
        for i in range(3):
            estate.account().chain(prefix=f"c{i}")
            estate.account().chain(prefix=f"e{i}", region="eu-west-1", trail=False)
        # Spread the run out so kills land in every phase (listing, writing, hashing).
        proxy.add(Rule("cloudwatch", "DescribeAlarms", delay=0.3))
        proxy.add(Rule("sns", "ListSubscriptionsByTopic", delay=0.3))
        db = Path(tmp) / "soak.duckdb"
        t0 = time.perf_counter()
        kill_trial(proxy, db, after=None)
        full = time.perf_counter() - t0
        outcomes = {
            "killed_mid_collection": 0,
            "ran_to_completion": 0,
            "killed_before_snapshot_began": 0,
        }
        complete, incomplete = assert_store_sound(db)
        for i in range(args.trials):
            before = time.perf_counter()
            kill_trial(proxy, db, rng.uniform(0.1, full * 1.05), wait_for=None)
            ran = time.perf_counter() - before
            now_complete, now_incomplete = assert_store_sound(db)
            if now_incomplete > incomplete:
                outcomes["killed_mid_collection"] += 1
            elif now_complete > complete:
                outcomes["ran_to_completion"] += 1
            else:
                outcomes["killed_before_snapshot_began"] += 1
            complete, incomplete = now_complete, now_incomplete
            print(
                f"trial {i + 1}: {ran:.2f}s; complete {complete}, incomplete {incomplete}",
                flush=True,
            )
        proxy.stop()
    print(
        json.dumps(
            {
                "trials": args.trials,
                "full_run_s": round(full, 2),
                **outcomes,
                "store_sound_after_every_trial": True,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
