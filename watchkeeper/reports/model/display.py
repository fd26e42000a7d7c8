"""How the report writes values: anchors, timestamps, field values and JSON blocks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["anchor", "field_text", "iso", "pass_anchor", "pretty_json"]


def anchor(*parts: object) -> str:
    """An HTML id from ``parts`` (``anchor("v", "4.5", acct)`` → ``v-4_5-<acct>``)."""
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "_", str(p)).strip("_") for p in parts)


def pass_anchor(account_id: str) -> str:
    """The main report's line of ``account_id``'s passing results (``p-<acct>``)."""
    return anchor("p", account_id)


def iso(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def field_text(value: object) -> str:
    """One evidence field as a table cell: "—" for unknown, yes/no, JSON for structures."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str) if value else "none"
    return str(value)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
