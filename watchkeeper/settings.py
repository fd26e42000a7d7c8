"""Settings for `watchkeeper email` and `watchkeeper run`.

Same precedence as :mod:`watchkeeper.config`: flags win over ``WATCHKEEPER_*`` environment
variables, which win over ``watchkeeper.toml`` ([email], [run], [collect], [check], [store]).

The SMTP password is never a flag (argv is visible to every user of the machine) and never
a config-file value (config files get committed): it comes from WATCHKEEPER_SMTP_PASSWORD or
from a file named by ``--smtp-password-file`` / WATCHKEEPER_SMTP_PASSWORD_FILE /
``[email] smtp_password_file``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.config import ConfigError, FileConfig, pick, resolve_db
from watchkeeper.queries import DEFAULT_BENCHMARK
from watchkeeper.reports import REPORT_FORMATS

if TYPE_CHECKING:
    from watchkeeper.collector import CollectRequest

TRANSPORTS = ("smtp", "ses")
SECURITY = ("starttls", "tls", "none")
ATTACHABLE = ("pdf", "html", "json", "csv")
DEFAULT_RUN_OUTPUT = "watchkeeper-runs"
DEFAULT_EMAIL_OUTPUT = "watchkeeper-reports"
# The largest message `email` and `run` send, as encoded on the wire (base64 makes an
# attachment 4/3 its size on disk). 10 MB is also SES v1's ceiling.
MB = 1024 * 1024
DEFAULT_MAX_MESSAGE_MB = 10.0


@dataclass(frozen=True)
class Secret:
    """A value that must not end up in logs, tracebacks or reprs."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"  # starttls | tls (implicit, port 465) | none
    username: str | None = None
    password: Secret | None = None
    timeout: float = 30.0
    # Extra CA bundle for a private relay's certificate; the system store is used otherwise.
    ca_file: Path | None = None


@dataclass(frozen=True)
class SesSettings:
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    configuration_set: str | None = None


@dataclass(frozen=True)
class EmailSettings:
    transport: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    attach: tuple[str, ...] = ("pdf",)
    only_on_change: bool = False
    subject_prefix: str = "[watchkeeper]"
    smtp: SmtpSettings | None = None
    ses: SesSettings | None = None
    # Over it the reports are zipped, then only the failing items attached (notify.attachments).
    max_message_bytes: int = int(DEFAULT_MAX_MESSAGE_MB * MB)

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.to, *self.cc)))


@dataclass(frozen=True)
class EmailFlags:
    """What the command line said; None/empty means "not given"."""

    transport: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    sender: str | None = None
    attach: tuple[str, ...] = ()
    only_on_change: bool | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str | None = None
    smtp_username: str | None = None
    smtp_password_file: Path | None = None
    ses_region: str | None = None
    ses_endpoint_url: str | None = None
    max_attachment_mb: float | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> EmailFlags:
        """From a command's arguments, named like the fields (`email` and `run` share
        these options); repeatable options arrive as lists or None."""
        given = {f.name: options[f.name] for f in dataclasses.fields(cls)}
        for name in ("to", "cc", "attach"):
            given[name] = tuple(given[name] or ())
        return cls(**given)


