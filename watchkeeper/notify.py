"""E-mail delivery of a check run: compose (summary + failing items, reports attached),
compare with the previous stored run, and send through SMTP or Amazon SES.

Every delivery problem becomes :class:`EmailError` with one line that names the server and
the cause and never the password.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, cast

import duckdb
import jinja2

from watchkeeper import __version__
from watchkeeper.errors import UserError
from watchkeeper.queries.evidence import Evidence
from watchkeeper.queries.results import STATUSES, CheckRun, Result, SnapshotRef, control_sort_key
from watchkeeper.reports.redact import redact_run
from watchkeeper.settings import EmailSettings, SesSettings, SmtpSettings
from watchkeeper.store import StoreError, connect, get_snapshot, rows

# SES v1 SendRawEmail refuses messages over 10 MB (after base64 encoding).
SES_MAX_BYTES = 10 * 1024 * 1024
# Failing items listed in the body; the attached report has all of them.
BODY_ITEM_LIMIT = 200

MIME_TYPES = {
    "pdf": ("application", "pdf"),
    "html": ("text", "html"),
    "json": ("application", "json"),
    "csv": ("text", "csv"),
}


class EmailError(UserError):
    """The message could not be composed or delivered (printed as one line)."""


# --- stored runs ---------------------------------------------------------------------


def _open(db: Path) -> duckdb.DuckDBPyConnection:
    con = connect(db, read_only=True)
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'check_run'"
    ).fetchone()
    if not has or not has[0]:
        con.close()
        raise StoreError(f"no stored check run in {db} (run `watchkeeper check` first)")
    return con


def _latest_run_ids(
    con: duckdb.DuckDBPyConnection, benchmark: str | None, profile: str | None, limit: int
) -> list[tuple[int, str, str]]:
    sql = "SELECT run_id, benchmark, profile FROM check_run WHERE true"
    params: list[Any] = []
    if benchmark:
        sql += " AND benchmark = ?"
        params.append(benchmark)
    if profile:
        sql += " AND profile = ?"
        params.append(profile)
    sql += f" ORDER BY run_id DESC LIMIT {int(limit)}"
    return [(int(r[0]), str(r[1]), str(r[2])) for r in con.execute(sql, params).fetchall()]


def load_run(
    db: Path, benchmark: str | None = None, profile: str | None = None, run_id: int | None = None
) -> CheckRun:
    """A stored check run (default: the latest one, of ``benchmark``/``profile`` if given)."""
    con = _open(db)
    try:
        if run_id is None:
            found = _latest_run_ids(con, benchmark, profile, 1)
            if not found:
                what = " ".join(x for x in (benchmark, profile) if x) or "any benchmark"
                raise StoreError(f"no stored check run for {what} in {db}")
            run_id = found[0][0]
        return _read_run(con, run_id)
    finally:
        con.close()


def _read_run(con: duckdb.DuckDBPyConnection, run_id: int) -> CheckRun:
    head = con.execute(
        "SELECT benchmark, profile, checked_at, snapshot_ids FROM check_run WHERE run_id = ?",
        [run_id],
    ).fetchone()
    if head is None:
        raise StoreError(f"no stored check run {run_id}")
    benchmark, profile, checked_at, snapshot_ids_json = head
    snapshot_ids = [int(i) for i in json.loads(snapshot_ids_json or "[]")]
    ref_id = max(snapshot_ids) if snapshot_ids else 0
    snap = get_snapshot(con, ref_id)
    snapshot = (
        SnapshotRef(snap.snapshot_id, snap.started_at, snap.sha256)
        if snap
        else SnapshotRef(ref_id, checked_at, None)
    )
    cols = (
        "benchmark, control_id, topic, title, account_id, region, resource, status, reason, "
        "evidence"
    )
    results = [
        Result(
            benchmark=r["benchmark"],
            control_id=r["control_id"],
            topic=r["topic"],
            title=r["title"],
            account_id=r["account_id"],
            region=r["region"],
            resource=r["resource"],
            status=r["status"],
            reason=r["reason"],
            # Stored as `check` wrote it (queries.evidence types that JSON).
            evidence=cast(
                Evidence,
                json.loads(r["evidence"])
                if isinstance(r["evidence"], str)
                else (r["evidence"] or {}),
            ),
        )
        # rowid keeps the order check stored them in (catalog order, then account).
        for r in rows(
            con, f"SELECT {cols} FROM control_result WHERE run_id = ? ORDER BY rowid", [run_id]
        )
    ]
    checked = checked_at if checked_at.tzinfo else checked_at.replace(tzinfo=UTC)
    return CheckRun(benchmark, profile, checked, snapshot, snapshot_ids, results, run_id)


# --- what changed since the previous run --------------------------------------------


@dataclass(frozen=True)
class Change:
    control_id: str
    title: str
    account_id: str
    before: str | None  # None: not judged in the previous run
    after: str | None  # None: not judged any more
    reason: str

    def describe(self) -> str:
        return (
            f"{self.control_id} {self.account_id}: {self.before or 'not judged'} → "
            f"{self.after or 'not judged'}"
        )


@dataclass(frozen=True)
class RunDiff:
    previous_run_id: int | None
    changes: list[Change] = field(default_factory=list)

    @property
    def first_run(self) -> bool:
        return self.previous_run_id is None

    @property
    def changed(self) -> bool:
        return self.first_run or bool(self.changes)


def _verdicts(results: Iterable[Result]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(control_id, account_id) → (status, title, reason); several rows for one key (one
    per region) fold into one status set so a region flipping is still a change."""
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    for r in results:
        key = (r.control_id, r.account_id)
        if key in out:
            prev = out[key]
            statuses = "/".join(sorted(set(prev[0].split("/")) | {r.status}))
            out[key] = (statuses, prev[1], prev[2])
        else:
            out[key] = (r.status, r.title, r.reason)
    return out


