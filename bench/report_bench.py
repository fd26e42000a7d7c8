"""Report benchmark (issue 12): the main report and the evidence packs at organisation scale.

    python -m bench.report_bench --accounts 1000 [--code /work/main] [--no-pdf] [--packs all]

Builds the synthetic snapshot of bench/check_bench.py with every account's chain correct
and 5 % of the accounts (evenly spread) broken in one link of one control, then runs each
stage in a child process with the code under test first on PYTHONPATH (``--code``: this
checkout by default, or e.g. /work/main for the figures before a change):

- ``html``:  check, then the main report as HTML;
- ``pdf``:   check, then the main report as PDF (pages counted with pypdf);
- ``packs``: check, then the evidence packs (HTML + PDF) of ``--packs`` accounts.

Each stage reports the child's wall and CPU time (the check's share of the wall too) and
the peak RSS of the largest process (the child or a PDF worker it waited for, from wait4).
Targets at 1,000 accounts on 2 cores: main HTML < 5 s; main PDF < 60 s with peak RSS
< 1 GB; packs for all 1,000 accounts < 15 min.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STAGES = ("html", "pdf", "packs")


def _child(stage: str, db: Path, out: Path, packs: int, workers: int) -> None:
    """Runs in the child, importing watchkeeper from the code under test."""
    from watchkeeper.queries.check import CheckRequest, check
    from watchkeeper.reports.render import ReportRequest, write_reports

    t = time.perf_counter()
    run = check(CheckRequest(db=db))
    figures: dict[str, Any] = {"check_s": round(time.perf_counter() - t, 3)}
    figures["counts"] = run.counts()
    # The check's own peak (DuckDB), so the report's share of the stage's peak shows.
    figures["rss_after_check_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    t, cpu = time.perf_counter(), time.process_time()
    if stage == "packs":
        accounts = sorted({r.account_id for r in run.results})[:packs]
        request = ReportRequest(
            db=db,
            formats=("html", "pdf"),
            output_dir=out,
            run=run,
            accounts=tuple(accounts),  # packs: absent before issue 12
            workers=workers,
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
    # This process only (not PDF workers): the report's own CPU, apart from the check's.
    figures["report_cpu_s"] = round(time.process_time() - cpu, 3)
    print(json.dumps(figures))


def _run_stage(
    stage: str, db: Path, out: Path, code: Path, packs: int, workers: int
) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", stage, "--db", str(db)]
    cmd += ["--out", str(out), "--packs", str(packs), "--workers", str(workers)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read() if proc.stdout else ""
    # wait4: this child's own rusage; ru_maxrss is the largest process among it and the
    # workers it reaped (KiB on Linux).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed with exit code {proc.returncode}")
    figures: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    figures["wall_s"] = round(wall, 3)
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    # CPU seconds of the child and the workers it reaped: on a shared machine the wall
    # time says as much about the neighbours as about the code.
    figures["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    if stage == "pdf":
        from pypdf import PdfReader

        figures["pages"] = len(PdfReader(figures["file"]).pages)
    if stage == "packs" and figures["packs"]:
        figures["s_per_pack"] = round(figures["report_s"] / figures["packs"], 3)
        figures["packs_per_min"] = round(60 * figures["packs"] / figures["report_s"], 1)
        pdfs = sorted(out.glob("*-account*.pdf"))
        if pdfs:
            from pypdf import PdfReader

            figures["pages_first_pack"] = len(PdfReader(pdfs[0]).pages)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--regions", type=int, default=1)
    ap.add_argument("--noise", type=int, default=2)
    ap.add_argument("--broken", type=float, default=0.05, help="share of accounts broken")
    ap.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--stages", default="html,pdf,packs")
    ap.add_argument("--packs", default="all", help="how many accounts' packs: a number or all")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="write the reports into this directory")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    packs = args.accounts if args.packs == "all" else int(args.packs)
    if args.child:
        _child(args.child, args.db, args.out, packs, args.workers)
        return

    from bench.check_bench import ALL_REGIONS, build
    from watchkeeper.store import begin_snapshot, complete_snapshot

    regions = ALL_REGIONS[: args.regions]
    figures: dict[str, Any] = {"accounts": args.accounts, "code": str(args.code)}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        col = build(args.accounts, regions, args.noise, broken_share=args.broken)
        # Stand-in API objects about the size of real ones: the row's own columns.
        for rows in col.tables.values():
            for row in rows:
                row["raw"] = json.dumps({k: v for k, v in row.items() if v is not None})
        sid = begin_snapshot(db, col.accounts, regions, col.caller_arn)
        complete_snapshot(db, sid, col)
        print(f"estate: {time.perf_counter() - t:.1f}s", flush=True)
        for stage in args.stages.split(","):
            out = (args.keep or Path(tmp)) / stage
            out.mkdir(parents=True, exist_ok=True)
            figures[stage] = _run_stage(stage, db, out, args.code, packs, args.workers)
            print(stage, json.dumps(figures[stage]), flush=True)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
