"""Evaluating filter patterns against log events, with AWS's semantics.

Patterns are compiled once to closures (cached per pattern) so that ``matches`` stays
cheap on large CloudTrail batches.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .ast import (
    And,
    Compare,
    Expr,
    FieldAnd,
    FieldCond,
    FieldExpr,
    FieldOr,
    Index,
    JsonPattern,
    Key,
    MatchAll,
    Num,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    SpacePattern,
    Str,
    TermPattern,
    Test,
)
from .parser import parse
from .regex import compile_regex

Event = Mapping[str, Any] | str
Json = Any
JsonPred = Callable[[Json], bool]
_MISSING: Any = object()


def glob_match(pattern: str, text: str) -> bool:
    """AWS string comparison: whole value, ``*`` wildcard only at the start and/or end."""
    if pattern == "*":
        return True
    lead = pattern.startswith("*")
    trail = len(pattern) > 1 and pattern.endswith("*")
    if not lead and not trail:
        return text == pattern
    core = pattern[1 if lead else 0 : -1 if trail else None]
    if lead and trail:
        return core in text
    if lead:
        return text.endswith(core)
    return text.startswith(core)


def scalar_text(v: Json) -> str | None:
    """The text a string comparison sees, or None for null, objects and arrays."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return json.dumps(v)
    return None


def is_number(v: Json) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def compare_value(op: str, value: Str | Num | Regex, v: Json) -> bool:
    """One comparison on one resolved JSON value, with AWS's semantics and, where AWS's
    documentation is silent, the decisions the package docstring lists."""
    if isinstance(value, Num) and op in ("<", ">", "<=", ">="):
        if not is_number(v):
            return False
        return _num_cmp(op, float(v), value.value)
    text = scalar_text(v)
    if text is None:
        return False  # null, object or array: neither = nor != holds
    if isinstance(value, Num):
        hit = float(v) == value.value if is_number(v) else text == value.text
    elif isinstance(value, Regex):
        hit = compile_regex(value.source).search(text)
    else:
        hit = glob_match(value.text, text)
    return hit if op == "=" else not hit


def _num_cmp(op: str, a: float, b: float) -> bool:
    if math.isnan(a):
        return False
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    if op == "=":
        return a == b
    return a != b


def resolve(selector: Selector, doc: Json) -> list[Json]:
    """All values a selector lands on (several with a wildcard; none when missing)."""
    current = [doc]
    for part in selector.parts:
        nxt: list[Json] = []
        for node in current:
            if isinstance(part, Key):
                if isinstance(node, dict) and part.name in node:
                    nxt.append(node[part.name])
            elif isinstance(part, Index):
                if isinstance(node, list) and part.index < len(node):
                    nxt.append(node[part.index])
            elif isinstance(node, list):
                nxt.extend(node)
            elif isinstance(node, dict):
                nxt.extend(node.values())
        current = nxt
        if not current:
            break
    return current


def _compile_selector(selector: Selector) -> Callable[[Json], list[Json]]:
    if all(isinstance(p, Key) for p in selector.parts):
        keys = tuple(p.name for p in selector.parts if isinstance(p, Key))

        def fast(doc: Json) -> list[Json]:
            node = doc
            for k in keys:
                if not isinstance(node, dict):
                    return []
                node = node.get(k, _MISSING)
                if node is _MISSING:
                    return []
            return [node]

        return fast
    return lambda doc: resolve(selector, doc)


def _compile_expr(expr: Expr) -> JsonPred:
    if isinstance(expr, And):
        parts = tuple(_compile_expr(e) for e in expr.items)
        return lambda doc: all(p(doc) for p in parts)
    if isinstance(expr, Or):
        parts = tuple(_compile_expr(e) for e in expr.items)
        return lambda doc: any(p(doc) for p in parts)
    get = _compile_selector(expr.selector)
    if isinstance(expr, Test):
        op = expr.op
        if op == "NOT EXISTS":
            return lambda doc: not get(doc)
        want: Json = None if op == "IS NULL" else op == "IS TRUE"
        return lambda doc: any(v is want for v in get(doc))
    return _compile_compare(expr, get)


def _compile_compare(expr: Compare, get: Callable[[Json], list[Json]]) -> JsonPred:
    op, value = expr.op, expr.value
    # fast path for the overwhelmingly common case: plain string equality
    if isinstance(value, Str) and op in ("=", "!=") and "*" not in value.text:
        want = value.text
        eq = op == "="

        def str_cmp(doc: Json) -> bool:
            for v in get(doc):
                if isinstance(v, str):
                    if (v == want) is eq:
                        return True
                elif compare_value(op, value, v):
                    return True
            return False

        return str_cmp
    return lambda doc: any(compare_value(op, value, v) for v in get(doc))


# --- text patterns ------------------------------------------------------------------------


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@lru_cache(maxsize=4096)
def term_regex(text: str) -> re.Pattern[str]:
    """Where ``text`` occurs as a whole term: not glued to letters, digits or ``_``.

    CloudWatch Logs matches terms, not substrings: ``ERROR`` finds ``[ERROR 400]`` but
    not ``ERRORS``, ``Trail`` does not find ``CreateTrail``. An end of the term that is
    itself punctuation (a quoted ``"eventName":"X"``) needs no boundary there.
    """
    before = r"(?<![A-Za-z0-9_])" if text[:1] in _WORD_CHARS else ""
    after = r"(?![A-Za-z0-9_])" if text[-1:] in _WORD_CHARS else ""
    return re.compile(before + re.escape(text) + after)


