"""Composing the message: headers, the bounded bodies, and attachments under the size limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from watchkeeper.notify import body as bodies
from watchkeeper.notify.attachments import AttachmentPlan, plans
from watchkeeper.notify.delivery import SES_MAX_BYTES
from watchkeeper.notify.errors import EmailError
from watchkeeper.notify.runs import RunDiff
from watchkeeper.queries.results import CheckRun
from watchkeeper.reports.redact import Redactor, redact_run
from watchkeeper.settings import EmailSettings


@dataclass(frozen=True)
class Composed:
    message: EmailMessage
    attachments: AttachmentPlan  # what was attached, and why not more
    size: int  # bytes of the encoded message, what the limit is measured on
    limit: int


def subject(run: CheckRun, prefix: str = "[watchkeeper]") -> str:
    counts = run.counts()
    accounts = len({r.account_id for r in run.results})
    parts = [f"{counts['pass']} pass", f"{counts['fail']} fail"]
    parts += [f"{counts[s]} {s}" for s in ("error", "manual") if counts[s]]
    text = f"{run.benchmark}: {accounts} account{'s' if accounts != 1 else ''}, {', '.join(parts)}"
    return f"{prefix} {text}".strip()


def wire_size(msg: EmailMessage) -> int:
    """Bytes of the message as SMTP sends it: CRLF line ends, one more byte per line
    (1.3% of a base64 attachment) than ``as_bytes()``."""
    return len(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))


def message_limit(settings: EmailSettings) -> int:
    # SES refuses larger messages whatever the setting says; fit them in advance.
    if settings.transport == "ses":
        return min(settings.max_message_bytes, SES_MAX_BYTES)
    return settings.max_message_bytes


def _message(
    run: CheckRun,
    settings: EmailSettings,
    diff: RunDiff | None,
    plan: AttachmentPlan,
    report_dir: Path | None,
    now: datetime | None,
    ou_of: Mapping[str, str] | None,
) -> EmailMessage:
    body = bodies.build(run, diff, plan, report_dir, ou_of)
    msg = EmailMessage()
    subj = subject(run, settings.subject_prefix)
    if diff is not None and diff.changes:
        subj += f" ({len(diff.changes)} changed)"
    msg["Subject"] = subj
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.to)
    if settings.cc:
        msg["Cc"] = ", ".join(settings.cc)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1].strip(">") or None)
    msg["X-Watchkeeper-Run"] = str(run.run_id) if run.run_id is not None else "unstored"
    msg["X-Watchkeeper-Benchmark"] = run.benchmark
    # For mail filters: full, compressed, summary or none (notify/attachments.py).
    msg["X-Watchkeeper-Attachments"] = plan.mode
    # Cron mail should not trigger vacation replies back to the sender.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(bodies.text(body))
    msg.add_alternative(bodies.html(body), subtype="html")
    for a in plan.files:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg


def compose_within_limit(
    run: CheckRun,
    settings: EmailSettings,
    files: dict[str, Path] | None = None,
    diff: RunDiff | None = None,
    report_dir: Path | None = None,
    now: datetime | None = None,
    ou_of: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> Composed:
    """The message with the ``settings.attach`` formats from ``files``, or the first smaller
    stand-in for them (notify/attachments.py) that keeps the encoded message within
    ``settings.max_message_bytes``. When nothing fits, the last (the body alone) is sent:
    the body is bounded, so only a limit of a few KB gets there. ``ou_of`` (account → OU
    path, :func:`~watchkeeper.notify.runs.ou_paths_of`) labels the failure groups;
    ``redactor`` (reports.redact.report_redactor) masks what the store knows beyond the run's
    own subscriber endpoints (the organization's root e-mail addresses)."""
    files = files or {}
    # The body travels as far as the attachments: mask subscriber endpoints the same way.
    run = redact_run(run, redactor)
    if "pdf" in settings.attach and "pdf" not in files:
        raise EmailError("no PDF report to attach (the report was not rendered)")
    attach = {f: files[f] for f in settings.attach if f in files}
    limit = message_limit(settings)
    composed: Composed | None = None
    for plan in plans(run, attach, limit):
        msg = _message(run, settings, diff, plan, report_dir, now, ou_of)
        composed = Composed(msg, plan, wire_size(msg), limit)
        if composed.size <= limit:
            break
    assert composed is not None  # plans() yields at least the full plan
    return composed


def compose(
    run: CheckRun,
    settings: EmailSettings,
    files: dict[str, Path] | None = None,
    diff: RunDiff | None = None,
    report_dir: Path | None = None,
    now: datetime | None = None,
    ou_of: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The message: text and HTML bodies, and the ``settings.attach`` formats from ``files``
    (or what stands in for them under the size limit)."""
    return compose_within_limit(run, settings, files, diff, report_dir, now, ou_of).message
