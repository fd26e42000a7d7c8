"""Report benchmark: render the evidence report of 100 accounts × 16 controls.

    python -m bench.report_bench [--accounts 100] [--regions 1] [--formats html,pdf]

Builds the synthetic snapshot of bench/check_bench.py (every third account broken), runs
the check once, then times each format separately and reports the process's peak RSS.
Targets: HTML < 3 s, PDF < 60 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.check_bench import ALL_REGIONS, build
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import build_report
from watchkeeper.reports.pdf import render_pdf
from watchkeeper.reports.render import ReportRequest, parse_formats, write_reports
from watchkeeper.store import begin_snapshot, complete_snapshot, connect


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--regions", type=int, default=1)
    ap.add_argument("--noise", type=int, default=2)
    ap.add_argument("--formats", default="html,pdf,json,csv,junit,markdown,asff,ocsf")
    ap.add_argument(
        "--raw",
        action="store_true",
        help="give every row a raw API object (the synthetic snapshot has none by default)",
    )
    ap.add_argument("--keep", type=Path, help="write the reports into this directory")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    regions = ALL_REGIONS[: args.regions]
    wanted = parse_formats(args.formats)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        col = build(args.accounts, regions, args.noise)
        if args.raw:
            # Stand-in API objects about the size of real ones: the row's own columns.
            for rows in col.tables.values():
                for row in rows:
                    row["raw"] = json.dumps({k: v for k, v in row.items() if v is not None})
        sid = begin_snapshot(db, col.accounts, regions, col.caller_arn)
        complete_snapshot(db, sid, col)
        t = time.perf_counter()
        run = check(CheckRequest(db=db))
        check_s = time.perf_counter() - t
        print(f"check: {check_s:.2f}s {run.counts()}", flush=True)
        figures: dict[str, Any] = {
            "accounts": args.accounts,
            "controls": len({r.control_id for r in run.results}),
            "results": len(run.results),
            "check_s": round(check_s, 3),
        }
        con = connect(db, read_only=True)
        t = time.perf_counter()
        model = build_report(con, run, load_catalog(), True, None)
        figures["model_s"] = round(time.perf_counter() - t, 3)
        con.close()
        t = time.perf_counter()
        html = render_html(model)
        figures["html_render_s"] = round(time.perf_counter() - t, 3)
        figures["html_model_plus_render_s"] = round(
            figures["model_s"] + figures["html_render_s"], 3
        )
        figures["html_bytes"] = len(html.encode())
        print(
            f"html: model {figures['model_s']}s + render {figures['html_render_s']}s, "
            f"{figures['html_bytes'] / 1e6:.1f} MB",
            flush=True,
        )
        if "pdf" in wanted:
            t = time.perf_counter()
            pdf = render_pdf(html, "a4")
            figures["pdf_s"] = round(time.perf_counter() - t, 3)
            figures["pdf_bytes"] = len(pdf)
            try:
                import io

                from pypdf import PdfReader

                figures["pdf_pages"] = len(PdfReader(io.BytesIO(pdf)).pages)
            except ImportError:
                pass
            print(f"pdf: {figures['pdf_s']}s, {figures.get('pdf_pages')} pages", flush=True)
        others = tuple(f for f in wanted if f not in ("html", "pdf"))
        if others:
            out = args.keep or Path(tmp) / "out"
            t = time.perf_counter()
            write_reports(ReportRequest(db=db, formats=others, output_dir=out, run=run))
            figures["machine_formats_s"] = round(time.perf_counter() - t, 3)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / "bench.html").write_text(html)
            if "pdf" in wanted:
                (args.keep / "bench.pdf").write_bytes(pdf)
        figures["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
