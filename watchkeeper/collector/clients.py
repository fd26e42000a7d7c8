"""boto3 clients shared by every account of a collection: one per service and region.

A botocore client costs some 4 ms of CPU and 260 KB to create; one per account, service and
region is 100,000 clients for 1,000 accounts × 17 regions — more CPU than the API calls
themselves and gigabytes of memory. So the clients come from the caller's session, once per
service and region, and each call says whom it acts for:

- it is signed with that account's credentials (botocore's per-request signing credentials);
- it is retried under that account's own retry state: botocore's standard retry handler,
  retry quota and adaptive rate limiter, exactly as botocore would give a client of its
  own, kept per account, service and region — throttling in one account never slows
  another.

`Clients` is one account's view of the pool; `Clients.get` hands out a `BoundClient`, the
shared client acting for that account. A call on a shared client made outside any
`BoundClient` is refused, so no call can go out under the wrong account.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.retries import adaptive, bucket, quota, standard, throttling

from watchkeeper.collector.aws import MAX_AUTO_WORKERS, AwsOptions, Telemetry


class UnboundCallError(RuntimeError):
    """A shared client was called directly, not through the account it acts for."""


# botocore's retry handlers of one account, service and region: event → handlers.
_RetryState = dict[str, list[Callable[..., Any]]]


@dataclass
class _Acting:
    """Whom calls through one BoundClient act for, and that account's retry state."""

    credentials: Credentials | None  # None: the caller's own (the session's) credentials
    retry: _RetryState


_ACTING: contextvars.ContextVar[_Acting | None] = contextvars.ContextVar(
    "watchkeeper_acting", default=None
)


def _acting() -> _Acting:
    acting = _ACTING.get()
    if acting is None:
        raise UnboundCallError("AWS call on a shared client outside any account's BoundClient")
    return acting


