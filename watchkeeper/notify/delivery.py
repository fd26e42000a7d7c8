"""Delivery of a composed message through SMTP or Amazon SES.

Every delivery problem becomes :class:`EmailError` with one line that names the server and
the cause and never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from watchkeeper.notify.errors import EmailError
from watchkeeper.settings import EmailSettings, SesSettings, SmtpSettings

# SES v1 SendRawEmail refuses messages over 10 MB (after base64 encoding).
SES_MAX_BYTES = 10 * 1024 * 1024


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
