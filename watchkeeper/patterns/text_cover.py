"""Coverage for text patterns (terms, space-delimited) over CloudTrail log lines.

CloudTrail delivers each record to CloudWatch Logs as one line of compact JSON, so a
term pattern asks which whole terms occur in that line. A term occurs in *every* record
of a branch of the witness search when it is part of a key every record carries
(``eventName``, ``type``) or of a value the branch has fixed (``"eventName":"StopLogging"``,
``cloudtrail`` in ``"eventSource":"cloudtrail.amazonaws.com"``). Everything else in the
line is free text the search can change: it rewrites free fields to drop the filter's
terms, and puts an excluded (``-term``) term into the caller-controlled ``userAgent``,
because a real caller can send any user agent. A witness is always re-checked with
``matches``; a branch where a term might only be in free text the search cannot rewrite
leaves the verdict undecided rather than guessed.

Space-delimited patterns split that line at blanks, which only occur inside string
values (a user agent such as ``aws-cli/2.15.0 Python/3.11.8``). ``[...]``-style patterns
with at most one unconditioned field match every line; ``[..., f = *Name*, ...]`` holds
exactly when ``Name`` (letters, digits, ``_``) occurs anywhere in the line, since no field
split cuts a run of word characters; other shapes are judged by trying lines with none,
few and many blanks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import cloudtrail as ct
from .ast import (
    FieldCond,
    FieldExpr,
    FieldOr,
    Pattern,
    SpacePattern,
    Str,
    TermPattern,
)
from .cloudtrail import ABSENT, ARRAY, OBJECT, Path
from .match import has_term

Eval3 = Callable[[dict[Path, Any]], bool | None]

# Keys every record carries (required fields and their required children): a term that
# is one of them occurs in every line.
_STRUCTURAL: tuple[str, ...] = tuple(
    sorted(
        {
            str(path[-1])
            for path, spec in ct.SCHEMA.items()
            if spec.required and all(ct.SCHEMA[path[:i]].required for i in range(1, len(path)))
        }
    )
)
# Fields whose values a term can be part of, and which the search then enumerates.
_TEXT_PATHS: tuple[Path, ...] = (
    ("eventName",),
    ("eventSource",),
    ("eventType",),
    ("userIdentity", "type"),
    ("eventCategory",),
    ("managementEvent",),
    ("readOnly",),
)
# Realistic alternatives for free fields, used to rewrite a record so that it no longer
# carries a term by accident (the first value is the record builder's default).
_ALTERNATIVES: dict[Path, tuple[str, ...]] = {
    ("eventVersion",): ("1.08", "1.09", "1.10"),
    ("eventTime",): ("2024-05-01T12:00:00Z", "2025-02-03T04:05:06Z"),
    ("awsRegion",): ("us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"),
    ("sourceIPAddress",): ("198.51.100.7", "203.0.113.25"),
    ("userAgent",): (
        "aws-cli/2.15.0 Python/3.11.8",
        "console.amazonaws.com",
        "Boto3/1.34.0",
        "Terraform/1.7.0",
    ),
    ("userIdentity", "userName"): ("alice", "bob"),
    ("userIdentity", "accessKeyId"): ("AKIAEXAMPLEKEY", "ASIAOTHEREXAMPLE"),
    ("requestID",): (
        "5c5e2f1a-0b7e-4a6b-9f3e-2d1c0b9a8f7e",
        "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
    ),
    ("eventID",): ("0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
}
# Line shapes for space-delimited patterns: no blank, a few, many, a bracketed field.
_USER_AGENT_SHAPES = (
    "console.amazonaws.com",
    "aws-cli/2.15.0 Python/3.11.8",
    "aws-cli/2.15.0 Python/3.11.8 Linux/6.1.0 exe/x86_64 prompt/off command/cli.run",
    "[aws-cli/2.15.0] Python/3.11.8",
)


def _present(term: str, whole: bool, text: str) -> bool:
    return has_term(text, term) if whole else term in text


def fragment(path: Path, value: Any) -> str | None:
    """The text one assigned field contributes to the log line (key and value)."""
    if value is ABSENT:
        return None
    key = f'"{path[-1]}":' if isinstance(path[-1], str) else ""
    if value is OBJECT or value is ARRAY:
        return key
    return key + json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class TextPlan:
    """What ``covers`` needs to judge one text pattern as the filter."""

    evaluate: Eval3
    # field -> values to enumerate (the values whose text can hold one of the terms)
    paths: dict[Path, list[Any]] = field(default_factory=dict)
    terms: tuple[str, ...] = ()  # positive terms (for rewriting free fields)
    excluded: tuple[str, ...] = ()  # '-' terms (to put into the user agent)
    whole: bool = True
    shapes: bool = False  # try other user agents (space-delimited patterns)
    exact: bool = True
    why_inexact: str = ""

    def domain(
        self, path: Path, base: list[Any], sig: Callable[[Any], tuple[bool, ...]]
    ) -> list[Any]:
        """``base`` candidates of ``path`` widened so that every combination of the
        required pattern's conditions (``sig``), the filter's terms and the service has a
        realistic value. ``"x"`` is the placeholder for a field no condition mentions."""
        if path == ("eventName",):
            out = [c for c in base if c != "x"]

            def key(name: str, svc: str) -> tuple[Any, ...]:
                frag = fragment(path, name) or ""
                return (
                    sig(name),
                    tuple(_present(t, self.whole, frag) for t in (*self.terms, *self.excluded)),
                    svc,
                )

            seen = {key(c, s) for c in out if isinstance(c, str) for s in _sources(c)}
            for name, services in ct.EVENT_SOURCES.items():
                for svc in services:
                    k = key(name, svc)
                    if k not in seen:
                        seen.add(k)
                        if name not in out:
                            out.append(name)
            return out
        if path == ("eventSource",):
            out = [c for c in base if c != "x"]
            return out + [s for s in ct.SERVICES if s not in out]
        spec = ct.field_spec(path)
        if spec is None or spec.kind != "string" or not (self.terms or self.excluded):
            return list(base)
        # A string field the required pattern conditions (``$.awsRegion = *``) is fixed by
        # the search, so the rewriting of free fields leaves it alone: its candidates must
        # include a value without the filter's terms for each case the conditions tell
        # apart ("x" last, for when every realistic value carries a term).
        out = list(base)

        def case(value: str) -> tuple[Any, ...]:
            frag = fragment(path, value) or ""
            terms = (*self.terms, *self.excluded)
            return sig(value), tuple(_present(t, self.whole, frag) for t in terms)

        seen = {case(c) for c in out if isinstance(c, str)}
        for value in (*spec.pool, *_ALTERNATIVES.get(path, ()), "x"):
            if value not in out and (k := case(value)) not in seen:
                seen.add(k)
                out.append(value)
        return out

    def variants(self, rec: dict[str, Any], fixed: set[Path]) -> Iterator[dict[str, Any]]:
        """Other realistic records with the same fixed fields, to find a witness."""
        base = self._scrub(rec, fixed)
        yield base
        if self.excluded and ("userAgent",) not in fixed:
            tagged = copy.deepcopy(base)
            tagged["userAgent"] = f"{tagged['userAgent']} {self.excluded[0]}"
            yield tagged
        if self.shapes and ("userAgent",) not in fixed:
            for agent in _USER_AGENT_SHAPES:
                shaped = copy.deepcopy(base)
                shaped["userAgent"] = agent
                yield shaped

    def _scrub(self, rec: dict[str, Any], fixed: set[Path]) -> dict[str, Any]:
        out = copy.deepcopy(rec)
        if not self.terms:
            return out
        for path, alternatives in _ALTERNATIVES.items():
            if path in fixed:
                continue
            parent: Any = out
            for part in path[:-1]:
                parent = parent.get(part) if isinstance(parent, dict) else None
            if not isinstance(parent, dict) or not isinstance(parent.get(path[-1]), str):
                continue
            if not self._carries(path, parent[path[-1]]):
                continue
            for alt in alternatives:
                if not self._carries(path, alt):
                    parent[path[-1]] = alt
                    break
        return out

    def _carries(self, path: Path, value: str) -> bool:
        frag = fragment(path, value) or ""
        return any(_present(t, self.whole, frag) for t in self.terms)


def _sources(name: str) -> tuple[str, ...]:
    return ct.EVENT_SOURCES.get(name, ct.SERVICES)


def _presence(
    terms: tuple[str, ...], whole: bool
) -> Callable[[dict[Path, Any]], list[bool | None]]:
    """Per term: True when every record of the branch carries it, else None (unknown)."""
    forced = [any(_present(t, whole, f'"{k}":') for k in _STRUCTURAL) for t in terms]

    def pres(a: dict[Path, Any]) -> list[bool | None]:
        frags = [f for p, v in a.items() if (f := fragment(p, v))]
        return [
            True if forced[i] or any(_present(t, whole, f) for f in frags) else None
            for i, t in enumerate(terms)
        ]

    return pres


def _term_plan(p: TermPattern) -> TextPlan:
    plain = tuple(t.text for t in p.terms if t.kind == "all")
    anys = () if plain else tuple(t.text for t in p.terms if t.kind == "any")
    nots = tuple(t.text for t in p.terms if t.kind == "not")
    positive = plain or anys
    pos_pres = _presence(positive, True)
    not_pres = _presence(nots, True)

    def evaluate(a: dict[Path, Any]) -> bool | None:
        if any(v is True for v in not_pres(a)):
            return False
        if positive:
            got = pos_pres(a)
            hit = all(v is True for v in got) if plain else any(v is True for v in got)
        else:
            hit = True
        return True if hit and not nots else None

    return TextPlan(evaluate, terms=positive, excluded=nots)


def _infix_words(cond: FieldExpr) -> list[str] | None:
    """``f = *Word*`` (or an OR of them) as the words; None for any other condition."""
    items = cond.items if isinstance(cond, FieldOr) else (cond,)
    words: list[str] = []
    for c in items:
        if not isinstance(c, FieldCond) or c.op != "=" or not isinstance(c.value, Str):
            return None
        text = c.value.text
        core = text[1:-1]
        if len(text) < 3 or not (text.startswith("*") and text.endswith("*")):
            return None
        if not core or any(not (ch.isascii() and (ch.isalnum() or ch == "_")) for ch in core):
            return None
        words.append(core)
    return words


def _space_plan(p: SpacePattern) -> TextPlan:
    fields = [s for s in p.slots if not s.ellipsis]
    has_ellipsis = len(fields) < len(p.slots)
    if has_ellipsis and len(fields) <= 1 and all(s.cond is None for s in fields):
        return TextPlan(lambda _a: True)  # every line has at least one field
    if (
        len(p.slots) == 3
        and p.slots[0].ellipsis
        and p.slots[2].ellipsis
        and p.slots[1].cond is not None
    ):
        words = _infix_words(p.slots[1].cond)
        if words:
            pres = _presence(tuple(words), False)

            def evaluate(a: dict[Path, Any]) -> bool | None:
                return True if any(v is True for v in pres(a)) else None

            return TextPlan(evaluate, terms=tuple(words), whole=False)
    return TextPlan(
        lambda _a: None,
        shapes=True,
        exact=False,
        why_inexact="a space-delimited pattern of this shape is only tested on sample lines",
    )


def text_plan(p: Pattern) -> TextPlan | None:
    """The plan for a term or space-delimited filter; None for other kinds."""
    if isinstance(p, TermPattern):
        plan = _term_plan(p)
    elif isinstance(p, SpacePattern):
        plan = _space_plan(p)
    else:
        return None
    wanted = (*plan.terms, *plan.excluded)
    for path in _TEXT_PATHS:
        spec = ct.field_spec(path)
        if spec is None:
            continue
        if path == ("eventName",):
            values: list[Any] = list(ct.EVENT_SOURCES)
        elif path == ("eventSource",):
            values = list(ct.SERVICES)
        elif spec.kind == "enum":
            values = list(spec.enum)
        else:
            values = [False, True]
        if any(_present(t, plan.whole, fragment(path, v) or "") for v in values for t in wanted):
            plan.paths[path] = values
    return plan


__all__ = ["TextPlan", "fragment", "text_plan"]
