"""GET /api/v1/search: the query language over HTTP (View)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def copies() -> None:
    now = timezone.now()
    make_copy(subject="Pay now", sender="x@evil.example", threats=["phish", "spam"], received_at=now)
    make_copy(subject="Older pay", sender="y@evil.example", received_at=now - timedelta(days=10))
    make_copy(subject="Hello", sender="friend@example.org", received_at=now - timedelta(hours=1))


@pytest.mark.parametrize("persona", ["bob", "erin", "carol"])
def test_every_view_holder_can_search(
    client: Client, copies: None, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    body = client.get("/api/v1/search", {"q": "sender.domain = evil.example"}).json()
    assert body["total"] == 2
    assert [item["subject"] for item in body["items"]] == ["Pay now", "Older pay"]
    first = body["items"][0]
    assert first["threats"] == ["phish", "spam"]
    assert first["store"] == "demo"
    assert "headers" not in first


def test_anonymous_is_401(client: Client, copies: None) -> None:
    assert client.get("/api/v1/search", {"q": ""}).status_code == 401


def test_no_roles_is_403(client: Client, copies: None, nobody: User) -> None:
    client.force_login(nobody)
    assert client.get("/api/v1/search").status_code == 403


def test_empty_query_matches_everything(client: Client, copies: None, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/search").json()["total"] == 3


def test_limit_and_offset(client: Client, copies: None, bob: User) -> None:
    client.force_login(bob)
    body = client.get("/api/v1/search", {"limit": 1, "offset": 1}).json()
    assert body["total"] == 3 and body["limit"] == 1 and body["offset"] == 1
    assert [item["subject"] for item in body["items"]] == ["Hello"]


@pytest.mark.parametrize("params", [{"limit": 1001}, {"limit": 0}, {"offset": -1}, {"limit": "x"}])
def test_out_of_range_paging_is_refused(client: Client, bob: User, params: dict[str, object]) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/search", params).status_code == 422


def test_limit_1000_is_allowed(client: Client, copies: None, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/search", {"limit": 1000}).status_code == 200


def test_a_bad_query_is_400_with_the_token(client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.get("/api/v1/search", {"q": "subject ~ x\n  and sendr = y"})
    assert response.status_code == 400
    body = response.json()
    assert body["token"] == "sendr"
    assert (body["line"], body["column"]) == (2, 7)
    assert "unknown field" in body["error"]
    assert set(body) == {"error", "token", "line", "column"}


def test_header_conditions_need_preview(client: Client, erin: User, carol: User) -> None:
    """Searching header values reads mail content: only Preview holders may (SPEC §6)."""
    copy = make_copy(subject="hdr", sender="x@evil.example", received_at=timezone.now())
    copy.headers = {"x-mailer": "EvilMailer 1.0"}
    copy.save()
    client.force_login(erin)  # Security Administrator: no Preview
    response = client.get("/api/v1/search", {"q": "header.x-mailer ~ evil"})
    assert response.status_code == 400
    assert response.json()["token"] == "header.x-mailer"
    assert "Preview" in response.json()["error"]
    client.force_login(carol)  # Data Investigator: Preview
    assert client.get("/api/v1/search", {"q": "header.x-mailer ~ evil"}).json()["total"] == 1
