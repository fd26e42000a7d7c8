"""Fuzz the filter-pattern parser: random and mutated inputs up to the 1024-character
limit must raise nothing but FilterPatternError, and each must be decided (parsed, and
matched against a CloudTrail record when valid) quickly.

    python -m bench.fuzz_patterns [--inputs 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time

from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.patterns import FilterPatternError, matches, parse

ALPHABET = "{}()[]$.=!<>&|\" *%?-,_:\\'0123456789abcdefxyzAEINSTeventNameSource\t"
RECORD = {
    "eventVersion": "1.08",
    "eventSource": "cloudtrail.amazonaws.com",
    "eventName": "StopLogging",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.7",
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
    "errorCode": "AccessDenied",
    "requestParameters": {"name": "t"},
    "readOnly": False,
    "resources": [{"ARN": "arn:aws:cloudtrail:us-east-1:1:trail/t"}],
    "count": 3,
}
SEEDS = [
    *CIS_PATTERNS.values(),
    "[ip, user, ..., status = 4*, bytes > 1000]",
    "%ERROR [0-9]{3}%",
    '?ERROR ?WARN -"debug mode"',
    "{ $.a[*].b = 1 || $.* = x }",
]


def generate(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.3:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 200)))
    if kind < 0.8:  # mutate a real pattern
        s = list(rng.choice(SEEDS))
        for _ in range(rng.randint(1, 8)):
            op = rng.random()
            i = rng.randrange(len(s) + 1)
            if op < 0.4 and s:
                del s[min(i, len(s) - 1)]
            elif op < 0.8:
                s.insert(i, rng.choice(ALPHABET))
            else:
                s[i:i] = list(rng.choice(SEEDS))[: rng.randint(1, 40)]
        return "".join(s)[:1100]
    if kind < 0.9:  # deep nesting
        depth = rng.randint(1, 500)
        return "{ " + "(" * depth + "$.eventName = X" + ")" * rng.choice((depth, depth - 1)) + " }"
    # many wildcards and long alternations up to the limit
    terms = " || ".join(f'$.f{i} = "*a*"' for i in range(rng.randint(1, 60)))
    return ("{ " + terms + " }")[:1030]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    raw = json.dumps(RECORD)
    valid = invalid = 0
    slowest, slowest_input = 0.0, ""
    t_all = time.perf_counter()
    # Collector pauses are the interpreter's, not the parser's: time each decision with the
    # cyclic GC off and collect between inputs (reported separately).
    gc.disable()
    gc_max = 0.0
    for n in range(args.inputs):
        if n % 500 == 0:
            g = time.perf_counter()
            gc.collect()
            gc_max = max(gc_max, time.perf_counter() - g)
        text = generate(rng)
        t = time.perf_counter()
        try:
            p = parse(text)
            matches(p, RECORD)
            matches(p, raw)
            valid += 1
        except FilterPatternError:
            invalid += 1
        except Exception as exc:  # the finding this fuzzer exists for
            raise SystemExit(f"{type(exc).__name__} on {text!r}: {exc}") from exc
        dt = time.perf_counter() - t
        if dt > slowest:
            slowest, slowest_input = dt, text
    print(
        json.dumps(
            {
                "inputs": args.inputs,
                "valid": valid,
                "invalid": invalid,
                "other_exceptions": 0,
                "slowest_ms": round(slowest * 1000, 2),
                "slowest_input_prefix": slowest_input[:80],
                "slowest_full_gc_ms": round(gc_max * 1000, 2),
                "total_s": round(time.perf_counter() - t_all, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
