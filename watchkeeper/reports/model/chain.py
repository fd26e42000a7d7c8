"""The drawn chain of a metric-filter verdict: one box per object, its links checked off.

Boxes, their links and the links' labels come from the link registry (`queries.links`);
this module only lays the evidence out box by box.
"""

from __future__ import annotations

from watchkeeper.queries.evidence import ChainObjects, CompositeObject, LinkVerdict
from watchkeeper.queries.links import BOXES, LINKS
from watchkeeper.reports.model.display import field_text
from watchkeeper.reports.model.types import ChainBox, LinkCheck, LinkState

__all__ = ["BOX_LINKS", "LINK_LABELS", "chain_boxes"]

# Which box of the drawn chain each link belongs to, in chain order: (box, label, links).
BOX_LINKS: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    (box, label, tuple(link.name for link in LINKS if link.box == box)) for box, label in BOXES
)
LINK_LABELS: dict[str, str] = {link.name: link.label for link in LINKS}

# What a box shows: the object's name (None: not found), its ARN and its details.
_Shown = tuple[str | None, str | None, list[tuple[str, str]]]


def _link_state(held: bool | None) -> LinkState:
    return "held" if held is True else "broken" if held is False else "unknown"


def _through(composite: CompositeObject | None) -> list[tuple[str, str]]:
    """The composite alarm the alarm notifies through, if any: it sends the notification,
    so the actions and SNS rows that follow are its own."""
    if composite is None:
        return []
    rows = [
        ("notifies through composite", composite["name"]),
        ("composite rule", composite["alarm_rule"]),
    ]
    if composite["actions_suppressor"]:
        rows.append(
            (
                "actions suppressor",
                f"{composite['actions_suppressor']} "
                f"(suppressed now: {field_text(composite['actions_suppressed_by'])})",
            )
        )
    return rows


def _objects(chain: ChainObjects) -> dict[str, _Shown]:
    trail, lg, mf = chain["trail"], chain["log_group"], chain["metric_filter"]
    alarm, topic, subs = chain["alarm"], chain["topic"], chain["subscriptions"]
    t = field_text
    return {
        "trail": (
            trail["name"],
            trail["arn"],
            [
                ("home region", t(trail["home_region"])),
                ("owner", t(trail["owner_account_id"])),
                ("organization trail", t(trail["is_organization_trail"])),
                ("multi-region", t(trail["is_multi_region_trail"])),
                ("logging", t(trail["is_logging"])),
                ("log group ARN", t(trail["cloudwatch_logs_log_group_arn"])),
            ],
        ),
        "log_group": (
            lg["name"] if lg["exists"] else None,
            lg["arn"],
            [("account / region", f"{t(lg['account_id'])} / {t(lg['region'])}")],
        ),
        "metric_filter": (
            mf["name"] if mf else None,
            None,
            [("pattern", t(mf["pattern"]))] if mf else [],
        ),
        "metric": (
            f"{mf['metric_namespace']}/{mf['metric_name']}" if mf else None,
            None,
            [
                ("value", t(mf["metric_value"])),
                ("default", t(mf["default_value"])),
                ("dimensions", t(mf["dimensions"])),
            ]
            if mf
            else [],
        ),
        "alarm": (
            alarm["name"] if alarm else None,
            alarm["arn"] if alarm else None,
            [
                ("watches", f"{t(alarm['namespace'])}"),
                (
                    "rule",
                    f"{t(alarm['statistic'])} {t(alarm['comparison_operator'])} "
                    f"{t(alarm['threshold'])} over {t(alarm['period'])}s, "
                    f"{t(alarm['datapoints_to_alarm'] or alarm['evaluation_periods'])}"
                    f" of {t(alarm['evaluation_periods'])} periods",
                ),
                *_through(alarm.get("composite")),
                ("actions enabled", t(alarm["actions_enabled"])),
                ("SNS actions", ", ".join(alarm["sns_actions"] or []) or "none"),
            ]
            if alarm
            else [],
        ),
        "topic": (
            topic["name"] if topic else None,
            topic["arn"] if topic else None,
            [
                ("KMS key", t(topic["kms_master_key_id"])),
                # .get: evidence written before these keys existed still renders
                ("KMS key manager", t(topic.get("kms_key_manager"))),
                (
                    "confirmed / pending",
                    f"{topic['confirmed_subscriptions'] or 0} / "
                    f"{topic['pending_subscriptions'] or 0}",
                ),
            ]
            if topic
            else [],
        ),
        "subscribers": (
            f"{sum(1 for s in subs if s['confirmed'])} confirmed of {len(subs)}" if subs else None,
            None,
            [
                (
                    t(s["protocol"]),
                    f"{t(s['endpoint'])} ({'confirmed' if s['confirmed'] else 'pending'})",
                )
                for s in subs
            ],
        ),
    }


def chain_boxes(chain: ChainObjects, links: list[LinkVerdict], profile: str) -> list[ChainBox]:
    """The chain's boxes in chain order; a box is broken (or unknown) when a link of it
    that ``profile`` judges is, and absent when its object was not found."""
    by_name = {x["link"]: x for x in links}
    objects = _objects(chain)
    out: list[ChainBox] = []
    for kind, label, names in BOX_LINKS:
        checks = [
            LinkCheck(
                link=n,
                label=LINK_LABELS[n],
                state=_link_state(by_name[n]["held"]),
                literal=bool(by_name[n]["literal"]),
                in_profile=profile != "literal" or bool(by_name[n]["literal"]),
            )
            for n in names
            if n in by_name
        ]
        name, arn, details = objects[kind]
        judged = [c for c in checks if c.in_profile]
        state: LinkState
        if any(c.state == "broken" for c in judged):
            state = "broken"
        elif any(c.state == "unknown" for c in judged):
            state = "unknown"
        elif name is None:
            state = "absent"
        else:
            state = "held"
        out.append(ChainBox(kind, label, name, arn, details, checks, state))
    return out