def has_term(text: str, term: str) -> bool:
    """Does ``term`` occur in ``text`` as a whole term (case-sensitive)?"""
    return term_regex(term).search(text) is not None


def _term_matcher(p: TermPattern) -> Callable[[str], bool]:
    plain = [term_regex(t.text).search for t in p.terms if t.kind == "all"]
    anys = [term_regex(t.text).search for t in p.terms if t.kind == "any"]
    nots = [term_regex(t.text).search for t in p.terms if t.kind == "not"]

    def m(msg: str) -> bool:
        if any(t(msg) for t in nots):
            return False
        if plain:  # '?' terms mixed with plain terms are ignored
            return all(t(msg) for t in plain)
        if anys:
            return any(t(msg) for t in anys)
        return True

    return m


def split_fields(msg: str) -> list[str]:
    """Split a message into space-delimited fields; ``[...]`` and ``"..."`` are one field."""
    fields: list[str] = []
    i, n = 0, len(msg)
    while i < n:
        c = msg[i]
        if c.isspace():
            i += 1
            continue
        if c in '["':
            close = "]" if c == "[" else '"'
            end = msg.find(close, i + 1)
            if end >= 0:
                fields.append(msg[i + 1 : end])
                i = end + 1
                continue
        j = i
        while j < n and not msg[j].isspace():
            j += 1
        fields.append(msg[i:j])
        i = j
    return fields


def field_value_matches(cond: FieldCond, token: str) -> bool:
    value = cond.value
    if isinstance(value, Num):
        try:
            num = float(token)
        except ValueError:
            num = math.nan
        if not math.isnan(num):
            return _num_cmp(cond.op, num, value.value)
        if cond.op in ("=", "!="):
            return (token == value.text) == (cond.op == "=")
        return False
    if isinstance(value, Regex):
        hit = compile_regex(value.source).search(token)
    else:
        hit = glob_match(value.text, token)
    return hit if cond.op == "=" else not hit


def _field_expr(e: FieldExpr, token: str) -> bool:
    if isinstance(e, FieldAnd):
        return all(_field_expr(x, token) for x in e.items)
    if isinstance(e, FieldOr):
        return any(_field_expr(x, token) for x in e.items)
    return field_value_matches(e, token)


def _space_matcher(p: SpacePattern) -> Callable[[str], bool]:
    slots = p.slots

    def m(msg: str) -> bool:
        tokens = split_fields(msg)
        n_t, n_s = len(tokens), len(slots)
        # reach[j] after processing slot i: can slots[:i] consume tokens[:j]?
        reach = [False] * (n_t + 1)
        reach[0] = True
        for slot in slots:
            nxt = [False] * (n_t + 1)
            if slot.ellipsis:
                seen = False
                for j in range(n_t + 1):
                    seen = seen or reach[j]
                    nxt[j] = seen
            else:
                for j in range(n_t):
                    if reach[j] and (slot.cond is None or _field_expr(slot.cond, tokens[j])):
                        nxt[j + 1] = True
            reach = nxt
            if not any(reach):
                return False
        return n_s > 0 and reach[n_t]

    return m


@lru_cache(maxsize=1024)
def compile_pattern(p: Pattern) -> Callable[[Event], bool]:
    """A fast predicate for ``p`` over events (dicts or raw message strings)."""
    if isinstance(p, MatchAll):
        return lambda _e: True
    if isinstance(p, JsonPattern):
        pred = _compile_expr(p.expr)

        def json_match(event: Event) -> bool:
            if isinstance(event, str):
                try:
                    doc = json.loads(event)
                except ValueError:
                    return False
            else:
                doc = event
            return isinstance(doc, dict) and pred(doc)

        return json_match
    text_pred: Callable[[str], bool]
    if isinstance(p, TermPattern):
        text_pred = _term_matcher(p)
    elif isinstance(p, SpacePattern):
        text_pred = _space_matcher(p)
    else:
        assert isinstance(p, RegexPattern)
        text_pred = compile_regex(p.regex.source).search

    def text_match(event: Event) -> bool:
        msg = event if isinstance(event, str) else message_text(event)
        return text_pred(msg)

    return text_match


def message_text(event: Mapping[str, Any]) -> str:
    """How a CloudTrail record appears as a log message: compact JSON."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def as_pattern(p: Pattern | str) -> Pattern:
    return parse(p) if isinstance(p, str) else p


@lru_cache(maxsize=1024)
def _compile_text(text: str) -> Callable[[Event], bool]:
    # keyed on the text: looking a Pattern up in compile_pattern's cache hashes the
    # whole tree, which costs several times more than matching one event
    return compile_pattern(parse(text))


def matches(pattern: Pattern | str, event: Event) -> bool:
    """Does ``pattern`` (text or parsed) match ``event`` (a dict or the raw message)?"""
    pred = _compile_text(pattern) if isinstance(pattern, str) else compile_pattern(pattern)
    return pred(event)


__all__ = [
    "compare_value",
    "compile_pattern",
    "glob_match",
    "has_term",
    "matches",
    "message_text",
    "resolve",
    "split_fields",
]
