"""Issue 12: the organization's root e-mail addresses (aws_organizations_account.email) are
masked in every output that redacts: the HTML report, JSON, CSV and the e-mail (body and
attachment, delivered through aiosmtpd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.check_bench import build
from tests.notify.conftest import SmtpFactory, attachments, body
from watchkeeper.pipeline import email_run
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import CheckRun, Result
from watchkeeper.reports.render import ReportRequest, write_reports
from watchkeeper.settings import EmailSettings, SmtpSettings
from watchkeeper.store import begin_snapshot, complete_snapshot

ROOT_EMAIL = "aws-root+prod@corp.example.com"
MASKED = "a****@corp.example.com"
ACCOUNT = "100000000000"


@pytest.fixture(scope="module")
def db_and_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CheckRun]:
    """One account with a whole chain, listed in the organization with its root e-mail; the
    address also shows in a failing result's reason (as an attestation's approver would)."""
    db = tmp_path_factory.mktemp("org-redact") / "wk.duckdb"
    col = build(1, ["us-east-1"], 0)
    col.add(
        "aws_organizations_account",
        [
            {
                "account_id": ACCOUNT,
                "region": "us-east-1",
                "id": ACCOUNT,
                "name": "prod",
                "arn": f"arn:aws:organizations::{ACCOUNT}:account/o-abc/{ACCOUNT}",
                "email": ROOT_EMAIL,
                "status": "ACTIVE",
                "parent_id": "r-root",
            }
        ],
    )
    sid = begin_snapshot(db, col.accounts, ["us-east-1"], col.caller_arn)
    complete_snapshot(db, sid, col)
    run = check(CheckRequest(db=db, controls=("4.3",)))
    (r,) = run.results
    named = Result(
        **{
            **r.__dict__,
            # failing, so the e-mail body lists it too
            "status": "fail",
            "reason": f"attestation by {ROOT_EMAIL} expired ({r.reason})",
        }
    )
    return db, CheckRun(**{**run.__dict__, "results": [named]})


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
def test_reports_mask_the_root_email(
    db_and_run: tuple[Path, CheckRun], tmp_path: Path, fmt: str
) -> None:
    db, run = db_and_run
    out = write_reports(ReportRequest(db=db, formats=(fmt,), output_dir=tmp_path, run=run))
    text = out.files[fmt].read_text()
    assert ROOT_EMAIL not in text and MASKED in text


def test_unredacted_report_keeps_it(db_and_run: tuple[Path, CheckRun], tmp_path: Path) -> None:
    db, run = db_and_run
    req = ReportRequest(db=db, formats=("json",), output_dir=tmp_path, run=run, redact=False)
    assert ROOT_EMAIL in write_reports(req).files["json"].read_text()


def test_email_masks_the_root_email(
    db_and_run: tuple[Path, CheckRun], tmp_path: Path, smtp_server: SmtpFactory
) -> None:
    db, run = db_and_run
    inbox = smtp_server("plain")
    settings = EmailSettings(
        transport="smtp",
        sender="wk@example.com",
        to=("audit@example.com",),
        attach=("json",),
        smtp=SmtpSettings("127.0.0.1", inbox.port, security="none"),
    )
    outcome = email_run(db, run, settings, tmp_path)
    assert outcome.sent, outcome.detail
    (received,) = inbox.messages
    msg = received.message
    parts = [body(msg, "plain"), body(msg, "html")]
    parts += [data.decode() for _, data in attachments(msg).values()]
    assert len(parts) == 3
    assert all(ROOT_EMAIL not in p for p in parts)
    assert all(MASKED in p for p in parts)
