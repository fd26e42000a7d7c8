"""`watchkeeper demo`: the real pipeline (collect → check → report) against a small,
seeded organisation in an embedded AWS emulator. No AWS account, no network.

The estate (see ``seed``):

* **management** (123456789012) owns the organization and a multi-region organization
  trail delivering to CloudWatch Logs, with a correct filter → alarm → topic → confirmed
  subscriber chain for every control, and Security Hub on. It passes everything.
* **shared-services**, an organization member with no trail of its own: the organization
  trail covers it, so it passes too (its evidence names the management account's chain).
* **prod** runs its own multi-region trail and chains with breaks a regex-based tool
  would miss: the 4.5 filter lists the trail events in another order and lacks
  ``StopLogging``; the 4.3 root-usage filter has every required clause plus a narrowing
  ``&& $.awsRegion = "us-east-1"``; the 4.1 alarm has actions disabled; the 4.4 alarm's
  topic has one subscriber, who never confirmed.
* **sandbox** has its own complete chains but on a single-region trail.

prod and sandbox are accounts reached by assuming a role that have not been enrolled in
the organization (an acquisition, a team's own account): the organization trail does not
reach them, so their own chains are what counts. Were they members, the management
account's organization trail would cover them and their own breaks would not matter.

The organization has OUs (``DEMO_OUS``): shared-services sits in Infrastructure, and
Workloads/Prod and Sandbox wait, empty, for prod and sandbox to be enrolled. The management
account stays at the root. The collection walks that tree although it lists its accounts
explicitly, so results can be grouped by OU (prod and sandbox have no placement).

The emulator (moto) confirms every e-mail subscription at once. AWS leaves one in
``PendingConfirmation`` until the recipient clicks the link; the demo stands in for
"has not clicked yet" with :class:`PendingConfirmationProxy`, a small HTTP proxy between
the collector and the emulator that reports the chosen subscriptions as AWS would. The
collector itself is unchanged and talks real HTTP.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import boto3

from watchkeeper.collector import AwsOptions, CollectOutcome, CollectRequest, Reporter, collect
from watchkeeper.emulator import MotoServer
from watchkeeper.pipeline import write_report_files
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import CheckRun

HOME = "us-east-1"
DEMO_REGIONS = ("us-east-1", "eu-west-1")
MANAGEMENT = "123456789012"  # moto's default account: the caller
PROD = "210987654321"
SANDBOX = "345678901234"
READER_ROLE = "WatchkeeperReader"
NAMESPACE = "CISBenchmark"
DB_NAME = "watchkeeper-demo.duckdb"
# OU name → parent OU name (None: the root), in creation order.
DEMO_OUS: dict[str, str | None] = {
    "Infrastructure": None,
    "Workloads": None,
    "Prod": "Workloads",
    "Sandbox": None,
}
SHARED_SERVICES_OU = "Infrastructure"


# --- the emulator's stand-in for an unconfirmed subscription ---------------------------


class PendingConfirmationProxy:
    """Forwards every request to the emulator unchanged; in replies, the subscriptions in
    ``pending`` get the ARN AWS shows for them before the recipient confirms:
    ``PendingConfirmation``."""

    def __init__(self, upstream: str, pending: set[str]):
        parts = urlsplit(upstream)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        patterns = [
            re.compile(rb"(<SubscriptionArn>)" + re.escape(arn.encode()) + rb"(</SubscriptionArn>)")
            for arn in pending
        ] + [
            re.compile(rb'("SubscriptionArn"\s*:\s*")' + re.escape(arn.encode()) + rb'(")')
            for arn in pending
        ]

        def rewrite(body: bytes) -> bytes:
            for p in patterns:
                body = p.sub(rb"\1PendingConfirmation\2", body)
            return body

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                skip = ("connection", "keep-alive", "accept-encoding")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                conn = http.client.HTTPConnection(host, port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    payload = rewrite(resp.read())
                    status, reply_headers = resp.status, resp.getheaders()
                finally:
                    conn.close()
                self.send_response(status)
                hop = ("content-length", "transfer-encoding", "connection", "date", "server")
                for k, v in reply_headers:
                    if k.lower() not in hop:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> PendingConfirmationProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- seeding --------------------------------------------------------------------------


@contextlib.contextmanager
def offline_aws_env() -> Iterator[None]:
    """Dummy credentials for the emulator, and none of the user's AWS config: the demo must
    never pick up a real profile, let alone reach AWS."""
    saved = dict(os.environ)
    for var in list(os.environ):
        if var.startswith("AWS_"):
            del os.environ[var]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": HOME,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _Seeder:
    """Creates one account's resources through ordinary boto3 calls to the emulator."""

    def __init__(self, endpoint: str, account_id: str):
        self.endpoint = endpoint
        self.account_id = account_id
        base = boto3.Session(region_name=HOME)
        if account_id == MANAGEMENT:
            self.session = base
        else:
            creds = base.client("sts", endpoint_url=endpoint).assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                RoleSessionName="watchkeeper-demo-seed",
            )["Credentials"]
            self.session = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=HOME,
            )
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str = HOME) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self.endpoint,
            )
        return self._clients[key]

    def trail(self, name: str, log_group: str, *, multi_region: bool, organization: bool) -> None:
        bucket = f"cloudtrail-{self.account_id}"
        self.client("s3").create_bucket(Bucket=bucket)
        self.client("logs").create_log_group(logGroupName=log_group)
        ct = self.client("cloudtrail")
        ct.create_trail(
            Name=name,
            S3BucketName=bucket,
            IsMultiRegionTrail=multi_region,
            IsOrganizationTrail=organization,
            EnableLogFileValidation=True,
            CloudWatchLogsLogGroupArn=(
                f"arn:aws:logs:{HOME}:{self.account_id}:log-group:{log_group}:*"
            ),
            CloudWatchLogsRoleArn=f"arn:aws:iam::{self.account_id}:role/CloudTrailToLogs",
        )
        ct.start_logging(Name=name)

    def topic(self, name: str, subscriber: str) -> tuple[str, str]:
        sns = self.client("sns")
        arn: str = sns.create_topic(Name=name)["TopicArn"]
        sub: str = sns.subscribe(
            TopicArn=arn, Protocol="email", Endpoint=subscriber, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return arn, sub

    def monitor(
        self,
        log_group: str,
        topic: str,
        pattern: str,
        metric: str,
        topic_arn: str,
        *,
        actions_enabled: bool = True,
    ) -> None:
        self.client("logs").put_metric_filter(
            logGroupName=log_group,
            filterName=f"cis-{topic}",
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}
            ],
        )
        self.client("cloudwatch").put_metric_alarm(
            AlarmName=f"cis-{topic}",
            AlarmDescription=f"CIS monitoring: {topic.replace('_', ' ')}",
            MetricName=metric,
            Namespace=NAMESPACE,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            ActionsEnabled=actions_enabled,
            AlarmActions=[topic_arn],
        )

    def security_hub(self, regions: tuple[str, ...]) -> None:
        for region in regions:
            self.client("securityhub", region).enable_security_hub(EnableDefaultStandards=False)

    def organizational_units(self, tree: dict[str, str | None]) -> dict[str, str]:
        """Create ``tree`` (OU name → parent name) under the root; returns name → OU id."""
        org = self.client("organizations")
        root = org.list_roots()["Roots"][0]["Id"]
        ids: dict[str, str] = {}
        for name, parent in tree.items():
            unit = org.create_organizational_unit(
                ParentId=ids[parent] if parent else root, Name=name
            )
            ids[name] = unit["OrganizationalUnit"]["Id"]
        return ids

    def move_account(self, account_id: str, ou_id: str) -> None:
        org = self.client("organizations")
        (parent,) = org.list_parents(ChildId=account_id)["Parents"]
        org.move_account(
            AccountId=account_id, SourceParentId=parent["Id"], DestinationParentId=ou_id
        )


