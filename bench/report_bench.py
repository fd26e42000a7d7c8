"""Report benchmark (issue 12): the main report and the evidence packs at organisation scale.

    python -m bench.report_bench --accounts 1000 [--code DIR ...]
        [--stages html,pdf,packs,command] [--packs 50] [--estate DIR] [--repeat N]

Builds the synthetic snapshot of bench/check_bench.py with every account's chain correct
and 5 % of the accounts (evenly spread) broken in one link of one control. Then:

- ``check``: for each ``--code``, one child process runs the check with that code and
  stores its run as a pickle: its wall, CPU and peak RSS are the check's own (DuckDB).
  Each code renders its own check's run: a run carries what its reports reuse (the
  results digest, which the check computes);
- for each ``--code`` (this checkout by default; give two, e.g. the commit before a
  change and this checkout, for before/after figures side by side in one run), a fresh
  child process per stage loads that run and renders, with that code first on PYTHONPATH:
  ``html`` the main report as HTML; ``pdf`` the main report as PDF (pages counted with
  pypdf); ``packs`` the evidence packs (HTML + PDF) of the first ``--packs`` accounts,
  with the per-pack figures extrapolated to every account (and labelled so).

``command`` runs the real ``watchkeeper report -f html,pdf`` (check, stored, then HTML
and PDF) in a child with that code: its wall and CPU seconds (with every process it
reaped), ``peak_rss_mb`` from wait4 (ru_maxrss: the largest single process of the tree)
and ``peak_tree_rss_mb``, the largest sum of RSS over the command's process tree, sampled
from /proc every 50 ms (what the machine must hold at once when the PDF renders in a
child). It writes a run into the estate's database, like the real command.

``--repeat N`` measures each stage N times and adds the median of each figure.

``--estate DIR`` keeps the snapshot and each code's check run in DIR and reuses them when
they are there (the estate takes minutes to build at 1,000 accounts); the check's figures
are then not measured again. A run is kept per checkout path: delete it after changing
that checkout's check.

Each render stage reports wall and CPU seconds of the child and of the PDF workers it
reaped (wait4), and the peak RSS of the largest of those processes: the render's own,
apart from the check's. ``check_plus_*`` adds the check's figures to a stage's (two
processes; the ``command`` stage measures the real command). On a shared machine CPU
seconds say more than wall. Targets at 1,000 accounts on 2 cores: main HTML < 5 s; main
PDF < 60 s; the whole ``report`` command's peak RSS < 1 GB; packs for all 1,000 accounts
< 15 min; the main report ≤ 120 pages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

RENDER_STAGES = ("html", "pdf", "packs")
STAGES = (*RENDER_STAGES, "command")


def _run_name(code: Path) -> str:
    """The file of ``code``'s check run in an estate: per checkout path."""
    where = hashlib.sha256(str(code.resolve()).encode()).hexdigest()[:8]
    return f"run.{code.resolve().name}.{where}.pickle"


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _child_check(db: Path, run_file: Path) -> dict[str, Any]:
    from watchkeeper.queries.check import CheckRequest, check

    run = check(CheckRequest(db=db))
    run_file.write_bytes(pickle.dumps(run))
    return {"counts": run.counts()}


def _child_render(stage: str, db: Path, run_file: Path, out: Path, packs: int) -> dict[str, Any]:
    """Runs in the child, importing watchkeeper from the code under test."""
    from watchkeeper.reports.render import ReportRequest, write_reports

    run = pickle.loads(run_file.read_bytes())
    figures: dict[str, Any] = {"rss_run_loaded_mb": _rss_mb()}
    t = time.perf_counter()
    if stage == "packs":
        accounts = sorted({r.account_id for r in run.results})[:packs]
        request = ReportRequest(
            db=db, formats=("html", "pdf"), output_dir=out, run=run, accounts=tuple(accounts)
        )
        written = write_reports(request)
        figures["packs"] = len(accounts)
        figures["pack_files"] = len(written.packs)
    else:
        written = write_reports(ReportRequest(db=db, formats=(stage,), output_dir=out, run=run))
        path = written.files[stage]
        figures["bytes"] = path.stat().st_size
        figures["file"] = str(path)
    figures["report_s"] = round(time.perf_counter() - t, 3)
    return figures


