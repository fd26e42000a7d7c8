"""AWS's restricted regular expressions, matched in linear time.

AWS filter-pattern regexes have no groups, back-references or look-around, so every
regex is a top-level alternation of sequences of quantified single-character atoms. We
compile that to a Thompson NFA and simulate it position by position: matching is
O(len(text) x states) whatever the input, so no pattern can hang the process (Python's
backtracking ``re`` can, e.g. ``a*a*a*a*b`` on a long run of ``a``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .errors import FilterPatternError

CharPred = Callable[[str], bool]

_MAX_STATES = 2000


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


_CLASSES: dict[str, CharPred] = {
    "d": str.isdigit,
    "D": lambda c: not c.isdigit(),
    "s": str.isspace,
    "S": lambda c: not c.isspace(),
    "w": _is_word,
    "W": lambda c: not _is_word(c),
}
_CONTROL = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}


@dataclass(frozen=True)
class Atom:
    """One quantified single-character step (or an anchor when ``anchor`` is set)."""

    pred: CharPred | None
    lo: int
    hi: int | None  # None: unbounded
    anchor: str = ""  # "^" or "$"
    literal: str | None = None  # the character, when the atom is one literal character


Nfa = tuple[tuple[str, CharPred | None, tuple[int, ...]], ...]
_DFA_LIMIT = 4096  # cached DFA states per regex before the cache is reset


class CompiledRegex:
    """A compiled regex; ``search`` runs a lazily built DFA (RE2-style).

    DFA states are sets of NFA states, built on first use and cached per (state, char),
    so each character costs one dict lookup once warm, and never more than one NFA step.
    """

    def __init__(
        self, source: str, alternatives: tuple[tuple[Atom, ...], ...], nfa: Nfa, start: int
    ) -> None:
        self.source = source
        self.alternatives = alternatives
        self._nfa = nfa
        self._start = start
        self._gen = 0
        self._reset()

    def _reset(self) -> None:
        self._gen += 1
        self._ids: dict[frozenset[int], int] = {}
        self._sets: list[frozenset[int]] = []
        self._trans: list[dict[str, int]] = []
        self._accept: list[bool] = []
        self._accept_end: list[bool | None] = []
        n_any: set[int] = set()
        _closure(self._nfa, [self._start], 1, 2, n_any)  # "middle" position: no anchors
        self._restart = frozenset(n_any)

    def _state(self, members: frozenset[int]) -> int:
        sid = self._ids.get(members)
        if sid is None:
            if len(self._sets) >= _DFA_LIMIT:
                self._reset()
            sid = len(self._sets)
            self._ids[members] = sid
            self._sets.append(members)
            self._trans.append({})
            self._accept.append(0 in members)  # state 0 is the match state
            self._accept_end.append(None)
        return sid

    def _step(self, sid: int, ch: str) -> int:
        moved: set[int] = set()
        for s in self._sets[sid]:
            kind, pred, nxt = self._nfa[s]
            if kind == "char" and pred is not None and pred(ch):
                moved.add(nxt[0])
        out: set[int] = set(self._restart)  # unanchored: a match may start anywhere
        _closure(self._nfa, list(moved), 1, 2, out)
        gen = self._gen
        nid = self._state(frozenset(out))
        if gen == self._gen:  # else the cache was reset and ``sid`` is stale
            self._trans[sid][ch] = nid
        return nid

    def _accepts_at_end(self, sid: int) -> bool:
        cached = self._accept_end[sid]
        if cached is None:
            # '$' assertions hold only here, at the end of the text
            final: set[int] = set()
            cached = _closure(self._nfa, list(self._sets[sid]), 1, 1, final)
            self._accept_end[sid] = cached
        return cached

    def search(self, text: str) -> bool:
        first: set[int] = set()
        if _closure(self._nfa, [self._start], 0, len(text), first):
            return True
        sid = self._state(frozenset(first))
        for ch in text:
            trans = self._trans[sid]
            nid = trans.get(ch)
            if nid is None:
                nid = self._step(sid, ch)
            sid = nid
            if self._accept[sid]:
                return True
        return self._accepts_at_end(sid)


class _RegexParser:
    def __init__(self, src: str, offset: int) -> None:
        self.src = src
        self.i = 0
        self.offset = offset  # column of src[0] in the whole pattern (1-based)

    def err(self, msg: str, at: int | None = None) -> FilterPatternError:
        return FilterPatternError(msg, self.offset + (self.i if at is None else at))

    def parse(self) -> tuple[tuple[Atom, ...], ...]:
        alts: list[tuple[Atom, ...]] = []
        seq: list[Atom] = []
        while self.i < len(self.src):
            c = self.src[self.i]
            if c == "|":
                alts.append(tuple(seq))
                seq = []
                self.i += 1
                continue
            if c in "()":
                raise self.err("regex groups (parentheses) are not supported")
            if c in "^$":
                seq.append(Atom(None, 1, 1, anchor=c))
                self.i += 1
                if self.i < len(self.src) and self.src[self.i] in "*+?{":
                    raise self.err("quantifier after an anchor")
                continue
            if c in "*+?{":
                raise self.err("quantifier with nothing to repeat")
            if c in "]}":
                raise self.err(f"unexpected '{c}' in regex")
            self.last_literal: str | None = None
            pred = self.atom()
            literal = self.last_literal
            lo, hi = self.quantifier()
            seq.append(Atom(pred, lo, hi, literal=literal))
        alts.append(tuple(seq))
        return tuple(alts)

    def atom(self) -> CharPred:
        c = self.src[self.i]
        if c == ".":
            self.i += 1
            return lambda _c: True
        if c == "[":
            return self.char_class()
        if c == "\\":
            pred = self.escape(in_class=False)
            assert not isinstance(pred, str)
            return pred
        if c == "%":
            raise self.err("'%' inside a regex must be escaped")
        self.i += 1
        self.last_literal = c
        return c.__eq__

    def escape(self, in_class: bool) -> CharPred | str:
        """Parse ``\\x``; returns a predicate for classes, else the literal character."""
        start = self.i
        self.i += 1
        if self.i >= len(self.src):
            raise self.err("dangling '\\' in regex", start)
        c = self.src[self.i]
        self.i += 1
        if c in _CLASSES:
            return _CLASSES[c]
        if c in _CONTROL:
            lit = _CONTROL[c]
        elif c == "x":
            digits = self.src[self.i : self.i + 2]
            if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.err("expected two hex digits after \\x", start)
            self.i += 2
            lit = chr(int(digits, 16))
        elif c.isalnum():
            raise self.err(f"unsupported escape '\\{c}' in regex", start)
        else:
            lit = c
        if in_class:
            return lit
        self.last_literal = lit
        return lit.__eq__

    def char_class(self) -> CharPred:
        start = self.i
        self.i += 1
        negate = False
        if self.i < len(self.src) and self.src[self.i] == "^":
            negate = True
            self.i += 1
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        preds: list[CharPred] = []
        first = True
        while True:
            if self.i >= len(self.src):
                raise self.err("unterminated character class '['", start)
            c = self.src[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "\\":
                got = self.escape(in_class=True)
                if not isinstance(got, str):
                    preds.append(got)
                    continue
                lit = got
            else:
                if c in "()":
                    raise self.err("regex groups (parentheses) are not supported")
                lit = c
                self.i += 1
            if (
                self.i + 1 < len(self.src)
                and self.src[self.i] == "-"
                and self.src[self.i + 1] != "]"
            ):
                self.i += 1
                hi_c = self.src[self.i]
                if hi_c == "\\":
                    got = self.escape(in_class=True)
                    if not isinstance(got, str):
                        raise self.err("bad character range", start)
                    hi_c = got
                else:
                    self.i += 1
                if hi_c < lit:
                    raise self.err("bad character range", start)
                ranges.append((lit, hi_c))
            else:
                chars.add(lit)
        frozen = frozenset(chars)
        rng = tuple(ranges)
        pl = tuple(preds)

        def pred(ch: str) -> bool:
            hit = ch in frozen or any(a <= ch <= b for a, b in rng) or any(p(ch) for p in pl)
            return hit != negate

        return pred

    def quantifier(self) -> tuple[int, int | None]:
        if self.i >= len(self.src):
            return 1, 1
        c = self.src[self.i]
        lo: int
        hi: int | None
        if c == "*":
            lo, hi = 0, None
            self.i += 1
        elif c == "+":
            lo, hi = 1, None
            self.i += 1
        elif c == "?":
            lo, hi = 0, 1
            self.i += 1
        elif c == "{":
            start = self.i
            end = self.src.find("}", self.i)
            if end < 0:
                raise self.err("unterminated '{' quantifier", start)
            body = self.src[self.i + 1 : end]
            lo_s, sep, hi_s = body.partition(",")
            try:
                lo = int(lo_s)
                hi = (int(hi_s) if hi_s.strip() else None) if sep else lo
            except ValueError:
                raise self.err("bad '{m,n}' quantifier", start) from None
            if lo < 0 or (hi is not None and hi < lo) or lo > 1000 or (hi or 0) > 1000:
                raise self.err("bad '{m,n}' quantifier", start)
            self.i = end + 1
        else:
            return 1, 1
        if self.i < len(self.src) and self.src[self.i] in "*+?{":
            raise self.err("nested quantifiers are not supported")
        return lo, hi


def _build(alts: tuple[tuple[Atom, ...], ...], src: str, offset: int) -> CompiledRegex:
    # States: ("char", pred, (next,)), ("split", None, nexts), ("^"/"$", None, (next,)),
    # ("match", None, ()). Built back to front so each state knows its successor.
    nfa: list[tuple[str, CharPred | None, tuple[int, ...]]] = [("match", None, ())]
    match_state = 0

    def add(kind: str, pred: CharPred | None, nxt: tuple[int, ...]) -> int:
        nfa.append((kind, pred, nxt))
        if len(nfa) > _MAX_STATES:
            raise FilterPatternError("regex is too complex", offset)
        return len(nfa) - 1

    starts: list[int] = []
    for seq in alts:
        nxt = match_state
        for atom in reversed(seq):
            if atom.anchor:
                nxt = add(atom.anchor, None, (nxt,))
                continue
            pred = atom.pred
            if atom.hi is None:
                # loop: split -> (char -> split) | next
                loop = add("split", None, ())
                char = add("char", pred, (loop,))
                nfa[loop] = ("split", None, (char, nxt))
                nxt = loop
            else:
                for _ in range(atom.hi - atom.lo):
                    char = add("char", pred, (nxt,))
                    nxt = add("split", None, (char, nxt))
            for _ in range(atom.lo):
                nxt = add("char", pred, (nxt,))
        starts.append(nxt)
    start = add("split", None, tuple(starts))
    return CompiledRegex(src, alts, tuple(nfa), start)


def _closure(
    nfa: tuple[tuple[str, CharPred | None, tuple[int, ...]], ...],
    seeds: list[int],
    pos: int,
    n: int,
    out: set[int],
) -> bool:
    """Add the epsilon closure of ``seeds`` at ``pos`` to ``out``; True if it accepts."""
    stack = list(seeds)
    accepted = False
    while stack:
        s = stack.pop()
        if s in out:
            continue
        out.add(s)
        kind, _pred, nxt = nfa[s]
        if kind == "match":
            accepted = True
        elif kind == "split" or (kind == "^" and pos == 0) or (kind == "$" and pos == n):
            stack.extend(nxt)
    return accepted


def as_globs(regex: CompiledRegex) -> tuple[str, ...] | None:
    """The regex as equivalent wildcard strings, when it is only anchors and literals.

    ``%Trail%`` is ``*Trail*``, ``%^Create%`` is ``Create*``, ``%a|^b$%`` is ``*a*`` or
    ``b``; this lets ``covers`` treat the commonest regexes exactly. None otherwise.
    """
    out: list[str] = []
    for seq in regex.alternatives:
        start = bool(seq) and seq[0].anchor == "^"
        end = bool(seq) and seq[-1].anchor == "$" and (len(seq) > 1 or not start)
        body = seq[(1 if start else 0) : (len(seq) - 1 if end else len(seq))]
        chars: list[str] = []
        for atom in body:
            if atom.literal is None or atom.lo != 1 or atom.hi != 1 or atom.literal == "*":
                return None
            chars.append(atom.literal)
        text = "".join(chars)
        if not text:
            if start and end:
                out.append("")  # only the empty string; as a glob "" is exact too
                continue
            out.append("*")  # an unanchored empty alternative matches every text
            continue
        out.append(("" if start else "*") + text + ("" if end else "*"))
    return tuple(out)


@lru_cache(maxsize=1024)
def compile_regex(source: str, offset: int = 1) -> CompiledRegex:
    """Compile an AWS regex body; ``offset`` is its column, for error positions."""
    if source == "":
        raise FilterPatternError("empty regex", offset)
    alts = _RegexParser(source, offset).parse()
    return _build(alts, source, offset)


__all__ = ["CompiledRegex", "as_globs", "compile_regex"]
