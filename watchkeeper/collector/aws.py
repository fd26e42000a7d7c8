"""boto3 plumbing shared by every collector module: options, sessions, call counting, the
read-only guard, paging and error capture (the clients themselves are in clients.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import boto3
import botocore.exceptions

from watchkeeper.errors import UserError
from watchkeeper.store.model import CollectionError

T = TypeVar("T")

# Operations the collector may call. Everything else is refused before it is sent, so no
# code path (now or later) can change the audited estate.
READ_ONLY_PREFIXES = ("Describe", "Get", "List")
ALLOWED_WRITES = frozenset({"AssumeRole"})  # returns credentials; changes nothing

DEFAULT_REGION = "us-east-1"


class CollectorSetupError(UserError):
    """A problem that stops the whole collection before it starts (printed as one line)."""


class ReadOnlyViolation(RuntimeError):
    pass


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES) or operation in ALLOWED_WRITES


@dataclass
class Telemetry:
    """Counts API calls and HTTP retries across every client of one collection."""

    calls: int = 0
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def retries(self) -> int:
        return max(0, self.attempts - self.calls)

    def on_call(self, model: Any, **_: Any) -> None:
        name = model.name
        if not is_read_only(name):
            raise ReadOnlyViolation(f"refusing to call non-read-only operation {name}")
        with self._lock:
            self.calls += 1

    def on_send(self, **_: Any) -> None:
        with self._lock:
            self.attempts += 1


# API limits are per account and region, and a worker collects one account's region at a
# time, so the workers of a many-account run never crowd one account's limits: the default
# grows with the accounts, to where one process's CPU (not the network) is the limit.
WORKERS_PER_ACCOUNT = 8
MAX_AUTO_WORKERS = 64


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 10
    concurrency: int | None = None  # parallel workers; None: sized by the accounts
    connect_timeout: float = 10.0
    read_timeout: float = 30.0

    def workers(self, accounts: int) -> int:
        if self.concurrency is not None:
            return max(1, self.concurrency)
        return max(1, min(MAX_AUTO_WORKERS, WORKERS_PER_ACCOUNT * accounts))


def make_session(profile: str | None) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound:
        raise CollectorSetupError(f"AWS profile {profile!r} not found in the AWS config") from None


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
    """All items of a paged listing, through botocore's paginator (never a hand loop:
    some endpoints echo the token back, which a hand loop would follow for ever)."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(result_key, []))
    return items


def error_code(exc: BaseException) -> tuple[str, str]:
    """(code, message) for any failure of one API call."""
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code") or "ClientError"), str(err.get("Message") or exc)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "NoCredentials", "no AWS credentials found"
    if isinstance(
        exc, (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError)
    ):
        return "Timeout", str(exc)
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return "EndpointConnectionError", str(exc)
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return type(exc).__name__, str(exc)
    return type(exc).__name__, str(exc)


@dataclass
class ErrorLog:
    """Collection errors gathered from many threads."""

    errors: list[CollectionError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, error: CollectionError) -> None:
        with self._lock:
            self.errors.append(error)

    def count(self) -> int:
        with self._lock:
            return len(self.errors)


class ClientSource(Protocol):
    """What a Scope needs of an account's clients (collector.clients.Clients is one); a
    protocol here so that aws.py, which clients.py builds on, does not import it back."""

    def get(self, service: str, region: str) -> Any: ...


@dataclass
class Scope:
    """Where a call is made: the account's clients, its id and the region."""

    clients: ClientSource
    account_id: str
    region: str
    partition: str
    errors: ErrorLog

    def client(self, service: str) -> Any:
        return self.clients.get(service, self.region)

    def attempt(self, service: str, operation: str, fn: Callable[[], T]) -> T | None:
        """Run one API step; a failure becomes a collection_error row instead of an exception.

        Anything an answer can provoke (AWS errors, unparsable replies) is recorded, so one
        odd reply never loses the rest of the collection; it still shows as an error, never
        as data. Refusing a write is not an API failure and propagates.
        """
        try:
            return fn()
        except ReadOnlyViolation:
            raise
        except Exception as exc:
            code, message = error_code(exc)
            self.errors.add(
                CollectionError(self.account_id, self.region, service, operation, code, message)
            )
            return None
