"""The appendix of raw API objects: each object a verdict cites, as collected, listed once.

Verdicts point into the appendix by anchor; an object cited by many verdicts (a shared
organization trail, one topic for every alarm) gets one entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import duckdb

from watchkeeper.jsonutil import loads_lenient
from watchkeeper.queries.evidence import ChainObjects
from watchkeeper.reports.model.display import pretty_json
from watchkeeper.reports.model.types import RawObject, RawRef
from watchkeeper.reports.redact import Redactor
from watchkeeper.store import rows as _rows

__all__ = ["RawIndex", "compact"]


def compact(o: RawObject) -> RawObject:
    """The object's JSON on one (wrapped) line: an appendix of hundreds of objects would
    spend most of its pages on pretty JSON's line per key."""
    text = json.dumps(json.loads(o.json), sort_keys=True, ensure_ascii=False)
    return replace(o, json=text)


class RawIndex:
    """The collected API objects of the run's snapshots, looked up by the names in a chain.

    Each object is loaded once per table (one query each, not one per verdict) and given
    one appendix entry however many verdicts cite it.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot_ids: list[int],
        redactor: Redactor | None,
    ):
        self.redactor = redactor
        self.objects: dict[tuple[str, ...], RawObject] = {}
        ids = [int(i) for i in snapshot_ids]

        def load(table: str, columns: str, order: str = "") -> list[dict[str, Any]]:
            return _rows(
                con,
                f"SELECT snapshot_id, account_id, region, {columns}, raw FROM history.{table} "
                f"WHERE list_contains(?, snapshot_id) {order}",
                [ids],
            )

        def keyed(found: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], Any]:
            return {(r["snapshot_id"], *(r[k] for k in key)): r for r in found}

        def grouped(found: list[dict[str, Any]], key: str) -> dict[tuple[int, str], Any]:
            groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
            for r in found:
                groups.setdefault((r["snapshot_id"], r[key]), []).append(r)
            return groups

        # Later rows win: the home-region copy listed by the owner.
        self.trails = keyed(
            load(
                "aws_cloudtrail_trail",
                "arn, name, raw_status, raw_event_selectors",
                "ORDER BY is_shadow DESC, (account_id = owner_account_id)",
            ),
            "arn",
        )
        self.log_groups = keyed(
            load("aws_cloudwatch_log_group", "name, arn"), "account_id", "region", "name"
        )
        self.filters = keyed(
            load("aws_cloudwatch_log_metric_filter", "log_group_name, name"),
            "account_id",
            "region",
            "log_group_name",
            "name",
        )
        self.alarms = keyed(load("aws_cloudwatch_alarm", "name, arn"), "arn")
        self.topics = keyed(load("aws_sns_topic", "name, topic_arn"), "topic_arn")
        self.subscriptions = grouped(
            load(
                "aws_sns_topic_subscription",
                "topic_arn, subscription_arn",
                "ORDER BY subscription_arn",
            ),
            "topic_arn",
        )
        self.hubs = grouped(
            load("aws_securityhub_hub", "subscribed, hub_arn", "ORDER BY region"), "account_id"
        )

    def restart(self) -> None:
        """Begin a new appendix (the next evidence pack), keeping the loaded tables."""
        self.objects = {}

    def _add(
        self, key: tuple[str, ...], kind: str, title: str, row: dict[str, Any], value: Any
    ) -> RawRef:
        obj = self.objects.get(key)
        if obj is None:
            if self.redactor is not None:
                value = self.redactor.json(value)
                title = self.redactor.text(title)
            obj = RawObject(
                anchor=f"raw-{len(self.objects) + 1}",
                kind=kind,
                title=title,
                account_id=str(row["account_id"]),
                region=row.get("region"),
                json=pretty_json(value),
            )
            self.objects[key] = obj
        return RawRef(kind, obj.title, obj.anchor)

    def _ref(
        self,
        kind_key: str,
        kind: str,
        table: dict[Any, dict[str, Any]],
        lookup: tuple[Any, ...],
        title: Callable[[dict[str, Any]], str],
        value: Callable[[dict[str, Any]], Any] = lambda row: loads_lenient(row["raw"]),
    ) -> RawRef | None:
        """The appendix entry of the row ``table`` holds under ``lookup``, if it holds one."""
        row = table.get(lookup)
        if row is None:
            return None
        return self._add((kind_key, *map(str, lookup)), kind, title(row), row, value(row))

    def for_chain(self, snapshot_id: int, chain: ChainObjects) -> list[RawRef]:
        """Entries of the chain's objects, in chain order (subscriptions last)."""
        trail, lg, mf = chain["trail"], chain["log_group"], chain["metric_filter"]
        alarm, topic = chain["alarm"], chain["topic"]
        lg_key = (snapshot_id, lg["account_id"], lg["region"], lg["name"])
        found = [
            self._ref(
                "trail",
                "trail",
                self.trails,
                (snapshot_id, trail["arn"]),
                lambda row: row["arn"],
                lambda row: {
                    "DescribeTrails": loads_lenient(row["raw"]),
                    "GetTrailStatus": loads_lenient(row["raw_status"]),
                    "GetEventSelectors": loads_lenient(row["raw_event_selectors"]),
                },
            ),
            self._ref("log_group", "log group", self.log_groups, lg_key, lambda row: row["arn"]),
        ]
        if mf:
            found.append(
                self._ref(
                    "filter",
                    "metric filter",
                    self.filters,
                    (*lg_key, mf["name"]),
                    lambda row: f"{row['log_group_name']} / {row['name']}",
                )
            )
        if alarm:
            found.append(
                self._ref(
                    "alarm",
                    "alarm",
                    self.alarms,
                    (snapshot_id, alarm["arn"]),
                    lambda row: row["arn"],
                )
            )
        if topic:
            found.append(
                self._ref(
                    "topic",
                    "SNS topic",
                    self.topics,
                    (snapshot_id, topic["arn"]),
                    lambda row: row["topic_arn"],
                )
            )
            for sub in self.subscriptions.get((snapshot_id, topic["arn"]), []):
                found.append(
                    self._add(
                        ("subscription", str(snapshot_id), topic["arn"], sub["subscription_arn"]),
                        "subscription",
                        sub["subscription_arn"],
                        sub,
                        loads_lenient(sub["raw"]),
                    )
                )
        return [ref for ref in found if ref is not None]

    def for_hub(self, snapshot_id: int, account_id: str) -> list[RawRef]:
        refs = []
        for row in self.hubs.get((snapshot_id, account_id), []):
            value = loads_lenient(row["raw"])
            if value is None:
                value = {"subscribed": row["subscribed"], "note": "DescribeHub: not enabled"}
            refs.append(
                self._add(
                    ("hub", str(snapshot_id), account_id, row["region"]),
                    "Security Hub",
                    f"{account_id} {row['region']}",
                    row,
                    value,
                )
            )
        return refs
