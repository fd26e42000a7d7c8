"""One collection: resolve accounts, fan out over accounts × regions, write one snapshot."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from watchkeeper.arns import topic_location
from watchkeeper.collector import (
    accounts,
    cloudtrail,
    cloudwatch,
    deep,
    logs,
    organizations,
    securityhub,
    sns,
)
from watchkeeper.collector.aws import (
    DEFAULT_REGION,
    AwsOptions,
    CollectorSetupError,
    ErrorLog,
    Scope,
    Telemetry,
    error_code,
    make_session,
)
from watchkeeper.collector.clients import Clients, assume_role
from watchkeeper.collector.shard import shard_accounts
from watchkeeper.store import SnapshotWriter, begin_snapshot, complete_snapshot, encode_rows
from watchkeeper.store.model import Collection, CollectionError, Row, SnapshotInfo

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class CollectRequest:
    db: Path
    accounts: tuple[str, ...] = ()
    organization: bool = False
    role_name: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] = ()
    shard: str | None = None  # "I/N": collect only this worker's share of the accounts
    aws: AwsOptions = field(default_factory=AwsOptions)
    # Walk the organization's tree (OUs) from the caller even when the accounts are listed
    # explicitly; --organization always does.
    organization_units: bool = False
    # --deep: the per-resource calls of collector/deep.py (tags, policies, attributes).
    deep: bool = False


# Each account × region is visited twice: its resources, then (once every alarm is known)
# its SNS topics. The reporter counts both visits, so its total is the whole run's.
PHASES = ("resources", "sns")


@dataclass(frozen=True)
class UnitSummary:
    account_id: str
    region: str
    counts: dict[str, int]
    errors: int
    phase: str = PHASES[0]


class Reporter(Protocol):
    """Progress sink; the CLI supplies a Rich or plain-text one."""

    def begin(self, total_units: int) -> None: ...
    def add_units(self, count: int) -> None: ...
    def unit_done(self, summary: UnitSummary, telemetry: Telemetry) -> None: ...
    def note(self, text: str) -> None: ...


class SilentReporter:
    def begin(self, total_units: int) -> None:
        pass

    def add_units(self, count: int) -> None:
        pass

    def unit_done(self, summary: UnitSummary, telemetry: Telemetry) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class CollectOutcome:
    snapshot: SnapshotInfo
    errors: list[CollectionError]
    skipped_regions: dict[str, list[str]]
    telemetry: Telemetry


@dataclass
class _Account:
    account_id: str
    clients: Clients | None
    access_method: str
    role_arn: str | None
    regions: list[str] = field(default_factory=list)


# Account rows are amended once every unit is done (collection_status 'partial' when some
# call failed): they stay dicts until the final write, one per account.
_AMENDED_LATER = frozenset({"aws_account"})


class _Sink:
    """Where the units' rows go, from many threads: every table but aws_account is encoded
    in the worker thread that fetched it (there the work overlaps other threads' network
    waits) and streamed to the store in batches, so memory does not grow with the rows."""

    def __init__(self, collection: Collection, writer: SnapshotWriter):
        self.collection = collection
        self.writer = writer
        self._lock = threading.Lock()

    def add(self, table: str, rows: list[Row]) -> None:
        if table in _AMENDED_LATER:
            with self._lock:
                self.collection.add(table, rows)
            return
        if rows:  # most units of most regions find nothing
            self.writer.add(table, encode_rows(rows))


def _targets(
    request: CollectRequest, base: Clients, caller: accounts.Caller, home: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """The accounts to collect, and the ListAccounts answer when there was one."""
    if request.organization:
        if not request.role_name:
            raise CollectorSetupError("--organization needs --role-name (the role to assume)")
        listing = accounts.organization_listing(base, home)
        return accounts.active_account_ids(listing), listing
    return _listed_targets(request, caller), []


def _listed_targets(request: CollectRequest, caller: accounts.Caller) -> list[str]:
    if request.accounts:
        others = [a for a in request.accounts if a != caller.account_id]
        if others and not request.role_name:
            raise CollectorSetupError(
                f"--account {others[0]} is not the caller's account ({caller.account_id}); "
                "give --role-name to assume a role there"
            )
        return sorted(dict.fromkeys(request.accounts))
    return [caller.account_id]


_gc_lock = threading.Lock()
_gc_depth = 0  # collections running in this process
_gc_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """A collection allocates hundreds of thousands of small objects, many living for a
    whole unit (parsed responses, rows). At the default young-generation threshold (700)
    the cyclic GC walks them over and over: about a fifth of a collection's wall time in
    the benchmark.
    Collecting young objects less often removes that; the last collection running in the
    process puts the threshold back."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(50_000, *_gc_saved[1:])
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)


