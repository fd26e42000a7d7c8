"""One control as plain text: what `watchkeeper controls show` prints."""

from __future__ import annotations

from watchkeeper.queries.catalog import Control
from watchkeeper.queries.check import control_sql


def control_text(c: Control) -> str:
    """The control's benchmark text, its intent with the catalog's reasoning, the
    published patterns, notes, and the SQL that decides it."""
    parts = [
        f"{c.control_id} {c.title}",
        f"benchmark {c.benchmark} · topic {c.topic} · level {c.level} · {c.assessment}"
        f" · Security Hub {c.security_hub_id or '-'}",
    ]
    for heading, text in (
        ("Description", c.description),
        ("Rationale", c.rationale),
        ("Impact", c.impact),
        ("Audit", c.audit),
        ("Remediation", c.remediation),
    ):
        parts.append(f"\n{heading}\n{text}")
    if c.intent is not None:
        parts.append(
            "\nIntent (a filter passes when it matches at least these events)\n"
            f"  {c.intent.pattern}\nWhy\n{c.intent.reasoning}"
        )
    if c.required_patterns:
        lines = ["\nPublished pattern(s) (each covers the intent)"]
        lines += [f"  {p}" for p in c.required_patterns]
        parts.append("\n".join(lines))
    if c.notes:
        parts.append(f"\nNotes\n{c.notes}")
    parts.append(
        f"\nSQL (SET VARIABLE benchmark = '{c.benchmark}'; "
        f"SET VARIABLE control_id = '{c.control_id}';)\n"
    )
    parts.append(control_sql(c))
    return "\n".join(parts)


__all__ = ["control_text"]
