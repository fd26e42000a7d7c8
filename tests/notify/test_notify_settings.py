"""E-mail settings: flags > WATCHKEEPER_* > watchkeeper.toml; the password only from the
environment or a file, and never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.config import ConfigError, load_file
from watchkeeper.settings import EmailFlags, email_settings, run_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for var in list(os.environ):
        if var.startswith("WATCHKEEPER_"):
            monkeypatch.delenv(var)


def toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "watchkeeper.toml"
    p.write_text(text)
    return p


BASE = """
[email]
to = ["file@example.com"]
from = "wk@example.com"
smtp_host = "file.example.com"
smtp_username = "user"
"""


def test_precedence_flag_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_file(toml(tmp_path, BASE))
    s = email_settings(EmailFlags(), cfg)
    assert s.to == ("file@example.com",) and s.smtp is not None
    assert s.smtp.host == "file.example.com" and s.smtp.port == 587
    assert s.smtp.security == "starttls" and s.attach == ("pdf",)
    monkeypatch.setenv("WATCHKEEPER_EMAIL_TO", "a@example.com, b@example.com")
    monkeypatch.setenv("WATCHKEEPER_SMTP_SECURITY", "tls")
    s = email_settings(EmailFlags(), cfg)
    assert s.to == ("a@example.com", "b@example.com")
    assert s.smtp is not None and s.smtp.port == 465
    s = email_settings(EmailFlags(to=("flag@example.com",), smtp_port=2525), cfg)
    assert s.to == ("flag@example.com",) and s.smtp is not None and s.smtp.port == 2525


def test_password_from_env_or_file_never_from_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_file(toml(tmp_path, BASE))
    monkeypatch.setenv("WATCHKEEPER_SMTP_PASSWORD", "from-env")
    s = email_settings(EmailFlags(), cfg)
    assert s.smtp is not None and s.smtp.password is not None
    assert s.smtp.password.value == "from-env"
    assert "from-env" not in repr(s) and "from-env" not in str(s.smtp.password)
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    s = email_settings(EmailFlags(smtp_password_file=secret), cfg)
    assert s.smtp is not None and s.smtp.password is not None
    assert s.smtp.password.value == "from-file"
    bad = load_file(toml(tmp_path, BASE + 'smtp_password = "in-the-file"\n'))
    with pytest.raises(ConfigError, match="not read from config files") as exc:
        email_settings(EmailFlags(), bad)
    assert "in-the-file" not in str(exc.value)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (EmailFlags(to=("not-an-address",)), "is not an e-mail address"),
        (EmailFlags(to=("a@example.com\r\nBcc: x@evil.example",)), "is not an e-mail address"),
        (EmailFlags(transport="pigeon"), "unknown value 'pigeon'"),
        (EmailFlags(attach=("docx",)), "unknown value 'docx'"),
        (EmailFlags(smtp_password_file=Path("/nonexistent/pw")), "cannot read SMTP password"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, flags: EmailFlags, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        email_settings(flags, load_file(toml(tmp_path, BASE)))


def test_ses_needs_no_smtp_host(tmp_path: Path) -> None:
    cfg = load_file(toml(tmp_path, '[email]\nto = ["a@example.com"]\nfrom = "b@example.com"\n'))
    with pytest.raises(ConfigError, match="no SMTP host"):
        email_settings(EmailFlags(), cfg)
    s = email_settings(EmailFlags(transport="ses", ses_region="eu-west-1"), cfg)
    assert s.smtp is None and s.ses is not None and s.ses.region == "eu-west-1"


def test_run_settings(tmp_path: Path) -> None:
    cfg = load_file(toml(tmp_path, '[run]\noutput = "runs"\nformats = ["pdf", "junit"]\n'))
    s = run_settings(None, (), None, cfg)
    assert s.output == Path("runs") and s.formats == ("pdf", "junit") and s.email
    with pytest.raises(ConfigError, match="unknown value 'docx'"):
        run_settings(None, ("docx",), None, cfg)


def test_max_attachment_mb_flag_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mb = 1024 * 1024
    default = email_settings(EmailFlags(), load_file(toml(tmp_path, BASE)))
    assert default.max_message_bytes == 10 * mb
    cfg = load_file(toml(tmp_path, BASE + "max_attachment_mb = 25\n"))
    assert email_settings(EmailFlags(), cfg).max_message_bytes == 25 * mb
    monkeypatch.setenv("WATCHKEEPER_EMAIL_MAX_ATTACHMENT_MB", "2.5")
    assert email_settings(EmailFlags(), cfg).max_message_bytes == int(2.5 * mb)
    flags = EmailFlags(max_attachment_mb=0.5)
    assert email_settings(flags, cfg).max_message_bytes == mb // 2
    for bad in ("0", "-1", "ten", "inf"):
        monkeypatch.setenv("WATCHKEEPER_EMAIL_MAX_ATTACHMENT_MB", bad)
        with pytest.raises(ConfigError, match="--max-attachment-mb: expected a positive number"):
            email_settings(EmailFlags(), cfg)
