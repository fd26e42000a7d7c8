"""Canonical text (``render``) and a precedence-explicit explanation (``explain``)."""

from __future__ import annotations

import re

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
    Term,
    TermPattern,
    Value,
)

_PLAIN_KEY = re.compile(r"[^\s()&|{}\[\].=!<>\"'%,]+\Z")


def render_selector(sel: Selector) -> str:
    out = ["$"]
    for p in sel.parts:
        if isinstance(p, Key):
            if _PLAIN_KEY.match(p.name) and p.name != "*":
                out.append("." + p.name)
            elif "'" in p.name:
                out.append('.["' + p.name + '"]')
            else:
                out.append(".['" + p.name + "']")
        elif isinstance(p, Index):
            out.append(f"[{p.index}]")
        else:
            out.append("[*]" if p.bracket else ".*")
    return "".join(out)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_value(v: Value, force_quotes: bool = False) -> str:
    if isinstance(v, Num):
        return v.text
    if isinstance(v, Regex):
        return "%" + v.source + "%"
    return quote(v.text) if v.quoted or force_quotes else v.text


def _expr(e: Expr, explain: bool = False) -> str:
    if isinstance(e, Or):
        return " || ".join(
            f"({_expr(x, explain)})"
            if isinstance(x, Or) or (explain and isinstance(x, And))
            else _expr(x, explain)
            for x in e.items
        )
    if isinstance(e, And):
        return " && ".join(
            f"({_expr(x, explain)})" if isinstance(x, And | Or) else _expr(x, explain)
            for x in e.items
        )
    if isinstance(e, Compare):
        return f"{render_selector(e.selector)} {e.op} {render_value(e.value, explain)}"
    return f"{render_selector(e.selector)} {e.op}"


def _field(e: FieldExpr) -> str:
    if isinstance(e, FieldOr):
        return " || ".join(_field(x) for x in e.items)
    if isinstance(e, FieldAnd):
        return " && ".join(_field(x) for x in e.items)
    assert isinstance(e, FieldCond)
    return f"{e.name} {e.op} {render_value(e.value)}"


def _term(t: Term) -> str:
    prefix = {"all": "", "any": "?", "not": "-"}[t.kind]
    return prefix + (quote(t.text) if t.quoted else t.text)


def render(p: Pattern) -> str:
    """Canonical text for ``p``; ``parse(render(p)) == p``."""
    if isinstance(p, MatchAll):
        return ""
    if isinstance(p, JsonPattern):
        return "{ " + _expr(p.expr) + " }"
    if isinstance(p, TermPattern):
        return " ".join(_term(t) for t in p.terms)
    if isinstance(p, SpacePattern):
        return "[" + ", ".join(s.name if s.cond is None else _field(s.cond) for s in p.slots) + "]"
    assert isinstance(p, RegexPattern)
    return "%" + p.regex.source + "%"


def _flatten(e: Expr) -> Expr:
    """Merge nested same-operator nodes: only precedence remains visible."""
    if isinstance(e, And | Or):
        kind = type(e)
        items: list[Expr] = []
        for x in e.items:
            fx = _flatten(x)
            items.extend(fx.items if isinstance(fx, kind) else (fx,))
        return kind(tuple(items))
    return e


def _tree(e: Expr, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(e, And | Or):
        lines.append(pad + ("ALL of (&&):" if isinstance(e, And) else "ANY of (||):"))
        for x in e.items:
            _tree(x, depth + 1, lines)
    else:
        lines.append(pad + _expr(e, explain=True))


def explain(p: Pattern) -> str:
    """Normalised structure with precedence made explicit, e.g. ``A || (B && C)``."""
    if isinstance(p, MatchAll):
        return "matches every event (empty pattern)"
    if isinstance(p, JsonPattern):
        e = _flatten(p.expr)
        lines = ["JSON pattern (&& binds tighter than ||):", "  " + _expr(e, explain=True)]
        _tree(e, 1, lines)
        return "\n".join(lines)
    if isinstance(p, TermPattern):
        plain = [_term(t) for t in p.terms if t.kind == "all"]
        anys = [_term(t)[1:] for t in p.terms if t.kind == "any"]
        nots = [_term(t)[1:] for t in p.terms if t.kind == "not"]
        lines = ["term pattern (whole terms, case-sensitive):"]
        if plain:
            lines.append("  all of: " + ", ".join(plain))
            if anys:
                lines.append("  ignored ('?' terms mixed with plain terms): " + ", ".join(anys))
        elif anys:
            lines.append("  any of: " + ", ".join(anys))
        if nots:
            lines.append("  none of: " + ", ".join(nots))
        return "\n".join(lines)
    if isinstance(p, SpacePattern):
        lines = ["space-delimited pattern, fields in order:"]
        for i, s in enumerate(p.slots, 1):
            if s.ellipsis:
                lines.append(f"  {i}. ... (any number of fields)")
            elif s.cond is None:
                lines.append(f"  {i}. {s.name} (any value)")
            else:
                lines.append(f"  {i}. {s.name} where {_field(s.cond)}")
        return "\n".join(lines)
    assert isinstance(p, RegexPattern)
    return f"regex pattern (unanchored search): %{p.regex.source}%"


__all__ = ["explain", "render", "render_selector", "render_value"]
