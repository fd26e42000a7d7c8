"""What moto 5.2 lacks and real AWS does, supplied by the fault proxy for every test.

``reference/aws-fidelity.md`` lists the places where moto and AWS differ. The proxy closes
them here, between boto3 and moto, so the product still speaks real HTTP to a server that
answers as AWS would:

- **Composite alarms**: moto has no PutCompositeAlarm. The proxy keeps them per account
  and region and adds them to DescribeAlarms answers — only when ``AlarmTypes`` asks for
  them, as AWS does.
- **Paging**: moto answers DescribeAlarms and DescribeMetricFilters in one page and echoes
  the token back. The proxy serves pages of ``MaxRecords``/``limit`` (AWS's default and
  maximum: 50 filters; alarms up to 100, 50 when not asked) with a real token.
- **Delivery to CloudWatch Logs**: moto's GetTrailStatus never has
  ``LatestCloudWatchLogsDeliveryTime``. A logging trail with a log group gets a recent
  delivery time; :meth:`AwsGaps.delivery` sets another state per trail (never delivered,
  a delivery error, logging since days).
- **Default event selectors**: moto answers ``[]`` for a trail that never had selectors
  set; AWS answers the default selector. With advanced selectors AWS leaves
  ``EventSelectors`` out.
- **Organization trails seen from a member**: moto does not model them. With
  :meth:`AwsGaps.organization_trail`, member accounts' DescribeTrails list the owner's
  trail, with the owner's ARN and log group; their calls on it by name or ARN fail as in
  AWS (moto answers TrailNotFoundException, the member has no such trail).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# (method, path, headers, body) → (status, headers, body), straight to moto
Forward = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]

_CT_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
_KEY = re.compile(r"Credential=([^/]+)/(\d+)/([^/]+)/([^/]+)/")
# AWS's page sizes: (default, maximum).
PAGES: dict[str, tuple[int, int]] = {"DescribeAlarms": (50, 100), "DescribeMetricFilters": (50, 50)}
_TOKEN = "wk-page-"
# The moment delivery times are counted back from: fixed for the test process, so two
# collections of one estate (a clean and a throttled one, say) read the same GetTrailStatus.
_NOW = time.time()


@dataclass
class Delivery:
    """A trail's CloudWatch Logs delivery as GetTrailStatus reports it."""

    delivered_ago: timedelta | None = timedelta(minutes=2)  # None: never delivered
    error: str | None = None  # LatestCloudWatchLogsDeliveryError
    started_ago: timedelta | None = None  # StartLoggingTime; None: as moto says (now)


@dataclass
class OrgTrail:
    trail: dict[str, Any]  # the owner's DescribeTrails entry
    members: frozenset[str]


