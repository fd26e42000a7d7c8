"""A fast canned-response AWS endpoint serving the organisation estate (bench/org_estate.py).

    python -m bench.org_server --accounts 1000 [--latency-ms 30 80] [--port 0]

moto answers some 150 requests a second on two cores, far too few for 1,000 accounts ×
17 regions; this small threaded server answers the read APIs the collector calls from the
generated estate, in each service's own protocol (JSON 1.1 for logs, cloudtrail and
organizations, JSON 1.0 for cloudwatch (botocore's choice among the protocols it offers);
REST-JSON for securityhub; query/XML for sns, sts and iam; the EC2 protocol for ec2). Its
shapes are checked the only way that matters:
the real collector (botocore) parses them. Each answer waits the injected latency first.

Replies are rendered once, before the server says it is ready, so serving costs the same
on every run. ``GET /__bench/stats`` reports the requests served per operation.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import socketserver
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from bench import org_estate as est
from tests.awsfake.faultproxy import error_reply

_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/")
_TOKEN = re.compile(rb"tok-(\d+)")
_ARN = re.compile(rb"arn(?::|%3A)aws(?::|%3A)[a-z]+(?::|%3A)[^\"&\s]+")
_SIGNING = {"monitoring": "cloudwatch"}

Reply = tuple[int, dict[str, str], bytes]


# --- encodings ---------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value))


def _json(payload: dict[str, Any], version: str = "1.1") -> Reply:
    body = json.dumps(payload, default=_json_default).encode()
    return 200, {"Content-Type": f"application/x-amz-json-{version}"}, body


class XmlMap(dict[str, str]):
    """A map member of a query-protocol answer (entry/key/value)."""


def _xml(tag: str, value: Any, item: str = "member") -> str:
    if isinstance(value, XmlMap):
        inner = "".join(
            f"<entry><key>{escape(k)}</key><value>{escape(v)}</value></entry>"
            for k, v in value.items()
        )
    elif isinstance(value, dict):
        inner = "".join(_xml(k, v, item) for k, v in value.items() if v is not None)
    elif isinstance(value, list):
        inner = "".join(_xml(item, v, item) for v in value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(str(value))
    return f"<{tag}>{inner}</{tag}>"


def _query(action: str, ns: str, result: dict[str, Any]) -> Reply:
    body = (
        f'<{action}Response xmlns="{ns}">{_xml(f"{action}Result", result)}'
        f"<ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></{action}Response>"
    )
    return 200, {"Content-Type": "text/xml"}, body.encode()


def _page(items: list[Any], op: str, page: int) -> tuple[list[Any], str | None]:
    size = est.PAGE[op]
    chunk = items[page * size : (page + 1) * size]
    more = (page + 1) * size < len(items)
    return chunk, f"tok-{page + 1}" if more else None


def _pages(count: int, op: str) -> int:
    return max(1, -(-count // est.PAGE[op]))


# --- the estate's answers ----------------------------------------------------------------

_SNS = "http://sns.amazonaws.com/doc/2010-03-31/"
_STS = "https://sts.amazonaws.com/doc/2011-06-15/"
_IAM = "https://iam.amazonaws.com/doc/2010-05-08/"


class Answers:
    """The reply to every read the collector makes, rendered from the estate."""

    def __init__(self, accounts: int):
        self.accounts = est.account_ids(accounts)
        self.known = set(self.accounts)
        self._cache: dict[tuple[str, ...], Reply] = {}

    def reply(self, service: str, op: str, acct: str, region: str, arg: str) -> Reply:
        key = (service, op, acct, region, arg)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._render(service, op, acct, region, arg)
        return found

    def warm(self) -> int:
        """Render every reply a full collection asks for; returns how many."""
        for acct in self.accounts:
            a = est.account(acct)
            for op in _ACCOUNT_WIDE:
                self.reply(_SERVICE_OF[op], op, acct, "", "")
            for region in est.REGIONS:
                rd = a.region(region)
                for op, count in (
                    ("DescribeLogGroups", len(rd.log_groups)),
                    ("DescribeMetricFilters", len(rd.metric_filters)),
                    ("DescribeAlarms", len(rd.alarms)),
                    ("ListTopics", len(rd.topics)),
                ):
                    for page in range(_pages(count, op)):
                        self.reply(_SERVICE_OF[op], op, acct, region, str(page))
                self.reply("cloudtrail", "DescribeTrails", acct, region, "")
                self.reply("securityhub", "DescribeHub", acct, region, "")
                for topic, attrs in rd.topic_attributes.items():
                    self.reply("sns", "GetTopicAttributes", acct, region, topic)
                    subs = sum(1 for s in rd.subscriptions if s["TopicArn"] == topic)
                    for page in range(_pages(subs, "ListSubscriptionsByTopic")):
                        self.reply(
                            "sns", "ListSubscriptionsByTopic", acct, region, f"{topic}|{page}"
                        )
                    if "KmsMasterKeyId" in attrs:
                        self.reply("kms", "DescribeKey", acct, region, attrs["KmsMasterKeyId"])
            for t in a.trails_seen(est.HOME):
                self.reply("cloudtrail", "GetTrailStatus", t.owner, t.home, t.arn)
                self.reply("cloudtrail", "GetEventSelectors", t.owner, t.home, t.arn)
        return len(self._cache)

    def _render(self, service: str, op: str, acct: str, region: str, arg: str) -> Reply:
        a = est.account(acct)
        rd = a.region(region)
        page = int(arg) if arg.isdigit() else 0
        if op == "GetCallerIdentity":
            arn = f"arn:aws:iam::{acct}:user/bench"
            result = {"Arn": arn, "UserId": "AIDABENCH", "Account": acct}
            return _query(op, _STS, result)
        if op == "ListAccountAliases":
            return _query(op, _IAM, {"AccountAliases": [a.alias], "IsTruncated": False})
        if op == "DescribeRegions":
            infos = [(r, "opt-in-not-required") for r in est.REGIONS]
            infos += [(r, "not-opted-in") for r in est.OPT_IN_REGIONS]
            items = "".join(
                f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com"
                f"</regionEndpoint><optInStatus>{s}</optInStatus></item>"
                for r, s in infos
            )
            body = (
                '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                f"<requestId>bench</requestId><regionInfo>{items}</regionInfo>"
                "</DescribeRegionsResponse>"
            )
            return 200, {"Content-Type": "text/xml"}, body.encode()
        if op == "DescribeOrganization":
            return _json(
                {
                    "Organization": {
                        "Id": est.ORG_ID,
                        "Arn": f"arn:aws:organizations::{est.MANAGEMENT}:organization/{est.ORG_ID}",
                        "FeatureSet": "ALL",
                        "MasterAccountArn": (
                            f"arn:aws:organizations::{est.MANAGEMENT}:account/{est.ORG_ID}/"
                            f"{est.MANAGEMENT}"
                        ),
                        "MasterAccountId": est.MANAGEMENT,
                        "MasterAccountEmail": "aws-root@example.com",
                    }
                }
            )
        if op == "ListAccounts":
            chunk, token = _page(self._listed(), op, page)
            return _json({"Accounts": chunk, **({"NextToken": token} if token else {})})
        if op == "ListRoots":
            org = f"arn:aws:organizations::{est.MANAGEMENT}"
            root = {
                "Id": est.ROOT,
                "Arn": f"{org}:root/{est.ORG_ID}/{est.ROOT}",
                "Name": "Root",
                "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
            }
            return _json({"Roots": [root]})
        if op == "ListOrganizationalUnitsForParent":
            parent, _, page_text = arg.partition("/")
            units = [
                {
                    "Id": ou,
                    "Arn": f"arn:aws:organizations::{est.MANAGEMENT}:ou/{est.ORG_ID}/{ou}",
                    "Name": name,
                }
                for ou, (name, up) in est.OUS.items()
                if up == parent
            ]
            chunk, token = _page(units, op, int(page_text or 0))
            return _json({"OrganizationalUnits": chunk, **({"NextToken": token} if token else {})})
        if op == "ListAccountsForParent":
            parent, _, page_text = arg.partition("/")
            placed = [a for a in self._listed() if est.parent_of(a["Id"]) == parent]
            chunk, token = _page(placed, op, int(page_text or 0))
            return _json({"Accounts": chunk, **({"NextToken": token} if token else {})})
        if op == "DescribeTrails":
            return _json({"trailList": [t.listed() for t in a.trails_seen(region)]})
        if op in ("GetTrailStatus", "GetEventSelectors"):
            trail = est.trail(arg)
            if trail is None or trail.owner != acct or trail.home != region:
                return self._error(service, "TrailNotFoundException", f"Unknown trail: {arg}")
            return _json(trail.status() if op == "GetTrailStatus" else trail.selectors())
        if op == "DescribeLogGroups":
            chunk, token = _page(rd.log_groups, op, page)
            return _json({"logGroups": chunk, **({"nextToken": token} if token else {})})
        if op == "DescribeMetricFilters":
            chunk, token = _page(rd.metric_filters, op, page)
            return _json({"metricFilters": chunk, **({"nextToken": token} if token else {})})
        if op == "DescribeAlarms":
            chunk, token = _page(rd.alarms, op, page)
            payload: dict[str, Any] = {"MetricAlarms": chunk, "CompositeAlarms": []}
            if token:
                payload["NextToken"] = token
            return _json(payload, "1.0")
        if op == "ListTopics":
            chunk, token = _page([{"TopicArn": t} for t in rd.topics], op, page)
            return _query(op, _SNS, {"Topics": chunk, "NextToken": token})
        if op == "ListSubscriptionsByTopic":
            topic, _, page_text = arg.partition("|")
            if topic not in rd.topic_attributes:
                return self._error(service, "NotFound", "Topic does not exist")
            subs = [s for s in rd.subscriptions if s["TopicArn"] == topic]
            chunk, token = _page(subs, op, int(page_text or 0))
            return _query(op, _SNS, {"Subscriptions": chunk, "NextToken": token})
        if op == "DescribeKey":
            key_id = arg.rsplit("/", 1)[-1]
            meta = {
                "AWSAccountId": acct,
                "KeyId": key_id,
                "Arn": f"arn:aws:kms:{region}:{acct}:key/{key_id}",
                "CreationDate": est.T0,
                "Enabled": True,
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeyState": "Enabled",
                "Origin": "AWS_KMS",
                "KeyManager": "CUSTOMER",
                "KeySpec": "SYMMETRIC_DEFAULT",
            }
            return _json({"KeyMetadata": meta})
        if op == "GetTopicAttributes":
            attrs = rd.topic_attributes.get(arg)
            if attrs is None:
                return self._error(service, "NotFound", "Topic does not exist")
            return _query(op, _SNS, {"Attributes": XmlMap(attrs)})
        if op == "DescribeHub":
            if not rd.hub:
                return self._error(
                    service, "InvalidAccessException", f"Account {acct} is not subscribed"
                )
            hub = {
                "HubArn": f"arn:aws:securityhub:{region}:{acct}:hub/default",
                "SubscribedAt": "2024-03-01T00:00:00.000Z",
                "AutoEnableControls": True,
                "ControlFindingGenerator": "SECURITY_CONTROL",
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(hub).encode()
        return self._error(service, "InvalidAction", f"the bench server does not answer {op}")

    def _listed(self) -> list[dict[str, Any]]:
        return [
            {
                "Id": x,
                "Arn": f"arn:aws:organizations::{est.MANAGEMENT}:account/{est.ORG_ID}/{x}",
                "Email": f"aws+{x}@example.com",
                "Name": est.account(x).alias,
                "Status": "ACTIVE",
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": est.T0,
            }
            for x in self.accounts
        ]

    @staticmethod
    def _error(service: str, code: str, message: str) -> Reply:
        headers, body = error_reply(service, code, message, 400, {})
        return 400, headers, body


# Answers that do not depend on the region asked.
_ACCOUNT_WIDE = ("DescribeOrganization", "ListAccountAliases", "DescribeRegions")
_SERVICE_OF = {
    "DescribeOrganization": "organizations",
    "ListAccountAliases": "iam",
    "DescribeRegions": "ec2",
    "DescribeLogGroups": "logs",
    "DescribeMetricFilters": "logs",
    "DescribeAlarms": "cloudwatch",
    "ListTopics": "sns",
}


def _operation(service: str, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[1].split("?")[0]
    if service == "securityhub" and method == "GET" and path.startswith("/accounts"):
        return "DescribeHub"
    return parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]


def _assume_role(body: bytes) -> Reply:
    role_arn = parse_qs(body.decode())["RoleArn"][0]
    acct = role_arn.split(":")[4]
    result = {
        "Credentials": {
            "AccessKeyId": f"ASIA{acct}",
            "SecretAccessKey": "bench-secret",
            "SessionToken": f"bench-token-{acct}",
            "Expiration": "2030-01-01T00:00:00Z",
        },
        "AssumedRoleUser": {
            "AssumedRoleId": f"AROABENCH:{acct}",
            "Arn": f"arn:aws:sts::{acct}:assumed-role/{est.ROLE}/watchkeeper",
        },
    }
    return _query("AssumeRole", _STS, result)


class Server:
    def __init__(self, accounts: int, latency_ms: tuple[float, float], port: int = 0):
        self.answers = Answers(accounts)
        self.latency = (latency_ms[0] / 1000, latency_ms[1] / 1000)
        self.served: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._rng = random.Random(7)
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def handle(self) -> None:
                while owner.serve_one(self.rfile, self.wfile):
                    pass

        class ThreadedServer(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 1024

        self.server = ThreadedServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve_one(self, rfile: Any, wfile: Any) -> bool:
        line = rfile.readline(65537)
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (h := rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = rfile.read(int(headers.get("content-length") or 0))
        if path.startswith("/__bench/stats"):
            with self._lock:
                status, extra, payload = 200, {}, json.dumps(self.served).encode()
        else:
            status, extra, payload = self._answer(method, path, headers, body)
            with self._lock:
                delay = self._rng.uniform(*self.latency)
            time.sleep(delay)
        head = f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        head += f"Content-Length: {len(payload)}\r\nx-amzn-RequestId: bench\r\n\r\n"
        try:
            wfile.write(head.encode() + payload)
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        scope = _SCOPE.search(headers.get("authorization", ""))
        key, region, service = scope.groups() if scope else ("", "", "unknown")
        service = _SIGNING.get(service, service)
        op = _operation(service, method, path, headers, body)
        with self._lock:
            self.served[f"{service}:{op}"] += 1
        acct = est.MANAGEMENT if key == est.CALLER_KEY else key.removeprefix("ASIA")
        if "smithy-protocol" in headers:  # botocore talks JSON to cloudwatch unless told not to
            return 400, *error_reply(service, "UnsupportedProtocol", "CBOR: not here", 400, headers)
        if acct not in self.answers.known:
            return self.answers._error(service, "InvalidClientTokenId", f"unknown key {key}")
        if op == "AssumeRole":
            return _assume_role(body)
        if op in ("GetTrailStatus", "GetEventSelectors", "GetTopicAttributes", "DescribeKey"):
            found = _ARN.search(body)
            arg = found.group(0).decode().replace("%3A", ":") if found else ""
        elif op == "ListSubscriptionsByTopic":
            found, token = _ARN.search(body), _TOKEN.search(body)
            topic = found.group(0).decode().replace("%3A", ":") if found else ""
            arg = f"{topic}|{token.group(1).decode() if token else 0}"
        elif op in ("ListOrganizationalUnitsForParent", "ListAccountsForParent"):
            parent = json.loads(body)["ParentId"]
            token = _TOKEN.search(body)
            arg = f"{parent}/{token.group(1).decode() if token else 0}"
        else:
            token = _TOKEN.search(body)
            arg = token.group(1).decode() if token else ""
        if op in _ACCOUNT_WIDE:
            region = ""
        return self.answers.reply(service, op, acct, region, arg)

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--latency-ms", type=float, nargs=2, default=(30.0, 80.0))
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    server = Server(args.accounts, tuple(args.latency_ms), args.port)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    rendered = server.answers.warm()
    print(
        json.dumps(
            {"url": server.url, "replies": rendered, "render_s": round(time.perf_counter() - t0)}
        ),
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