def _list(value: Any) -> tuple[str, ...]:
    """A list from a flag/TOML list or a comma-separated string (env)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ConfigError(f"expected a list of strings (e.g. regions, accounts), got {value!r}")


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{name}: unknown value {value!r}; choose {', '.join(allowed)}")
    return value


def _megabytes(value: Any, name: str) -> int:
    """A positive size in MB (fractions allowed: tests and strict relays want small ones)."""
    try:
        mb = float(value)
    except (TypeError, ValueError):
        mb = 0.0
    if not mb > 0 or mb == float("inf"):
        raise ConfigError(f"{name}: expected a positive number of MB, got {value!r}")
    return int(mb * MB)


def _address(value: str, name: str) -> str:
    # A deliberately small check: the relay is the authority; this catches typos and
    # header injection (a newline in an address would add headers).
    if "@" not in value or any(c in value for c in "\r\n") or value.count("<") > 1:
        raise ConfigError(f"{name}: {value!r} is not an e-mail address")
    return value


def _read_password(path: Path) -> Secret:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read SMTP password file {path}: {exc.strerror}") from None
    # One trailing newline is what editors and `echo` add; the password itself is kept intact.
    return Secret(text.removesuffix("\n").removesuffix("\r"))


def smtp_password(flag_file: Path | None, cfg: FileConfig) -> Secret | None:
    if cfg.get("email", "smtp_password") is not None:
        raise ConfigError(
            f"{cfg.path}: [email] smtp_password is not read from config files; use "
            "WATCHKEEPER_SMTP_PASSWORD or smtp_password_file"
        )
    env = os.environ.get("WATCHKEEPER_SMTP_PASSWORD")
    if flag_file is None and env:
        return Secret(env)
    path = pick(flag_file, "WATCHKEEPER_SMTP_PASSWORD_FILE", cfg.get("email", "smtp_password_file"))
    return _read_password(Path(path)) if path else None


def email_settings(flags: EmailFlags, cfg: FileConfig) -> EmailSettings:
    """Resolve the e-mail settings; raises ConfigError naming what is missing or wrong."""
    e = "email"
    transport = _choice(
        str(pick(flags.transport, "WATCHKEEPER_EMAIL_TRANSPORT", cfg.get(e, "transport"), "smtp")),
        TRANSPORTS,
        "--transport",
    )
    to = _list(pick(flags.to, "WATCHKEEPER_EMAIL_TO", cfg.get(e, "to")))
    cc = _list(pick(flags.cc, "WATCHKEEPER_EMAIL_CC", cfg.get(e, "cc")))
    sender = pick(flags.sender, "WATCHKEEPER_EMAIL_FROM", cfg.get(e, "from"))
    if not to:
        raise ConfigError("no recipients: give --to, WATCHKEEPER_EMAIL_TO or [email] to")
    if not sender:
        raise ConfigError("no sender: give --from, WATCHKEEPER_EMAIL_FROM or [email] from")
    for a in to:
        _address(a, "--to")
    for a in cc:
        _address(a, "--cc")
    _address(str(sender), "--from")
    attach = _list(pick(flags.attach, "WATCHKEEPER_EMAIL_ATTACH", cfg.get(e, "attach"), ["pdf"]))
    for a in attach:
        _choice(a, ATTACHABLE, "--attach")
    only = pick(
        flags.only_on_change,
        "WATCHKEEPER_EMAIL_ONLY_ON_CHANGE",
        cfg.get(e, "only_on_change"),
        False,
    )
    prefix = pick(None, "WATCHKEEPER_EMAIL_SUBJECT_PREFIX", cfg.get(e, "subject_prefix"))
    max_bytes = _megabytes(
        pick(
            flags.max_attachment_mb,
            "WATCHKEEPER_EMAIL_MAX_ATTACHMENT_MB",
            cfg.get(e, "max_attachment_mb"),
            DEFAULT_MAX_MESSAGE_MB,
        ),
        "--max-attachment-mb",
    )
    smtp = ses = None
    if transport == "smtp":
        host = pick(flags.smtp_host, "WATCHKEEPER_SMTP_HOST", cfg.get(e, "smtp_host"))
        if not host:
            raise ConfigError(
                "no SMTP host: give --smtp-host, WATCHKEEPER_SMTP_HOST or [email] smtp_host"
            )
        security = _choice(
            str(
                pick(
                    flags.smtp_security,
                    "WATCHKEEPER_SMTP_SECURITY",
                    cfg.get(e, "smtp_security"),
                    "starttls",
                )
            ),
            SECURITY,
            "--smtp-security",
        )
        default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
        port_value = pick(
            flags.smtp_port, "WATCHKEEPER_SMTP_PORT", cfg.get(e, "smtp_port"), default_port
        )
        try:
            port = int(port_value)
        except (TypeError, ValueError):
            raise ConfigError(f"SMTP port {port_value!r} is not a number") from None
        username = pick(
            flags.smtp_username, "WATCHKEEPER_SMTP_USERNAME", cfg.get(e, "smtp_username")
        )
        password = smtp_password(flags.smtp_password_file, cfg)
        if password is not None and not username:
            raise ConfigError("an SMTP password is set but no username (--smtp-username)")
        ca_file = pick(None, "WATCHKEEPER_SMTP_CA_FILE", cfg.get(e, "smtp_ca_file"))
        timeout = pick(None, "WATCHKEEPER_SMTP_TIMEOUT", cfg.get(e, "smtp_timeout"), 30.0)
        smtp = SmtpSettings(
            host=str(host),
            port=port,
            security=security,
            username=str(username) if username else None,
            password=password,
            timeout=float(timeout),
            ca_file=Path(ca_file) if ca_file else None,
        )
    else:
        ses = SesSettings(
            region=pick(flags.ses_region, "WATCHKEEPER_SES_REGION", cfg.get(e, "ses_region")),
            endpoint_url=pick(
                flags.ses_endpoint_url,
                "WATCHKEEPER_SES_ENDPOINT_URL",
                cfg.get(e, "ses_endpoint_url"),
            ),
            profile=pick(None, None, cfg.get(e, "ses_profile")),
            configuration_set=pick(
                None, "WATCHKEEPER_SES_CONFIGURATION_SET", cfg.get(e, "ses_configuration_set")
            ),
        )
    return EmailSettings(
        transport=transport,
        sender=str(sender),
        to=to,
        cc=cc,
        attach=attach,
        only_on_change=_bool(only, "only_on_change"),
        subject_prefix=str(prefix) if prefix is not None else "[watchkeeper]",
        smtp=smtp,
        ses=ses,
        max_message_bytes=max_bytes,
    )


def email_output(output: Path | None, cfg: FileConfig) -> Path:
    """Where `watchkeeper email` puts its dated report folders."""
    return Path(
        pick(output, "WATCHKEEPER_EMAIL_OUTPUT", cfg.get("email", "output"), DEFAULT_EMAIL_OUTPUT)
    )


def wants_email(flags: EmailFlags, cfg: FileConfig) -> bool:
    """Whether `run` should send mail at all: recipients are configured somewhere."""
    return bool(_list(pick(flags.to, "WATCHKEEPER_EMAIL_TO", cfg.get("email", "to"))))


@dataclass(frozen=True)
class CollectFlags:
    db: str | None = None
    accounts: tuple[str, ...] = ()
    organization: bool | None = None
    role_name: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] = ()
    profile: str | None = None
    endpoint_url: str | None = None
    concurrency: int | None = None
    max_attempts: int = 10
    shard: str | None = None
    deep: bool | None = None


def collect_request(flags: CollectFlags, cfg: FileConfig) -> CollectRequest:
    # Here, not at the top: `check` and `report` read their settings without the AWS SDK.
    from watchkeeper.collector import AwsOptions, CollectRequest

    """Flags > env > watchkeeper.toml for a collection (`collect` and the `run` job)."""
    c = "collect"
    organization = pick(flags.organization, None, cfg.get(c, "organization"), False)
    # Unset: the collector sizes it by the number of accounts (AwsOptions.workers).
    concurrency = pick(flags.concurrency, "WATCHKEEPER_CONCURRENCY", cfg.get(c, "concurrency"))
    return CollectRequest(
        db=resolve_db(flags.db, cfg),
        accounts=_list(pick(flags.accounts, None, cfg.get(c, "accounts"), ())),
        organization=_bool(organization, "[collect] organization"),
        role_name=pick(flags.role_name, "WATCHKEEPER_ROLE_NAME", cfg.get(c, "role_name")),
        external_id=pick(flags.external_id, "WATCHKEEPER_EXTERNAL_ID", cfg.get(c, "external_id")),
        regions=_list(pick(flags.regions, None, cfg.get(c, "regions"), ())),
        shard=flags.shard,
        deep=_bool(pick(flags.deep, None, cfg.get(c, "deep"), False), "[collect] deep"),
        aws=AwsOptions(
            profile=pick(flags.profile, None, cfg.get(c, "profile")),
            endpoint_url=pick(flags.endpoint_url, None, cfg.get(c, "endpoint_url")),
            max_attempts=flags.max_attempts,
            concurrency=None if concurrency is None else int(concurrency),
        ),
    )


@dataclass(frozen=True)
class CheckSettings:
    benchmark: str
    profile: str = "full"
    attestations: Path | None = None


def check_settings(
    benchmark: str | None, strictness: str | None, attestations: Path | None, cfg: FileConfig
) -> CheckSettings:
    """Flags > env > [check] for `check`, `report` and `run`. The strictness is stored as the
    run's ``profile`` (the data keeps that name); [check] profile is its old key."""
    att = pick(attestations, None, cfg.get("check", "attestations"))
    return CheckSettings(
        benchmark=str(
            pick(
                benchmark, "WATCHKEEPER_BENCHMARK", cfg.get("check", "benchmark"), DEFAULT_BENCHMARK
            )
        ),
        profile=str(pick(strictness, None, cfg.get("check", "strictness"), "full")),
        attestations=Path(att) if att else None,
    )


