"""Ad-hoc SQL over the evidence store: one statement from the command line, or a shell.

The database is always opened read-only: DuckDB itself refuses INSERT/UPDATE/DELETE/DDL
on it, so an analyst's query cannot alter evidence. Scratch work goes to TEMP tables.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import duckdb

from watchkeeper.errors import UserError

FORMATS = ("table", "csv", "json", "markdown")
TABLE_CELL_WIDTH = 60


class QueryError(UserError):
    """A bad statement or option (printed as one line)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


# Postgres lets `FROM t, jsonb_array_elements(x) AS s` use `s` as the element itself; in
# DuckDB the alias of a table macro names a row (a struct). Giving the alias a column of
# the same name (`AS s(s)`) makes `s ->> 'k'` mean what it means in Postgres.
_SRF = re.compile(
    r"(?P<lead>(?:\bfrom|\bjoin|\blateral|,)\s*)"
    r"(?P<fn>jsonb_array_elements_text|jsonb_array_elements|jsonb_object_keys)\s*\(",
    re.IGNORECASE,
)
_ALIAS = re.compile(r"\s+(?:as\s+)?(?P<alias>[A-Za-z_][A-Za-z0-9_]*)(?P<cols>\s*\()?", re.I)
_NOT_ALIAS = {
    "on",
    "where",
    "group",
    "order",
    "limit",
    "join",
    "left",
    "right",
    "inner",
    "cross",
    "full",
    "union",
    "having",
    "with",
    "natural",
    "using",
    "window",
    "qualify",
    "except",
    "intersect",
}


def _unquoted(sql: str, start: int, stop: int) -> Iterator[int]:
    """Indices in ``sql[start:stop]`` outside '…', "…" and ``--`` comments (an apostrophe in
    a comment opens no string; the quotes and comments themselves are skipped)."""
    quote = ""
    i = start
    while i < stop:
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = stop if end < 0 else end
            continue
        elif ch in "'\"":
            quote = ch
        else:
            yield i
        i += 1