def collect(request: CollectRequest, reporter: Reporter | None = None) -> CollectOutcome:
    """Collect every target account and region into a new snapshot of ``request.db``.

    Raises CollectorSetupError for problems that stop everything (no credentials, bad
    flags); per-API failures end up in the snapshot's collection_error rows instead.
    """
    with _fewer_gc_passes():
        return _collect(request, reporter)


def _collect(request: CollectRequest, reporter: Reporter | None) -> CollectOutcome:
    reporter = reporter or SilentReporter()
    telemetry = Telemetry()
    errors = ErrorLog()
    session = make_session(request.aws.profile)
    home = session.region_name or DEFAULT_REGION
    base = Clients(session, request.aws, telemetry)
    caller = accounts.caller_identity(base, home)
    targets, listing = _targets(request, base, caller, home)
    if request.shard:
        everyone = targets
        targets = shard_accounts(everyone, request.shard)
        if not targets:
            raise CollectorSetupError(
                f"--shard {request.shard}: no account of the {len(everyone)} falls in this shard"
            )
    regions = list(dict.fromkeys(request.regions)) or None

    snapshot_id = begin_snapshot(request.db, targets, regions, caller.arn)
    collection = Collection(caller_arn=caller.arn, accounts=targets, regions=regions)
    skipped: dict[str, list[str]] = {}
    reporter.begin(len(PHASES) * len(targets) * len(regions) if regions else 0)

    workers = request.aws.workers(len(targets))
    with (
        SnapshotWriter(request.db, snapshot_id) as writer,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        sink = _Sink(collection, writer)
        # The tree is written by the run (or shard) that collects the caller's own account:
        # its rows carry that account's id, and shards must not write it twice.
        tree = (
            pool.submit(
                _collect_organization,
                Scope(base, caller.account_id, home, caller.partition, errors),
                listing,
                sink,
                reporter,
                request.deep,
            )
            if (request.organization or request.organization_units) and caller.account_id in targets
            else None
        )
        setups = _run_all(
            pool,
            workers,
            lambda acct: _setup_account(
                acct, request, base, caller, home, regions, errors, sink, skipped, reporter
            ),
            targets,
        )
        owners = {a.account_id: a.clients for a in setups if a.clients is not None}
        details = cloudtrail.TrailDetails(owners, caller.partition, errors)
        # Account by account: an account's regions are done (and their clients released)
        # close together, and no two workers ever share an account's region.
        notified = _NotifiedTopics()
        units = ((a, r) for a in setups if a.clients is not None for r in a.regions)
        _run_all(
            pool,
            workers,
            lambda unit: _collect_unit(
                unit[0],
                unit[1],
                caller,
                errors,
                sink,
                details,
                reporter,
                telemetry,
                notified,
                request.deep,
            ),
            units,
        )
        # SNS last: an alarm may notify a topic in another account, so which topics need
        # their subscribers read is known only once every account's alarms are.
        units = ((a, r) for a in setups if a.clients is not None for r in a.regions)
        reporter.note(
            f"{PHASES[1]}: topics and subscribers of "
            f"{sum(len(a.regions) for a in setups if a.clients is not None)} account/region(s)"
        )
        _run_all(
            pool,
            workers,
            lambda unit: _collect_topics(
                unit[0],
                unit[1],
                caller,
                errors,
                sink,
                notified,
                reporter,
                telemetry,
                request.deep,
            ),
            units,
        )
        if tree is not None:
            tree.result()  # re-raises what attempt() does not record (a refused write)
    _mark_partial(collection, errors.errors)

    collection.errors = sorted(
        errors.errors,
        key=lambda e: (e.account_id or "", e.region or "", e.service, e.operation, e.message),
    )
    collection.api_calls = telemetry.calls
    collection.api_retries = telemetry.retries
    info = complete_snapshot(request.db, snapshot_id, collection)
    return CollectOutcome(info, collection.errors, skipped, telemetry)


def _run_all(
    pool: ThreadPoolExecutor, workers: int, fn: Callable[[T], R], items: Iterable[T]
) -> list[R]:
    """``fn`` over ``items`` in the pool, results in order. Only a few items per worker are
    handed to the pool at a time — 17,000 units submitted at once would hold 17,000 futures
    to the end — and the first failure (a refused write, the store unreachable, an
    interrupt) stops the handing out instead of running every remaining unit first."""
    return _Handout(pool, workers, fn).run(items)


class _Handout(Generic[T, R]):
    """The bookkeeping of `_run_all`. Finished items are taken off by their own worker (a
    done callback), and the caller's thread is woken only once a worker's worth of items
    has finished, to hand out as many again: not once per item, each time walking every
    running future (as `concurrent.futures.wait` does)."""

    def __init__(self, pool: ThreadPoolExecutor, workers: int, fn: Callable[[T], R]):
        self.pool = pool
        self.fn = fn
        self.limit = 4 * workers
        self.low = self.limit - workers  # hand out more once this few are left running
        self.running: dict[Future[R], int] = {}
        self.results: dict[int, R] = {}
        self.failed: Future[R] | None = None
        self.changed = threading.Condition()

    def _finished(self, future: Future[R]) -> None:
        with self.changed:
            index = self.running.pop(future)
            if future.cancelled():
                return
            if future.exception() is not None:
                self.failed = self.failed or future
            else:
                self.results[index] = future.result()
            if len(self.running) <= self.low or self.failed is not None:
                self.changed.notify()

    def run(self, items: Iterable[T]) -> list[R]:
        try:
            for index, item in enumerate(items):
                with self.changed:
                    if len(self.running) >= self.limit:
                        self.changed.wait_for(
                            lambda: len(self.running) <= self.low or self.failed is not None
                        )
                    if self.failed is not None:
                        break
                future = self.pool.submit(self.fn, item)
                with self.changed:
                    self.running[future] = index
                future.add_done_callback(self._finished)
            with self.changed:
                self.changed.wait_for(lambda: not self.running or self.failed is not None)
            if self.failed is not None:
                self.failed.result()  # raises its exception
        except BaseException:
            with self.changed:
                pending = list(self.running)
            for future in pending:
                future.cancel()
            raise
        return [self.results[i] for i in range(len(self.results))]


def _setup_account(
    account_id: str,
    request: CollectRequest,
    base: Clients,
    caller: accounts.Caller,
    home: str,
    regions: list[str] | None,
    errors: ErrorLog,
    sink: _Sink,
    skipped: dict[str, list[str]],
    reporter: Reporter,
) -> _Account:
    """Credentials, identity row and region list for one account."""
    acct = _Account(account_id, None, "caller", None)
    if account_id == caller.account_id:
        acct.clients = base
    else:
        assert request.role_name is not None
        acct.access_method = "assume_role"
        try:
            credentials, role_arn = assume_role(
                base, account_id, request.role_name, request.external_id, caller.partition, home
            )
        except Exception as exc:  # any failure to get in is recorded, never fatal
            code, message = error_code(exc)
            errors.add(CollectionError(account_id, None, "sts", "AssumeRole", code, message))
            acct.role_arn = f"arn:{caller.partition}:iam::{account_id}:role/{request.role_name}"
            reporter.note(f"{account_id}: cannot assume {acct.role_arn}: {code}")
            if regions is not None:  # counted in begin(), and they will not run
                reporter.add_units(-len(PHASES) * len(regions))
        else:
            acct.role_arn = role_arn
            acct.clients = base.for_account(credentials)
    scope = Scope(acct.clients or base, account_id, home, caller.partition, errors)
    status = "ok" if acct.clients is not None else "failed"
    sink.add(
        "aws_account",
        [accounts.identity_row(scope, caller.arn, acct.access_method, acct.role_arn, status)],
    )
    if acct.clients is None:
        return acct
    if regions is not None:
        acct.regions = list(regions)
    else:
        choices = accounts.enabled_regions(scope)
        if choices is None:
            reporter.note(f"{account_id}: cannot list enabled regions; collecting {home} only")
            choices = [accounts.RegionChoice(home, None, True, None)]
        sink.add("aws_region", accounts.region_rows(scope, choices))
        acct.regions = [c.name for c in choices if c.collect]
        skipped[account_id] = [c.name for c in choices if not c.collect]
        if skipped[account_id]:
            reporter.note(
                f"{account_id}: skipping {len(skipped[account_id])} opt-in region(s) that are "
                f"not enabled: {', '.join(skipped[account_id])}"
            )
        reporter.add_units(len(PHASES) * len(acct.regions))
    if regions is not None:
        sink.add(
            "aws_region",
            accounts.region_rows(
                scope, [accounts.RegionChoice(r, None, True, None) for r in regions]
            ),
        )
    if acct.clients is not base:
        acct.clients.release(home)  # the caller's home-region clients serve every account
    return acct


def _collect_unit(
    acct: _Account,
    region: str,
    caller: accounts.Caller,
    errors: ErrorLog,
    sink: _Sink,
    details: cloudtrail.TrailDetails,
    reporter: Reporter,
    telemetry: Telemetry,
    notified: _NotifiedTopics,
    with_deep: bool = False,
) -> None:
    assert acct.clients is not None
    scope = Scope(acct.clients, acct.account_id, region, caller.partition, errors)
    before = errors.count()
    counts: dict[str, int] = {}

    def put(
        table: str,
        rows: list[Row],
        more: Callable[[Scope, list[Row]], deep.Answers] | None = None,
        key: str = "",
    ) -> None:
        if with_deep and more is not None:
            deep.attach(rows, key, more(scope, rows))
        counts[table] = len(rows)
        sink.add(table, rows)

    trail_rows = cloudtrail.rows(cloudtrail.fetch(scope), scope)
    for row in trail_rows:
        detail = details.get(row["arn"], row["owner_account_id"], row["home_region"])
        if detail is not None:
            cloudtrail.apply_detail(row, detail)
    put("aws_cloudtrail_trail", trail_rows, deep.trails, "arn")

    log_data = logs.fetch(scope)
    put("aws_cloudwatch_log_group", logs.log_group_rows(log_data, scope), deep.log_groups, "name")
    put("aws_cloudwatch_log_metric_filter", logs.metric_filter_rows(log_data, scope))

    alarms = cloudwatch.fetch(scope)
    put("aws_cloudwatch_alarm", cloudwatch.rows(alarms or [], scope), deep.alarms, "arn")

    notified.add(cloudwatch.notified_topics(alarms or []))
    notified.listed(acct.account_id, region, sns.list_topics(scope))

    hub = securityhub.fetch(scope)
    if hub is not None:
        put("aws_securityhub_hub", securityhub.rows(hub, scope), deep.hubs, "hub_arn")

    acct.clients.release(region)  # the region is done: its bound clients need not stay
    reporter.unit_done(
        UnitSummary(acct.account_id, region, counts, errors.count() - before), telemetry
    )


class _NotifiedTopics:
    """The SNS topics some collected alarm notifies, by the account and region that own
    them (parsed from the action ARN: it may be another account's topic). One entry per
    distinct topic, so memory grows with the notified topics, not with the alarms."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_place: dict[tuple[str, str], set[str]] = {}
        self._topics: dict[tuple[str, str], list[str]] = {}

    def add(self, arns: Iterable[str]) -> None:
        placed = [(place, arn) for arn in arns if (place := topic_location(arn))]
        with self._lock:
            for place, arn in placed:
                self._by_place.setdefault(place, set()).add(arn)

    def listed(self, account_id: str, region: str, topics: list[str]) -> None:
        """The topics ListTopics gave for an account and region (most regions have none)."""
        if topics:
            with self._lock:
                self._topics[(account_id, region)] = topics

    def take(self, account_id: str, region: str) -> tuple[list[str], set[str]]:
        """An account and region's listed topics, and those of them some alarm notifies."""
        with self._lock:
            return (
                self._topics.pop((account_id, region), []),
                self._by_place.pop((account_id, region), set()),
            )


def _collect_topics(
    acct: _Account,
    region: str,
    caller: accounts.Caller,
    errors: ErrorLog,
    sink: _Sink,
    notified: _NotifiedTopics,
    reporter: Reporter,
    telemetry: Telemetry,
    with_deep: bool = False,
) -> None:
    """One account's SNS topics in one region, read as their owner."""
    assert acct.clients is not None
    before = errors.count()
    listed, notified_here = notified.take(acct.account_id, region)
    topics: list[Row] = []
    subscriptions: list[Row] = []
    if listed:  # most regions have none: no clients are built for them again
        scope = Scope(acct.clients, acct.account_id, region, caller.partition, errors)
        # --deep: the attributes of the topics no alarm notifies, too.
        data = sns.fetch(scope, listed, notified_here, with_deep)
        topics = sns.topic_rows(data, scope)
        subscriptions = sns.subscription_rows(data, scope)
        if with_deep:
            deep.attach(topics, "topic_arn", deep.topics(scope, topics))
            deep.attach(subscriptions, "subscription_arn", deep.subscriptions(scope, subscriptions))
        sink.add("aws_sns_topic", topics)
        sink.add("aws_sns_topic_subscription", subscriptions)
        acct.clients.release(region)
    counts = {"aws_sns_topic": len(topics), "aws_sns_topic_subscription": len(subscriptions)}
    reporter.unit_done(
        UnitSummary(acct.account_id, region, counts, errors.count() - before, PHASES[1]),
        telemetry,
    )


def _collect_organization(
    scope: Scope,
    listing: list[dict[str, Any]],
    sink: _Sink,
    reporter: Reporter,
    with_deep: bool = False,
) -> None:
    """The organization's roots, OUs and account placements, from the caller."""
    # Its own error log, so the note below counts only the walk's failures.
    walk = replace(scope, errors=ErrorLog())
    tree = organizations.fetch(walk, listing)
    sink.add("aws_organizations_root", organizations.root_rows(tree, walk))
    sink.add("aws_organizations_organizational_unit", organizations.unit_rows(tree, walk))
    members = organizations.account_rows(tree, walk)
    if with_deep:
        # Through ``scope``: a failed tag call is not a failure of the OU walk noted below.
        deep.attach(members, "id", deep.organization_accounts(scope, members))
    sink.add("aws_organizations_account", members)
    for error in walk.errors.errors:
        scope.errors.add(error)
    if walk.errors.errors:
        reporter.note(
            f"organization: {len(walk.errors.errors)} call(s) of the OU walk failed; "
            "accounts under those parents have no OU placement"
        )


def _mark_partial(collection: Collection, errors: list[CollectionError]) -> None:
    failed = {e.account_id for e in errors}
    for row in collection.tables.get("aws_account", []):
        if row["collection_status"] == "ok" and row["account_id"] in failed:
            row["collection_status"] = "partial"