@dataclass(frozen=True)
class RunSettings:
    output: Path
    formats: tuple[str, ...] = ("html", "pdf", "json", "csv")
    email: bool = True
    fail_on: str = "fail"  # fail (fail or error), error, never


def run_settings(
    output: Path | None, formats: tuple[str, ...], email: bool | None, cfg: FileConfig
) -> RunSettings:
    r = "run"
    fmts = _list(
        pick(
            formats,
            "WATCHKEEPER_RUN_FORMATS",
            cfg.get(r, "formats"),
            ["html", "pdf", "json", "csv"],
        )
    )
    for f in fmts:
        _choice(f, REPORT_FORMATS, "--format")
    fail_on = _choice(
        str(pick(None, "WATCHKEEPER_RUN_FAIL_ON", cfg.get(r, "fail_on"), "fail")),
        ("fail", "error", "never"),
        "[run] fail_on",
    )
    return RunSettings(
        output=Path(
            pick(output, "WATCHKEEPER_RUN_OUTPUT", cfg.get(r, "output"), DEFAULT_RUN_OUTPUT)
        ),
        formats=fmts,
        email=_bool(pick(email, "WATCHKEEPER_RUN_EMAIL", cfg.get(r, "email"), True), "[run] email"),
        fail_on=fail_on,
    )
