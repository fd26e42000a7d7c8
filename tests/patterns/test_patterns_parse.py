"""Parser: every form of the language, and clean errors for bad input."""

from __future__ import annotations

import pytest

from watchkeeper.patterns import FilterPatternError, parse, render
from watchkeeper.patterns.ast import (
    And,
    Compare,
    Index,
    JsonPattern,
    Key,
    MatchAll,
    Num,
    Or,
    Regex,
    RegexPattern,
    Selector,
    Slot,
    SpacePattern,
    Star,
    Str,
    Term,
    TermPattern,
    Test,
)


def sel(*parts: str | int) -> Selector:
    return Selector(tuple(Index(p) if isinstance(p, int) else Key(p) for p in parts))


def cmp(path: str, op: str, value: Str | Num | Regex) -> Compare:
    return Compare(sel(*path.split(".")), op, value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", " ", "   ", "\t"])
def test_blank_patterns_match_all(text: str) -> None:
    assert parse(text) == MatchAll()


def test_and_binds_tighter_than_or() -> None:
    p = parse("{ $.a = 1 || $.b = 2 && $.c = 3 }")
    assert p == JsonPattern(
        Or((cmp("a", "=", Num("1")), And((cmp("b", "=", Num("2")), cmp("c", "=", Num("3"))))))
    )


def test_parentheses_override_precedence() -> None:
    p = parse("{ ($.a = 1 || $.b = 2) && $.c = 3 }")
    assert isinstance(p, JsonPattern)
    assert isinstance(p.expr, And)
    assert isinstance(p.expr.items[0], Or)


def test_redundant_parentheses_disappear() -> None:
    assert parse("{ ((($.a = x))) }") == parse("{ $.a = x }")


def test_whitespace_between_tokens_is_optional() -> None:
    assert parse("{($.a=x)||($.b!=y)}") == parse("{ ( $.a = x ) || ( $.b != y ) }")


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("{ $.a.b = 1 }", Selector((Key("a"), Key("b")))),
        ("{ $.a[0] = 1 }", Selector((Key("a"), Index(0)))),
        ("{ $.a[0][1] = 1 }", Selector((Key("a"), Index(0), Index(1)))),
        ("{ $.list[1].id = 1 }", Selector((Key("list"), Index(1), Key("id")))),
        ("{ $.a[*] = 1 }", Selector((Key("a"), Star(bracket=True)))),
        ("{ $.* = 1 }", Selector((Star(bracket=False),))),
        ("{ $.a.*.b = 1 }", Selector((Key("a"), Star(bracket=False), Key("b")))),
        ("{ $.['cluster.name'] = 1 }", Selector((Key("cluster.name"),))),
        ("{ $.a['b.c'] = 1 }", Selector((Key("a"), Key("b.c")))),
    ],
)
def test_selector_forms(text: str, selector: Selector) -> None:
    p = parse(text)
    assert isinstance(p, JsonPattern) and isinstance(p.expr, Compare)
    assert p.expr.selector == selector


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{ $.a = "x y" }', Str("x y", quoted=True)),
        ("{ $.a = kms.amazonaws.com }", Str("kms.amazonaws.com")),
        ("{ $.a = 123.123.* }", Str("123.123.*")),
        ('{ $.a = "*Unauthorized*" }', Str("*Unauthorized*", quoted=True)),
        ("{ $.a = 42 }", Num("42")),
        ("{ $.a = -1.5e3 }", Num("-1.5e3")),
        ("{ $.a = %ab[0-9]+% }", Regex("ab[0-9]+")),
        ('{ $.a = "%lit%" }', Str("%lit%", quoted=True)),
        ('{ $.a = "say \\"hi\\"" }', Str('say "hi"', quoted=True)),
    ],
)
def test_value_forms(text: str, value: object) -> None:
    p = parse(text)
    assert isinstance(p, JsonPattern) and isinstance(p.expr, Compare)
    assert p.expr.value == value


