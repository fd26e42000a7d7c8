"""`report --account` / `--evidence-packs`: one account's complete evidence as HTML and PDF.

The packs' HTML is built in this process (the snapshot's tables are loaded once for all of
them); WeasyPrint, the slow part, runs in a pool of long-lived worker processes, each of
which imports it and parses the report stylesheet once (`pdf.warm_up`) and then renders
pack after pack. At most two PDFs per worker are in flight, so memory stays flat however
many accounts there are.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.reports.files import write_atomic
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import PackBuilder
from watchkeeper.reports.pdf import render_pdf, warm_up

__all__ = ["PackJob", "pack_stem", "write_packs"]


@dataclass(frozen=True)
class PackJob:
    out_dir: Path
    stem: str  # the main report's file stem; a pack adds "-account<ID>"
    html: bool
    pdf: bool
    paper: str = "a4"
    workers: int = 1


def pack_stem(stem: str, account_id: str) -> str:
    return f"{stem}-account{account_id}"


def _paths(job: PackJob, account_id: str) -> tuple[Path, Path]:
    # Not with_suffix: the stem holds the benchmark's dots ("cis-v5.0.0").
    name = pack_stem(job.stem, account_id)
    return job.out_dir / f"{name}.html", job.out_dir / f"{name}.pdf"


def _pdf(html: str, paper: str, path: str) -> str:
    # A worker process: the PDF is written here so that only a path travels back.
    write_atomic(Path(path), render_pdf(html, paper, base_url=Path(path).parent))
    return path


def write_packs(builder: PackBuilder, account_ids: Iterable[str], job: PackJob) -> list[Path]:
    """Write each account's pack; returns the files, HTML before PDF per account."""
    if not job.pdf or job.workers <= 1:
        return _write(builder, account_ids, job, None)
    # spawn, not fork: this process holds a DuckDB connection and its threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=job.workers, mp_context=context, initializer=warm_up, initargs=(job.paper,)
    ) as pool:
        return _write(builder, account_ids, job, pool)


def _write(
    builder: PackBuilder,
    account_ids: Iterable[str],
    job: PackJob,
    pool: ProcessPoolExecutor | None,
) -> list[Path]:
    """The packs' HTML, written here; their PDFs rendered here (``pool`` None, each after
    its HTML) or in ``pool`` (all after the HTML, sorted)."""
    written: list[Path] = []
    pdfs: list[Path] = []
    pending: set[Future[str]] = set()
    for a in account_ids:
        html = render_html(builder.pack(a))
        html_path, pdf_path = _paths(job, a)
        if job.html:
            write_atomic(html_path, html)
            written.append(html_path)
        if not job.pdf:
            continue
        if pool is None:
            written.append(Path(_pdf(html, job.paper, str(pdf_path))))
            continue
        pending.add(pool.submit(_pdf, html, job.paper, str(pdf_path)))
        if len(pending) >= 2 * job.workers:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            pdfs.extend(Path(f.result()) for f in done)
    pdfs.extend(Path(f.result()) for f in pending)
    return written + sorted(pdfs)
