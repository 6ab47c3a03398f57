"""The CloudWatch Logs filter-pattern evaluator against AWS's documented examples and semantics."""

from __future__ import annotations

import json

import pytest

from framework.filter_patterns import PatternError, matches, parse, split_event

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'
EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "123.123.123.123",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
        "bandwidth": 75,
        "latency": 20,
        "user": {"id": 1, "email": "John.Stiles@example.com"},
    }
)


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        ("", True),
        ("frank", True),
        ("Frank", False),  # case-sensitive
        ("frank GET", True),  # every term
        ("frank POST", False),
        ("frank -GET", False),  # an excluded term
        ("?POST ?GET", True),  # any term
        ("?POST ?PUT", False),
        ('"GET /apache_pb.gif"', True),  # an exact phrase
        ('"GET /other.gif"', False),
        ("%apache_pb\\.gif%", True),  # a regular expression
        ("%^127\\.0\\.0\\.2%", False),
    ],
)
def test_term_patterns(pattern: str, hit: bool) -> None:
    assert matches(pattern, APACHE) is hit, pattern


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code=200, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code=4*, bytes]", False),
        ("[ip, user, username, timestamp, request=*.gif*, status_code, bytes>1000]", True),
        ("[ip, user, username, timestamp, request, status_code, bytes>2000]", False),
        ("[ip, ..., status_code=200, bytes]", True),  # the ellipsis takes any number of fields
        ("[ip, user, username, timestamp, request, status_code]", False),  # too few fields, no ellipsis
        ("[ip=127.0.*, ...]", True),
        ("[ip!=127.0.* && ip!=10.*, ...]", False),
        ("[ip=10.* || ip=127.*, ...]", True),
        ("[..., status_code!=404 && status_code!=410, bytes]", True),
        ("[ip, user, username=frank, ...]", True),  # [..] and "..." are one field each
        ("[..., request=%HTTP/1\\.[01]$%, status_code, bytes]", True),
    ],
)
def test_space_delimited_patterns(pattern: str, hit: bool) -> None:
    assert matches(pattern, APACHE) is hit, pattern


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType = "Update*" }', True),
        ("{ $.sourceIPAddress != 123.123.* }", False),
        ("{ $.sourceIPAddress != 123.125.* }", True),
        ('{ $.arrayKey[0] = "value" }', True),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.user NOT EXISTS }", False),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.bandwidth > 75 }", False),
        ("{ $.bandwidth >= 75 }", True),
        ("{ ($.bandwidth > 100) || ($.latency <= 20) }", True),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && '
            '$.actions[2] = "nonmatch" }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && '
            '$.actions[2] = "nonmatch" }',
            False,
        ),
        ('{ $.missing != "x" }', False),  # a selector that names nothing is no match, even for !=
        ("{ $.user.email = %John\\.Stiles@% }", True),
    ],
)
def test_json_patterns(pattern: str, hit: bool) -> None:
    assert matches(pattern, EVENT) is hit, pattern


def test_a_json_pattern_never_matches_text_and_text_terms_match_json() -> None:
    assert not matches('{ $.eventType = "UpdateTrail" }', APACHE)
    assert matches("UpdateTrail", EVENT)


def test_metric_values_come_from_named_fields() -> None:
    p = parse("[ip, user, username, timestamp, request, status_code, bytes]")
    assert p.value(APACHE, "$bytes") == 1534
    assert p.value(APACHE, "1") == 1
    j = parse('{ $.eventType = "UpdateTrail" }')
    assert j.value(EVENT, "$.bandwidth") == 75
    assert p.value("only three fields", "$bytes") is None


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = ",
        "{ $.a = 1 ",
        "[a, b",
        "{ a = 1 }",
        "[a=1 || b=2]",
        "[a, a]",
        "%(group)%",
        "x" * 1025,
        "{ $.a > x }",
        "[%a% , b=%b%, c=%c%]",
    ],
)
def test_patterns_aws_refuses_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        parse(pattern).matches("a b c")


def test_an_event_with_an_unclosed_quote_or_bracket_splits_on_spaces() -> None:
    assert split_event('a "b c" [d e] f') == ["a", "b c", "d e", "f"]
    assert split_event('a "b c') == ["a", '"b', "c"]
    assert split_event("[x y") == ["[x", "y"]


def test_a_space_delimited_pattern_naming_a_field_twice_is_refused() -> None:
    with pytest.raises(PatternError, match=r"^space-delimited pattern: a field name is used twice$"):
        parse("[a, b, a]")
