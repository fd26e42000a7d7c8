"""Syntax tree of CloudWatch Logs filter patterns.

Nodes are frozen dataclasses so that ``parse(render(p)) == p`` can be checked with ``==``
and patterns can be used as cache keys. Parentheses are not kept: ``render`` adds them
back where precedence needs them, and a parenthesised compound of the same operator stays
nested (``(A || B) || C`` is ``Or((Or((A, B)), C))``) so rendering is a true inverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# --- values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Str:
    """A string value; ``*`` at the start and/or end is a wildcard."""

    text: str
    quoted: bool = False

    @property
    def prefix_star(self) -> bool:
        return self.text.startswith("*")

    @property
    def suffix_star(self) -> bool:
        return len(self.text) > 1 and self.text.endswith("*")


@dataclass(frozen=True)
class Num:
    """A numeric literal, kept as written (``1e3``, ``-0.5``)."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)


@dataclass(frozen=True)
class Regex:
    """A ``%regex%`` value or pattern (source without the ``%`` delimiters)."""

    source: str


Value = Str | Num | Regex

# --- JSON selectors ---------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Star:
    """``[*]`` (``bracket=True``) or ``.*``: any element / member."""

    bracket: bool


Part = Key | Index | Star


@dataclass(frozen=True)
class Selector:
    parts: tuple[Part, ...]

    @property
    def has_star(self) -> bool:
        return any(isinstance(p, Star) for p in self.parts)


CompareOp = Literal["=", "!=", "<", ">", "<=", ">="]
TestOp = Literal["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]


@dataclass(frozen=True)
class Compare:
    selector: Selector
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class Test:
    __test__ = False  # a pattern node, not a pytest test class

    selector: Selector
    op: TestOp


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr = Compare | Test | And | Or

# --- whole patterns ---------------------------------------------------------------------


@dataclass(frozen=True)
class MatchAll:
    """The empty pattern (or blanks): matches every event."""


@dataclass(frozen=True)
class JsonPattern:
    expr: Expr


TermKind = Literal["all", "any", "not"]


@dataclass(frozen=True)
class Term:
    text: str
    kind: TermKind = "all"
    quoted: bool = False


@dataclass(frozen=True)
class TermPattern:
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class FieldCond:
    """A condition inside a space-delimited slot: ``name op value``."""

    name: str
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class FieldAnd:
    items: tuple[FieldExpr, ...]


@dataclass(frozen=True)
class FieldOr:
    items: tuple[FieldExpr, ...]


FieldExpr = FieldCond | FieldAnd | FieldOr


@dataclass(frozen=True)
class Slot:
    """One field of a space-delimited pattern; ``name == '...'`` is the ellipsis."""

    name: str
    cond: FieldExpr | None = None

    @property
    def ellipsis(self) -> bool:
        return self.name == "..."


@dataclass(frozen=True)
class SpacePattern:
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class RegexPattern:
    regex: Regex


Pattern = MatchAll | JsonPattern | TermPattern | SpacePattern | RegexPattern
