"""Does one filter pattern match every CloudTrail event another one matches?

``covers(actual, required)`` searches for a *witness*: a real-looking CloudTrail record
that ``required`` matches and ``actual`` does not. Both JSON patterns become Boolean
formulas over atomic conditions on field paths. Each path gets a finite set of candidate
values that represents every distinguishable case: each constant of either pattern, one
string per combination of the wildcard (``AccessDenied*``) conditions, numbers on each
side of each numeric constant, null/true/false/object, and absence. A depth-first search
with three-valued evaluation assigns paths one at a time and prunes as soon as
``required`` is certainly false or ``actual`` certainly true; CloudTrail's own rules
(``cloudtrail.py``) reject impossible combinations. Without regexes and wildcard
selectors the candidate sets are exhaustive, so "no witness" proves coverage. Every
witness is re-checked with ``matches`` before it is returned.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import cloudtrail as ct
from .ast import (
    And,
    Compare,
    Expr,
    Index,
    JsonPattern,
    Key,
    MatchAll,
    Num,
    Or,
    Pattern,
    Regex,
    Selector,
    Str,
    Test,
)
from .cloudtrail import ABSENT, ARRAY, OBJECT, Path
from .match import as_pattern as _as_pattern
from .match import compare_value, compile_pattern
from .regex import as_globs, compile_regex
from .text_cover import TextPlan, text_plan

MAX_NODES = 50_000
MAX_GLOBS_EXACT = 6
_CORE = {
    ("eventName",): "eventName",
    ("eventSource",): "eventSource",
    ("eventType",): "eventType",
    ("userIdentity", "type"): "userIdentity.type",
    ("eventCategory",): "eventCategory",
    ("managementEvent",): "managementEvent",
    ("readOnly",): "readOnly",
}
_PRIORITY: dict[Path, int] = {("eventName",): 0, ("eventSource",): 1, ("eventType",): 2}
_UNSET: Any = object()
_COVERED = "covers every event the required pattern matches"


@dataclass(frozen=True)
class Coverage:
    """The verdict of ``covers``.

    ``covered`` is True only when no CloudTrail event matched by ``required`` escapes
    ``actual``; ``decided`` is False when the question could not be settled exactly
    (regexes, wildcard selectors): then ``covered`` is False and ``reason`` says why.
    ``counterexample``: a record ``required`` matches and ``actual`` misses;
    ``broader``: a record ``actual`` matches and ``required`` does not.
    """

    covered: bool
    decided: bool
    counterexample: dict[str, Any] | None
    reason: str
    broader: dict[str, Any] | None = None


# --- formulas ---------------------------------------------------------------------------

Eval3 = Callable[[dict[Path, Any]], bool | None]


@dataclass
class _Atoms:
    """Atomic conditions of both patterns, grouped by path."""

    by_path: dict[Path, list[Compare | Test]] = field(default_factory=dict)
    # paths (with their ancestors) each formula mentions: "want" is compiled first
    formula_paths: list[set[Path]] = field(default_factory=list)
    exact: bool = True
    why_inexact: str = ""
    text: TextPlan | None = None  # the filter's plan when it is a term/space pattern

    def inexact(self, why: str) -> None:
        if self.exact:
            self.exact = False
            self.why_inexact = why


def _path_of(sel: Selector) -> Path | None:
    out: list[str | int] = []
    for p in sel.parts:
        if isinstance(p, Key):
            out.append(p.name)
        elif isinstance(p, Index):
            out.append(p.index)
        else:
            return None
    return tuple(out)


def atom_holds(node: Compare | Test, v: Any) -> bool:
    """Truth of one condition when its selector lands exactly on ``v`` (or ABSENT)."""
    if isinstance(node, Test):
        if node.op == "NOT EXISTS":
            return v is ABSENT
        if v is ABSENT or v is OBJECT or v is ARRAY:
            return False
        if node.op == "IS NULL":
            return v is None
        return v is (node.op == "IS TRUE")
    if v is ABSENT or v is OBJECT or v is ARRAY:
        return False
    return compare_value(node.op, node.value, v)


def _compile3(expr: Expr, atoms: _Atoms) -> Eval3:
    if isinstance(expr, And | Or):
        parts = tuple(_compile3(e, atoms) for e in expr.items)
        decisive = isinstance(expr, Or)  # the item value that settles the whole node

        def junction3(a: dict[Path, Any]) -> bool | None:
            res: bool | None = not decisive
            for p in parts:
                v = p(a)
                if v is decisive:
                    return decisive
                if v is None:
                    res = None
            return res

        return junction3
    path = _path_of(expr.selector)
    if path is None:
        atoms.inexact("a wildcard selector ([*] or .*) is involved")
        return lambda _a: None
    if isinstance(expr, Compare) and isinstance(expr.value, Regex):
        globs = as_globs(compile_regex(expr.value.source))
        if globs is not None:
            # literal-only regexes are wildcard strings in disguise: stay exact
            parts_ = [Compare(expr.selector, expr.op, Str(g, quoted=True)) for g in globs]
            if len(parts_) == 1:
                return _compile3(parts_[0], atoms)
            return _compile3(Or(tuple(parts_)) if expr.op == "=" else And(tuple(parts_)), atoms)
        atoms.inexact("a %regex% value is involved")
    atoms.by_path.setdefault(path, []).append(expr)
    atoms.formula_paths[-1].update(path[:i] for i in range(1, len(path) + 1))
    node = expr

    def atom3(a: dict[Path, Any]) -> bool | None:
        v = a.get(path, _UNSET)
        if v is _UNSET:
            return None
        return atom_holds(node, v)

    return atom3


def _formula(p: Pattern, atoms: _Atoms, filter_side: bool = False) -> Eval3 | None:
    """Three-valued evaluator for JSON/empty patterns, and for term and space-delimited
    filters (``filter_side``); None for the rest."""
    atoms.formula_paths.append(set())
    if isinstance(p, MatchAll):
        return lambda _a: True
    if isinstance(p, JsonPattern):
        return _compile3(p.expr, atoms)
    plan = text_plan(p) if filter_side else None
    if plan is None:
        return None
    atoms.text = plan
    if not plan.exact:
        atoms.inexact(plan.why_inexact)
    for path in plan.paths:
        atoms.by_path.setdefault(path, [])
        atoms.formula_paths[-1].update(path[:i] for i in range(1, len(path) + 1))
    return plan.evaluate


# --- candidate values -------------------------------------------------------------------


def _filler(texts: list[str]) -> str:
    used = set("".join(texts))
    for c in "XQZJKVW0123456789xqzjkvw_~":
        if c not in used:
            return c
    return "\u2603"


def _glob_witness(globs: list[str], chosen: tuple[int, ...], fill: str) -> str | None:
    """A string matching the chosen wildcard patterns and as few others as possible.

    Pieces are joined with a character that occurs in no constant, so no other pattern
    can match across a join: whatever else this string matches, every string matching
    the chosen ones matches too.
    """
    prefixes: list[str] = []
    suffixes: list[str] = []
    infixes: list[str] = []
    for i in chosen:
        g = globs[i]
        lead, trail = g.startswith("*"), g.endswith("*")
        if lead and trail:
            infixes.append(g[1:-1])
        elif lead:
            suffixes.append(g[1:])
        else:
            prefixes.append(g[:-1])
    p = max(prefixes, key=len, default="")
    s = max(suffixes, key=len, default="")
    if any(not p.startswith(x) for x in prefixes) or any(not s.endswith(x) for x in suffixes):
        return None
    return p + fill + fill.join(infixes) + (fill if infixes else "") + s


def _string_candidates(path: Path, nodes: list[Compare | Test], atoms: _Atoms) -> list[Any]:
    cands, why = _string_candidates_cached(path, tuple(nodes))
    if why:
        atoms.inexact(why)
    return list(cands)


@lru_cache(maxsize=4096)
def _string_candidates_cached(
    path: Path, nodes: tuple[Compare | Test, ...]
) -> tuple[tuple[Any, ...], str]:
    why = ""
    consts: list[str] = []
    globs: list[str] = []
    regexes = False
    for n in nodes:
        if not isinstance(n, Compare):
            continue
        v = n.value
        if isinstance(v, Num):
            consts.append(v.text)
        elif isinstance(v, Regex):
            regexes = True
        elif v.text == "*":
            continue
        elif v.prefix_star or v.suffix_star:
            globs.append(v.text)
        else:
            consts.append(v.text)
    consts = list(dict.fromkeys(consts))
    globs = list(dict.fromkeys(globs))
    spec = ct.field_spec(path)
    pool: list[str] = list(spec.pool) if spec else []
    if path == ("eventName",):
        pool = list(ct.EVENT_SOURCES)
    string_nodes = [n for n in nodes if isinstance(n, Compare)]

    def signature(s: str) -> tuple[bool, ...]:
        return tuple(atom_holds(n, s) for n in string_nodes)

    out: list[Any] = list(consts)
    seen = {signature(c) for c in consts}
    # realistic values first: one per distinguishable case (per service for eventName)
    per_service: set[tuple[tuple[bool, ...], str]] = set()
    for name in pool:
        sig = signature(name)
        if path == ("eventSource",):
            # every service: which one is possible depends on the event name
            if name not in out:
                out.append(name)
                seen.add(sig)
        elif path == ("eventName",):
            fresh = [(sig, s) for s in ct.EVENT_SOURCES[name] if (sig, s) not in per_service]
            if fresh and name not in out:
                per_service.update(fresh)
                out.append(name)
                seen.add(sig)
        elif sig not in seen:
            seen.add(sig)
            out.append(name)
    if len(globs) > MAX_GLOBS_EXACT:
        why = f"more than {MAX_GLOBS_EXACT} wildcard values on one field"
        subsets: Iterator[tuple[int, ...]] = itertools.chain(
            [()], ((i,) for i in range(len(globs)))
        )
    else:
        subsets = itertools.chain.from_iterable(
            itertools.combinations(range(len(globs)), k) for k in range(len(globs) + 1)
        )
    fill = _filler(consts + globs)
    for chosen in subsets:
        w = _glob_witness(globs, chosen, fill)
        if w is None:
            continue
        sig = signature(w)
        # eventName: a name outside the table fits every service, which keeps the
        # search complete even where the realistic names are all taken
        if sig not in seen or (path in (("eventName",), ("eventSource",)) and w not in out):
            seen.add(sig)
            out.append(w)
    if regexes:
        out.extend(v for v in ("", "example", "Example-Value 123") if v not in out)
    return tuple(out), why


def _number_candidates(nodes: list[Compare | Test]) -> list[Any]:
    nums = sorted(
        {n.value.value for n in nodes if isinstance(n, Compare) and isinstance(n.value, Num)}
    )
    out: list[float] = []
    for i, x in enumerate(nums):
        if i == 0:
            out.append(x - 1)
        out.append(x)
        out.append(x + 1 if i == len(nums) - 1 else (x + nums[i + 1]) / 2)
    return [int(x) if float(x).is_integer() and abs(x) < 2**53 else x for x in out]


def _candidates(
    path: Path, nodes: list[Compare | Test], child_parts: set[type], atoms: _Atoms
) -> list[Any]:
    spec = ct.field_spec(path)
    if spec is None:
        return [ABSENT]  # no real CloudTrail record has this key
    opt = [] if spec.required else [ABSENT]
    if spec.kind == "object":
        return [OBJECT, *opt]
    if spec.kind == "object_or_null":
        return [OBJECT, None, *opt]
    if spec.kind == "bool":
        return [False, True, *opt]
    if spec.kind == "enum":
        return [*spec.enum, *opt]
    if spec.kind == "string":
        return [*_string_candidates(path, nodes, atoms), *opt] if nodes else ["x", *opt]
    # free-form payload value
    out: list[Any] = []
    if Key in child_parts:
        out.append(OBJECT)
    if Index in child_parts:
        out.append(ARRAY)
    out.append(ABSENT)
    if nodes:
        has_num = any(isinstance(n, Compare) and isinstance(n.value, Num) for n in nodes)
        # '= *' holds for every non-null scalar, so it cannot tell numbers from strings
        has_str = any(
            isinstance(n, Compare) and isinstance(n.value, Str) and n.value.text != "*"
            for n in nodes
        )
        if has_num and has_str:
            atoms.inexact("numbers and strings are compared on one field")
        out.extend([None, True, False])
        if OBJECT not in out:
            out.append(OBJECT)
        out.extend(_string_candidates(path, nodes, atoms))
        if has_num:
            out.extend(_number_candidates(nodes))
    return out


# --- the search -------------------------------------------------------------------------


@dataclass
class _Search:
    want: Eval3  # must be true
    avoid: Eval3 | None  # must be false (None: opaque, decided on the built record)
    want_match: Callable[[Any], bool]
    avoid_match: Callable[[Any], bool]
    paths: list[Path]
    cands: dict[Path, list[Any]]
    want_paths: set[Path]
    avoid_paths: set[Path]
    text: TextPlan | None = None
    nodes: int = 0
    exhausted: bool = False
    mismatch: bool = False

    def run(self) -> dict[str, Any] | None:
        return self._dfs(0, {})

    def _dfs(self, k: int, a: dict[Path, Any]) -> dict[str, Any] | None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.exhausted = True
            return None
        w = self.want(a)
        if w is False:
            return None
        v = self.avoid(a) if self.avoid is not None else None
        if v is True or not _partially_coherent(a):
            return None
        # Once one side is settled, paths only the other side mentions cannot change
        # the outcome: leave them to the record builder instead of enumerating them.
        if w is True and self.avoid is not None:
            relevant: set[Path] | None = self.avoid_paths
        elif v is False:
            relevant = self.want_paths
        else:
            relevant = None
        if relevant is not None:
            while k < len(self.paths) and self.paths[k] not in relevant:
                k += 1
        if (w is True and v is False) or k == len(self.paths):
            rec = self._leaf(a)
            if rec is not None or k == len(self.paths):
                return rec
        path = self.paths[k]
        parent = a.get(path[:-1], _UNSET) if len(path) > 1 else OBJECT
        if parent is _UNSET:  # skipped as irrelevant, so the child is irrelevant too
            return self._dfs(k + 1, a)
        want_kind = ARRAY if isinstance(path[-1], int) else OBJECT
        options = self.cands[path] if parent is want_kind else [ABSENT]
        for val in options:
            a[path] = val
            rec = self._dfs(k + 1, a)
            if rec is not None:
                return rec
            if self.exhausted:
                break
        del a[path]
        return None

    def _leaf(self, a: dict[Path, Any]) -> dict[str, Any] | None:
        for rec in _records(a, every=self.text is not None):
            # a text filter sees free fields too: try the record with those rewritten
            tries = [rec] if self.text is None else self.text.variants(rec, set(a))
            for r in tries:
                if self.want_match(r) and not self.avoid_match(r):
                    return r
            if self.avoid is not None:
                self.mismatch = True  # symbolic and concrete disagree: do not trust "none"
        return None


def _partially_coherent(a: dict[Path, Any]) -> bool:
    name, source = a.get(("eventName",)), a.get(("eventSource",))
    if isinstance(name, str) and isinstance(source, str) and not ct.name_fits_source(name, source):
        return False
    etype, itype = a.get(("eventType",)), a.get(("userIdentity", "type"))
    signin_mismatch = (etype == "AwsConsoleSignIn") != (source == ct.SIGNIN)
    if isinstance(etype, str) and isinstance(source, str) and signin_mismatch:
        return False
    return not (etype == "AwsServiceEvent" and isinstance(itype, str) and itype != "AWSService")


def _records(a: dict[Path, Any], every: bool = False) -> Iterator[dict[str, Any]]:
    """Coherent records realising assignment ``a`` (defaults first, then alternatives);
    only the first unless ``every`` (a text filter may see the identity's text)."""
    core: dict[str, Any] = {}
    for path, key in _CORE.items():
        v = a.get(path, _UNSET)
        if v is not _UNSET and v is not ABSENT:
            core[key] = v
    overrides = sorted(a.items(), key=lambda kv: len(kv[0]))
    free_types = [t for t in ("userIdentity.type", "eventType") if t not in core]
    options: list[list[Any]] = [
        [None, "IAMUser", "AWSService", "Root", "AssumedRole"]
        if t == "userIdentity.type"
        else [None, *ct.EVENT_TYPES]
        for t in free_types
    ]
    # the product is at most 5 x 5 builds, and only when the defaults do not fit
    for combo in itertools.product(*options):
        trial = dict(core)
        for t, val in zip(free_types, combo, strict=True):
            if val is not None:
                trial[t] = val
        rec = ct.build_record(trial, overrides)
        if rec is not None:
            yield rec
            if not every:
                return


def _signature(nodes: list[Compare | Test]) -> Callable[[Any], tuple[bool, ...]]:
    return lambda v: tuple(atom_holds(n, v) for n in nodes)


def _plan(atoms: _Atoms) -> tuple[list[Path], dict[Path, list[Any]]]:
    want_paths = atoms.formula_paths[0] if atoms.formula_paths else set()
    paths: set[Path] = set()
    children: dict[Path, set[type]] = {}
    for p in atoms.by_path:
        for i in range(1, len(p) + 1):
            paths.add(p[:i])
            if i < len(p):
                children.setdefault(p[:i], set()).add(Index if isinstance(p[i], int) else Key)
    cands = {
        p: _candidates(p, atoms.by_path.get(p, []), children.get(p, set()), atoms) for p in paths
    }
    if atoms.text is not None:
        # the fields the text filter's terms can be part of, and those the conditions fix
        for p in atoms.text.paths.keys() | paths:
            cands[p] = atoms.text.domain(p, cands[p], _signature(atoms.by_path.get(p, [])))
    source = ("eventSource",)
    text_source = atoms.text is not None and source in atoms.text.paths
    if source in cands and ("eventName",) not in cands and not text_source:
        # with no event name in play, services the conditions cannot tell apart are
        # interchangeable (the builder picks a name that fits): keep one of each kind
        nodes = atoms.by_path.get(source, [])
        kinds: dict[tuple[bool, ...], Any] = {}
        for c in cands[source]:
            kinds.setdefault(tuple(atom_holds(n, c) for n in nodes), c)
        cands[source] = list(kinds.values())
    # Fewest candidates first (parents before children): small domains such as enums
    # and booleans often settle a formula at once, which prunes the big string domains.
    ordered: list[Path] = []
    placed: set[Path] = set()
    pending = set(paths)
    while pending:
        ready = [p for p in pending if len(p) == 1 or p[:-1] in placed]
        # the required side first: it must hold, so it prunes hardest
        best = min(
            ready,
            key=lambda p: (p not in want_paths, len(cands[p]), _PRIORITY.get(p, 9), repr(p)),
        )
        ordered.append(best)
        placed.add(best)
        pending.remove(best)
    return ordered, cands


def _witness(want_p: Pattern, avoid_p: Pattern) -> tuple[dict[str, Any] | None, bool, str]:
    """(record, exact, why-not-exact): a record ``want_p`` matches and ``avoid_p`` misses."""
    atoms = _Atoms()
    want = _formula(want_p, atoms)
    avoid = _formula(avoid_p, atoms, filter_side=True)
    want_match = compile_pattern(want_p)
    avoid_match = compile_pattern(avoid_p)
    if want is None:
        rec = next((r for r in _sample_records() if want_match(r) and not avoid_match(r)), None)
        return rec, False, "the required pattern is not a JSON pattern"
    if avoid is None:
        atoms.inexact("the filter is a %regex% pattern")
    paths, cands = _plan(atoms)
    fp = atoms.formula_paths
    avoid_paths = fp[1] if len(fp) > 1 else set()
    search = _Search(
        want, avoid, want_match, avoid_match, paths, cands, fp[0], avoid_paths, atoms.text
    )
    rec = search.run()
    exact = atoms.exact and not search.exhausted and not search.mismatch
    if atoms.why_inexact:
        why = atoms.why_inexact
    elif search.exhausted:
        why = "the search limit was reached"
    elif atoms.text is not None:
        why = "a term of the filter may occur only in text the search does not vary (ARNs, names)"
    else:
        why = "internal disagreement"
    return rec, exact, why


def _sample_records() -> Iterator[dict[str, Any]]:
    for name, services in ct.EVENT_SOURCES.items():
        for svc in services:
            for core in ({}, {"userIdentity.type": "Root"}):
                rec = ct.build_record({"eventName": name, "eventSource": svc, **core}, [])
                if rec is not None:
                    yield rec


def _describe(rec: dict[str, Any]) -> str:
    name, source = rec.get("eventName"), rec.get("eventSource")
    extra = []
    for key in ("errorCode", "errorMessage"):
        if key in rec:
            extra.append(f"{key} {rec[key]!r}")
    ident = rec.get("userIdentity", {})
    extra.append(f"by {ident.get('type')}")
    if rec.get("userAgent") != ct.DEFAULT_USER_AGENT:
        # a text filter's witness may rest on what the caller sent as its user agent
        extra.append(f"userAgent {rec.get('userAgent')!r}")
    return f"{name} from {source} ({', '.join(extra)})"


def covers(actual: Pattern | str, required: Pattern | str) -> Coverage:
    """Does ``actual`` match every CloudTrail event that ``required`` matches?"""
    a, r = _as_pattern(actual), _as_pattern(required)
    if a == r or isinstance(a, MatchAll):
        broader = None if a == r else _witness(a, r)[0]
        return Coverage(True, True, None, _COVERED, broader)
    rec, exact, why = _witness(r, a)
    broader = _witness(a, r)[0]
    if rec is not None:
        return Coverage(
            False,
            True,
            rec,
            f"misses {_describe(rec)}: this event would not be counted",
            broader,
        )
    if not exact:
        return Coverage(False, False, None, f"undecided: {why}; no missed event was found", broader)
    return Coverage(True, True, None, _COVERED, broader)


def equivalent(a: Pattern | str, b: Pattern | str) -> bool:
    """Do ``a`` and ``b`` match exactly the same CloudTrail events?"""
    return covers(a, b).covered and covers(b, a).covered


__all__ = ["Coverage", "atom_holds", "covers", "equivalent"]
