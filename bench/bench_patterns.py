"""Benchmarks for watchkeeper.patterns (not run by the test suite).

    python -m bench.bench_patterns

Prints the median time of one ``covers`` call (every CIS required pattern against ~20
variants each, cold and warm caches) and ``matches`` throughput over CloudTrail records.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.patterns import cover as cover_mod
from watchkeeper.patterns import covers, parse, render
from watchkeeper.patterns import match as match_mod
from watchkeeper.patterns import parser as parser_mod
from watchkeeper.patterns.ast import (
    And,
    Compare,
    Expr,
    JsonPattern,
    Key,
    Or,
    Selector,
    Str,
    Test,
)
from watchkeeper.patterns.cloudtrail import EVENT_SOURCES, build_record


def _map(e: Expr, f: Callable[[Expr], Expr]) -> Expr:
    if isinstance(e, And | Or):
        return f(type(e)(tuple(_map(x, f) for x in e.items)))
    return f(e)


def _quote_all(e: Expr) -> Expr:
    if isinstance(e, Compare) and isinstance(e.value, Str):
        return Compare(e.selector, e.op, Str(e.value.text, quoted=True))
    return e


def _reverse(e: Expr) -> Expr:
    return type(e)(tuple(reversed(e.items))) if isinstance(e, And | Or) else e


def _rename(e: Expr) -> Expr:
    if isinstance(e, Compare | Test):
        parts = tuple(
            Key("eventname") if isinstance(p, Key) and p.name == "eventName" else p
            for p in e.selector.parts
        )
        if isinstance(e, Compare):
            return Compare(Selector(parts), e.op, e.value)
        return Test(Selector(parts), e.op)
    return e


def _drop(e: Expr, i: int) -> Expr:
    """Drop the i-th alternative of the biggest '||' in the pattern."""
    if isinstance(e, Or) and len(e.items) > 2:
        items = list(e.items)
        del items[i % len(items)]
        return Or(tuple(items))
    if isinstance(e, And):
        return And(tuple(_drop(x, i) for x in e.items))
    return e


def variants(required: str) -> list[str]:
    p = parse(required)
    assert isinstance(p, JsonPattern)
    e = p.expr
    region = Compare(Selector((Key("awsRegion"),)), "=", Str("us-east-1"))
    extra = Compare(Selector((Key("eventName"),)), "=", Str("DeleteBucket"))
    out = [
        required,
        render(p),
        re.sub(r"\s*(\|\||&&|\(|\)|!=|=)\s*", r"\1", render(p)),
        render(JsonPattern(_map(e, _quote_all))),
        render(JsonPattern(_map(e, _reverse))),
        render(JsonPattern(Or((e, extra)))),
        render(JsonPattern(And((e, region)))),
        render(JsonPattern(_map(e, _rename))),
        render(JsonPattern(_map(e, lambda x: And(x.items) if isinstance(x, Or) else x))),
        "",
        "{ $.eventName = * }",
        "{ $.eventSource = cloudtrail.amazonaws.com }",
        '{ $.errorCode = "AccessDenied*" }',
        '{ $.userIdentity.type = "Root" }',
    ]
    out += [render(JsonPattern(_drop(e, i))) for i in range(6)]
    return out[:20]


def _clear_caches() -> None:
    parser_mod.parse.cache_clear()
    match_mod.compile_pattern.cache_clear()
    match_mod._compile_text.cache_clear()
    cover_mod._string_candidates_cached.cache_clear()


def bench_covers() -> tuple[float, float, float, int]:
    pairs = [(v, req) for req in CIS_PATTERNS.values() for v in variants(req)]
    cold: list[float] = []
    warm: list[float] = []
    for actual, required in pairs:
        _clear_caches()
        t0 = time.perf_counter()
        covers(actual, required)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        covers(actual, required)
        warm.append(time.perf_counter() - t0)
    return (
        statistics.median(cold) * 1000,
        statistics.median(warm) * 1000,
        max(cold) * 1000,
        len(pairs),
    )


def sample_records(n: int) -> list[dict[str, Any]]:
    names = sorted(EVENT_SOURCES)
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < n:
        name = names[i % len(names)]
        core: dict[str, Any] = {"eventName": name, "eventSource": EVENT_SOURCES[name][0]}
        if i % 7 == 0:
            core["userIdentity.type"] = "Root"
        overrides: list[tuple[tuple[str | int, ...], Any]] = []
        if i % 5 == 0:
            overrides.append((("errorCode",), "AccessDenied"))
        rec = build_record(core, overrides)
        if rec is not None:
            out.append(rec)
        i += 1
    return out


def bench_matches(records: list[Any]) -> float:
    patterns = [parse(t) for t in CIS_PATTERNS.values()]
    compiled = [match_mod.compile_pattern(p) for p in patterns]
    t0 = time.perf_counter()
    for pred in compiled:
        for r in records:
            pred(r)
    elapsed = time.perf_counter() - t0
    return len(records) * len(compiled) / elapsed


def main() -> None:
    cold, warm, worst, n = bench_covers()
    print(
        f"covers: {n} calls; median {cold:.2f} ms cold caches, {warm:.2f} ms warm; "
        f"worst {worst:.1f} ms"
    )
    records = sample_records(20_000)
    print(f"matches (dict events):        {bench_matches(records):,.0f} events/s")
    messages = [json.dumps(r) for r in records[:5000]]
    print(f"matches (raw JSON messages):  {bench_matches(messages):,.0f} events/s")
    via_api = records[:5000]
    t0 = time.perf_counter()
    for text in CIS_PATTERNS.values():
        for r in via_api:
            match_mod.matches(text, r)
    rate = len(via_api) * len(CIS_PATTERNS) / (time.perf_counter() - t0)
    print(f"matches(text, dict) via API:  {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
