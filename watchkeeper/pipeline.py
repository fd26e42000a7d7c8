"""`watchkeeper run` (collect → check → report → e-mail, for cron/systemd/CI) and
`watchkeeper email` (send the latest stored run).

Exit codes of the job (README, "Exit codes"):

    0  every verdict passed (or was attested) and collection was clean
    1  the job ran and found problems: a fail or error verdict, or collection errors
    2  usage or setup error (bad flags or config, no credentials, unreadable database)
    3  delivery failure: the report was written but the e-mail was not sent

3 wins over 1: an undelivered report means nobody heard about the failures either.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.collector import CollectOutcome, CollectRequest, Reporter, collect
from watchkeeper.errors import ExitCode
from watchkeeper.notify import (
    EmailError,
    RunDiff,
    changes_since_previous,
    compose_within_limit,
    deliver,
    load_run,
    ou_paths_of,
)
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import CheckRun
from watchkeeper.reports.redact import Redactor, report_redactor
from watchkeeper.reports.render import ReportRequest, write_reports
from watchkeeper.settings import CheckSettings, EmailSettings, RunSettings
from watchkeeper.store import connect


def dated_folder(root: Path, now: datetime | None = None) -> Path:
    """``root/<YYYY-MM-DDTHHMMSSZ>/``, created; a suffix keeps two runs in one second apart."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        folder = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"too many runs in {root} within one second")


def _point_latest(root: Path, folder: Path) -> None:
    """``root/latest`` → the newest folder, for people and for `watchkeeper email`."""
    link = root / "latest"
    try:
        if link.is_symlink():
            link.unlink()
        if not link.exists():
            link.symlink_to(folder.name, target_is_directory=True)
    except OSError:
        pass  # a filesystem without symlinks only loses the convenience


def write_report_files(
    db: Path,
    run: CheckRun,
    output_dir: Path,
    wanted: tuple[str, ...],
    *,
    title: str | None = None,
    attestations: Path | None = None,
) -> dict[str, Path]:
    """Render ``run`` (already judged and stored) into ``output_dir``; format → path."""
    out = write_reports(
        ReportRequest(
            db=db,
            benchmark=run.benchmark,
            formats=wanted,
            output_dir=output_dir,
            title=title,
            profile=run.profile,
            attestations=attestations,
            run=run,
        )
    )
    return dict(out.files)


# --- e-mail ---------------------------------------------------------------------------


EMAIL_OFF = "not sent: e-mail is off (--no-email, or no recipients configured)"


@dataclass(frozen=True)
class EmailOutcome:
    sent: bool
    detail: str  # what happened, one line: delivery summary, why skipped, or the error
    diff: RunDiff | None
    files: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    # What went with the message: full, compressed, summary or none (notify.attachments).
    attachments: str | None = None

    @property
    def exit_code(self) -> int:
        return ExitCode.NOT_DELIVERED if self.error else ExitCode.OK


def email_run(
    db: Path,
    run: CheckRun,
    settings: EmailSettings,
    report_dir: Path,
    files: dict[str, Path] | None = None,
    *,
    attestations: Path | None = None,
) -> EmailOutcome:
    """Send ``run`` (stored) with its reports; renders the missing attachments into
    ``report_dir``. Delivery errors are returned, not raised: the files stay on disk."""
    diff = changes_since_previous(db, run) if run.run_id is not None else None
    if settings.only_on_change and diff is not None and not diff.changed:
        return EmailOutcome(
            False,
            f"not sent: no verdict changed since run {diff.previous_run_id} (--only-on-change)",
            diff,
            dict(files or {}),
        )
    return _send(db, run, settings, report_dir, diff, files, attestations)


def _redactor(db: Path, run: CheckRun) -> Redactor:
    """What the reports mask, for the body too (the organization's root e-mails included)."""
    con = connect(db, read_only=True)
    try:
        return report_redactor(con, run)
    finally:
        con.close()


def _send(
    db: Path,
    run: CheckRun,
    settings: EmailSettings,
    report_dir: Path,
    diff: RunDiff | None,
    files: dict[str, Path] | None = None,
    attestations: Path | None = None,
) -> EmailOutcome:
    """Render the missing attachments, compose and deliver (the diff already decided)."""
    files = dict(files or {})
    missing = tuple(f for f in settings.attach if f not in files)
    if missing:
        files.update(write_report_files(db, run, report_dir, missing, attestations=attestations))
    composed = compose_within_limit(
        run,
        settings,
        files,
        diff,
        report_dir,
        ou_of=ou_paths_of(db, run),
        redactor=_redactor(db, run),
    )
    mode = composed.attachments.mode
    try:
        detail = deliver(composed.message, settings)
    except EmailError as exc:
        return EmailOutcome(False, str(exc), diff, files, error=str(exc), attachments=mode)
    if composed.attachments.note:
        detail += f". {composed.attachments.note}"
    return EmailOutcome(True, detail, diff, files, attachments=mode)


