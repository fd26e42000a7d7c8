"""Parser for the whole CloudWatch Logs filter-pattern language."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TypeVar

from .ast import (
    And,
    Compare,
    CompareOp,
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
    Part,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    Slot,
    SpacePattern,
    Star,
    Str,
    Term,
    TermKind,
    TermPattern,
    Test,
    TestOp,
    Value,
)
from .errors import FilterPatternError
from .regex import compile_regex

MAX_LENGTH = 1024
MAX_REGEXES = 2
MAX_STARS = 3
MAX_DEPTH = 100

NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_INDEX_RE = re.compile(r"\d+")
_WORD_RE = re.compile(r"[A-Za-z]+")
# characters that end a bare word (JSON and space-delimited values, selector keys)
_BARE_STOP = set(' \t\r\n()&|{}[],"')
_KEY_STOP = set(" \t\r\n()&|{}[].=!<>\"'%,")

_N = TypeVar("_N")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.regexes = 0
        self.stars = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------
    def err(self, msg: str, at: int | None = None) -> FilterPatternError:
        return FilterPatternError(msg, (self.i if at is None else at) + 1)

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self, tok: str) -> bool:
        return self.s.startswith(tok, self.i)

    def expect(self, tok: str) -> None:
        self.ws()
        if not self.peek(tok):
            raise self.err(f"expected '{tok}'")
        self.i += len(tok)

    def at_end(self) -> bool:
        return self.i >= len(self.s)

    # -- values --------------------------------------------------------------------------
    def quoted(self) -> str:
        start = self.i
        self.i += 1
        out: list[str] = []
        while True:
            if self.at_end():
                raise self.err("unterminated string: expected '\"'", start)
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s) and self.s[self.i + 1] in '"\\':
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            if c == '"':
                self.i += 1
                return "".join(out)
            out.append(c)
            self.i += 1

    def regex(self) -> Regex:
        start = self.i
        self.i += 1
        while True:
            if self.at_end():
                raise self.err("unterminated regex: expected '%'", start)
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
                continue
            if c == "%":
                break
            self.i += 1
        body = self.s[start + 1 : self.i]
        self.i += 1
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            raise self.err(f"at most {MAX_REGEXES} regular expressions per pattern", start)
        compile_regex(body, start + 2)
        return Regex(body)

    def value(self) -> Value:
        self.ws()
        if self.at_end():
            raise self.err("expected a value")
        c = self.s[self.i]
        if c == '"':
            return Str(self.quoted(), quoted=True)
        if c == "%":
            return self.regex()
        if c == "'":
            raise self.err("single quotes do not delimit values; use double quotes")
        start = self.i
        while not self.at_end() and self.s[self.i] not in _BARE_STOP:
            if self.s[self.i] == "'":
                raise self.err("single quotes do not delimit values; use double quotes")
            self.i += 1
        word = self.s[start : self.i]
        if not word:
            raise self.err("expected a value")
        if NUMBER_RE.match(word):
            return Num(word)
        return Str(word)

    def compare_op(self) -> CompareOp | None:
        self.ws()
        for op in ("!=", "<=", ">=", "=", "<", ">"):
            if self.peek(op):
                self.i += len(op)
                return op
        return None

    def check_value(self, op: CompareOp, value: Value, at: int) -> None:
        if op in ("<", ">", "<=", ">=") and not isinstance(value, Num):
            raise self.err(f"'{op}' needs a number", at)

    def joined(
        self, op: str, item: Callable[[], _N], combine: Callable[[tuple[_N, ...]], _N]
    ) -> _N:
        """``item (op item)*``: one item alone, else ``combine`` of all of them."""
        items = [item()]
        while True:
            self.ws()
            if not self.peek(op):
                break
            self.i += len(op)
            items.append(item())
        return items[0] if len(items) == 1 else combine(tuple(items))

    # -- JSON ----------------------------------------------------------------------------
    def json_pattern(self) -> JsonPattern:
        self.expect("{")
        self.ws()
        if self.peek("}"):
            raise self.err("empty JSON pattern")
        expr = self.expr()
        self.expect("}")
        self.ws()
        if not self.at_end():
            raise self.err("unexpected text after '}'")
        return JsonPattern(expr)

    def expr(self) -> Expr:
        return self.joined("||", self.conj, Or)

    def conj(self) -> Expr:
        return self.joined("&&", self.primary, And)

    def primary(self) -> Expr:
        self.ws()
        if self.peek("("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.err("parentheses nested too deeply")
            self.i += 1
            e = self.expr()
            self.expect(")")
            self.depth -= 1
            return e
        if self.peek("$"):
            return self.condition()
        if self.at_end():
            raise self.err("unexpected end of pattern: expected a condition")
        raise self.err("expected '$' selector or '('")

    def selector(self) -> Selector:
        start = self.i
        self.i += 1  # $
        parts: list[Part] = []
        stars = 0
        while not self.at_end():
            c = self.s[self.i]
            if c == ".":
                self.i += 1
                if self.peek("*"):
                    self.i += 1
                    parts.append(Star(bracket=False))
                    stars += 1
                elif self.peek("["):
                    parts.append(self.bracket())
                    if isinstance(parts[-1], Index | Star):
                        raise self.err("expected a quoted key after '.['", self.i - 1)
                else:
                    k0 = self.i
                    while not self.at_end() and self.s[self.i] not in _KEY_STOP:
                        self.i += 1
                    if self.i == k0:
                        raise self.err("expected a key after '.'")
                    parts.append(Key(self.s[k0 : self.i]))
            elif c == "[":
                p = self.bracket()
                stars += isinstance(p, Star)
                parts.append(p)
            else:
                break
        if not parts:
            raise self.err("expected '.' after '$'", start + 1)
        if stars > 1:
            raise self.err("only one wildcard per selector", start)
        self.stars += stars
        if self.stars > MAX_STARS:
            raise self.err(f"at most {MAX_STARS} wildcard selectors per pattern", start)
        return Selector(tuple(parts))

    def bracket(self) -> Part:
        start = self.i
        self.i += 1
        self.ws()
        if self.peek("*"):
            self.i += 1
            self.expect("]")
            return Star(bracket=True)
        if self.peek("'") or self.peek('"'):
            q = self.s[self.i]
            end = self.s.find(q, self.i + 1)
            if end < 0:
                raise self.err(f"expected closing {q}", start)
            key = self.s[self.i + 1 : end]
            self.i = end + 1
            self.expect("]")
            return Key(key)
        m = _INDEX_RE.match(self.s, self.i)
        if not m:
            raise self.err("expected an index, '*' or a quoted key in '[...]'")
        self.i = m.end()
        self.expect("]")
        return Index(int(m.group()))

    def condition(self) -> Expr:
        sel = self.selector()
        self.ws()
        at = self.i
        word = _WORD_RE.match(self.s, self.i)
        if word:
            w1 = word.group().upper()
            self.i = word.end()
            self.ws()
            w2m = _WORD_RE.match(self.s, self.i)
            w2 = w2m.group().upper() if w2m else ""
            if w1 == "IS" and w2 in ("NULL", "TRUE", "FALSE"):
                assert w2m
                self.i = w2m.end()
                op: TestOp = (
                    "IS NULL" if w2 == "NULL" else "IS TRUE" if w2 == "TRUE" else "IS FALSE"
                )
                return Test(sel, op)
            if w1 == "NOT" and w2 == "EXISTS":
                assert w2m
                self.i = w2m.end()
                return Test(sel, "NOT EXISTS")
            if w1 == "IS":
                raise self.err("expected NULL, TRUE or FALSE after IS", self.i)
            raise self.err("expected an operator (= != < > <= >=, IS, NOT EXISTS)", at)
        cop = self.compare_op()
        if cop is None:
            raise self.err("expected an operator (= != < > <= >=, IS, NOT EXISTS)", at)
        self.ws()
        vat = self.i
        val = self.value()
        self.check_value(cop, val, vat)
        return Compare(sel, cop, val)

    # -- space-delimited -----------------------------------------------------------------
    def space_pattern(self) -> SpacePattern:
        self.expect("[")
        slots: list[Slot] = []
        self.ws()
        if self.peek("]"):
            raise self.err("empty space-delimited pattern")
        while True:
            slots.append(self.slot())
            self.ws()
            if self.peek(","):
                self.i += 1
                continue
            if self.peek("]"):
                self.i += 1
                break
            raise self.err("expected ',' or ']'")
        self.ws()
        if not self.at_end():
            raise self.err("unexpected text after ']'")
        return SpacePattern(tuple(slots))

    def slot(self) -> Slot:
        self.ws()
        if self.peek("..."):
            self.i += 3
            return Slot("...")
        m = NAME_RE.match(self.s, self.i)
        if not m:
            raise self.err("expected a field name or '...'")
        name = m.group()
        self.i = m.end()
        self.ws()
        nxt = self.s[self.i : self.i + 1]
        if nxt in ("", ",", "]"):
            return Slot(name)
        self.i = m.start()
        cond = self.field_or(name)
        return Slot(name, cond)

    def field_or(self, name: str) -> FieldExpr:
        return self.joined("||", partial(self.field_and, name), FieldOr)

    def field_and(self, name: str) -> FieldExpr:
        cond: Callable[[], FieldExpr] = partial(self.field_cond, name)
        return self.joined("&&", cond, FieldAnd)

    def field_cond(self, name: str) -> FieldCond:
        self.ws()
        m = NAME_RE.match(self.s, self.i)
        if not m:
            raise self.err("expected a field name")
        if m.group() != name:
            raise self.err(f"a condition in field '{name}' must test '{name}'")
        self.i = m.end()
        at = self.i
        op = self.compare_op()
        if op is None:
            raise self.err("expected an operator (= != < > <= >=)", at)
        self.ws()
        vat = self.i
        val = self.value()
        self.check_value(op, val, vat)
        return FieldCond(name, op, val)

    # -- terms ---------------------------------------------------------------------------
    def term_pattern(self) -> TermPattern:
        terms: list[Term] = []
        while True:
            self.ws()
            if self.at_end():
                break
            kind: TermKind = "all"
            if (
                self.s[self.i] in "?-"
                and self.i + 1 < len(self.s)
                and self.s[self.i + 1] not in " \t\r\n"
            ):
                kind = "any" if self.s[self.i] == "?" else "not"
                self.i += 1
            c = self.s[self.i]
            if c == '"':
                text = self.quoted()
                if self.i < len(self.s) and self.s[self.i] not in " \t\r\n":
                    raise self.err("expected a space after a quoted phrase")
                terms.append(Term(text, kind, quoted=True))
                continue
            start = self.i
            while not self.at_end() and self.s[self.i] not in " \t\r\n":
                if self.s[self.i] == '"':
                    raise self.err("unexpected '\"' inside a term")
                self.i += 1
            terms.append(Term(self.s[start : self.i], kind))
        return TermPattern(tuple(terms))

    # -- top level -----------------------------------------------------------------------
    def pattern(self) -> Pattern:
        if len(self.s) > MAX_LENGTH:
            raise self.err(f"pattern longer than {MAX_LENGTH} characters", MAX_LENGTH)
        self.ws()
        if self.at_end():
            return MatchAll()
        c = self.s[self.i]
        if c == "{":
            return self.json_pattern()
        if c == "[":
            return self.space_pattern()
        if c == "%":
            rx = self.regex()
            self.ws()
            if not self.at_end():
                raise self.err("unexpected text after a regex pattern")
            return RegexPattern(rx)
        return self.term_pattern()


@lru_cache(maxsize=4096)
def parse(text: str) -> Pattern:
    """Parse a filter pattern; raises :class:`FilterPatternError` on bad input."""
    if not isinstance(text, str):
        raise FilterPatternError("a filter pattern must be a string", 1)
    try:
        return _Parser(text).pattern()
    except FilterPatternError:
        raise
    except (IndexError, ValueError, RecursionError) as exc:  # defensive: never leak
        raise FilterPatternError(f"invalid pattern ({type(exc).__name__})", 1) from None


__all__ = ["MAX_LENGTH", "parse"]
