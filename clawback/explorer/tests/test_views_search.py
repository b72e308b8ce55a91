"""The Explorer page: a query, a table of copies newest first, paging and the default range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from clawback.explorer.catalog import default_range
from clawback.explorer.query import FIELDS
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


def _rows(html: str) -> int:
    body = html.split("<tbody>", 2)[-1].split("</tbody>", 1)[0]
    return body.count("<tr>")


def test_query_finds_matching_copies(reader: Client) -> None:
    make_copy(subject="Invoice overdue", sender="billing@evil.example", threats=["phish"], size=4096)
    make_copy(subject="Lunch?", sender="colleague@example.org")
    html = reader.get("/explorer/", {"q": "sender.domain = evil.example"}).content.decode()
    assert "Invoice overdue" in html and "Lunch?" not in html
    assert '<strong class="total">1</strong> message\n' in html
    assert "billing@evil.example" in html
    assert '<span class="threat">phish</span>' in html
    assert "4.0\xa0KB" in html
    for column in ("Received", "Sender", "Recipient", "Subject", "Location", "Size"):
        assert f'class="sort">{column}</a></th>' in html
    for column in ("Threats", "Folder"):
        assert f">{column}</th>" in html


def test_results_are_newest_first(reader: Client) -> None:
    now = timezone.now()
    make_copy(subject="s-older", received_at=now - timedelta(hours=3))
    make_copy(subject="s-newest", received_at=now - timedelta(minutes=1))
    make_copy(subject="s-middle", received_at=now - timedelta(hours=1))
    html = reader.get("/explorer/", {"q": "received >= -1d"}).content.decode()
    assert html.index("s-newest") < html.index("s-middle") < html.index("s-older")


def test_paging_uses_the_page_size_and_keeps_the_query(reader: Client, settings: Settings) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2
    now = timezone.now()
    for i in range(5):
        make_copy(subject=f"msg-{i}", received_at=now - timedelta(minutes=i))
    first = reader.get("/explorer/", {"q": "subject ~ msg"}).content.decode()
    assert _rows(first) == 2
    assert '<strong class="total">5</strong>' in first
    assert 'href="?q=subject+~+msg&amp;page=2"' in first
    last = reader.get("/explorer/", {"q": "subject ~ msg", "page": "3"}).content.decode()
    assert _rows(last) == 1 and "msg-4" in last and "msg-0" not in last


def test_a_page_past_the_end_shows_the_last_page(reader: Client, settings: Settings) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2
    for i in range(3):
        make_copy(subject=f"p-{i}")
    assert reader.get("/explorer/", {"q": "", "page": "99"}).status_code == 200


def test_empty_query_shows_yesterday_and_today(reader: Client) -> None:
    now = timezone.now()
    make_copy(subject="from today", received_at=now - timedelta(minutes=5))
    make_copy(subject="three days ago", received_at=now - timedelta(days=3))
    html = reader.get("/explorer/").content.decode()
    assert "from today" in html and "three days ago" not in html
    since = default_range(now)[0]
    assert f"since {since:%Y-%m-%d} 00:00 UTC" in html
    assert "received &gt;= yesterday" in html


def test_default_range_starts_at_midnight_yesterday_utc() -> None:
    assert default_range(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))[0] == datetime(2026, 11, 22, tzinfo=UTC)


def test_a_query_is_not_limited_to_the_default_range(reader: Client) -> None:
    make_copy(subject="three days ago", received_at=timezone.now() - timedelta(days=3))
    html = reader.get("/explorer/", {"q": "subject ~ three"}).content.decode()
    assert "three days ago" in html and "yesterday and today" not in html.split('id="results"')[1]


def test_field_reference_lists_every_field(reader: Client) -> None:
    html = reader.get("/explorer/").content.decode()
    assert "<summary>Field reference</summary>" in html
    for name in FIELDS:
        assert f"<code>{name.replace('<', '&lt;').replace('>', '&gt;')}</code>" in html


def test_user_text_is_escaped(reader: Client) -> None:
    make_copy(subject="<script>alert('s')</script>", sender="x@evil.example")
    html = reader.get("/explorer/", {"q": "subject ~ '<script>'"}).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;s&#x27;)&lt;/script&gt;" in html
    assert "subject ~ &#x27;&lt;script&gt;&#x27;</textarea>" in html


def test_post_is_not_allowed(reader: Client) -> None:
    assert reader.post("/explorer/", {"q": ""}).status_code == 405