# prod's breaks, by topic so that they land on the right control in every benchmark version.
# Same events as 4.5 in another order, StopLogging missing: "contains CreateTrail,
# UpdateTrail, DeleteTrail, StartLogging" checks pass; an attacker's StopLogging is not counted.
PROD_TRAIL_CHANGES = (
    '{ ($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") || '
    '($.eventName = "StartLogging") || ($.eventName = "CreateTrail") }'
)
# Every clause of 4.3, plus one that narrows it to a single region.
PROD_ROOT_USAGE = (
    '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && '
    '($.eventType != "AwsServiceEvent") && ($.awsRegion = "us-east-1") }'
)
PROD_MUTED_ALARM = "unauthorized_api_calls"
PROD_PENDING_TOPIC = "iam_policy_changes"


@dataclass(frozen=True)
class DemoEstate:
    endpoint: str
    accounts: dict[str, str]  # name → account id
    pending_subscriptions: set[str] = field(default_factory=set)
    regions: tuple[str, ...] = DEMO_REGIONS


def seed(
    endpoint: str, benchmark: str = DEFAULT_BENCHMARK, regions: tuple[str, ...] = DEMO_REGIONS
) -> DemoEstate:
    """Create the demo organisation in the emulator at ``endpoint``."""
    catalog = load_catalog()
    controls = [
        c
        for c in catalog.controls(catalog.resolve_benchmark(benchmark))
        if c.kind == "metric_filter_alarm"
    ]
    mgmt = _Seeder(endpoint, MANAGEMENT)
    org = mgmt.client("organizations")
    org.create_organization(FeatureSet="ALL")
    shared = org.create_account(Email="aws+shared@example.com", AccountName="shared-services")[
        "CreateAccountStatus"
    ]["AccountId"]
    units = mgmt.organizational_units(DEMO_OUS)
    mgmt.move_account(shared, units[SHARED_SERVICES_OU])

    # management: organization trail and a correct chain for every control.
    mgmt.trail("org-trail", "aws-cloudtrail-org", multi_region=True, organization=True)
    alerts, _ = mgmt.topic("security-alerts", "secops@example.com")
    for c in controls:
        mgmt.monitor("aws-cloudtrail-org", c.topic, c.required_patterns[0], c.topic, alerts)
    mgmt.security_hub(regions)
    _Seeder(endpoint, shared).security_hub(regions)

    # prod: its own multi-region trail, chains with subtle breaks.
    prod = _Seeder(endpoint, PROD)
    prod.trail("prod-trail", "prod-cloudtrail", multi_region=True, organization=False)
    prod_alerts, _ = prod.topic("prod-security-alerts", "prod-oncall@example.com")
    iam_alerts, pending = prod.topic("prod-iam-alerts", "iam-approvers@example.com")
    for c in controls:
        pattern = {
            "cloudtrail_configuration_changes": PROD_TRAIL_CHANGES,
            "root_account_usage": PROD_ROOT_USAGE,
        }.get(c.topic, c.required_patterns[0])
        prod.monitor(
            "prod-cloudtrail",
            c.topic,
            pattern,
            c.topic,
            iam_alerts if c.topic == PROD_PENDING_TOPIC else prod_alerts,
            actions_enabled=c.topic != PROD_MUTED_ALARM,
        )
    prod.security_hub(regions)

    # sandbox: complete chains, but the trail records one region only.
    sandbox = _Seeder(endpoint, SANDBOX)
    sandbox.trail("sandbox-trail", "sandbox-cloudtrail", multi_region=False, organization=False)
    sb_alerts, _ = sandbox.topic("sandbox-alerts", "sandbox-team@example.com")
    for c in controls:
        sandbox.monitor("sandbox-cloudtrail", c.topic, c.required_patterns[0], c.topic, sb_alerts)
    sandbox.security_hub(regions)

    return DemoEstate(
        endpoint=endpoint,
        accounts={
            "management": MANAGEMENT,
            "shared-services": shared,
            "prod": PROD,
            "sandbox": SANDBOX,
        },
        pending_subscriptions={pending},
        regions=regions,
    )


