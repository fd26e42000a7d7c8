"""JSON helpers shared by the verdicts and the reports (both read raw JSON columns)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads_lenient"]


def loads_lenient(value: Any) -> Any:
    """``value`` parsed if it is a JSON string; unparseable strings and non-strings as given.

    Raw API columns hold JSON text, but a collector may have stored a plain string (or the
    driver may already hand back a parsed value): the report shows whatever is there.
    """
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
