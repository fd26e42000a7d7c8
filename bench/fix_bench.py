"""Fix benchmark: `fix --plan` in every output format over check_bench's synthetic estate.

    python -m bench.fix_bench [--accounts 100 300 1000] [--regions 17] [--broken 0.05]
                              [--runs 1] [--estate DB] [--json out.json]
                              [--code /work/main --code .]

The estate is check_bench's (``build``/``_estate``: each account a multi-region trail, the
CIS filters, alarms, a topic; ``--broken`` share of the accounts has one broken link), or a
copy of ``--estate`` (a database that check_bench or an earlier run built; one size). One
`check` runs first (check_bench's own child, with the last ``--code``), then each format's
plan runs in a child process of its own with one ``--code`` checkout first on PYTHONPATH: the
plan read from the stored check run, rendered, written to a file. With several ``--code``
they take turns on the same stored run, so before/after figures come from one run.
Reports per size and format the child's wall (whole process, and plan + render inside it),
CPU seconds and peak RSS (wait4), and the plan's size: chains, steps, bytes. `--apply`
needs moto and is not benched here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

# Nothing from bench/ at module level: the child runs this file with another checkout first
# on PYTHONPATH, whose bench/ may be older (the parent imports check_bench in main()).

FORMATS = ("text", "sh", "terraform", "cloudformation", "json")


def _child(db: Path, fmt: str, out: Path) -> None:
    """Runs in the child: what `fix --plan --format FMT --output OUT` does, timed inside."""
    from watchkeeper.fix.formats import render
    from watchkeeper.fix.plan import PlanRequest, build_plan

    t = time.perf_counter()
    plan = build_plan(PlanRequest(db=db))
    planned = time.perf_counter()
    text = render(plan, fmt, None)
    out.write_text(text, encoding="utf-8")
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "plan_s": round(planned - t, 3),
                "render_s": round(done - planned, 3),
                "chains": len(plan.chains),
                "steps": len(plan.steps),
                "bytes": len(text.encode()),
            }
        )
    )


def _measure(db: Path, fmt: str, code: Path) -> dict[str, Any]:
    from bench.check_bench import child_figures

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"plan.{fmt}"
        figures, wall, usage = child_figures(__file__, ["--child", str(db), fmt, str(out)], code)
    figures["process_wall_s"] = round(wall, 3)
    figures["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--noise", type=int, default=5, help="extra filters per region")
    ap.add_argument("--broken", type=float, default=0.05, help="share of accounts broken")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    ap.add_argument("--estate", type=Path, help="copy this estate database (one size)")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--code",
        type=Path,
        action="append",
        help="checkout to measure (repeat to compare side by side; default: this one)",
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        db, fmt, out = args.child
        _child(Path(db), fmt, Path(out))
        return
    from bench.check_bench import ALL_REGIONS, _estate
    from bench.check_bench import _measure as _measure_check

    codes: list[Path] = args.code or [Path(__file__).resolve().parent.parent]
    regions = ALL_REGIONS[: args.regions]
    sizes = [0] if args.estate else args.accounts
    results: list[dict[str, Any]] = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            t0 = time.perf_counter()
            if args.estate:
                shutil.copy(args.estate, db)
            else:
                _estate(db, n, regions, args.noise, args.broken)
            print(f"{n or args.estate} accounts: built in {time.perf_counter() - t0:.1f}s")
            check = _measure_check(db, codes[-1])
            print(f"  check: {check['check_s']}s {check['counts']}", flush=True)
            for fmt in args.formats:
                runs: dict[Path, list[dict[str, Any]]] = {c: [] for c in codes}
                for _ in range(args.runs):
                    for c in codes:  # interleaved: the neighbours' load falls on each alike
                        runs[c].append(_measure(db, fmt, c))
                for c, side in runs.items():
                    row = {"accounts": n, "format": fmt, "code": str(c), **side[-1]}
                    for key in ("plan_s", "render_s", "process_wall_s", "cpu_s", "peak_rss_mb"):
                        row[key] = round(statistics.median(r[key] for r in side), 3)
                    results.append(row)
                    print(f"  {fmt}: {json.dumps(row)}", flush=True)
    print(
        "| accounts | format | code | wall s | plan s | render s | CPU s | peak RSS MB | "
        "chains | steps | bytes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['accounts']} | {r['format']} | {r['code']} | {r['process_wall_s']} | "
            f"{r['plan_s']} | {r['render_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | "
            f"{r['chains']} | {r['steps']} | {r['bytes']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
