"""`watchkeeper email` through a real SMTP server: headers, HTML body, a PDF that parses,
STARTTLS, implicit TLS, AUTH, and delivery failures that keep the report."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from click.testing import Result
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.awsfake.scenarios import CIS_4_5, DEFAULT_ACCOUNT, Estate
from tests.conftest import copy_db
from tests.notify.conftest import PASSWORD, USER, SmtpFactory, attachments, body
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.emulator import free_port
from watchkeeper.queries.check import CheckRequest, check

runner = CliRunner()
BROKEN_4_5 = CIS_4_5.replace("|| ($.eventName = StopLogging) ", "")


@pytest.fixture(scope="module")
def checked_once(module_estate: Estate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One account: 4.5 broken (no StopLogging), the other controls have no chain."""
    db = tmp_path_factory.mktemp("smtp-checked") / "wk.duckdb"
    module_estate.account().chain(pattern=BROKEN_4_5)
    aws = AwsOptions(endpoint_url=module_estate.proxy_endpoint)
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=aws))
    check(CheckRequest(db=db, controls=("4.5", "4.3")))
    return db


@pytest.fixture
def checked_db(checked_once: Path, tmp_path: Path) -> Path:
    """Each test's own copy of the module's checked database."""
    return copy_db(checked_once, tmp_path)


def smtp_args(db: Path, tmp_path: Path, port: int, *extra: str) -> list[str]:
    return [
        "email",
        "--db",
        str(db),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--to",
        "audit@example.com",
        "--cc",
        "cto@example.com",
        "--from",
        "watchkeeper@example.org",
        "--output",
        str(tmp_path / "reports"),
        *extra,
    ]


SendEmail = Callable[..., Result]


@pytest.fixture
def send_email(cli_app: typer.Typer, checked_db: Path, tmp_path: Path) -> SendEmail:
    """`watchkeeper email` of ``checked_db`` to the SMTP server on ``port``, plus ``extra``."""

    def send(port: int, *extra: str) -> Result:
        return runner.invoke(cli_app, smtp_args(checked_db, tmp_path, port, *extra))

    return send


@pytest.fixture
def tls_env(monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]) -> None:
    monkeypatch.setenv("WATCHKEEPER_SMTP_CA_FILE", str(certificate[0]))
    monkeypatch.setenv("WATCHKEEPER_SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("WATCHKEEPER_CONFIG", raising=False)


def test_starttls_auth_delivers_summary_and_pdf(
    send_email: SendEmail, smtp_server: SmtpFactory, tmp_path: Path, tls_env: None
) -> None:
    inbox = smtp_server("starttls")
    res = send_email(inbox.port, "--smtp-username", USER, "--attach", "pdf", "--attach", "json")
    assert res.exit_code == 0, res.output
    assert PASSWORD not in res.output
    assert len(inbox.messages) == 1
    got = inbox.messages[0]
    assert got.tls and got.authenticated
    assert got.mail_from == "watchkeeper@example.org"
    assert sorted(got.rcpt_tos) == ["audit@example.com", "cto@example.com"]
    msg = got.message
    assert msg["Subject"] == "[watchkeeper] cis-v5.0.0: 1 account, 0 pass, 2 fail"
    assert msg["To"] == "audit@example.com" and msg["Cc"] == "cto@example.com"
    assert msg["From"] == "watchkeeper@example.org"
    assert msg["Message-ID"] and msg["Date"]
    html = body(msg, "html")
    assert "Failing items (2)" in html
    assert "misses StopLogging" in html and DEFAULT_ACCOUNT in html
    assert "<script" not in html
    text = body(msg, "plain")
    assert "misses StopLogging" in text
    files = attachments(msg)
    pdf_name = next(n for n in files if n.endswith(".pdf"))
    ctype, data = files[pdf_name]
    assert ctype == "application/pdf"
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "StopLogging" in pdf_text
    assert any(n.endswith(".json") and t == "application/json" for n, (t, _) in files.items())
    # The report stays on disk, in a dated folder.
    assert list((tmp_path / "reports").glob("*/" + pdf_name))


def test_implicit_tls(send_email: SendEmail, smtp_server: SmtpFactory, tls_env: None) -> None:
    inbox = smtp_server("tls")
    res = send_email(
        inbox.port, "--smtp-security", "tls", "--smtp-username", USER, "--attach", "html"
    )
    assert res.exit_code == 0, res.output
    assert inbox.messages and inbox.messages[0].tls and inbox.messages[0].authenticated


def test_wrong_password_is_a_delivery_failure_and_the_report_is_kept(
    send_email: SendEmail,
    smtp_server: SmtpFactory,
    tmp_path: Path,
    tls_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = smtp_server("starttls")
    monkeypatch.setenv("WATCHKEEPER_SMTP_PASSWORD", "not-the-password")
    res = send_email(inbox.port, "--smtp-username", USER)
    assert res.exit_code == 3
    assert "SMTP authentication as 'reporter'" in res.stderr and "failed" in res.stderr
    assert "not-the-password" not in res.output
    assert "Traceback" not in res.output
    assert "the report is kept in" in res.stderr
    assert list((tmp_path / "reports").glob("*/*.pdf"))
    assert not inbox.messages


def test_password_file_and_untrusted_certificate(
    send_email: SendEmail,
    smtp_server: SmtpFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = smtp_server("starttls")
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.delenv("WATCHKEEPER_SMTP_CA_FILE", raising=False)
    # Without the CA the self-signed certificate is refused: no silent downgrade.
    res = send_email(
        inbox.port, "--smtp-username", USER, "--smtp-password-file", str(secret), "--attach", "csv"
    )
    assert res.exit_code == 3
    assert "TLS with SMTP server" in res.stderr
    assert not inbox.messages


def test_starttls_not_offered_is_refused(send_email: SendEmail, smtp_server: SmtpFactory) -> None:
    inbox = smtp_server("plain")
    res = send_email(inbox.port, "--attach", "csv")
    assert res.exit_code == 3
    assert "does not offer STARTTLS" in res.stderr
    # Plain SMTP when the operator asks for it (a local relay).
    res = send_email(inbox.port, "--smtp-security", "none", "--attach", "csv")
    assert res.exit_code == 0, res.output
    assert len(inbox.messages) == 1 and not inbox.messages[0].tls


def test_unreachable_server(send_email: SendEmail) -> None:
    port = free_port()  # nothing listens there
    res = send_email(port, "--smtp-security", "none", "--attach", "csv")
    assert res.exit_code == 3
    assert f"cannot connect to SMTP server 127.0.0.1:{port}" in res.stderr


def test_usage_errors_exit_2(cli_app: typer.Typer, checked_db: Path, tmp_path: Path) -> None:
    res = runner.invoke(cli_app, ["email", "--db", str(checked_db), "--smtp-host", "x"])
    assert res.exit_code == 2 and "no recipients" in res.stderr
    res = runner.invoke(
        cli_app,
        [
            "email",
            "--db",
            str(tmp_path / "none.duckdb"),
            "--to",
            "a@example.com",
            "--from",
            "b@example.com",
            "--smtp-host",
            "x",
        ],
    )
    assert res.exit_code == 2 and "no watchkeeper database" in res.stderr
