"""Helpers around the library for people and the CLI: AWS commands, log readers, reports."""

from __future__ import annotations

import gzip
import json
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
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


def read_messages(stream: IO[bytes]) -> list[str]:
    """Log messages from a file: a CloudTrail log file (``{"Records": [...]}``, maybe
    gzipped) gives one message per record; anything else gives one per non-empty line."""
    text = _open_bytes(stream.read())
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
            return [
                message_text(r) if isinstance(r, dict) else json.dumps(r) for r in doc["Records"]
            ]
    return [line for line in text.splitlines() if line.strip()]


def read_paths(paths: Iterable[Path]) -> Iterator[str]:
    for p in paths:
        with p.open("rb") as fh:
            yield from read_messages(fh)


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
    "read_paths",
    "run_test",
    "test_metric_filter_command",
]
