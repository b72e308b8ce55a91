"""The filter builder on the page: switching between text and builder, editing rows, and the
query the rows make."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


def get(client: Client, **data: Any) -> str:
    return client.get("/explorer/", data).content.decode()


def row_values(html: str) -> list[tuple[str, str, str, bool]]:
    """(field, operator, value box, not) of each builder row as rendered."""
    out = []
    for row in re.findall(r'<li class="builder-row[^"]*" data-row="\d+">(.*?)</li>', html, re.S):
        field = re.search(r'<select name="field-\d+".*?<option value="([^"]*)"[^>]* selected>', row, re.S)
        op = re.search(r'<select name="op-\d+".*?<option value="([^"]*)" selected>', row, re.S)
        value = re.search(r'name="value-\d+" value="([^"]*)"', row)
        assert field and op and value
        out.append((unescape(field[1]), unescape(op[1]), unescape(value[1]), 'value="1" checked' in row))
    return out


def builder_text(html: str) -> str:
    found = re.search(r'<code id="builder-text">(.*?)</code>', html, re.S)
    assert found
    return unescape(found[1])


QUERY = 'sender.domain in (evil.example, "a, b.example") and subject ~ "pay now" and not location = junk'


def test_text_to_builder_shows_the_rows(reader: Client) -> None:
    html = get(reader, q=QUERY, mode="text", switch="builder")
    assert row_values(html) == [
        ("sender.domain", "in", 'evil.example, "a, b.example"', False),
        ("subject", "~", "pay now", False),
        ("location", "=", "junk", True),
    ]
    assert builder_text(html) == QUERY
    assert 'id="id_q"' not in html
    assert 'id="mode-builder" aria-pressed="true"' in html


def test_builder_rows_become_the_query(reader: Client) -> None:
    make_copy(subject="Please pay now", sender="x@evil.example")
    make_copy(subject="Please pay now", sender="x@good.example")
    rows = {
        "mode": "builder",
        "rows": "1",
        "join": "and",
        "field-0": "sender.domain",
        "op-0": "in",
        "value-0": 'evil.example, "a, b.example"',
        "field-1": "subject",
        "op-1": "~",
        "value-1": "pay now",
    }
    response = reader.get("/explorer/", rows)
    html = response.content.decode()
    assert builder_text(html) == 'sender.domain in (evil.example, "a, b.example") and subject ~ "pay now"'
    assert '<strong class="total">1</strong>' in html
    # The address bar gets the query, not the row fields.
    assert unescape(response["HX-Push-Url"]) == (
        "/explorer/?q=sender.domain+in+%28evil.example%2C+%22a%2C+b.example%22%29+and+subject+~+%22pay+now%22"
        "&mode=builder"
    )
    # Switching to text shows the same query in the text box.
    text = get(reader, **rows, switch="text")
    assert (
        "sender.domain in (evil.example, &quot;a, b.example&quot;) and subject ~ &quot;pay now&quot;</textarea>" in text
    )
    # ... and the pushed URL comes back as the same rows.
    again = reader.get(response["HX-Push-Url"]).content.decode()
    assert row_values(again) == [
        ("sender.domain", "in", 'evil.example, "a, b.example"', False),
        ("subject", "~", "pay now", False),
    ]


def test_or_join_and_relative_time(reader: Client) -> None:
    html = get(reader, q="threat = phish or received >= -2d", switch="builder")
    assert 'value="or" selected' in html
    assert row_values(html) == [("threat", "=", "phish", False), ("received", ">=", "-2d", False)]


def test_add_and_remove_rows(reader: Client) -> None:
    base = {"mode": "builder", "rows": "1", "field-0": "subject", "op-0": "~", "value-0": "a"}
    added = get(reader, **base, row="add")
    assert row_values(added) == [("subject", "~", "a", False), ("", "=", "", False)]
    assert builder_text(added) == "subject ~ a"  # the blank row adds nothing
    two = {**base, "field-1": "size", "op-1": ">", "value-1": "1k"}
    removed = get(reader, **two, row="remove-0")
    assert row_values(removed) == [("size", ">", "1k", False)]
    assert builder_text(removed) == "size > 1k"


def test_empty_query_starts_with_one_blank_row(reader: Client) -> None:
    html = get(reader, switch="builder")
    assert row_values(html) == [("", "=", "", False)]
    assert builder_text(html) == "(every message)"


def test_a_bad_row_is_marked_and_nothing_is_searched(reader: Client) -> None:
    html = get(reader, mode="builder", rows="1", **{"field-0": "size", "op-0": ">", "value-0": "lots"})
    assert '<li class="builder-row invalid" data-row="0">' in html
    assert "bad size &quot;lots&quot;" in html
    assert '<table class="data results">' not in html


def test_a_nested_query_stays_text_and_says_why(reader: Client) -> None:
    q = "subject ~ a and (threat = phish or threat = malware)"
    html = get(reader, q=q, switch="builder")
    assert "too complex for the builder" in html
    assert f"{q}</textarea>" in html
    assert 'id="mode-text" aria-pressed="true"' in html


def test_a_query_error_in_text_stays_text(reader: Client) -> None:
    html = get(reader, q="subject ~", switch="builder")
    assert 'class="query-error"' in html and "</textarea>" in html
