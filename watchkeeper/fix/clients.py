"""The fixer's AWS clients: the only write path of watchkeeper.

The collector's read-only guard stays as it is for every other command. These clients are
separate: made from the fixer's own credentials (the `--role-name` role assumed in each
account, or the caller's), and each call is checked against permissions.allowed before it
is sent, so even the fixer cannot call an action its policy does not list.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from watchkeeper.collector.aws import AwsOptions, error_code, make_session
from watchkeeper.errors import UserError
from watchkeeper.fix import permissions


class FixerGuardError(RuntimeError):
    """A call outside the fixer's listed actions (a bug, never sent)."""


class FixerSetupError(UserError):
    """No way into an account the plan writes to (printed as one line)."""


@dataclass
class Calls:
    """Every call the fixer's clients sent, as service:Operation, in order."""

    sent: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def writes(self) -> list[str]:
        return [
            c
            for c in self.sent
            if c.split(":")[1] in permissions.WRITE_ACTIONS.get(c.split(":")[0], ())
        ]

    def add(self, call: str) -> None:
        with self._lock:
            self.sent.append(call)


@dataclass
class FixerClients:
    """Clients per account and region, guarded; ``identity`` is who the caller is."""

    options: AwsOptions
    role_name: str | None = None
    external_id: str | None = None
    calls: Calls = field(default_factory=Calls)
    caller_arn: str = ""
    caller_account: str = ""
    role_arns: dict[str, str] = field(default_factory=dict)
    _sessions: dict[str, boto3.Session] = field(default_factory=dict)
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._base = make_session(self.options.profile)
        self._config = Config(
            retries={"mode": "standard", "max_attempts": self.options.max_attempts},
            connect_timeout=self.options.connect_timeout,
            read_timeout=self.options.read_timeout,
            user_agent_extra="watchkeeper-fix",
        )
        sts = self._client(self._base, "sts", self._base.region_name or "us-east-1")
        try:
            me = sts.get_caller_identity()
        except Exception as exc:  # no credentials, endpoint unreachable, expired token
            code, message = error_code(exc)
            raise FixerSetupError(f"cannot tell who the caller is: {code}: {message}") from None
        self.caller_arn, self.caller_account = me["Arn"], me["Account"]
        self._partition = self.caller_arn.split(":")[1]

    def _guard(self, model: Any, **_: Any) -> None:
        service = model.service_model.service_name  # the IAM prefix (cloudwatch, not monitoring)
        if not permissions.allowed(service, model.name):
            raise FixerGuardError(f"the fixer may not call {service}:{model.name}")
        self.calls.add(f"{service}:{model.name}")

    def _client(self, session: boto3.Session, service: str, region: str) -> Any:
        client = session.client(
            service,  # type: ignore[call-overload]
            region_name=region,
            endpoint_url=self.options.endpoint_url,
            config=self._config,
        )
        client.meta.events.register("before-call", self._guard)
        return client

    def session(self, account: str) -> boto3.Session:
        found = self._sessions.get(account)
        if found is not None:
            return found
        if self.role_name is None:
            if account != self.caller_account:
                raise FixerSetupError(
                    f"account {account} is not the caller's ({self.caller_account}); give "
                    "--role-name (the fixer role to assume there)"
                )
            self._sessions[account] = self._base
            return self._base
        arn = f"arn:{self._partition}:iam::{account}:role/{self.role_name}"
        kwargs: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": "watchkeeper-fix"}
        if self.external_id:
            kwargs["ExternalId"] = self.external_id
        sts = self._client(self._base, "sts", self._base.region_name or "us-east-1")
        creds = sts.assume_role(**kwargs)["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self._base.region_name,
        )
        self._sessions[account] = session
        self.role_arns[account] = arn
        return session

    def get(self, account: str, service: str, region: str) -> Any:
        key = (account, service, region)
        if key not in self._clients:
            self._clients[key] = self._client(self.session(account), service, region)
        return self._clients[key]