@dataclass
class AwsGaps:
    forward: Forward
    enabled: bool = True
    composites: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)  # by trail ARN
    org_trails: list[OrgTrail] = field(default_factory=list)
    _accounts: dict[str, str] = field(default_factory=dict)  # access key → account
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.enabled = True
            self.composites.clear()
            self.deliveries.clear()
            self.org_trails.clear()
            self._accounts.clear()

    # --- what tests set ----------------------------------------------------------------

    def delivery(self, trail_arn: str, state: Delivery) -> None:
        with self._lock:
            self.deliveries[trail_arn] = state

    def organization_trail(self, trail: dict[str, Any], members: list[str]) -> None:
        """Show ``trail`` (as its owner's DescribeTrails lists it) to member accounts."""
        with self._lock:
            self.org_trails.append(OrgTrail(trail, frozenset(members)))

    def suppress(self, account: str, region: str, name: str, by: str, reason: str) -> None:
        """Mark a composite's actions as suppressed now (ActionsSuppressedBy)."""
        with self._lock:
            alarm = self.composites[(account, region)][name]
            alarm["ActionsSuppressedBy"] = by
            alarm["ActionsSuppressedReason"] = reason

    # --- the proxy's hooks ---------------------------------------------------------------

    def answer(
        self, service: str, operation: str, region: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes] | None:
        """A reply for a request moto cannot serve at all, else None (forward it)."""
        if not self.enabled or (service, operation) != ("cloudwatch", "PutCompositeAlarm"):
            return None
        req = json.loads(body or b"{}")
        account = self.account_of(headers)
        name = req["AlarmName"]
        alarm = {
            "AlarmName": name,
            "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
            "AlarmDescription": req.get("AlarmDescription"),
            "AlarmRule": req["AlarmRule"],
            "ActionsEnabled": req.get("ActionsEnabled", True),
            "AlarmActions": req.get("AlarmActions", []),
            "OKActions": req.get("OKActions", []),
            "InsufficientDataActions": req.get("InsufficientDataActions", []),
            "StateValue": "INSUFFICIENT_DATA",
            "StateReason": "Unchecked: Initial alarm creation",
            "StateUpdatedTimestamp": time.time(),
            "AlarmConfigurationUpdatedTimestamp": time.time(),
            "ActionsSuppressedBy": "None",
        }
        for key in (
            "ActionsSuppressor",
            "ActionsSuppressorWaitPeriod",
            "ActionsSuppressorExtensionPeriod",
        ):
            if key in req:
                alarm[key] = req[key]
        with self._lock:
            self.composites.setdefault((account, region), {})[name] = {
                k: v for k, v in alarm.items() if v is not None
            }
        ctype = headers.get("content-type", "application/x-amz-json-1.0")
        return 200, {"Content-Type": ctype}, b"{}"

    def adjust(
        self,
        service: str,
        operation: str,
        region: str,
        headers: dict[str, str],
        body: bytes,
        status: int,
        payload: bytes,
    ) -> bytes:
        """moto's reply, made to say what AWS would."""
        if not self.enabled or status != 200:
            return payload
        if (service, operation) == ("cloudwatch", "DescribeAlarms"):
            return self._alarms(region, headers, json.loads(body or b"{}"), json.loads(payload))
        if (service, operation) == ("logs", "DescribeMetricFilters"):
            req = json.loads(body or b"{}")
            doc = json.loads(payload)
            items, token = _page(
                doc.get("metricFilters", []), req.get("limit"), req.get("nextToken"), operation
            )
            doc["metricFilters"] = items
            doc.pop("nextToken", None)
            if token:
                doc["nextToken"] = token
            return json.dumps(doc).encode()
        if service != "cloudtrail":
            return payload
        if operation == "GetTrailStatus":
            return self._trail_status(headers, json.loads(body or b"{}"), json.loads(payload))
        if operation == "GetEventSelectors":
            return _selectors(json.loads(payload))
        if operation == "DescribeTrails":
            return self._member_view(region, headers, json.loads(body or b"{}"), payload)
        return payload

    # --- the gaps ------------------------------------------------------------------------

    def account_of(self, headers: dict[str, str]) -> str:
        """The account a request acts in, as moto maps its access key (asked once per key)."""
        auth = headers.get("authorization", "")
        m = _KEY.search(auth)
        key = m.group(1) if m else ""
        with self._lock:
            if key in self._accounts:
                return self._accounts[key]
        sts_auth = _KEY.sub(lambda x: f"Credential={x[1]}/{x[2]}/{x[3]}/sts/", auth, count=1)
        ask = {"authorization": sts_auth, "content-type": "application/x-www-form-urlencoded"}
        if "x-amz-security-token" in headers:
            ask["x-amz-security-token"] = headers["x-amz-security-token"]
        _, _, reply = self.forward("POST", "/", ask, b"Action=GetCallerIdentity&Version=2011-06-15")
        found = re.search(rb"<Account>(\d+)</Account>", reply)
        if found is None:
            raise RuntimeError(f"moto did not say which account key {key} acts in")
        account = found.group(1).decode()
        with self._lock:
            self._accounts[key] = account
        return account

    def _alarms(
        self, region: str, headers: dict[str, str], req: dict[str, Any], doc: dict[str, Any]
    ) -> bytes:
        types = req.get("AlarmTypes") or ["MetricAlarm"]
        metric = doc.get("MetricAlarms", []) if "MetricAlarm" in types else []
        composite: list[dict[str, Any]] = []
        if "CompositeAlarm" in types:
            account = self.account_of(headers)
            with self._lock:
                known = dict(self.composites.get((account, region), {}))
            names, prefix = req.get("AlarmNames"), req.get("AlarmNamePrefix")
            composite = [
                a
                for n, a in sorted(known.items())
                if (not names or n in names) and (not prefix or n.startswith(prefix))
            ]
        tagged = [("MetricAlarms", a) for a in metric] + [("CompositeAlarms", a) for a in composite]
        page, token = _page(tagged, req.get("MaxRecords"), req.get("NextToken"), "DescribeAlarms")
        out: dict[str, Any] = {"MetricAlarms": [], "CompositeAlarms": []}
        for key, alarm in page:
            out[key].append(alarm)
        if token:
            out["NextToken"] = token
        return json.dumps(out).encode()

    def _trail(self, headers: dict[str, str], name: str) -> dict[str, Any] | None:
        ask = {k: v for k, v in headers.items() if k in ("authorization", "x-amz-security-token")}
        ask["x-amz-target"] = f"{_CT_TARGET}.GetTrail"
        ask["content-type"] = "application/x-amz-json-1.1"
        status, _, reply = self.forward("POST", "/", ask, json.dumps({"Name": name}).encode())
        if status != 200:
            return None
        trail: dict[str, Any] = json.loads(reply).get("Trail") or {}
        return trail or None

    def _trail_status(
        self, headers: dict[str, str], req: dict[str, Any], doc: dict[str, Any]
    ) -> bytes:
        trail = self._trail(headers, req.get("Name", ""))
        if trail is None or not trail.get("CloudWatchLogsLogGroupArn"):
            return json.dumps(doc).encode()  # AWS: no delivery fields without a log group
        with self._lock:
            state = self.deliveries.get(trail.get("TrailARN", ""), Delivery())
        now = _NOW
        if state.started_ago is not None:
            doc["StartLoggingTime"] = now - state.started_ago.total_seconds()
        if state.delivered_ago is not None and (doc.get("IsLogging") or state.error):
            doc["LatestCloudWatchLogsDeliveryTime"] = now - state.delivered_ago.total_seconds()
        if state.error:
            doc["LatestCloudWatchLogsDeliveryError"] = state.error
        return json.dumps(doc).encode()

    def _member_view(
        self, region: str, headers: dict[str, str], req: dict[str, Any], payload: bytes
    ) -> bytes:
        with self._lock:
            org = list(self.org_trails)
        if not org:
            return payload
        account = self.account_of(headers)
        doc = json.loads(payload)
        listed = doc.setdefault("trailList", [])
        shadows = req.get("includeShadowTrails", True)
        for o in org:
            home = o.trail.get("HomeRegion")
            if account in o.members and (shadows or home == region):
                listed.append(o.trail)
        return json.dumps(doc).encode()


def _page(
    items: list[Any], limit: int | None, token: str | None, operation: str
) -> tuple[list[Any], str | None]:
    default, most = PAGES[operation]
    size = min(int(limit or default), most)
    # A token not ours (another rule's pager, or moto's echo) starts at the beginning.
    start = int(token[len(_TOKEN) :]) if token and token.startswith(_TOKEN) else 0
    end = start + size
    return items[start:end], (f"{_TOKEN}{end}" if end < len(items) else None)


def _selectors(doc: dict[str, Any]) -> bytes:
    advanced = doc.get("AdvancedEventSelectors") or []
    basic = doc.get("EventSelectors") or []
    if advanced:
        doc.pop("EventSelectors", None)
    elif not basic:
        # A trail that never had selectors set: AWS answers the default selector.
        doc["EventSelectors"] = [
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [],
                "ExcludeManagementEventSources": [],
            }
        ]
        doc.pop("AdvancedEventSelectors", None)
    else:
        doc.pop("AdvancedEventSelectors", None)
    return json.dumps(doc).encode()
