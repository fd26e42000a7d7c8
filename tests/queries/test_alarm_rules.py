"""AlarmRule parsing, and whether a composite fires on one child alone."""

from __future__ import annotations

import duckdb
import pytest

from watchkeeper.queries.alarm_rules import (
    AlarmRuleError,
    AtLeast,
    BoolOp,
    Not,
    State,
    fires_alone,
    materialise,
    parse,
    references,
    register,
)

ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cis-4-5-alarm"

# id, rule, child (name or ARN), fires on the child alone
FIRES: list[tuple[str, str, str, bool]] = [
    ("child alone", "ALARM(child)", "child", True),
    ("quoted name", 'ALARM("child")', "child", True),
    ("quoted with spaces", 'ALARM("CIS 4.5 trail changes")', "CIS 4.5 trail changes", True),
    ("by ARN", f"ALARM({ARN})", ARN, True),
    ("by quoted ARN", f'ALARM("{ARN}")', ARN, True),
    ("OR-ed", "ALARM(other) OR ALARM(child)", "child", True),
    ("lower-case operators", "alarm(other) or alarm(child)", "child", True),
    ("AND-ed with another alarm", "ALARM(child) AND ALARM(other)", "child", False),
    ("AND NOT maintenance", "ALARM(child) AND NOT ALARM(maintenance)", "child", True),
    ("OR-ed inside an AND", "(ALARM(a) OR ALARM(child)) AND ALARM(b)", "child", False),
    ("AND inside an OR", "(ALARM(a) AND ALARM(b)) OR ALARM(child)", "child", True),
    ("already true: OR OK(x)", "ALARM(child) OR OK(other)", "child", False),
    ("TRUE makes it constant", "ALARM(child) OR TRUE", "child", False),
    ("AND TRUE", "ALARM(child) AND TRUE", "child", True),
    ("OK(child) is the wrong way", "OK(child)", "child", False),
    ("NOT OK(child)", "NOT OK(child)", "child", True),
    ("not named", "ALARM(other)", "child", False),
    ("AT_LEAST 1 of 3", "AT_LEAST(1, ALARM, (a, child, b))", "child", True),
    ("AT_LEAST 2 of 3", "AT_LEAST(2, ALARM, (a, child, b))", "child", False),
    ("AT_LEAST 30% of 3", "AT_LEAST(30%, ALARM, (a, child, b))", "child", True),
    ("AT_LEAST 50% of 3", "AT_LEAST(50%, ALARM, (a, child, b))", "child", False),
    ("AT_LEAST NOT OK", "AT_LEAST(1, NOT OK, (a, child))", "child", True),
    ("prefix of a name is another alarm", "ALARM(child-2)", "child", False),
]


@pytest.mark.parametrize(
    ("rule", "child", "expected"), [f[1:] for f in FIRES], ids=[f[0] for f in FIRES]
)
def test_fires_alone(rule: str, child: str, expected: bool):
    assert fires_alone(parse(rule), child) is expected


def test_tree_and_references():
    rule = parse('ALARM("a b") AND (NOT OK(c) OR AT_LEAST(2, ALARM, (d, "a b")))')
    assert isinstance(rule, BoolOp) and rule.op == "AND"
    assert rule.operands[0] == State("ALARM", "a b")
    inner = rule.operands[1]
    assert isinstance(inner, BoolOp) and inner.op == "OR"
    assert inner.operands[0] == Not(State("OK", "c"))
    assert inner.operands[1] == AtLeast(2.0, False, False, "ALARM", ("d", "a b"))
    assert references(rule) == ("a b", "c", "d")


BAD: list[tuple[str, str, str]] = [
    ("empty", "", "empty rule"),
    ("unclosed", "ALARM(child", "ends too early"),
    ("unknown function", "ALERT(child)", "unexpected 'ALERT'"),
    ("dangling operator", "ALARM(a) AND", "ends too early"),
    ("two atoms", "ALARM(a) ALARM(b)", "unexpected 'ALARM'"),
    ("no name", "ALARM()", "expected an alarm name"),
    ("bad AT_LEAST count", "AT_LEAST(x, ALARM, (a))", "count or a percentage"),
]


@pytest.mark.parametrize(("text", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_rules_not_understood_say_why(text: str, words: str):
    with pytest.raises(AlarmRuleError, match=words):
        parse(text)


def test_materialised_table_and_sql_function():
    con = duckdb.connect()
    con.execute("CREATE TABLE aws_cloudwatch_alarm (name VARCHAR, alarm_rule VARCHAR)")
    con.executemany(
        "INSERT INTO aws_cloudwatch_alarm VALUES (?, ?)",
        [
            ("c1", "ALARM(x) OR ALARM(y)"),
            ("c2", "ALARM(x) AND ALARM(y)"),
            ("c3", "ALARM(x"),
            ("m", None),
        ],
    )
    assert materialise(con) == 5
    assert materialise(con) == 0  # each rule judged once
    got = con.execute(
        "SELECT alarm_rule, reference, fires_alone, error IS NOT NULL "
        "FROM alarm_rule_reference ORDER BY ALL"
    ).fetchall()
    assert got == [
        ("ALARM(x", None, None, True),
        ("ALARM(x) AND ALARM(y)", "x", False, False),
        ("ALARM(x) AND ALARM(y)", "y", False, False),
        ("ALARM(x) OR ALARM(y)", "x", True, False),
        ("ALARM(x) OR ALARM(y)", "y", True, False),
    ]
    register(con)
    register(con)  # twice is harmless
    assert con.execute(
        "SELECT wk_rule_fires_alone('ALARM(x) OR ALARM(y)', 'y'), "
        "wk_rule_fires_alone('ALARM(x', 'x')"
    ).fetchall() == [(True, None)]