def _close_paren(sql: str, start: int) -> int:
    """Index just past the parenthesis matching the one before ``start``."""
    depth = 1
    for i in _unquoted(sql, start, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(sql)


_CLAUSES = frozenset(
    [
        "select",
        "from",
        "where",
        "group",
        "order",
        "having",
        "limit",
        "join",
        "on",
        "qualify",
        "window",
        "union",
        "using",
    ]
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _clause_at(sql: str, pos: int) -> str | None:
    """The clause keyword (select, from, …) governing ``pos`` at its nesting level."""
    stack: list[str | None] = [None]
    resume = 0  # past the word last read (a word holds no quotes or parentheses)
    for i in _unquoted(sql, 0, pos):
        if i < resume:
            continue
        ch = sql[i]
        if ch == "(":
            stack.append(None)
        elif ch == ")":
            if len(stack) > 1:
                stack.pop()
        elif ch.isalpha() or ch == "_":
            m = _WORD.match(sql, i)
            assert m is not None
            word = m.group().lower()
            if word in _CLAUSES:
                stack[-1] = word
            resume = m.end()
    return stack[-1]


# The left operand of Postgres's `?` (key exists): a name or parenthesised group, with any
# `::type` casts and `->`/`->>` steps after it.
_EXISTS_LHS = re.compile(
    r"(?P<lhs>(?:\([^()]*\)|[A-Za-z_][\w.]*)"
    r"(?:\s*(?:::\s*[A-Za-z_]\w*|->>?\s*(?:'[^']*'|\d+)))*)\s*$"
)
_EXISTS_KEY = re.compile(r"\s*(?P<key>'(?:[^']|'')*')")


def _key_exists(sql: str) -> str:
    """`j ? 'k'` → `jsonb_exists(j, 'k')`: DuckDB reads a bare `?` as a parameter."""
    for i in _unquoted(sql, 0, len(sql)):
        if sql[i] != "?" or sql[i + 1 : i + 2] in ("|", "&"):
            continue
        key = _EXISTS_KEY.match(sql, i + 1)
        lhs = _EXISTS_LHS.search(sql, 0, i)
        if key and lhs:
            head, operand = sql[: lhs.start()], lhs.group("lhs")
            rest = sql[key.end() :]
            return _key_exists(f"{head}jsonb_exists({operand}, {key.group('key')}){rest}")
    return sql


def translate(sql: str) -> str:
    """Steampipe (Postgres) idioms that macros alone cannot express, rewritten for DuckDB."""
    sql = _key_exists(sql)
    out, pos = [], 0
    for m in _SRF.finditer(sql):
        if m.start() < pos:
            continue
        # `SELECT a, jsonb_array_elements(x) AS e` names a column: leave it alone.
        if m.group("lead").strip() == "," and _clause_at(sql, m.start()) not in ("from", "join"):
            continue
        end = _close_paren(sql, m.end())
        alias = _ALIAS.match(sql, end)
        if alias and not alias.group("cols") and alias.group("alias").lower() not in _NOT_ALIAS:
            name = alias.group("alias")
            out.append(sql[pos : alias.end()])
            out.append(f"({name})")
            pos = alias.end()
    out.append(sql[pos:])
    return "".join(out)


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> QueryResult:
    """Run ``sql`` (Steampipe idioms translated); the last statement's rows are returned."""
    try:
        return _result(con.execute(translate(sql)))
    except duckdb.Error as exc:
        raise QueryError(_one_line(exc)) from None


def _result(cur: duckdb.DuckDBPyConnection) -> QueryResult:
    description = cur.description or []
    rows = cur.fetchall() if description else []
    return QueryResult([d[0] for d in description], [str(d[1]) for d in description], rows)


# DuckDB's words for a FROM that names no table or view of the store.
_NO_TABLE = re.compile(
    r'Table with name "?(?:[A-Za-z_]+\.)?(?P<name>[A-Za-z0-9_]+)"? does not exist'
)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    missing = _NO_TABLE.search(text)
    if missing and missing.group("name").lower().startswith("aws_"):
        # A Steampipe query over a table outside the monitoring chain (aws_s3_bucket…).
        return (
            f"table {missing.group('name')} is not in this store: watchkeeper does not collect "
            "it (`watchkeeper tables` lists the tables it holds)"
        )
    if "read-only mode" in text:
        return "the database is open read-only: queries cannot change evidence " + (
            "(use CREATE TEMP TABLE for scratch work)"
        )
    return " ".join(text.split("\n")[:2]).strip()


# --- rendering ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready value (JSON columns stay text here; json() parses them)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    plain = _plain(value)
    if isinstance(plain, (list, dict)):
        return json.dumps(plain, ensure_ascii=False)
    return str(plain)


def render(result: QueryResult, fmt: str) -> str:
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; choose {', '.join(FORMATS)}")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(v) for v in r] for r in result.rows)
        return buf.getvalue()
    if fmt == "json":
        records = []
        for row in result.rows:
            record = {}
            for name, kind, value in zip(result.columns, result.types, row, strict=True):
                # JSON columns are emitted as JSON, not as strings holding JSON.
                if kind == "JSON" and isinstance(value, str):
                    with contextlib.suppress(ValueError):
                        value = json.loads(value)
                record[name] = _plain(value)
            records.append(record)
        return json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "markdown":
        lines = [
            "| " + " | ".join(result.columns) + " |",
            "|" + "|".join("---" for _ in result.columns) + "|",
        ]
        for r in result.rows:
            cells = (_text(v).replace("|", "\\|").replace("\n", " ") for v in r)
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    return _table(result)


def _table(result: QueryResult) -> str:
    def clip(text: str) -> str:
        text = text.replace("\n", " ")
        return text if len(text) <= TABLE_CELL_WIDTH else text[: TABLE_CELL_WIDTH - 1] + "…"

    cells = [[clip("NULL" if v is None else _text(v)) for v in r] for r in result.rows]
    widths = [len(c) for c in result.columns]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [sep, line(result.columns), sep, *(line(r) for r in cells), sep]
    n = len(result.rows)
    out.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(out) + "\n"


# --- the interactive shell -----------------------------------------------------------------

KEYWORDS = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "JOIN",
    "LEFT",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "DISTINCT",
    "COUNT",
    "HAVING",
    "UNION",
    "WITH",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DESCRIBE",
    "SUMMARIZE",
]
DOT_COMMANDS = {
    ".tables": "list tables and views (.tables PATTERN to filter)",
    ".schema": ".schema TABLE: columns and types",
    ".format": ".format table|csv|json|markdown",
    ".read": ".read FILE: run the SQL in FILE",
    ".snapshots": "the snapshots in the database",
    ".help": "this help",
    ".quit": "leave (also .exit or Ctrl-D)",
}
HISTORY_ENV = "WATCHKEEPER_HISTORY"


class Shell:
    """A small SQL shell: multi-line statements ending in `;`, dot commands, completion."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        fmt: str = "table",
        out: TextIO | None = None,
        err: TextIO | None = None,
    ):
        self.con = con
        self.fmt = fmt
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.buffer: list[str] = []
        self._names: list[str] | None = None
        self._matches: list[str] = []

    # completion ----------------------------------------------------------------------
    def names(self) -> list[str]:
        """Table, view, column and function names the database offers (cached)."""
        if self._names is None:
            rows = self.con.execute(
                "SELECT table_name, table_schema FROM information_schema.tables "
                "UNION SELECT column_name, NULL FROM information_schema.columns"
            ).fetchall()
            names = {r[0] for r in rows}
            names |= {f"{r[1]}.{r[0]}" for r in rows if r[1] == "history"}
            macros = self.con.execute(
                "SELECT DISTINCT function_name FROM duckdb_functions() "
                "WHERE function_name LIKE 'jsonb%' OR function_name LIKE 'wk\\_%' ESCAPE '\\'"
            ).fetchall()
            names |= {r[0] for r in macros}
            self._names = sorted(names)
        return self._names

    def candidates(self, text: str) -> list[str]:
        if text.startswith("."):
            return [c for c in DOT_COMMANDS if c.startswith(text)]
        low = text.lower()
        found = [n for n in self.names() if n.lower().startswith(low)]
        found += [k for k in KEYWORDS if k.lower().startswith(low)]
        return found

    def complete(self, text: str, state: int) -> str | None:
        """readline completer protocol."""
        if state == 0:
            self._matches = self.candidates(text)
        return self._matches[state] if state < len(self._matches) else None

    # input ---------------------------------------------------------------------------
    @property
    def prompt(self) -> str:
        return "   ...> " if self.buffer else "wk> "

    def feed(self, line: str) -> bool:
        """Take one input line; False when the user asked to leave."""
        stripped = line.strip()
        if not self.buffer and stripped.startswith("."):
            return self.dot(stripped)
        if not self.buffer and not stripped:
            return True
        self.buffer.append(line)
        if stripped.endswith(";"):
            sql = "\n".join(self.buffer)
            self.buffer = []
            self.run_sql(sql)
        return True

    def run_sql(self, sql: str) -> None:
        try:
            result = execute(self.con, sql)
        except QueryError as exc:
            self.err.write(f"error: {exc}\n")
            return
        self._names = None  # a TEMP table may have been created
        if result.columns:
            self.out.write(render(result, self.fmt))

    def dot(self, command: str) -> bool:
        name, _, arg = command.partition(" ")
        arg = arg.strip()
        if name in (".quit", ".exit"):
            return False
        if name == ".help":
            for cmd, text in DOT_COMMANDS.items():
                self.out.write(f"{cmd:<12} {text}\n")
        elif name == ".tables":
            like = f"%{arg}%" if arg else "%"
            self._show(
                "SELECT table_schema AS schema, table_name AS name, table_type AS kind "
                "FROM information_schema.tables WHERE table_name LIKE ? "
                "AND table_schema IN ('main', 'history', 'temp') ORDER BY 1, 2",
                [like],
            )
        elif name in (".schema", ".describe"):
            if not arg:
                self.err.write("usage: .schema TABLE\n")
            else:
                schema, _, table = arg.rpartition(".")
                self._show(
                    "SELECT column_name AS column, data_type AS type FROM "
                    "information_schema.columns WHERE table_name = ? "
                    "AND (? = '' OR table_schema = ?) ORDER BY table_schema, ordinal_position",
                    [table, schema, schema],
                )
        elif name == ".format":
            if arg not in FORMATS:
                self.err.write(f"error: choose one of {', '.join(FORMATS)}\n")
            else:
                self.fmt = arg
        elif name == ".read":
            try:
                self.run_sql(Path(arg).read_text(encoding="utf-8"))
            except OSError as exc:
                self.err.write(f"error: cannot read {arg}: {exc.strerror}\n")
        elif name == ".snapshots":
            self._show(
                "SELECT snapshot_id, started_at, status, json_array_length(accounts) AS accounts,"
                " error_count, left(sha256, 16) AS sha256 FROM snapshot ORDER BY 1",
                [],
            )
        else:
            self.err.write(f"unknown command {name}; .help lists them\n")
        return True

    def _show(self, sql: str, params: list[Any]) -> None:
        self.out.write(render(_result(self.con.execute(sql, params)), self.fmt))

    # the loop ------------------------------------------------------------------------
    def loop(self, read: Callable[[str], str] = input) -> None:
        while True:
            try:
                line = read(self.prompt)
            except EOFError:
                self.out.write("\n")
                return
            except KeyboardInterrupt:
                # Ctrl-C drops a half-typed statement, like psql.
                self.buffer = []
                self.out.write("\n")
                continue
            if not self.feed(line):
                return


def history_path() -> Path:
    return Path(os.environ.get(HISTORY_ENV) or Path.home() / ".watchkeeper_history")


def interactive(con: duckdb.DuckDBPyConnection, fmt: str = "table") -> None:
    """The shell on a terminal, with readline history and tab completion when available."""
    shell = Shell(con, fmt)
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input still works
        shell.loop()
        return
    hist = history_path()
    with contextlib.suppress(OSError):
        readline.read_history_file(hist)
    readline.set_completer(shell.complete)
    readline.set_completer_delims(" \t\n(),;=<>'\"")
    readline.parse_and_bind("tab: complete")
    print("watchkeeper SQL (read-only). End statements with ';'. .help for commands.")
    try:
        shell.loop()
    finally:
        try:
            readline.set_history_length(5000)
            readline.write_history_file(hist)
        except OSError:
            pass