def _spawn(args: list[str], code: Path) -> dict[str, Any]:
    from bench.check_bench import child_figures

    figures, wall, usage = child_figures(__file__, args, code)
    figures["wall_s"] = round(wall, 3)
    figures["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return figures


def _render_stage(
    stage: str, db: Path, run_file: Path, out: Path, code: Path, packs: int, total: int
) -> dict[str, Any]:
    args = ["--child", stage, "--db", str(db), "--run-file", str(run_file)]
    figures = _spawn([*args, "--out", str(out), "--packs", str(packs)], code)
    from pypdf import PdfReader

    if stage == "pdf":
        figures["pages"] = len(PdfReader(figures["file"]).pages)
    if stage == "packs" and figures["packs"]:
        n = figures["packs"]
        figures["s_per_pack"] = round(figures["report_s"] / n, 3)
        figures["cpu_s_per_pack"] = round(figures["cpu_s"] / n, 3)
        figures["packs_per_min"] = round(60 * n / figures["report_s"], 1)
        # Extrapolated, not measured: the per-pack figures times every account.
        figures[f"est_wall_s_all_{total}"] = round(figures["report_s"] / n * total, 1)
        figures[f"est_cpu_s_all_{total}"] = round(figures["cpu_s"] / n * total, 1)
        pdfs = sorted(out.glob("*-account*.pdf"))
        pages = [len(PdfReader(p).pages) for p in pdfs[:5]]
        figures["pages_per_pack_first5"] = pages
    return figures


def _tree_rss_kb(root: int) -> int:
    """The summed VmRSS (KiB) of ``root`` and its descendants, read from /proc."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone meanwhile
    return total


def _command_stage(db: Path, out: Path, code: Path) -> dict[str, Any]:
    """The real ``watchkeeper report`` (check + HTML + PDF) in a child process."""
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = [sys.executable, "-m", "watchkeeper", "report", "--db", str(db), "-o", str(out)]
    t = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "-f", "html,pdf"], env=env, cwd=code, stdout=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    written = proc.stdout.read().split() if proc.stdout else []
    # The sampler stops before wait4 reaps the child, whose /proc entry then goes.
    done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if (exit_code := os.waitstatus_to_exitcode(status)) != 0:
        raise SystemExit(f"watchkeeper report with {code} failed (exit {exit_code})")
    from pypdf import PdfReader

    pdf = next(p for p in written if p.endswith(".pdf"))
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_rss_mb": round(peak / 1024, 1),
        "pages": len(PdfReader(pdf).pages),
        "pdf_bytes": Path(pdf).stat().st_size,
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--regions", type=int, default=1)
    ap.add_argument("--noise", type=int, default=2)
    ap.add_argument("--broken", type=float, default=0.05, help="share of accounts broken")
    ap.add_argument(
        "--code",
        type=Path,
        action="append",
        help="a checkout to measure (repeat for before/after) [this one]",
    )
    ap.add_argument("--stages", default="html,pdf,packs", help=f"of {','.join(STAGES)}")
    ap.add_argument("--repeat", type=int, default=1, help="measure each stage this often")
    ap.add_argument("--packs", default="50", help="how many accounts' packs: a number or all")
    ap.add_argument("--keep", type=Path, help="write the reports into this directory")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--estate", type=Path, help="keep (or reuse) the snapshot and run here")
    ap.add_argument("--child", choices=("check", *RENDER_STAGES), help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--run-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    packs = args.accounts if args.packs == "all" else int(args.packs)
    if args.child == "check":
        print(json.dumps(_child_check(args.db, args.run_file)))
        return
    if args.child:
        print(json.dumps(_child_render(args.child, args.db, args.run_file, args.out, packs)))
        return

    from bench.check_bench import ALL_REGIONS, build
    from watchkeeper.store import begin_snapshot, complete_snapshot

    codes = args.code or [Path(__file__).resolve().parent.parent]
    regions = ALL_REGIONS[: args.regions]
    figures: dict[str, Any] = {"accounts": args.accounts, "packs_timed": packs}
    with tempfile.TemporaryDirectory() as tmp:
        home = args.estate or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        db = home / "bench.duckdb"
        run_files = {code: home / _run_name(code) for code in codes}
        if args.estate and db.exists():
            print(f"estate reused from {home}", flush=True)
        else:
            for stale in (db, *run_files.values()):
                stale.unlink(missing_ok=True)
            t = time.perf_counter()
            col = build(args.accounts, regions, args.noise, broken_share=args.broken)
            # Stand-in API objects about the size of real ones: the row's own columns.
            for rows in col.tables.values():
                for row in rows:
                    row["raw"] = json.dumps({k: v for k, v in row.items() if v is not None})
            sid = begin_snapshot(db, col.accounts, regions, col.caller_arn)
            complete_snapshot(db, sid, col)
            print(f"estate: {time.perf_counter() - t:.1f}s", flush=True)
        checks: dict[Path, dict[str, Any]] = {}
        for code, run_file in run_files.items():
            if run_file.exists():
                print(f"{code}: check run reused from {run_file}", flush=True)
                continue
            args_check = ["--child", "check", "--db", str(db), "--run-file", str(run_file)]
            checks[code] = _spawn(args_check, code)
            print(code, "check", json.dumps(checks[code]), flush=True)
        per_code: dict[Path, dict[str, Any]] = {code: {} for code in codes}
        for code, check in checks.items():
            per_code[code]["check"] = check
        # Rounds outside, codes inside: before and after take turns under the same load.
        for stage in args.stages.split(","):
            if stage not in STAGES:
                raise SystemExit(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
            for n in range(args.repeat):
                for code in codes:
                    out = (args.keep or Path(tmp)) / code.name / stage
                    out.mkdir(parents=True, exist_ok=True)
                    if stage == "command":
                        got = _command_stage(db, out, code)
                    else:
                        run_file = run_files[code]
                        got = _render_stage(stage, db, run_file, out, code, packs, args.accounts)
                    per_code[code].setdefault(f"{stage}_runs", []).append(got)
                    print(code, stage, n + 1, json.dumps(got), flush=True)
        for code in codes:
            per = per_code[code]
            for stage in args.stages.split(","):
                runs = per.pop(f"{stage}_runs")
                per[stage] = runs[-1] if len(runs) == 1 else {**_median(runs), "runs": runs}
                if stage in ("html", "pdf") and "check" in per:
                    check = per["check"]
                    per[f"check_plus_{stage}"] = {
                        "wall_s": round(check["wall_s"] + per[stage]["wall_s"], 1),
                        "cpu_s": round(check["cpu_s"] + per[stage]["cpu_s"], 1),
                        "peak_rss_mb": max(check["peak_rss_mb"], per[stage]["peak_rss_mb"]),
                    }
            figures[str(code)] = per
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
