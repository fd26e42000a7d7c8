"""Composite alarms' AlarmRule expressions: parse them, and decide whether a rule goes to
ALARM when one child alarm does, on its own.

The language (CloudWatch PutCompositeAlarm): ``ALARM(x)``, ``OK(x)``,
``INSUFFICIENT_DATA(x)``, ``TRUE``, ``FALSE``, ``AT_LEAST(M, [NOT] STATE, (x, y, …))``
with M a count or a percentage, combined with ``AND``, ``OR``, ``NOT`` and parentheses.
An alarm is named by its name or ARN, bare or in double quotes.

"Fires on the child alone" is decided by evaluating the rule, not by its shape: with every
other referenced alarm in OK (a quiet estate), the rule must be FALSE while the child is OK
and TRUE once the child is in ALARM. So ``ALARM(c) OR ALARM(d)`` and
``ALARM(c) AND NOT ALARM(maintenance)`` fire; ``ALARM(c) AND ALARM(d)`` does not, and
neither does ``ALARM(c) OR OK(d)`` (already in ALARM: the child's event changes nothing).
Both are stored per rule text in ``alarm_rule_reference`` for the chain SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import duckdb
from duckdb import func

__all__ = [
    "AlarmRuleError",
    "Rule",
    "fires_alone",
    "materialise",
    "parse",
    "references",
    "register",
]

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")


class AlarmRuleError(ValueError):
    """An AlarmRule this parser does not understand (AWS accepted it, so it is reported)."""


# --- the expression tree ------------------------------------------------------------


@dataclass(frozen=True)
class State:
    state: str  # ALARM | OK | INSUFFICIENT_DATA
    alarm: str  # name or ARN, as written


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Rule


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    operands: tuple[Rule, ...]


@dataclass(frozen=True)
class AtLeast:
    threshold: float
    percent: bool
    negated: bool  # AT_LEAST(M, NOT OK, …): alarms *not* in the state count
    state: str
    alarms: tuple[str, ...]


Rule = State | Const | Not | BoolOp | AtLeast

# --- tokens -----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<punct>[(),])
      | (?P<bare>[^\s(),"]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # quoted | punct | bare
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise AlarmRuleError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or "bare"
        raw = m.group(kind)
        if kind == "quoted":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        out.append(_Tok(kind, raw, m.start(kind)))
        pos = m.end()
    return out


# --- parser: or := and (OR and)* ; and := unary (AND unary)* ; unary := NOT unary | atom ----


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self, *words: str) -> bool:
        t = self.peek()
        return t is not None and t.kind == "bare" and t.text.upper() in words

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise AlarmRuleError("the rule ends too early")
        self.i += 1
        return t

    def expect(self, punct: str) -> None:
        t = self.take()
        if t.kind != "punct" or t.text != punct:
            raise AlarmRuleError(f"expected {punct!r} at {t.pos}, found {t.text!r}")

    def rule(self) -> Rule:
        r = self.disjunction()
        t = self.peek()
        if t is not None:
            raise AlarmRuleError(f"unexpected {t.text!r} at {t.pos}")
        return r

    def disjunction(self) -> Rule:
        parts = [self.conjunction()]
        while self.word("OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def conjunction(self) -> Rule:
        parts = [self.unary()]
        while self.word("AND"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def unary(self) -> Rule:
        if self.word("NOT"):
            self.take()
            return Not(self.unary())
        return self.atom()

    def alarm_name(self) -> str:
        t = self.take()
        if t.kind == "punct":
            raise AlarmRuleError(f"expected an alarm name at {t.pos}, found {t.text!r}")
        if not t.text:
            raise AlarmRuleError(f"empty alarm name at {t.pos}")
        return t.text

    def atom(self) -> Rule:
        t = self.take()
        if t.kind == "punct" and t.text == "(":
            inner = self.disjunction()
            self.expect(")")
            return inner
        word = t.text.upper() if t.kind == "bare" else ""
        if word in ("TRUE", "FALSE"):
            return Const(word == "TRUE")
        if word in STATES:
            self.expect("(")
            name = self.alarm_name()
            self.expect(")")
            return State(word, name)
        if word == "AT_LEAST":
            return self.at_least()
        raise AlarmRuleError(f"unexpected {t.text!r} at {t.pos}")

    def at_least(self) -> AtLeast:
        self.expect("(")
        m = self.take().text
        percent = m.endswith("%")
        try:
            threshold = float(m.rstrip("%"))
        except ValueError:
            raise AlarmRuleError(f"AT_LEAST needs a count or a percentage, not {m!r}") from None
        self.expect(",")
        negated = self.word("NOT")
        if negated:
            self.take()
        state = self.take().text.upper()
        if state not in STATES:
            raise AlarmRuleError(f"AT_LEAST needs ALARM, OK or INSUFFICIENT_DATA, not {state!r}")
        self.expect(",")
        self.expect("(")
        names = [self.alarm_name()]
        while (t := self.peek()) is not None and t.kind == "punct" and t.text == ",":
            self.take()
            names.append(self.alarm_name())
        self.expect(")")
        self.expect(")")
        return AtLeast(threshold, percent, negated, state, tuple(names))


@lru_cache(maxsize=4096)
def parse(text: str) -> Rule:
    """The expression tree of an AlarmRule; AlarmRuleError when it is not understood."""
    if not text or not text.strip():
        raise AlarmRuleError("empty rule")
    return _Parser(text).rule()


# --- meaning --------------------------------------------------------------------------


def references(rule: Rule) -> tuple[str, ...]:
    """Every alarm the rule names (name or ARN, as written), in order, once each."""
    seen: dict[str, None] = {}

    def walk(r: Rule) -> None:
        if isinstance(r, State):
            seen.setdefault(r.alarm)
        elif isinstance(r, AtLeast):
            for a in r.alarms:
                seen.setdefault(a)
        elif isinstance(r, Not):
            walk(r.operand)
        elif isinstance(r, BoolOp):
            for o in r.operands:
                walk(o)

    walk(rule)
    return tuple(seen)


def _evaluate(rule: Rule, state_of: dict[str, str]) -> bool:
    if isinstance(rule, Const):
        return rule.value
    if isinstance(rule, State):
        return state_of[rule.alarm] == rule.state
    if isinstance(rule, Not):
        return not _evaluate(rule.operand, state_of)
    if isinstance(rule, BoolOp):
        values = (_evaluate(o, state_of) for o in rule.operands)
        return all(values) if rule.op == "AND" else any(values)
    hits = sum(1 for a in rule.alarms if (state_of[a] == rule.state) != rule.negated)
    if rule.percent:
        return hits * 100 >= rule.threshold * len(rule.alarms)
    return hits >= rule.threshold


def fires_alone(rule: Rule, child: str | tuple[str, ...]) -> bool:
    """Whether ``rule`` goes from FALSE to TRUE when ``child`` (its name and/or ARN, as the
    rule may use either) goes to ALARM while every other alarm it names stays OK."""
    names = (child,) if isinstance(child, str) else child
    refs = references(rule)
    if not any(r in names for r in refs):
        return False

    def state(child_state: str) -> dict[str, str]:
        return {r: child_state if r in names else "OK" for r in refs}

    return _evaluate(rule, state("ALARM")) and not _evaluate(rule, state("OK"))


# --- as data for SQL ------------------------------------------------------------------

REFERENCE_DDL = """
CREATE TABLE IF NOT EXISTS alarm_rule_reference (
    alarm_rule   VARCHAR NOT NULL,   -- a composite alarm's AlarmRule, as collected
    reference    VARCHAR,            -- an alarm it names (name or ARN); NULL: not understood
    fires_alone  BOOLEAN,            -- the rule goes to ALARM when this alarm alone does
    error        VARCHAR             -- why the rule was not understood
)
"""


def register(con: duckdb.DuckDBPyConnection) -> None:
    """wk_rule_fires_alone(alarm_rule, name_or_arn) → BOOLEAN (NULL: rule not understood)."""

    def wk_rule_fires_alone(rule: str | None, child: str | None) -> bool | None:
        if rule is None or child is None:
            return None
        try:
            return fires_alone(parse(rule), child)
        except AlarmRuleError:
            return None

    known = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'wk_rule_fires_alone'"
    ).fetchall()
    if not known[0][0]:
        con.create_function(
            "wk_rule_fires_alone",
            wk_rule_fires_alone,
            ["varchar", "varchar"],
            "boolean",
            # It answers NULL for a rule it does not understand, which DuckDB must be told.
            null_handling=func.SPECIAL,
        )


def materialise(con: duckdb.DuckDBPyConnection) -> int:
    """One row per (rule, alarm it names) for every composite rule not yet in the table."""
    con.execute(REFERENCE_DDL)
    new = con.execute(
        """
        SELECT DISTINCT a.alarm_rule
        FROM aws_cloudwatch_alarm AS a
        WHERE a.alarm_rule IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM alarm_rule_reference AS r
                          WHERE r.alarm_rule = a.alarm_rule)
        """
    ).fetchall()
    rows: list[tuple[str, str | None, bool | None, str | None]] = []
    for (text,) in new:
        try:
            rule = parse(text)
        except AlarmRuleError as exc:
            rows.append((text, None, None, str(exc)))
            continue
        refs = references(rule)
        rows.extend((text, ref, fires_alone(rule, ref), None) for ref in refs)
        if not refs:
            rows.append((text, None, None, "the rule names no alarm"))
    if rows:
        con.executemany("INSERT INTO alarm_rule_reference VALUES (?, ?, ?, ?)", rows)
    return len(rows)
