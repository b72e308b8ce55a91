"""A bad query is a QueryError that names the offending token and where it is."""

from __future__ import annotations

import random

import pytest

from clawback.explorer.query import QueryError, compile_query, parse_query
from clawback.explorer.query.errors import Span

# query, start of the message, offending token, line, column
CASES: list[tuple[str, str, str, int, int]] = [
    # unknown field
    ("sendr.domain = evil.example", 'unknown field "sendr.domain"', "sendr.domain", 1, 1),
    ("subject ~ x and Sender.Domian = y", 'unknown field "sender.domian"', "Sender.Domian", 1, 17),
    ("header. = x", "missing header name", "header.", 1, 1),
    # unknown operator, or one the field does not take
    ("subject == x", 'unknown operator "=="', "==", 1, 9),
    ("subject contains x", 'unknown operator "contains"', "contains", 1, 9),
    ("subject >= x", 'operator ">=" does not apply to text field "subject"', ">=", 1, 9),
    ("location ~ junk", 'operator "~" does not apply to enum field "location"', "~", 1, 10),
    ("parse_problem in (true)", 'operator "in" does not apply to bool field "parse_problem"', "in", 1, 15),
    ("size not  in ()", 'empty list after "not in"', "(", 1, 14),
    ("parse_problem not  in (true)", 'operator "not in" does not apply', "not  in", 1, 15),
    # missing pieces
    ("subject =", 'missing value after "="', "=", 1, 9),
    ("(subject = )", 'missing value after "="', "=", 1, 10),
    ("subject", 'missing operator after "subject"', "subject", 1, 1),
    ("subject = x and", 'missing condition after "and"', "and", 1, 13),
    ("and subject = x", 'expected a condition but found "and"', "and", 1, 1),
    ("or = x", 'expected a condition but found "or"', "or", 1, 1),
    ("subject = x and AND = y", 'expected a condition but found "AND"', "AND", 1, 17),
    ("subject not", "unexpected end of query", "", 1, 12),
    ("subject = x or and size > 1", 'expected a condition but found "and"', "and", 1, 16),
    ("subject = x and (or size > 1)", 'expected a condition but found "or"', "or", 1, 18),
    ("sender.domain in ()", 'empty list after "in"', "(", 1, 18),
    # parentheses
    ("(subject = x", 'unbalanced parentheses: "(" is never closed', "(", 1, 1),
    ("((subject = x) or size > 1", 'unbalanced parentheses: "(" is never closed', "(", 1, 1),
    ("subject = x)", 'unbalanced parentheses: ")" has no matching "("', ")", 1, 12),
    ("sender.domain in (a, b", 'unbalanced parentheses: "(" is never closed', "(", 1, 18),
    # trailing garbage
    ("subject = x y", 'unexpected "y" after a complete condition', "y", 1, 13),
    ("subject = x, y", 'unexpected "," after a complete condition', ",", 1, 12),
    ("sender.domain in (a b)", 'unexpected "b"', "b", 1, 21),
    ("sender.domain = (a, b)", 'a list needs "in"', "(", 1, 17),
    # strings and characters
    ('subject ~ "abc', "unterminated string", '"', 1, 11),
    ("subject ~ 'abc", "unterminated string", "'", 1, 11),
    # limits that keep the SQL shallow
    ("(" * 33 + "size > 1" + ")" * 33, "query nested too deeply", "(", 1, 33),
    ("not " * 33 + "size > 1", "query nested too deeply", "not", 1, 129),
    (" or ".join(["size > 1"] * 257), "too many conditions", "size", 1, 256 * 12 + 1),
    # bad values
    ("received >= -7x", 'bad date "-7x"', "-7x", 1, 13),
    ("received >= 2026-13-01", 'bad date "2026-13-01"', "2026-13-01", 1, 13),
    ("received = -7d", '"=" needs a date, not the moment "-7d"', "-7d", 1, 12),
    ("size > 10q", 'bad size "10q"', "10q", 1, 8),
    ("url.count > many", 'bad number "many"', "many", 1, 13),
    ("attachment.count in (1, 2.5)", 'bad number "2.5"', "2.5", 1, 25),
    ("spam.score > high", 'bad number "high"', "high", 1, 14),
    ("location = junkk", 'bad value "junkk" for location', "junkk", 1, 12),
    ("threat in (phish, fish)", 'bad value "fish" for threat', "fish", 1, 19),
    ("direction = sideways", 'bad value "sideways" for direction', "sideways", 1, 13),
    ("auth.dmarc = maybe", 'bad value "maybe" for auth.dmarc', "maybe", 1, 14),
    ("parse_problem = maybe", 'bad value "maybe"', "maybe", 1, 17),
    # positions count lines and columns in the original text
    ("subject = a\n  and sendr.domain = x", 'unknown field "sendr.domain"', "sendr.domain", 2, 7),
    ("subject = a\n\tor size > big", 'bad size "big"', "big", 2, 12),
]


@pytest.mark.parametrize(("query", "message", "token", "line", "column"), CASES)
def test_error_names_the_token(query: str, message: str, token: str, line: int, column: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    error = caught.value
    assert error.message.startswith(message)
    assert (error.token, error.line, error.column) == (token, line, column)
    assert query[error.position : error.position + len(token)] == token


@pytest.mark.parametrize("query", [case[0] for case in CASES])
def test_compile_refuses_what_parse_refuses(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query)


def test_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("sendr.domain = evil.example")
    assert str(caught.value) == ('unknown field "sendr.domain" at line 1, column 1; did you mean "sender.domain"?')


def test_bad_enum_value_lists_the_allowed_values() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("location = junkk")
    assert 'did you mean "junk"?' in caught.value.hint
    assert "inbox, junk, deleted, recoverable, quarantine, sent, other, not_found" in caught.value.hint


def test_unknown_operator_lists_the_operators() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("subject == x")
    assert caught.value.hint == "operators are =, !=, ~, !~, >, <, >=, <=, in, not in"


def test_caret_points_at_the_token() -> None:
    query = "subject = a\n\tand sendr.domain = x"
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.caret(query) == "\tand sendr.domain = x\n\t    ^^^^^^^^^^^^"


def test_caret_at_the_end_of_the_query() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("size >")
    assert caught.value.caret("size >") == "size >\n     ^"


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


PIECES = [
    "subject", "url.domain", "received", "size", "threat", "header.x", "sendr", "=", "!=", "~", ">=", "==",
    "in", "not", "and", "or", "(", ")", ",", '"', "'", "\\", "x", "-7d", "10k", "phish", "2026-11-20", "\n", " ", "é",
]  # fmt: skip


def test_any_text_parses_or_raises_query_error() -> None:
    rng = random.Random(20261123)
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(1, 12)))
        try:
            compile_query(text)
        except QueryError as error:
            where = Span.at(text, error.position, error.position + len(error.token))
            assert (where.token, where.line, where.column) == (error.token, error.line, error.column), text
            assert "^" in error.caret(text)
