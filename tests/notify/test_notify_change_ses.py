"""--only-on-change against stored runs, and delivery through SES (the moto server)."""

from __future__ import annotations

import io
import json
import urllib.request
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import boto3
import pytest
import typer
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import CIS_4_5, Estate
from tests.notify.conftest import SmtpFactory, attachments, body
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.emulator import MotoServer
from watchkeeper.notify import EmailError, send_ses
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.settings import SesSettings

runner = CliRunner()
BROKEN_4_5 = CIS_4_5.replace("|| ($.eventName = StopLogging) ", "")


def collect_check(db: Path, proxy: FaultProxy) -> None:
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=AwsOptions(endpoint_url=proxy.url)))
    check(CheckRequest(db=db, controls=("4.5",)))


def test_only_on_change(
    cli_app: typer.Typer,
    smtp_server: SmtpFactory,
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    tmp_path: Path,
) -> None:
    inbox = smtp_server("plain")
    acct = estate.account()
    chain = acct.chain(pattern=BROKEN_4_5)
    collect_check(db, proxy)
    args = [
        "email", "--db", str(db), "--only-on-change", "--smtp-host", "127.0.0.1",
        "--smtp-port", str(inbox.port), "--smtp-security", "none", "--to", "a@example.com",
        "--from", "wk@example.com", "--output", str(tmp_path / "out"), "--attach", "csv",
    ]  # fmt: skip

    # First run: nothing to compare with, so it is sent.
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    assert len(inbox.messages) == 1
    assert "First stored run" in body(inbox.messages[0].message, "html")

    # Same verdicts again: not sent.
    check(CheckRequest(db=db, controls=("4.5",)))
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    assert "not sent: no verdict changed" in res.stdout
    assert len(inbox.messages) == 1

    # The filter is fixed: sent, with the change at the top.
    acct.metric_filter(chain.log_group, "cis-4-5-fixed", CIS_4_5, chain.metric)
    collect_check(db, proxy)
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    assert len(inbox.messages) == 2
    msg = inbox.messages[1].message
    assert msg["Subject"].endswith("(1 changed)")
    html = body(msg, "html")
    top = html.index('id="changes"')
    assert top < html.index('id="summary"')
    assert "4.5" in html[top:] and "fail</strong> → <strong>pass" in html
    assert "4.5 123456789012: fail → pass" in body(msg, "plain")


def _ses_messages(moto: MotoServer) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{moto.url}/moto-api/data.json", timeout=10) as resp:
        data = json.load(resp)
    found: list[dict[str, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "raw_data" in node and "source" in node:
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data.get("ses", {}))
    return found


def test_ses_transport(
    cli_app: typer.Typer,
    moto_server: MotoServer,
    estate: Estate,
    proxy: FaultProxy,
    db: Path,
    tmp_path: Path,
) -> None:
    estate.account().chain(pattern=BROKEN_4_5)
    collect_check(db, proxy)
    args = [
        "email", "--db", str(db), "--transport", "ses", "--ses-region", "us-east-1",
        "--ses-endpoint-url", moto_server.url, "--to", "audit@example.com",
        "--from", "watchkeeper@example.com", "--output", str(tmp_path / "out"),
    ]  # fmt: skip
    # SES refuses an unverified sender: a delivery failure, the report kept.
    res = runner.invoke(cli_app, [*args, "--attach", "csv"])
    assert res.exit_code == 3, res.output
    assert "SES refused the message" in res.stderr
    assert list((tmp_path / "out").glob("*/*.csv"))

    ses = boto3.client("ses", region_name="us-east-1", endpoint_url=moto_server.url)
    ses.verify_email_identity(EmailAddress="watchkeeper@example.com")
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    assert "sent via SES (us-east-1)" in res.stdout
    sent = _ses_messages(moto_server)
    assert len(sent) == 1
    assert "audit@example.com" in str(sent[0]["destinations"])
    raw = str(sent[0]["raw_data"]).encode()
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "[watchkeeper] cis-v5.0.0: 1 account, 0 pass, 1 fail"
    pdf = next(d for n, (t, d) in attachments(msg).items() if t == "application/pdf")
    assert PdfReader(io.BytesIO(pdf)).pages
    assert "misses StopLogging" in body(msg, "html")


def test_ses_without_region_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(EmailError, match="SES needs a region"):
        send_ses(EmailMessage(), "a@example.com", ("b@example.com",), SesSettings())
