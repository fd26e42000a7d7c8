"""Downloads: a stored run in any report format, written by `watchkeeper report`'s own
code (reports.render.write_reports) into a private temporary directory."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.notify.runs import load_run
from watchkeeper.reports.render import EXTENSIONS, FORMATS, ReportRequest, base_name, write_reports
from watchkeeper.serve.store import Lru, NotFound, RunInfo

__all__ = ["MEDIA_TYPES", "Download", "Downloads"]

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "junit": "application/xml",
    "markdown": "text/markdown; charset=utf-8",
    "asff": "application/json",
    "ocsf": "application/json",
}


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    data: bytes


class Downloads:
    """Rendered files per (run, format); a stored run never changes, so neither do they."""

    def __init__(self, db: Path, entries: int = 8):
        self.db = db
        self._cache: Lru[tuple[int, str], Download] = Lru(entries)

    def get(self, info: RunInfo, fmt: str) -> Download:
        # The format is looked up in a fixed table, never used as a path.
        if fmt not in FORMATS:
            raise NotFound(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
        return self._cache.get_or((info.run_id, fmt), lambda: self._render(info, fmt))

    def _render(self, info: RunInfo, fmt: str) -> Download:
        run = load_run(self.db, run_id=info.run_id)
        with tempfile.TemporaryDirectory(prefix="watchkeeper-serve-") as tmp:
            out = write_reports(
                ReportRequest(db=self.db, run=run, formats=(fmt,), output_dir=Path(tmp))
            )
            path = out.files[fmt]
            data = path.read_bytes()
        return Download(
            f"{base_name(run)}-run{info.run_id}{EXTENSIONS[fmt]}", MEDIA_TYPES[fmt], data
        )
