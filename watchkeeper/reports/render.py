"""`watchkeeper report`: run (or take) a check and write its artefacts into one directory.

This is the library entry point the CLI, the e-mail job and the demo call. Inputs are
validated before the check runs, so a typo in ``--format`` costs nothing.

HTML/PDF are the main report (exceptions first, passes compact) unless accounts are
selected (``--account``/``--ou``): then they are those accounts' evidence packs.
``--evidence-packs DIR`` writes the main report and a pack per (selected) account in DIR.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from duckdb import DuckDBPyConnection

from watchkeeper.analyst.timeline import timeline_section
from watchkeeper.errors import UserError
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.org import select_accounts
from watchkeeper.queries.results import CheckRun
from watchkeeper.reports import REPORT_FORMATS, asff, formats, ocsf
from watchkeeper.reports.files import write_atomic
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import (
    PackBuilder,
    ReportBasis,
    ReportModel,
    TimelineView,
    build_report,
    report_basis,
)
from watchkeeper.reports.packs import PackJob, write_packs
from watchkeeper.reports.pdf import PAPERS, PdfError, render_pdf
from watchkeeper.reports.redact import redact_run, report_redactor
from watchkeeper.store import connect
from watchkeeper.svg import timeline_svg

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "ReportError",
    "ReportOutput",
    "ReportRequest",
    "parse_formats",
    "write_reports",
]

FORMATS = REPORT_FORMATS
EXTENSIONS = {
    "html": ".html",
    "pdf": ".pdf",
    "json": ".json",
    "csv": ".csv",
    "junit": ".junit.xml",
    "markdown": ".md",
    "asff": ".asff.json",
    "ocsf": ".ocsf.json",
}


class ReportError(UserError):
    """A report request a user can fix (printed as one line)."""


@dataclass(frozen=True)
class ReportRequest:
    db: Path
    benchmark: str = DEFAULT_BENCHMARK
    snapshot_id: int | None = None
    formats: tuple[str, ...] = ("html", "pdf")
    output_dir: Path = Path("watchkeeper-report")
    title: str | None = None
    redact: bool = True
    paper: str = "a4"
    profile: str = "full"
    attestations: Path | None = None
    run: CheckRun | None = None  # judge nothing, report this run
    timeline: bool = False  # add the verdict-over-time section (HTML/PDF)
    since: date | None = None  # first day the timeline covers (default: all snapshots)
    accounts: tuple[str, ...] = ()  # evidence packs of these accounts ...
    ous: tuple[str, ...] = ()  # ... and of the accounts in these OUs
    evidence_packs: Path | None = None  # the main report, and packs written here
    workers: int | None = None  # PDF worker processes for packs [CPU count]


@dataclass(frozen=True)
class ReportOutput:
    run: CheckRun
    files: dict[str, Path] = field(default_factory=dict)
    packs: list[Path] = field(default_factory=list)


def parse_formats(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"html,pdf"`` (or a list of such) → ("html", "pdf"), in order, without repeats."""
    items = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        for part in item.split(","):
            name = part.strip().lower()
            if name == "md":
                name = "markdown"
            if not name:
                continue
            if name not in FORMATS:
                raise ReportError(
                    f"unknown report format {part.strip()!r}; choose from {', '.join(FORMATS)}"
                )
            if name not in out:
                out.append(name)
    if not out:
        raise ReportError(f"no report format given; choose from {', '.join(FORMATS)}")
    return tuple(out)


def _write(path: Path, data: str | bytes) -> None:
    write_atomic(path, data)


def _default_region(run: CheckRun) -> str:
    regions = Counter(r.region for r in run.results if r.region)
    return regions.most_common(1)[0][0] if regions else "us-east-1"


def base_name(run: CheckRun) -> str:
    return f"watchkeeper-{run.benchmark}-snapshot{run.snapshot.id}"