def diff_runs(before: CheckRun | None, after: CheckRun) -> RunDiff:
    if before is None:
        return RunDiff(None, [])
    old, new = _verdicts(before.results), _verdicts(after.results)
    changes = []
    for key in sorted(old.keys() | new.keys(), key=lambda ca: (control_sort_key(ca[0]), ca[1])):
        o, n = old.get(key), new.get(key)
        if o is not None and n is not None and o[0] == n[0]:
            continue
        title, reason = (n or o)[1], (n or o)[2]  # type: ignore[index]
        changes.append(
            Change(key[0], title, key[1], o[0] if o else None, n[0] if n else None, reason)
        )
    return RunDiff(before.run_id, changes)


def previous_run(db: Path, run: CheckRun) -> CheckRun | None:
    """The stored run before ``run`` of the same benchmark and profile."""
    con = _open(db)
    try:
        row = con.execute(
            "SELECT max(run_id) FROM check_run WHERE benchmark = ? AND profile = ? AND run_id < ?",
            [run.benchmark, run.profile, run.run_id if run.run_id is not None else 2**31 - 1],
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return _read_run(con, int(row[0]))
    finally:
        con.close()


def changes_since_previous(db: Path, run: CheckRun) -> RunDiff:
    return diff_runs(previous_run(db, run), run)


# --- composing ------------------------------------------------------------------------


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("watchkeeper.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def subject(run: CheckRun, prefix: str = "[watchkeeper]") -> str:
    counts = run.counts()
    accounts = len({r.account_id for r in run.results})
    parts = [f"{counts['pass']} pass", f"{counts['fail']} fail"]
    parts += [f"{counts[s]} {s}" for s in ("error", "manual") if counts[s]]
    text = f"{run.benchmark}: {accounts} account{'s' if accounts != 1 else ''}, {', '.join(parts)}"
    return f"{prefix} {text}".strip()


def _context(
    run: CheckRun, diff: RunDiff | None, attached: list[str], report_dir: Path | None
) -> dict[str, Any]:
    counts = run.counts()
    order = {"fail": 0, "error": 1}
    failing = sorted(
        (r for r in run.results if r.status in order),
        key=lambda r: (order[r.status], control_sort_key(r.control_id), r.account_id),
    )
    per_account: dict[str, dict[str, int]] = {}
    for r in run.results:
        per_account.setdefault(r.account_id, dict.fromkeys(STATUSES, 0))[r.status] += 1
    return {
        "run": run,
        "counts": counts,
        "statuses": STATUSES,
        "accounts": sorted(per_account.items()),
        "failing": failing[:BODY_ITEM_LIMIT],
        "failing_total": len(failing),
        "diff": diff,
        "attached": attached,
        "report_dir": str(report_dir) if report_dir else None,
        "version": __version__,
        "checked_at": run.checked_at.strftime("%Y-%m-%d %H:%M UTC"),
        "collected_at": run.snapshot.collected_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def _text_body(ctx: dict[str, Any]) -> str:
    run: CheckRun = ctx["run"]
    lines: list[str] = []
    diff: RunDiff | None = ctx["diff"]
    if diff is not None and diff.changes:
        lines.append(f"What changed since run {diff.previous_run_id}:")
        lines += [f"  {c.describe()}  {c.title}" for c in diff.changes]
        lines.append("")
    elif diff is not None and diff.first_run:
        lines += ["First stored run of this benchmark: no previous verdicts to compare.", ""]
    counts = ctx["counts"]
    lines.append(
        f"{run.benchmark} ({run.profile} profile), checked {ctx['checked_at']}, snapshot "
        f"{run.snapshot.id} collected {ctx['collected_at']}"
    )
    lines.append(" · ".join(f"{counts[s]} {s}" for s in STATUSES))
    lines.append("")
    if ctx["failing"]:
        lines.append("Failing items:")
        for r in ctx["failing"]:
            lines.append(f"  {r.status.upper():5} {r.control_id} {r.account_id}  {r.title}")
            lines.append(f"        {r.reason}")
        if ctx["failing_total"] > len(ctx["failing"]):
            lines.append(f"  … and {ctx['failing_total'] - len(ctx['failing'])} more in the report")
    else:
        lines.append("No failing items.")
    if ctx["attached"]:
        lines += ["", f"Attached: {', '.join(ctx['attached'])}"]
    lines += ["", f"-- watchkeeper {ctx['version']}"]
    return "\n".join(lines) + "\n"


def compose(
    run: CheckRun,
    settings: EmailSettings,
    files: dict[str, Path] | None = None,
    diff: RunDiff | None = None,
    report_dir: Path | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The message: text and HTML bodies, and the ``settings.attach`` formats from ``files``."""
    files = files or {}
    # The body travels as far as the attachments: mask subscriber endpoints the same way.
    run = redact_run(run)
    if "pdf" in settings.attach and "pdf" not in files:
        raise EmailError("no PDF report to attach (the report was not rendered)")
    attach = [f for f in settings.attach if f in files]
    names = [files[f].name for f in attach]
    ctx = _context(run, diff, names, report_dir)
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
    # Cron mail should not trigger vacation replies back to the sender.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(_text_body(ctx))
    msg.add_alternative(_env().get_template("email.html.j2").render(**ctx), subtype="html")
    for fmt in attach:
        path = files[fmt]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EmailError(f"cannot read report {path}: {exc.strerror}") from None
        maintype, subtype = MIME_TYPES[fmt]
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return msg


# --- delivery -------------------------------------------------------------------------


def deliver(message: EmailMessage, settings: EmailSettings) -> str:
    """Send ``message``; returns a one-line description of the delivery (no secrets)."""
    if settings.transport == "ses":
        return send_ses(
            message, settings.sender, settings.recipients, settings.ses or SesSettings()
        )
    if settings.smtp is None:
        raise EmailError("no SMTP settings")
    return send_smtp(message, settings.sender, settings.recipients, settings.smtp)


def _tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise EmailError(f"cannot load CA file {smtp.ca_file}: {exc}") from None


def _smtp_reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(text.split())}"


def send_smtp(
    message: EmailMessage, sender: str, recipients: tuple[str, ...], smtp: SmtpSettings
) -> str:
    where = f"{smtp.host}:{smtp.port}"
    try:
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=_tls_context(smtp)
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            client.ehlo()
            if smtp.security == "starttls":
                if not client.has_extn("starttls"):
                    # Never fall back to plain text when TLS was asked for.
                    raise EmailError(
                        f"SMTP server {where} does not offer STARTTLS; use --smtp-security tls "
                        "or none if that is intended"
                    )
                client.starttls(context=_tls_context(smtp))
                client.ehlo()
            if smtp.username:
                if smtp.password is None:
                    raise EmailError(
                        "SMTP username given but no password (WATCHKEEPER_SMTP_PASSWORD or "
                        "--smtp-password-file)"
                    )
                client.login(smtp.username, smtp.password.value)
            refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except EmailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(
            f"SMTP authentication as {smtp.username!r} at {where} failed: {_smtp_reply(exc)}"
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise EmailError(f"SMTP server {where}: {exc}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        bad = ", ".join(exc.recipients)
        raise EmailError(f"SMTP server {where} refused every recipient: {bad}") from None
    except smtplib.SMTPResponseException as exc:
        raise EmailError(f"SMTP server {where} refused the message: {_smtp_reply(exc)}") from None
    except ssl.SSLError as exc:
        raise EmailError(f"TLS with SMTP server {where} failed: {exc.reason or exc}") from None
    except smtplib.SMTPServerDisconnected as exc:
        raise EmailError(f"SMTP server {where} closed the connection: {exc}") from None
    except smtplib.SMTPException as exc:
        raise EmailError(f"SMTP error with {where}: {exc}") from None
    except TimeoutError:
        raise EmailError(f"SMTP server {where} did not answer within {smtp.timeout:g}s") from None
    except OSError as exc:
        raise EmailError(f"cannot connect to SMTP server {where}: {exc.strerror or exc}") from None
    if refused:
        # Some got it, some did not: still a delivery failure the operator must see.
        bad = ", ".join(
            f"{a} ({c} {m.decode('utf-8', 'replace')})" for a, (c, m) in refused.items()
        )
        raise EmailError(f"SMTP server {where} refused some recipients: {bad}")
    return f"sent via SMTP {where} ({smtp.security}) to {len(recipients)} recipient(s)"


def send_ses(
    message: EmailMessage, sender: str, recipients: tuple[str, ...], ses: SesSettings
) -> str:
    import boto3
    import botocore.exceptions

    data = message.as_bytes()
    if len(data) > SES_MAX_BYTES:
        raise EmailError(
            f"message is {len(data) / 1e6:.1f} MB; SES accepts at most 10 MB "
            "(attach fewer formats, or use SMTP)"
        )
    try:
        session = boto3.Session(profile_name=ses.profile, region_name=ses.region)
        client = session.client("ses", endpoint_url=ses.endpoint_url)
        kwargs: dict[str, Any] = {
            "Source": sender,
            "Destinations": list(recipients),
            "RawMessage": {"Data": data},
        }
        if ses.configuration_set:
            kwargs["ConfigurationSetName"] = ses.configuration_set
        reply = client.send_raw_email(**kwargs)
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        raise EmailError(
            f"SES refused the message: {err.get('Code', '?')}: {err.get('Message', '')}"
        ) from None
    except botocore.exceptions.NoRegionError:
        raise EmailError("SES needs a region: --ses-region or WATCHKEEPER_SES_REGION") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise EmailError(f"SES delivery failed: {exc}") from None
    region = client.meta.region_name
    return f"sent via SES ({region}) to {len(recipients)} recipient(s), id {reply['MessageId']}"