@pytest.mark.parametrize("op", ["=", "!=", "<", ">", "<=", ">="])
def test_all_operators(op: str) -> None:
    p = parse(f"{{ $.n {op} 5 }}")
    assert isinstance(p, JsonPattern) and isinstance(p.expr, Compare)
    assert p.expr.op == op


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("{ $.a IS NULL }", "IS NULL"),
        ("{ $.a IS TRUE }", "IS TRUE"),
        ("{ $.a IS FALSE }", "IS FALSE"),
        ("{ $.a NOT EXISTS }", "NOT EXISTS"),
    ],
)
def test_tests(text: str, op: str) -> None:
    assert parse(text) == JsonPattern(Test(sel("a"), op))  # type: ignore[arg-type]


def test_term_patterns() -> None:
    assert parse('ERROR "exact phrase" -DEBUG ?maybe') == TermPattern(
        (
            Term("ERROR"),
            Term("exact phrase", quoted=True),
            Term("DEBUG", "not"),
            Term("maybe", "any"),
        )
    )


def test_space_delimited_pattern() -> None:
    p = parse("[ip, user, ..., status_code = 404 || status_code = 410, bytes > 1000]")
    assert isinstance(p, SpacePattern)
    assert [s.name for s in p.slots] == ["ip", "user", "...", "status_code", "bytes"]
    assert p.slots[0] == Slot("ip")


def test_regex_pattern() -> None:
    assert parse("%ERROR [0-9]{3}%") == RegexPattern(Regex("ERROR [0-9]{3}"))


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("{ ($.eventName = CreateTrail }", 30, "expected ')'"),
        ("{ $.eventName = 'CreateTrail' }", 17, "single quotes"),
        ("{ $.a IS NOT NULL }", 10, "expected NULL, TRUE or FALSE"),
        ("{ $.a EXISTS }", 7, "expected an operator"),
        ("{ $.a = }", 9, "expected a value"),
        ("{ $.a > abc }", 9, "needs a number"),
        ("{ }", 3, "empty JSON pattern"),
        ("{ $.a = 1 ", 11, "expected '}'"),
        ("{ $.a = 1 } x", 13, "unexpected text"),
        ("{ a = 1 }", 3, "expected '$'"),
        ("{ $.a = %(ab)% }", 10, "parentheses"),
        ("%a(b)%", 3, "parentheses"),
        ("{ $.a = %x% || $.b = %y% || $.c = %z% }", 35, "at most 2"),
        ("{ $.a[*].b[*] = 1 }", 3, "one wildcard"),
        ("[a, , b]", 5, "expected a field name"),
        ("[a = 1", 7, "expected ',' or ']'"),
        ("[a, b = 1 || c = 2]", 14, "must test 'b'"),
        ('ERROR "unterminated', 7, "unterminated"),
        ("%abc", 1, "unterminated regex"),
        ("%a**%", 4, "nested quantifiers"),
        ("%\\q%", 2, "unsupported escape"),
    ],
)
def test_errors_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterPatternError) as info:
        parse(text)
    assert info.value.position == column, str(info.value)
    assert fragment in info.value.message
    assert str(info.value) == f"column {column}: {info.value.message}"


def test_too_long_pattern_is_rejected() -> None:
    text = "{ $.a = " + "x" * 1020 + " }"
    with pytest.raises(FilterPatternError) as info:
        parse(text)
    assert info.value.position == 1025
    parse("x" * 1024)  # exactly the limit is fine


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(FilterPatternError):
        parse("{ " + "(" * 400 + "$.a = 1" + ")" * 400 + " }")


@pytest.mark.parametrize(
    "text",
    [
        "{ $.a = 1 || $.b = 2 && $.c = 3 }",
        "{ ($.a = 1 || $.b = 2) && $.c = 3 }",
        '{ $.a.b[0]["x"] = "q \\" z" }',
        "{ $.['k.k'] NOT EXISTS && $.x IS NULL }",
        'ERROR ?a ?b -c "p q"',
        "[a, ..., b = 4* || b = %x+%, c > -2.5]",
        "%^a|b$%",
    ],
)
def test_render_round_trips(text: str) -> None:
    p = parse(text)
    assert parse(render(p)) == p
