"""Fixtures for the e-mail, run and demo tests: real SMTP servers (aiosmtpd) on
127.0.0.1, a self-signed certificate, and the CLI with the notify commands registered."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import typer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from watchkeeper.cli import app as _app
from watchkeeper.cli.notify import register
from watchkeeper.emulator import free_port

USER, PASSWORD = "reporter", "s3cr3t-Pa55word!"


@pytest.fixture(scope="session")
def cli_app() -> typer.Typer:
    """The main app with demo/email/run, registered here until cli.py does it."""
    names = {c.name for c in _app.registered_commands}
    if not {"demo", "email", "run"} <= names:
        register(_app)
    return _app


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool
    size: int = 0  # bytes of the message as received (what a size limit is measured on)


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                msg,
                server.transport.get_extra_info("ssl_object") is not None,
                bool(session.authenticated),
                len(envelope.content),
            )
        )
        return "250 OK"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key); the cert is also the CA file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*map(str, certificate))
    return ctx


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


SmtpFactory = Callable[..., Inbox]


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[SmtpFactory]:
    """Start an SMTP server: mode 'plain', 'starttls' (required, with AUTH) or 'tls'
    (implicit TLS, with AUTH)."""
    controllers: list[Controller] = []

    def start(mode: str = "starttls") -> Inbox:
        inbox = Inbox("127.0.0.1", free_port())
        kwargs: dict[str, Any] = {}
        if mode == "starttls":
            kwargs = {
                "tls_context": _server_context(certificate),
                "require_starttls": True,
                "authenticator": _authenticator,
                "auth_require_tls": True,
            }
        elif mode == "tls":
            kwargs = {
                "ssl_context": _server_context(certificate),
                "authenticator": _authenticator,
                "auth_require_tls": False,
            }
        controller = Controller(inbox, hostname=inbox.host, port=inbox.port, **kwargs)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for c in controllers:
        c.stop()


def body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


def attachments(msg: EmailMessage) -> dict[str, tuple[str, bytes]]:
    out = {}
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        out[str(part.get_filename())] = (part.get_content_type(), data)
    return out
