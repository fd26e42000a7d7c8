"""A small HTTP proxy between boto3 and the moto server that can inject faults.

It forwards every request to moto, records which operation each request was, makes
moto's answer say what AWS would where moto falls short (``gaps.py``: composite alarms,
paging, CloudWatch Logs delivery fields, default event selectors, organization trails seen
from members; on for every test), and applies rules: answer with an AWS-shaped error
(throttling, AccessDenied, …) instead of forwarding, or rewrite the answer (pending
subscriptions, delivery errors) — states moto cannot produce. The product under test still
speaks real HTTP.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

from tests.awsfake.gaps import AwsGaps

_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/")

# Protocol per service, to shape error bodies the way botocore parses them.
_JSON = {"logs", "cloudtrail", "organizations"}
_QUERY = {"sns", "sts", "iam"}
_REST = {"securityhub", "account"}
# Signing names that differ from the boto3 service name.
_SIGNING_NAMES = {"monitoring": "cloudwatch"}


@dataclass(frozen=True)
class Request:
    service: str
    operation: str
    region: str
    access_key: str
    body: bytes


@dataclass
class Rule:
    """Matches requests by service/operation (and optionally region or a predicate)."""

    service: str
    operation: str | None = None
    region: str | None = None
    # error reply
    status: int = 400
    code: str | None = None
    message: str = "injected by faultproxy"
    # or a rewrite of moto's reply body
    rewrite: Callable[[bytes], bytes] | None = None
    # or an answer in moto's place (status 200), for operations moto does not implement
    answer: Callable[[Request], bytes] | None = None
    # or a delay before forwarding (seconds)
    delay: float = 0.0
    times: int | None = None  # None: every matching request
    when: Callable[[Request], bool] | None = None
    hits: int = 0

    def matches(self, req: Request) -> bool:
        if self.service != req.service:
            return False
        if self.operation is not None and self.operation != req.operation:
            return False
        if self.region is not None and self.region != req.region:
            return False
        if self.when is not None and not self.when(req):
            return False
        return self.times is None or self.hits < self.times


def _cbor_text(s: str) -> bytes:
    data = s.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 | n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    return head + data


def _cbor_map(items: dict[str, str]) -> bytes:
    out = bytes([0xA0 | len(items)])
    for k, v in items.items():
        out += _cbor_text(k) + _cbor_text(v)
    return out


def error_reply(
    service: str, code: str, message: str, status: int, request_headers: dict[str, str]
) -> tuple[dict[str, str], bytes]:
    if "smithy-protocol" in request_headers:
        body = _cbor_map({"__type": code, "message": message})
        return {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}, body
    if service in _JSON or "x-amz-target" in request_headers:
        body = json.dumps({"__type": code, "message": message}).encode()
        return {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    if service in _REST:
        body = json.dumps({"message": message, "Code": code}).encode()
        return {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body
    if service == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>faultproxy</RequestID></Response>"
        )
        return {"Content-Type": "text/xml"}, xml.encode()
    xml = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>faultproxy</RequestId></ErrorResponse>"
    )
    return {"Content-Type": "text/xml"}, xml.encode()


def _operation(service: str, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    m = re.search(r"/operation/([A-Za-z]+)", path)
    if m:
        return m.group(1)
    if service in _REST:
        if service == "securityhub" and method == "GET":
            rest = {"/accounts": "DescribeHub", "/tags/": "ListTagsForResource"}
            rest["/administrator"] = "GetAdministratorAccount"
            for prefix, name in rest.items():
                if path.startswith(prefix):
                    return name
        return f"{method} {path.split('?')[0]}"
    params = parse_qs(urlsplit(path).query)
    if body:
        params.update(parse_qs(body.decode("utf-8", "replace")))
    return params.get("Action", ["?"])[0]


def with_subscriptions(extra: list[dict[str, str]]) -> Callable[[bytes], bytes]:
    """A rewrite for ListSubscriptionsByTopic that adds ``extra`` (Query-protocol members:
    SubscriptionArn, Owner, Protocol, Endpoint, TopicArn) to moto's page.

    AWS lists every subscription of a topic to the topic's owner, including those another
    account owns (its SQS queue, Lambda function or e-mail); moto keeps such a subscription
    in the subscriber's account only, so the owner's listing would miss it."""
    members = b"".join(
        b"<member>"
        + b"".join(f"<{k}>{xml_escape(v)}</{k}>".encode() for k, v in sub.items() if v is not None)
        + b"</member>"
        for sub in extra
    )

    def rewrite(body: bytes) -> bytes:
        if b"<Subscriptions/>" in body:
            return body.replace(
                b"<Subscriptions/>", b"<Subscriptions>" + members + b"</Subscriptions>"
            )
        return body.replace(b"<Subscriptions>", b"<Subscriptions>" + members, 1)

    return rewrite


class FaultProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.rules: list[Rule] = []
        self.gaps = AwsGaps(self._forward)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                scope = _SCOPE.search(headers.get("authorization", ""))
                key, region, service = scope.groups() if scope else ("", "", "unknown")
                service = _SIGNING_NAMES.get(service, service)
                op = _operation(service, self.command, self.path, headers, body)
                req = Request(service, op, region, key, body)
                rule = proxy._match(req)
                if rule is not None and rule.delay:
                    time.sleep(rule.delay)
                if rule is not None and rule.code is not None:
                    extra, payload = error_reply(
                        service, rule.code, rule.message, rule.status, headers
                    )
                    self._reply(rule.status, extra, payload)
                    return
                if rule is not None and rule.answer is not None:
                    kind = "application/x-amz-json-1.1" if service in _JSON else "application/json"
                    self._reply(200, {"Content-Type": kind}, rule.answer(req))
                    return
                local = proxy.gaps.answer(service, op, region, headers, body)
                if local is not None:
                    self._reply(*local)
                    return
                status, reply_headers, payload = proxy._forward(
                    self.command, self.path, headers, body
                )
                payload = proxy.gaps.adjust(service, op, region, headers, body, status, payload)
                if rule is not None and rule.rewrite is not None:
                    payload = rule.rewrite(payload)
                self._reply(status, reply_headers, payload)

            def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "date",
                        "server",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                # The client may have gone away (a killed collection): nothing to tell it.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()
        self.gaps.reset()

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def _match(self, req: Request) -> Rule | None:
        with self._lock:
            self.requests.append(req)
            for rule in self.rules:
                if rule.matches(req):
                    rule.hits += 1
                    return rule
        return None

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            fwd = {k: v for k, v in headers.items() if k not in ("connection", "keep-alive")}
            conn.request(method, path, body=body or None, headers=fwd)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def operations(self, service: str | None = None) -> list[str]:
        with self._lock:
            return [r.operation for r in self.requests if service in (None, r.service)]

    def count(self, service: str, operation: str) -> int:
        return sum(
            1 for r in list(self.requests) if r.service == service and r.operation == operation
        )
