"""The size limit through a real SMTP server: the reports fit; they are zipped; only the
failing items go. Each case is read back from the MIME message the server received."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import CIS_4_5, Estate
from tests.notify.conftest import Inbox, SmtpFactory, attachments, body
from tests.notify.runs_in_memory import org_run
from tests.notify.test_pipeline_run import compliant, run_folders, write_config
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.notify import SES_MAX_BYTES, compose_within_limit, deliver
from watchkeeper.notify.message import message_limit
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.settings import EmailSettings, SmtpSettings

runner = CliRunner()
STEM = "watchkeeper-cis-v5.0.0-snapshot7"
KB = 1024


@pytest.fixture
def reports(tmp_path: Path) -> dict[str, Path]:
    """A report folder: an HTML file that compresses ~50× and a PDF that does not at all."""
    folder = tmp_path / "2026-01-05T061500Z"
    folder.mkdir()
    html = folder / f"{STEM}.html"
    html.write_text("<tr><td>4.5</td><td>fail</td></tr>\n" * 6000)  # ~200 KB
    pdf = folder / f"{STEM}.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(60 * KB))
    return {"html": html, "pdf": pdf}


def said(msg: EmailMessage, part: str) -> str:
    """A body part with its line wrapping undone."""
    return " ".join(body(msg, part).split())


def send(inbox: Inbox, files: dict[str, Path], attach: tuple[str, ...], limit: int) -> str:
    settings = EmailSettings(
        transport="smtp",
        sender="wk@example.com",
        to=("audit@example.com",),
        attach=attach,
        smtp=SmtpSettings(inbox.host, inbox.port, security="none"),
        max_message_bytes=limit,
    )
    run = org_run(3)
    composed = compose_within_limit(run, settings, files, report_dir=files["pdf"].parent)
    deliver(composed.message, settings)
    assert len(inbox.messages) == 1
    return composed.attachments.mode


def test_reports_that_fit_go_as_they_are(
    smtp_server: SmtpFactory, reports: dict[str, Path]
) -> None:
    inbox = smtp_server("plain")
    assert send(inbox, reports, ("pdf", "html"), 10 * 1024 * KB) == "full"
    got = inbox.messages[0]
    files = attachments(got.message)
    assert sorted(files) == [f"{STEM}.html", f"{STEM}.pdf"]
    assert files[f"{STEM}.pdf"][1] == reports["pdf"].read_bytes()
    assert got.message["X-Watchkeeper-Attachments"] == "full"
    assert "size limit" not in body(got.message, "plain")


def test_reports_over_the_limit_are_zipped(
    smtp_server: SmtpFactory, reports: dict[str, Path]
) -> None:
    inbox = smtp_server("plain")
    limit = 100 * KB  # the HTML alone is ~270 KB in base64; zipped, a few KB
    assert send(inbox, reports, ("html",), limit) == "compressed"
    got = inbox.messages[0]
    assert got.size <= limit
    files = attachments(got.message)
    assert list(files) == [f"{STEM}.zip"]
    ctype, data = files[f"{STEM}.zip"]
    assert ctype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [f"{STEM}.html"]
        assert zf.read(f"{STEM}.html") == reports["html"].read_bytes()
    for part in ("plain", "html"):
        text = said(got.message, part)
        assert "are over the 100.0 KB e-mail size limit" in text
        assert f"attached compressed as {STEM}.zip" in text
        assert str(reports["html"].parent) in text


def test_reports_over_the_limit_even_zipped_send_the_failing_items(
    smtp_server: SmtpFactory, reports: dict[str, Path]
) -> None:
    inbox = smtp_server("plain")
    limit = 40 * KB  # the random PDF stays 60 KB zipped; the failing items are ~3 KB
    assert send(inbox, reports, ("pdf", "html"), limit) == "summary"
    got = inbox.messages[0]
    assert got.size <= limit
    files = attachments(got.message)
    assert list(files) == [f"{STEM}-failing.csv"]
    rows = list(csv.DictReader(io.StringIO(files[f"{STEM}-failing.csv"][1].decode())))
    # Every failing result of the run (3 accounts × 16 controls), no passing one.
    assert len(rows) == 48 and {r["status"] for r in rows} == {"fail", "error"}
    text = said(got.message, "plain")
    assert "even compressed" in text and "only the failing items are attached" in text
    assert f"The full report is in {reports['pdf'].parent}." in text
    assert "only the failing items are attached" in said(got.message, "html")
    assert got.message["X-Watchkeeper-Attachments"] == "summary"


def test_when_not_even_the_failing_items_fit_nothing_is_attached_and_the_body_says_so(
    reports: dict[str, Path],
) -> None:
    settings = EmailSettings(
        "smtp", "wk@example.com", ("audit@example.com",), attach=("pdf",), max_message_bytes=KB
    )
    composed = compose_within_limit(org_run(3), settings, reports)
    assert composed.attachments.mode == "none" and not list(composed.message.iter_attachments())
    assert composed.size > KB  # the bounded body alone; sent all the same
    text = said(composed.message, "plain")
    assert "and so is the list of failing items, even compressed: nothing is attached" in text
    assert f"The full report is in {reports['pdf'].parent}." in text


def test_ses_is_held_to_its_10_mb_whatever_the_setting() -> None:
    big = 50 * 1024 * KB
    smtp = EmailSettings("smtp", "a@example.com", ("b@example.com",), max_message_bytes=big)
    ses = EmailSettings("ses", "a@example.com", ("b@example.com",), max_message_bytes=big)
    assert message_limit(smtp) == big and message_limit(ses) == SES_MAX_BYTES


@pytest.fixture
def checked_db(estate: Estate, proxy: FaultProxy, db: Path) -> Path:
    estate.account().chain(pattern=CIS_4_5.replace("|| ($.eventName = StopLogging) ", ""))
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=AwsOptions(endpoint_url=proxy.url)))
    check(CheckRequest(db=db, controls=("4.5", "4.3")))
    return db


def test_limit_flag_on_the_email_command(
    cli_app: typer.Typer, smtp_server: SmtpFactory, checked_db: Path, tmp_path: Path
) -> None:
    """--max-attachment-mb reaches the message: a real HTML report, zipped under 40 KB."""
    inbox = smtp_server("plain")
    res = runner.invoke(
        cli_app,
        [
            "email", "--db", str(checked_db), "--smtp-host", inbox.host,
            "--smtp-port", str(inbox.port), "--smtp-security", "none",
            "--to", "audit@example.com", "--from", "wk@example.com", "--attach", "html",
            "--output", str(tmp_path / "out"), "--max-attachment-mb", str(40 / 1024),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = inbox.messages[0]
    assert got.size <= 40 * KB
    (name,) = attachments(got.message)
    assert name.endswith(".zip")
    assert "attached compressed as" in res.stdout  # the delivery line says it too
    assert list((tmp_path / "out").glob("*/*.html"))  # the report itself stays on disk


def test_run_reads_the_limit_from_the_config_and_records_what_it_did(
    cli_app: typer.Typer,
    smtp_server: SmtpFactory,
    estate: Estate,
    proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    compliant(estate.account(), broken="root_account_usage")
    inbox = smtp_server("plain")
    cfg = write_config(tmp_path, proxy, inbox.port, "max_attachment_mb = 0.1")
    res = runner.invoke(cli_app, ["run", "--config", str(cfg), "--quiet"])
    assert res.exit_code == 1, res.output  # a finding; the e-mail went
    got = inbox.messages[0]
    assert got.size <= 0.1 * 1024 * KB  # the HTML report is ~170 KB, ~25 KB zipped
    assert [n[-4:] for n in attachments(got.message)] == [".zip"]
    (folder,) = run_folders(tmp_path)
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["email"]["attachments"] == "compressed"
    assert "attached compressed as" in manifest["email"]["detail"]