@dataclass(frozen=True)
class EmailJob:
    db: Path
    settings: EmailSettings
    output: Path
    benchmark: str | None = None
    profile: str | None = None
    run_id: int | None = None


def email_latest(job: EmailJob) -> EmailOutcome:
    """`watchkeeper email`: the latest stored check run, rendered into a dated folder."""
    run = load_run(job.db, job.benchmark, job.profile, job.run_id)
    # Compared once, before the folder is made: an unchanged run leaves nothing behind.
    diff = changes_since_previous(job.db, run)
    if job.settings.only_on_change and not diff.changed:
        return EmailOutcome(
            False,
            f"not sent: no verdict changed between runs {diff.previous_run_id} and "
            f"{run.run_id} (--only-on-change)",
            diff,
        )
    folder = dated_folder(job.output)
    outcome = _send(job.db, run, job.settings, folder, diff)
    _point_latest(job.output, folder)
    return outcome


# --- the scheduled job ----------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    collect: CollectRequest
    check: CheckSettings
    run: RunSettings
    email: EmailSettings | None  # None: no e-mail (none configured, or --no-email)


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int
    folder: Path
    collected: CollectOutcome
    run: CheckRun
    files: dict[str, Path]
    email: EmailOutcome | None


def _exit_code(
    collected: CollectOutcome, run: CheckRun, fail_on: str, email: EmailOutcome | None
) -> int:
    if email is not None and email.error:
        return ExitCode.NOT_DELIVERED
    counts = run.counts()
    failing = {"fail": counts["fail"] + counts["error"], "error": counts["error"], "never": 0}
    if collected.errors or failing[fail_on]:
        return ExitCode.FINDINGS
    return ExitCode.OK


def run_job(
    job: RunJob, reporter: Reporter | None = None, now: datetime | None = None
) -> RunOutcome:
    """collect → check → report → e-mail. Setup errors (no credentials, bad database)
    raise; everything after the collection is recorded in the outcome and the folder."""
    collected = collect(job.collect, reporter)
    run = check(
        CheckRequest(
            db=job.collect.db,
            benchmark=job.check.benchmark,
            profile=job.check.profile,
            attestations=job.check.attestations,
            store=True,
        )
    )
    folder = dated_folder(job.run.output, now)
    wanted = job.run.formats
    if job.email is not None:
        wanted = tuple(dict.fromkeys((*wanted, *job.email.attach)))
    files = write_report_files(
        job.collect.db, run, folder, wanted, attestations=job.check.attestations
    )
    email = None
    if job.email is not None:
        email = email_run(
            job.collect.db, run, job.email, folder, files, attestations=job.check.attestations
        )
    code = _exit_code(collected, run, job.run.fail_on, email)
    _write_manifest(folder, collected, run, files, email, code)
    _point_latest(job.run.output, folder)
    return RunOutcome(code, folder, collected, run, files, email)


def _write_manifest(
    folder: Path,
    collected: CollectOutcome,
    run: CheckRun,
    files: dict[str, Path],
    email: EmailOutcome | None,
    code: int,
) -> None:
    """``run.json``: what this run did, for whoever reads the folder later."""
    doc = {
        "exit_code": code,
        "snapshot_id": collected.snapshot.snapshot_id,
        "snapshot_sha256": collected.snapshot.sha256,
        "collection_errors": len(collected.errors),
        "check_run_id": run.run_id,
        "benchmark": run.benchmark,
        "profile": run.profile,
        "summary": run.counts(),
        "files": {k: os.path.relpath(v, folder) for k, v in files.items()},
        # Always the same shape, so a reader tells "skipped" from "failed" by one key.
        "email": {"sent": False, "detail": EMAIL_OFF, "error": None, "attachments": None}
        if email is None
        else {
            "sent": email.sent,
            "detail": email.detail,
            "error": email.error,
            "attachments": email.attachments,
        },
    }
    (folder / "run.json").write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
