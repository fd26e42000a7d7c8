"""What the e-mail attaches, kept under the size limit (``EmailSettings.max_message_bytes``).

The candidates, in order, each only built when the one before does not fit:

1. ``full``: the report files as written (what ``--attach`` asks for);
2. ``compressed``: one .zip of those files (deflate; HTML, JSON and CSV shrink 5-20×);
3. ``summary``: only the failing items, as the ``csv`` report of the fail and error results
   (plain, or zipped when the plain list is over the limit too);
4. ``none``: nothing attached.

The summary is a CSV and not a smaller PDF on purpose: it needs no second rendering of a
1,000-account report, has the columns of the ``csv`` report (so what reads one reads the
other), lists every failing item so none is left out, and compresses well. From
``compressed`` on, the plan carries a sentence for the body saying what was done and where
the full report is: nothing is left out without the reader being told.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from watchkeeper.notify.errors import EmailError
from watchkeeper.queries.results import CheckRun
from watchkeeper.queries.summary import FAILING
from watchkeeper.reports.formats import to_csv
from watchkeeper.settings import MB

MIME_TYPES = {
    "pdf": ("application", "pdf"),
    "html": ("text", "html"),
    "json": ("application", "json"),
    "csv": ("text", "csv"),
    "zip": ("application", "zip"),
}

Mode = Literal["full", "compressed", "summary", "none"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes


@dataclass(frozen=True)
class AttachmentPlan:
    mode: Mode
    files: tuple[Attachment, ...]
    # Why the reports are not attached as they are, and where they are; None for ``full``.
    note: str | None = None

    @property
    def names(self) -> list[str]:
        return [a.filename for a in self.files]


def size_label(n: int) -> str:
    """Sizes as people read them in a mail client (1 MB = 2**20 bytes, like the limit)."""
    if n >= MB:
        return f"{n / MB:.1f} MB"
    return f"{max(n, 1) / 1024:.1f} KB"


def _zip(name: str, members: Mapping[str, bytes]) -> Attachment:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return Attachment(name, *MIME_TYPES["zip"], buf.getvalue())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EmailError(f"cannot read report {path}: {exc.strerror}") from None


def _failing_csv(run: CheckRun) -> bytes:
    failing = [r for r in run.results if r.status in FAILING]
    return to_csv(replace(run, results=failing)).encode("utf-8")


def plans(run: CheckRun, files: Mapping[str, Path], limit: int) -> Iterator[AttachmentPlan]:
    """The candidates for ``files`` (format → path, in attach order), most complete first.

    ``run`` is what the summary lists (the caller passes it redacted, as the body is).
    """
    reports = {path.name: (*MIME_TYPES[fmt], _read(path)) for fmt, path in files.items()}
    yield AttachmentPlan("full", tuple(Attachment(n, *v) for n, v in reports.items()))
    if not reports:
        return
    first = next(iter(files.values()))
    where = f"The full report is in {first.parent}."
    total = sum(len(v[2]) for v in reports.values())
    what = f"The reports ({', '.join(reports)}, {size_label(total)})"
    over = f"the {size_label(limit)} e-mail size limit"
    packed = _zip(f"{first.stem}.zip", {n: v[2] for n, v in reports.items()})
    yield AttachmentPlan(
        "compressed",
        (packed,),
        f"{what} are over {over}, so they are attached compressed as {packed.filename} "
        f"({size_label(len(packed.data))}). {where}",
    )
    summary = Attachment(f"{first.stem}-failing.csv", *MIME_TYPES["csv"], _failing_csv(run))
    lead = f"{what} are over {over} even compressed ({size_label(len(packed.data))}), so"
    yield AttachmentPlan(
        "summary",
        (summary,),
        f"{lead} only the failing items are attached, as {summary.filename}. {where}",
    )
    zipped = _zip(f"{first.stem}-failing.zip", {summary.filename: summary.data})
    yield AttachmentPlan(
        "summary",
        (zipped,),
        f"{lead} only the failing items are attached, as {summary.filename} compressed in "
        f"{zipped.filename}. {where}",
    )
    yield AttachmentPlan(
        "none",
        (),
        f"{what} are over {over}, and so is the list of failing items, even compressed: "
        f"nothing is attached. {where}",
    )
