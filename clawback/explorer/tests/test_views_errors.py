"""A query that does not parse is shown with its message and a caret, never as a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


def test_unknown_field_is_pointed_at(reader: Client) -> None:
    response = reader.get("/explorer/", {"q": "subject ~ x and sendr.domain = a.example"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="query-error"' in html
    assert "line 1, column 17" in html
    assert "unknown field" in html
    assert "subject ~ x and sendr.domain = a.example\n                ^^^^^^^^^^^^</pre>" in html
    assert '<table class="data results">' not in html


def test_error_on_a_later_line(reader: Client) -> None:
    html = reader.get("/explorer/", {"q": "subject ~ x\nand size > lots"}).content.decode()
    assert "line 2, column 12" in html
    assert "and size &gt; lots\n           ^^^^</pre>" in html


@pytest.mark.parametrize(
    "q",
    [
        "(",
        ")",
        "subject",
        "subject ~",
        "and and",
        '"unterminated',
        "received >= not-a-date",
        "size > 10zb",
        "threat = sunshine",
        "header. = x",
        "not",
        "x" * 5000,
        "\x00",
        "subject ~ (a, b",
    ],
)
def test_garbage_never_500s(reader: Client, q: str) -> None:
    response = reader.get("/explorer/", {"q": q})
    assert response.status_code == 200
    assert b'class="query-error"' in response.content


def test_offending_token_is_escaped(reader: Client) -> None:
    html = reader.get("/explorer/", {"q": "<img/src=x> = 1"}).content.decode()
    assert "<img/src=x>" not in html
    assert "&lt;img/src=x&gt;" in html


@pytest.mark.parametrize(
    "q",
    [
        "id = 99999999999999999999999",
        "size > 99999999999999999999999",
        "spam.score > 1e400",
        "received >= 9999-12-31T23:59:59+14:00",
        "received <= 0001-01-01",
        "url.count > -99999999999999999999",
    ],
)
def test_extreme_values_never_500(reader: Client, q: str) -> None:
    assert reader.get("/explorer/", {"q": q}).status_code == 200


def test_positions_count_from_the_text_as_typed(reader: Client) -> None:
    # A browser sends CRLF line breaks, and leading blank lines stay where the analyst put them.
    html = reader.get("/explorer/", {"q": "\r\n  subject ~ x\r\nand size > lots"}).content.decode()
    assert "line 3, column 12" in html
    assert "and size &gt; lots\n           ^^^^</pre>" in html


def test_header_search_refused_without_preview(client, erin) -> None:
    client.force_login(erin)
    response = client.get("/explorer/", {"q": "header.x-mailer ~ evil"})
    assert response.status_code == 200
    assert "searching headers needs the Preview role" in response.content.decode()
