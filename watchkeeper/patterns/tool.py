"""Helpers around the library for people and the CLI: AWS commands, log readers, reports."""

from __future__ import annotations

import gzip
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from .ast import Pattern
from .cover import Coverage
from .match import as_pattern as _as_pattern
from .match import compile_pattern, message_text
from .render import render


def test_metric_filter_command(
    pattern: Pattern | str, messages: Iterable[Mapping[str, Any] | str]
) -> str:
    """The ``aws logs test-metric-filter`` command that checks ``messages`` against AWS.

    Each argument is shell-quoted, so the line can be pasted into a POSIX shell as is;
    dict messages are sent as the compact JSON CloudTrail delivers to CloudWatch Logs.
    """
    text = pattern if isinstance(pattern, str) else render(pattern)
    msgs = [m if isinstance(m, str) else message_text(m) for m in messages]
    parts = ["aws", "logs", "test-metric-filter", "--filter-pattern", shlex.quote(text)]
    if msgs:
        parts.append("--log-event-messages")
        parts.extend(shlex.quote(m) for m in msgs)
    return " ".join(parts)


# pytest would otherwise collect it as a test wherever it is imported
test_metric_filter_command.__test__ = False  # type: ignore[attr-defined]


def _open_bytes(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


_JSON_WS = re.compile(r"[ \t\n\r]*")


def _cloudtrail_records(text: str) -> list[Any] | None:
    """The records of one or more CloudTrail log files one after the other (as ``zcat
    *.json.gz`` prints them), or None when ``text`` is not that."""
    decoder = json.JSONDecoder()
    records: list[Any] = []
    pos = 0
    while pos < len(text):
        try:
            doc, end = decoder.raw_decode(text, pos)
        except ValueError:
            return None
        if not (isinstance(doc, dict) and isinstance(doc.get("Records"), list)):
            return None
        records.extend(doc["Records"])
        match = _JSON_WS.match(text, end)
        pos = match.end() if match else end
    return records


def read_messages(stream: IO[bytes]) -> list[str]:
    """Log messages from a file: CloudTrail log files (``{"Records": [...]}``, maybe
    gzipped, maybe several concatenated) give one message per record; anything else
    gives one per non-empty line."""
    text = _open_bytes(stream.read())
    stripped = text.strip()
    if stripped.startswith("{"):
        records = _cloudtrail_records(stripped)
        if records is not None:
            return [message_text(r) if isinstance(r, dict) else json.dumps(r) for r in records]
    return [line for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class TestResult:
    """Outcome of testing a pattern against messages, like TestMetricFilter's answer."""

    __test__ = False  # not a pytest test class

    total: int
    matched: list[tuple[int, str]]  # (1-based event number, message)


def run_test(pattern: Pattern | str, messages: Iterable[str]) -> TestResult:
    """Which ``messages`` does ``pattern`` match? (an offline ``test-metric-filter``)"""
    pred = compile_pattern(_as_pattern(pattern))
    matched: list[tuple[int, str]] = []
    total = 0
    for i, msg in enumerate(messages, 1):
        total = i
        if pred(msg):
            matched.append((i, msg))
    return TestResult(total, matched)


def format_coverage(cov: Coverage, actual: Pattern | str, required: Pattern | str) -> str:
    """A human report of a ``covers`` verdict, with the AWS command that confirms it."""
    if cov.covered:
        lines = ["COVERED: " + cov.reason]
    elif not cov.decided:
        lines = ["UNDECIDED: " + cov.reason]
    else:
        lines = ["NOT COVERED: " + cov.reason]
    if cov.counterexample is not None:
        lines += [
            "",
            "Counterexample (matched by the required pattern, not by the filter):",
            json.dumps(cov.counterexample, indent=2, sort_keys=False),
            "",
            "Confirm with AWS (expect no match for the filter):",
            test_metric_filter_command(actual, [cov.counterexample]),
            "and (expect one match for the required pattern):",
            test_metric_filter_command(required, [cov.counterexample]),
        ]
    if cov.broader is not None:
        lines += [
            "",
            "The filter also matches events the required pattern does not, e.g.:",
            json.dumps(cov.broader, separators=(",", ":")),
        ]
    return "\n".join(lines)


__all__ = [
    "TestResult",
    "format_coverage",
    "read_messages",
    "run_test",
    "test_metric_filter_command",
]
