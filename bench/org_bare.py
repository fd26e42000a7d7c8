"""The bare boto3 loops of the organisation benchmark: the collector's calls, nothing else.

    python -m bench.org_bare ENDPOINT WORKERS ROLE [--shared-clients]

List the accounts, walk the organization's tree (roots, OUs, the accounts in each), assume
the role in each account, then per account and enabled region make exactly the reads
`watchkeeper collect` makes — trails (status and selectors once per trail, by its owner in
its home region), log groups, metric filters, alarms, topics, subscriptions, the
attributes of notified topics, Security Hub — with adaptive retries and the same number
of workers. Nothing is kept: answers are dropped once counted. Prints {"calls": N}.

Two ways to hold the clients:
- plain (the default): boto3 as one would write it, a session per account (sharing the
  caller's loader, so service models are parsed once) and a client per service for each
  account and region. Creating 85,000 clients for 1,000 accounts costs more than the calls.
- ``--shared-clients``: one client per service and region for every account, each request
  signed with its account's credentials (botocore's per-request signing credentials) — the
  least any loop over many accounts can spend on the SDK, the floor for the collector.
"""

from __future__ import annotations

import contextvars
import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials

HOME = "us-east-1"


@dataclass
class Account:
    account_id: str
    session: boto3.Session  # plain loop: the account's own session
    credentials: Credentials | None  # None: the caller's
    regions: list[str] = field(default_factory=list)


def main() -> None:
    endpoint, workers, role = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    shared_clients = "--shared-clients" in sys.argv[4:]
    config = Config(
        retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=2 * workers
    )
    calls = 0
    lock = threading.Lock()

    def count(**_: Any) -> None:
        nonlocal calls
        with lock:
            calls += 1

    base = boto3.Session(region_name=HOME)
    loader = base._session.get_component("data_loader")
    session_lock = threading.Lock()
    # --shared-clients: one client per service and region; the credentials of the account
    # this thread works for sign each request.
    acting: contextvars.ContextVar[Credentials | None] = contextvars.ContextVar("acting")
    shared: dict[tuple[str, str], Any] = {}

    def sign_as(request: Any, **_: Any) -> None:
        credentials = acting.get(None)
        if credentials is not None:
            request.context.setdefault("signing", {})["request_credentials"] = credentials

    def new_client(session: boto3.Session, service: str, region: str) -> Any:
        c = session.client(service, region_name=region, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
        c.meta.events.register("before-call.*.*", count)
        return c

    def client(who: Account, service: str, region: str) -> Any:
        if not shared_clients:
            return new_client(who.session, service, region)
        acting.set(who.credentials)  # a thread works for one account at a time
        with session_lock:
            found = shared.get((service, region))
            if found is None:
                found = shared[(service, region)] = new_client(base, service, region)
                found.meta.events.register("before-sign", sign_as)
        return found

    def pages(c: Any, op: str, key: str, **kw: Any) -> list[Any]:
        return [x for p in c.get_paginator(op).paginate(**kw) for x in p.get(key, [])]

    def attempt(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except botocore.exceptions.ClientError:
            return None

    me = Account("", base, None)
    caller = client(me, "sts", HOME).get_caller_identity()["Account"]
    listed = pages(client(me, "organizations", HOME), "list_accounts", "Accounts")

    def setup(account: str) -> Account:
        who = Account(account, base, None)
        if account != caller:
            cr = client(me, "sts", HOME).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="bare"
            )["Credentials"]
            keys = (cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"])
            who.credentials = Credentials(*keys)
            if not shared_clients:
                with session_lock:
                    core = botocore.session.Session()
                    core.register_component("data_loader", loader)
                    who.session = boto3.Session(*keys, region_name=HOME, botocore_session=core)
                    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
        pages(client(who, "iam", HOME), "list_account_aliases", "AccountAliases")
        attempt(lambda: client(who, "organizations", HOME).describe_organization())
        regions = client(who, "ec2", HOME).describe_regions(AllRegions=True)["Regions"]
        who.regions = sorted(
            r["RegionName"] for r in regions if r.get("OptInStatus") != "not-opted-in"
        )
        return who

    def unit(job: tuple[Account, str]) -> None:
        who, region = job
        ct = client(who, "cloudtrail", region)
        for t in ct.describe_trails(includeShadowTrails=True)["trailList"]:
            arn = t["TrailARN"]
            if arn.split(":")[4] == who.account_id and t["HomeRegion"] == region:
                ct.get_trail_status(Name=arn)
                ct.get_event_selectors(TrailName=arn)
        lg = client(who, "logs", region)
        pages(lg, "describe_log_groups", "logGroups")
        pages(lg, "describe_metric_filters", "metricFilters")
        cw = client(who, "cloudwatch", region)
        alarms = pages(cw, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])
        sn = client(who, "sns", region)
        topics = {t["TopicArn"] for t in pages(sn, "list_topics", "Topics")}
        keys = ("AlarmActions", "OKActions", "InsufficientDataActions")
        notified = {x for a in alarms for k in keys for x in a.get(k, []) if ":sns:" in x}
        kms_keys = set()
        for arn in sorted(notified & topics):
            attrs = sn.get_topic_attributes(TopicArn=arn)["Attributes"]
            pages(sn, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
            if attrs.get("KmsMasterKeyId"):
                kms_keys.add(attrs["KmsMasterKeyId"])
        for key in sorted(k for k in kms_keys if not k.endswith("alias/aws/sns")):
            attempt(lambda key=key: client(who, "kms", region).describe_key(KeyId=key))
        attempt(lambda: client(who, "securityhub", region).describe_hub())

    def walk() -> None:
        """The organization's tree: roots, then OUs and accounts per parent."""
        org = client(me, "organizations", HOME)
        pending = [r["Id"] for r in pages(org, "list_roots", "Roots")]
        while pending:
            parent = pending.pop()
            units = pages(
                org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
            )
            pending += [u["Id"] for u in units]
            pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent)

    with ThreadPoolExecutor(workers) as pool:
        tree = pool.submit(walk)
        setups = list(pool.map(setup, sorted(a["Id"] for a in listed)))
        tree.result()
        list(pool.map(unit, [(who, r) for who in setups for r in who.regions]))
    print(json.dumps({"calls": calls}))


if __name__ == "__main__":
    main()