# --- the pipeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOutcome:
    output_dir: Path
    db: Path
    accounts: dict[str, str]
    collected: CollectOutcome
    run: CheckRun
    files: dict[str, Path]


def run_demo(
    output_dir: Path,
    *,
    benchmark: str = DEFAULT_BENCHMARK,
    formats: tuple[str, ...] = ("html", "pdf"),
    regions: tuple[str, ...] = DEMO_REGIONS,
    reporter: Reporter | None = None,
) -> DemoOutcome:
    """Seed the emulator, collect, check and render the reports into ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    db = output_dir / DB_NAME
    # The emulator's account ids change from run to run; a fresh database keeps yesterday's
    # demo accounts out of today's report.
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    with offline_aws_env(), MotoServer() as emulator:
        estate = seed(emulator.url, benchmark, regions)
        with PendingConfirmationProxy(emulator.url, estate.pending_subscriptions) as proxy:
            collected = collect(
                CollectRequest(
                    db=db,
                    accounts=tuple(estate.accounts.values()),
                    role_name=READER_ROLE,
                    regions=regions,
                    aws=AwsOptions(endpoint_url=proxy.url, max_attempts=3, concurrency=4),
                    organization_units=True,
                ),
                reporter,
            )
    run = check(CheckRequest(db=db, benchmark=benchmark, store=True))
    files = write_report_files(
        db, run, output_dir, formats, title="watchkeeper demo: Example Corp (emulated AWS)"
    )
    return DemoOutcome(output_dir, db, estate.accounts, collected, run, files)