def _as_account(acting: _Acting, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` acting for ``acting``'s account. A plain function, not a
    context manager: this runs around every API call and every page."""
    token = _ACTING.set(acting)
    try:
        return fn(*args, **kwargs)
    finally:
        _ACTING.reset(token)


class _Shared:
    """One shared botocore client and the hooks that route each call to its account."""

    def __init__(self, client: Any, total_max_attempts: int):
        self.client = client
        self.total_max_attempts = total_max_attempts
        self.service_model = client.meta.service_model
        name = self.service_model.service_id.hyphenize()
        events = client.meta.events
        # botocore's own retry handler would share one retry quota among all accounts.
        events.unregister(f"needs-retry.{name}", unique_id=f"retry-config-{name}")
        events.register("before-sign", self._sign_as_account)
        # Each event botocore's retry handlers listen to (asked of botocore, so a future
        # version that listens to more is still followed) goes to the account's handlers.
        # The client's emitter still orders them, specific events before general ones.
        registered = self._registered_retry_state()
        # A state is made per account, service and region (some 90,000 for 1,000 accounts):
        # the recipe builds only its stateful parts anew. It is used only while it builds
        # exactly what botocore's own registration does, handler for handler; otherwise
        # (another botocore) botocore's registration runs for each account.
        self.new_retry_state: Callable[[], _RetryState] = self._registered_retry_state
        try:
            recipe = _RetryRecipe(name, total_max_attempts)
            if _shape(recipe.new_state()) == _shape(registered):
                self.new_retry_state = recipe.new_state
        except Exception:  # parts built differently in this botocore: not ours to fix
            pass
        for event in registered:
            events.register(event, functools.partial(self._forward, event))

    def _registered_retry_state(self) -> _RetryState:
        """botocore's standard and adaptive retry handlers, as it would register them on a
        client of this service of the account's own: retry quota, backoff, rate limiter."""
        state: _RetryState = {}

        def register(event: str, handler: Callable[..., Any], *_: Any, **__: Any) -> None:
            state.setdefault(event, []).append(handler)

        # botocore's registration functions take a client but touch only its service model
        # and its emitter's register: a stand-in that keeps the handlers is enough.
        stand_in: Any = SimpleNamespace(
            meta=SimpleNamespace(
                service_model=self.service_model, events=SimpleNamespace(register=register)
            )
        )
        standard.register_retry_handler(stand_in, max_attempts=self.total_max_attempts)
        adaptive.register_retry_handler(stand_in)
        return state

    @staticmethod
    def _sign_as_account(request: Any, **_: Any) -> None:
        acting = _acting()
        if acting.credentials is not None:
            request.context.setdefault("signing", {})["request_credentials"] = acting.credentials

    @staticmethod
    def _forward(event: str, **kwargs: Any) -> Any:
        """Like an emitter's emit: every handler runs; the first answer that is not None
        (a retry delay) is the answer."""
        answer = None
        for handler in _acting().retry.get(event, ()):
            response = handler(**kwargs)
            if answer is None:
                answer = response
        return answer


def _shape(state: _RetryState) -> dict[str, list[str]]:
    """Which handler (by class and method) listens to which event, in order."""
    return {
        event: [getattr(h, "__qualname__", repr(h)) for h in handlers]
        for event, handlers in state.items()
    }


class _RetryRecipe:
    """What `standard.register_retry_handler` and `adaptive.register_retry_handler` build
    for one client, split into the parts that hold no state (the retry policy, the error
    detectors: built once per service and region) and those that do (the retry quota,
    the rate limiter: built for each account). `_Shared` checks the result against
    botocore's own registration before using it."""

    def __init__(self, name: str, max_attempts: int):
        self.name = name
        self.max_attempts = max_attempts
        adapter = standard.RetryEventAdapter()
        self.adapter = adapter
        self.detector = standard.ThrottlingErrorDetector(adapter)
        self.policy = standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
            retry_backoff=standard.ExponentialBackoff(
                service_name=name, throttling_detector=self.detector
            ),
        )
        self.clock = bucket.Clock()
        self.adaptive_detector = standard.ThrottlingErrorDetector(
            retry_event_adapter=standard.RetryEventAdapter()
        )

    def new_state(self) -> _RetryState:
        retry_quota = standard.RetryQuotaChecker(quota.RetryQuota(), self.detector)
        handler = standard.RetryHandler(
            retry_policy=self.policy,
            retry_event_adapter=self.adapter,
            # botocore passes the checker here (its stubs say RetryQuota).
            retry_quota=retry_quota,  # type: ignore[arg-type]
            service_name=self.name,
        )
        clock = self.clock
        limiter = adaptive.ClientRateLimiter(
            rate_adjustor=throttling.CubicCalculator(
                starting_max_rate=0, start_time=clock.current_time()
            ),
            rate_clocker=adaptive.RateClocker(clock),
            token_bucket=bucket.TokenBucket(max_rate=1, clock=clock),
            throttling_detector=self.adaptive_detector,
            clock=clock,
        )
        return {
            f"request-created.{self.name}": [
                standard.MaxAttemptsSeeder(self.max_attempts).seed_max_attempts
            ],
            f"after-call.{self.name}": [retry_quota.release_retry_quota],
            f"needs-retry.{self.name}": [handler.needs_retry],
            "before-send": [limiter.on_sending_request],
            "needs-retry": [limiter.on_receiving_response],
        }


class ClientPool:
    """The shared clients of one collection, created on first use; thread-safe."""

    def __init__(self, session: boto3.Session, options: AwsOptions, telemetry: Telemetry):
        self.session = session
        self.options = options
        self.telemetry = telemetry
        self._shared: dict[tuple[str, str], _Shared] = {}
        self._lock = threading.Lock()
        self._config = Config(
            # Standard mode: the adaptive part is added per account (see _Shared).
            retries={"mode": "standard", "max_attempts": options.max_attempts},
            # Every worker may be calling the same service and region at once.
            max_pool_connections=max(MAX_AUTO_WORKERS, options.concurrency or 0),
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            user_agent_extra="watchkeeper",
            # The collector's requests are fixed in code: checking each one against the
            # service model again is CPU spent on every call for nothing.
            parameter_validation=False,
        )

    def shared(self, service: str, region: str) -> _Shared:
        key = (service, region)
        found = self._shared.get(key)  # the common case: no lock, no wait
        if found is not None:
            return found
        with self._lock:  # boto3 sessions are not thread-safe while creating clients
            found = self._shared.get(key)
            if found is None:
                client = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    endpoint_url=self.options.endpoint_url,
                    config=self._config,
                )
                client.meta.events.register("before-call.*.*", self.telemetry.on_call)
                client.meta.events.register("before-send.*.*", self.telemetry.on_send)
                found = _Shared(client, client.meta.config.retries["total_max_attempts"])
                self._shared[key] = found
            return found


class BoundClient:
    """A shared client acting for one account: every method call (and every page of a
    paginator it hands out) is signed and retried as that account's."""

    def __init__(self, shared: _Shared, credentials: Credentials | None):
        self._client = shared.client
        self._acting = _Acting(credentials, shared.new_retry_state())

    @property
    def meta(self) -> Any:
        return self._client.meta

    @property
    def exceptions(self) -> Any:
        return self._client.exceptions

    def get_paginator(self, operation: str) -> _BoundPaginator:
        return _BoundPaginator(self._client.get_paginator(operation), self._acting)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return functools.partial(_as_account, self._acting, getattr(self._client, name))


class _BoundPaginator:
    def __init__(self, paginator: Any, acting: _Acting):
        self._paginator = paginator
        self._acting = acting

    def paginate(self, **kwargs: Any) -> Iterator[Any]:
        # The account is set around each page's request only: a generator must not leave
        # it set in its consumer's context between pages.
        pages = iter(_as_account(self._acting, self._paginator.paginate, **kwargs))
        while True:
            page = _as_account(self._acting, next, pages, None)
            if page is None:
                return
            yield page


class Clients:
    """One account's clients: the collection's shared clients, acting for this account.

    ``Clients(session, options, telemetry)`` is the caller's (it creates the pool);
    ``for_account`` gives another account's, sharing the pool. Bound clients are kept per
    service and region until ``release(region)``, so a region's calls share one retry
    state, and a collected region costs nothing afterwards.
    """

    def __init__(
        self,
        session: boto3.Session,
        options: AwsOptions,
        telemetry: Telemetry,
        *,
        pool: ClientPool | None = None,
        credentials: Credentials | None = None,
    ):
        self.session = session  # the caller's: the pool's clients come from it
        self.options = options
        self.telemetry = telemetry
        self.pool = pool or ClientPool(session, options, telemetry)
        self.credentials = credentials
        # region → service → bound client. No lock: the workers on this account's regions
        # (up to 17 at once) would queue on it for every call. Each step below is one
        # dict operation, atomic under the GIL; two threads binding the same service and
        # region at once keep the first one stored (setdefault).
        self._bound: dict[str, dict[str, BoundClient]] = {}

    def for_account(self, credentials: Credentials) -> Clients:
        return Clients(
            self.session, self.options, self.telemetry, pool=self.pool, credentials=credentials
        )

    def get(self, service: str, region: str) -> Any:
        services = self._bound.get(region)
        if services is None:
            services = self._bound.setdefault(region, {})
        bound = services.get(service)
        if bound is None:
            bound = services.setdefault(
                service, BoundClient(self.pool.shared(service, region), self.credentials)
            )
        return bound

    def release(self, region: str) -> None:
        """Forget this account's bound clients (and their retry state) in ``region``."""
        self._bound.pop(region, None)


_SESSION_LOCK = threading.Lock()


def assume_role(
    clients: Clients,
    account_id: str,
    role_name: str,
    external_id: str | None,
    partition: str,
    region: str,
) -> tuple[Credentials, str]:
    """Assume ``role_name`` in ``account_id``; returns its credentials and the role ARN."""
    role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
    kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "watchkeeper-collect"}
    if external_id:
        kwargs["ExternalId"] = external_id
    creds = clients.get("sts", region).assume_role(**kwargs)["Credentials"]
    credentials = Credentials(
        creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], "assume-role"
    )
    return credentials, role_arn


def assumed_session(
    clients: Clients,
    account_id: str,
    role_name: str,
    external_id: str | None,
    partition: str,
    region: str,
) -> tuple[boto3.Session, str]:
    """A whole boto3 session in ``account_id`` (for code that needs one: the collector
    itself only needs the credentials, see `assume_role`). It shares the caller's loader,
    so each service model is parsed once per process rather than once per account."""
    credentials, role_arn = assume_role(
        clients, account_id, role_name, external_id, partition, region
    )
    with _SESSION_LOCK:
        loader = clients.session._session.get_component("data_loader")
        core = botocore.session.Session()
        core.register_component("data_loader", loader)
        session = boto3.Session(
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
            region_name=region,
            botocore_session=core,
        )
        # boto3 appends its resource-model folder to the loader's search path per session.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session, role_arn
