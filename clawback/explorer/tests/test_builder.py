"""The filter builder and the query text convert into each other without losing anything."""

from __future__ import annotations

import pytest

from clawback.explorer.builder import (
    Builder,
    Row,
    TooComplex,
    check_rows,
    rows_to_text,
    split_values,
    text_to_rows,
    values_box,
)
from clawback.explorer.query import QueryError, parse_query, to_text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sender.domain = evil.example",
        'subject ~ "urgent: pay now" and size > 10k',
        'sender.domain in (evil.example, "a, b.example", "has space") and received >= -7d',
        "received >= yesterday and received < 2026-11-24 and threat != spam",
        "not location = junk and url.domain not in (bit.ly, t.co)",
        'threat = phish or threat = malware or subject ~ "it\'s \\"quoted\\""',
        "header.x-mailer ~ foo and spam.score >= 5.5 and subject !~ newsletter",
        'subject = "and" or subject = "in"',
        'subject = "line\\nbreak\\ttab"',
    ],
)
def test_text_to_rows_to_text_is_the_same_text(text: str) -> None:
    assert to_text(parse_query(text)) == text  # the cases are written canonically
    assert rows_to_text(text_to_rows(text)) == text


def test_rows_to_text_to_rows_is_the_same_rows() -> None:
    builder = Builder(
        "or",
        (
            Row("subject", "~", ("pay, now",)),
            Row("sender.domain", "in", ("evil.example", "x, y", "'quoted'")),
            Row("received", ">=", ("-2d",)),
            Row("location", "=", ("junk",), negate=True),
        ),
    )
    assert text_to_rows(rows_to_text(builder)) == builder


def test_rows_become_query_conditions() -> None:
    builder = Builder(
        "and",
        (
            Row.from_box("Sender.Domain", "in", 'evil.example, "a, b.example" , bad.example,'),
            Row.from_box("subject", "~", "invoice overdue"),
            Row.from_box("location", "=", "junk", negate=True),
        ),
    )
    assert rows_to_text(builder) == (
        'sender.domain in (evil.example, "a, b.example", bad.example) '
        'and subject ~ "invoice overdue" and not location = junk'
    )


def test_a_flat_condition_is_one_row() -> None:
    builder = text_to_rows("size > 2mb")
    assert builder == Builder("and", (Row("size", ">", ("2mb",)),))
    assert builder.rows[0].box == "2mb"


def test_list_box_shows_quoted_values() -> None:
    row = text_to_rows('recipient.address in (a@x.example, "b c@x.example")').rows[0]
    assert row.box == 'a@x.example, "b c@x.example"'
    assert Row.from_box(row.field, row.op, row.box) == row


@pytest.mark.parametrize(
    "text",
    [
        "a.b = 1",  # does not parse as a field: QueryError, not TooComplex
    ],
)
def test_bad_text_is_a_query_error(text: str) -> None:
    with pytest.raises(QueryError):
        text_to_rows(text)


@pytest.mark.parametrize(
    "text",
    [
        "subject ~ a and (threat = phish or threat = malware)",
        "subject ~ a or size > 1k and size < 2k",
        "not (subject ~ a and size > 1k)",
        "not not subject ~ a",
    ],
)
def test_nested_queries_are_too_complex(text: str) -> None:
    with pytest.raises(TooComplex, match="too complex for the builder"):
        text_to_rows(text)


def test_check_rows_points_at_the_bad_row() -> None:
    builder = Builder("and", (Row("subject", "~", ("x",)), Row("size", ">", ("lots",)), Row("threat", "in", ())))
    errors = check_rows(builder)
    assert set(errors) == {1, 2}
    assert "bad size" in errors[1].message


@pytest.mark.parametrize(
    ("box", "values"),
    [
        ("a, b,c", ("a", "b", "c")),
        ('"a, b", c', ("a, b", "c")),
        ("'x,y' , \"z\"", ("x,y", "z")),
        ('"esc\\"aped", o\'neil', ('esc"aped', "o'neil")),
        (" , ,", ()),
        ('"unclosed, still one', ("unclosed, still one",)),
    ],
)
def test_split_values(box: str, values: tuple[str, ...]) -> None:
    assert split_values(box) == values
    assert split_values(values_box(values)) == values