def write_reports(request: ReportRequest) -> ReportOutput:
    """Run the check (stored) unless ``request.run`` is given, then write each format."""
    wanted = parse_formats(request.formats)
    if request.paper.lower() not in PAPERS:
        raise ReportError(f"unknown paper size {request.paper!r}; choose {' or '.join(PAPERS)}")
    if not request.db.is_file():
        # `check` would create an empty database at a mistyped path; refuse instead.
        raise ReportError(
            f"no watchkeeper database at {request.db} (run `watchkeeper collect` first)"
        )
    out_dir = request.output_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"{out_dir} exists and is not a directory")
    run = request.run or check(
        CheckRequest(
            db=request.db,
            benchmark=request.benchmark,
            snapshot_id=request.snapshot_id,
            profile=request.profile,
            attestations=request.attestations,
            store=True,
        )
    )
    catalog = load_catalog()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {out_dir}: {exc.strerror}") from None

    shown = run  # what the machine formats write: redacted when the report is
    machine = any(fmt not in ("html", "pdf") for fmt in wanted)
    html: str | None = None
    packs: list[Path] = []
    selecting = bool(request.accounts or request.ous)
    main_report = not selecting or request.evidence_packs is not None
    pack_dir = request.evidence_packs or (out_dir if selecting else None)
    con = connect(request.db, read_only=True)  # one read-only look at the snapshot rows
    try:
        if "html" in wanted or "pdf" in wanted or pack_dir is not None:
            basis = report_basis(con, run, catalog, request.redact, request.title)
            if machine:  # masked there, on first use: mask once, not twice
                shown = basis.run
            if pack_dir is not None:
                packs = _write_packs(con, basis, request, wanted, pack_dir, base_name(run))
            if main_report and ("html" in wanted or "pdf" in wanted):
                html = _main_html(con, basis, request)
        elif request.redact and machine:
            shown = redact_run(run, report_redactor(con, run))
    finally:
        con.close()

    stem = base_name(run)
    files: dict[str, Path] = {}
    try:
        for fmt in wanted:
            path = out_dir / f"{stem}{EXTENSIONS[fmt]}"
            if fmt in ("html", "pdf") and html is None:
                continue  # the packs stand in for the main report
            if fmt == "html":
                assert html is not None
                _write(path, html)
            elif fmt == "pdf":
                assert html is not None
                try:
                    _write(path, render_pdf(html, request.paper, base_url=out_dir))
                except PdfError as exc:
                    raise ReportError(str(exc)) from None
            elif fmt == "asff":
                _write(path, asff.to_asff(shown, catalog, _default_region(run)))
            elif fmt == "ocsf":
                _write(path, ocsf.to_ocsf(shown, catalog, _default_region(run)))
            else:
                _write(path, formats.render(shown, fmt))
            files[fmt] = path
    except OSError as exc:
        raise ReportError(f"cannot write the report into {out_dir}: {exc.strerror}") from None
    return ReportOutput(run=run, files=files, packs=packs)


def _main_html(con: DuckDBPyConnection, basis: ReportBasis, request: ReportRequest) -> str:
    model: ReportModel = build_report(
        con, basis.checked, basis.catalog, request.redact, request.title, basis=basis
    )
    if request.timeline:
        data = timeline_section(
            con,
            benchmark=basis.checked.benchmark,
            controls=tuple(sorted(basis.judged)),
            since=request.since,
        )
        model = replace(model, timeline=TimelineView(data, timeline_svg(data)))
    return render_html(model)


def _pack_accounts(basis: ReportBasis, request: ReportRequest) -> list[str]:
    """The accounts whose packs are wanted: the selected ones, else all, in report order."""
    if not (request.accounts or request.ous):
        return list(basis.account_ids)
    known = set(basis.account_ids)
    unknown = [a for a in request.accounts if a not in known]
    if unknown:
        raise ReportError(f"--account {unknown[0]}: no result for that account in this run")
    chosen = set(request.accounts) | set(select_accounts(basis.placements, request.ous))
    return [a for a in basis.account_ids if a in chosen]


def _write_packs(
    con: DuckDBPyConnection,
    basis: ReportBasis,
    request: ReportRequest,
    wanted: tuple[str, ...],
    pack_dir: Path,
    stem: str,
) -> list[Path]:
    accounts = _pack_accounts(basis, request)
    try:
        pack_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {pack_dir}: {exc.strerror}") from None
    html, pdf = "html" in wanted, "pdf" in wanted
    if not (html or pdf):  # --evidence-packs with machine formats only: packs are HTML
        html = True
    job = PackJob(pack_dir, stem, html, pdf, request.paper, request.workers or os.cpu_count() or 1)
    try:
        return write_packs(PackBuilder(con, basis), accounts, job)
    except PdfError as exc:
        raise ReportError(str(exc)) from None
    except OSError as exc:
        raise ReportError(
            f"cannot write the evidence packs into {pack_dir}: {exc.strerror}"
        ) from None
