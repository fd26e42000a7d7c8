"""SQL: the read-only console, with the table docs and the Steampipe idioms it accepts;
results as a table or as CSV/JSON downloads (analyst.query's renderers)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from watchkeeper.analyst.catalog_base import Column as DocColumn
from watchkeeper.analyst.catalog_tables import KINDS, TABLES, TableDoc, columns
from watchkeeper.serve.console import Console, ConsoleError, ConsoleResult

__all__ = ["EXAMPLES", "SqlPage", "TableHelp", "cell_text", "csv_text", "sql_page", "table_help"]

# Starting points, Steampipe-style: the same SQL runs on `watchkeeper query`.
EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "Metric filters and their patterns",
        "SELECT account_id, region, log_group_name, name, filter_pattern\n"
        "FROM aws_cloudwatch_log_metric_filter\nORDER BY account_id, name",
    ),
    (
        "Trails with their event selectors (jsonb_array_elements, as in Steampipe)",
        "SELECT t.account_id, t.name, s ->> 'ReadWriteType' AS read_write_type\n"
        "FROM aws_cloudtrail_trail AS t, jsonb_array_elements(t.event_selectors) AS s",
    ),
    (
        "Unconfirmed subscriptions",
        "SELECT account_id, topic_arn, protocol, subscription_arn\n"
        "FROM aws_sns_topic_subscription\n"
        "WHERE subscription_arn = 'PendingConfirmation'",
    ),
    (
        "Failing verdicts of the latest run",
        "SELECT control_id, account_id, reason FROM control_result\n"
        "WHERE run_id = (SELECT max(run_id) FROM check_run) AND status = 'fail'\n"
        "ORDER BY control_id, account_id",
    ),
    (
        "Does a filter pattern cover the benchmark's? (wk_covers)",
        "SELECT account_id, name, wk_explain(filter_pattern) AS reads_as\n"
        "FROM aws_cloudwatch_log_metric_filter LIMIT 20",
    ),
)


@dataclass(frozen=True)
class TableHelp:
    heading: str
    tables: list[tuple[TableDoc, dict[str, DocColumn]]]


@dataclass(frozen=True)
class SqlPage:
    query: str
    limit: int
    max_rows: int
    timeout: float
    result: ConsoleResult | None
    cells: list[list[str]]  # the result's values as text
    error: str | None


def cell_text(value: Any) -> str:
    """A value as the console shows it: JSON for structures, ISO for times, "" for NULL."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (bytes, Decimal)):
        return value.hex() if isinstance(value, bytes) else str(value)
    return str(value)


def csv_text(result: ConsoleResult) -> str:
    """The rows as CSV. A cell that a spreadsheet would run as a formula (= + - @) is
    prefixed with ', as the report's CSV does: names come from the audited accounts."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.result.columns)
    for row in result.result.rows:
        cells = [cell_text(v) for v in row]
        writer.writerow("'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells)
    return buf.getvalue()


def table_help() -> list[TableHelp]:
    return [
        TableHelp(heading, [(t, columns(t.name)) for t in TABLES.values() if t.kind == kind])
        for kind, heading in KINDS.items()
    ]


def sql_page(console: Console, query: str, limit: int | None) -> SqlPage:
    lim = console.limits
    result, error = None, None
    if query.strip():
        try:
            result = console.run(query, limit)
        except ConsoleError as exc:
            error = str(exc)
    cells = [[cell_text(v) for v in row] for row in result.result.rows] if result else []
    return SqlPage(
        query=query,
        limit=min(limit or lim.max_rows, lim.max_rows),
        max_rows=lim.max_rows,
        timeout=lim.timeout,
        result=result,
        cells=cells,
        error=error,
    )
