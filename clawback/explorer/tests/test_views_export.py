"""Export CSV from the search page: the same search as the table (query, view, range, sort),
streamed, audited as the API's export is."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from clawback.audit.models import AuditEvent
from clawback.explorer.export import HEADER
from clawback.web.tests.conftest import fast_password_hashing, nobody  # noqa: F401  (fixtures)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db
URL = "/explorer/export.csv"


@pytest.fixture
def mail() -> None:
    now = timezone.now()
    make_copy(subject="=HYPERLINK(x)", sender="a@evil.example", threats=["phish"], size=10, received_at=now)
    make_copy(subject="second", sender="b@evil.example", threats=["malware"], size=30,
              received_at=now - timedelta(hours=1))  # fmt: skip
    make_copy(subject="third", sender="c@evil.example", size=20, received_at=now - timedelta(days=4))
    make_copy(subject="other", sender="x@fine.example", received_at=now - timedelta(hours=2))


def rows(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_export_streams_the_search_as_csv(client: Client, bob: User, mail: None) -> None:
    client.force_login(bob)
    response = client.get(URL, {"q": "sender.domain = evil.example"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clawback-export-')
    assert response.streaming
    table = rows(response)
    assert table[0] == HEADER
    subjects = [row[HEADER.index("subject")] for row in table[1:]]
    assert subjects == ["'=HYPERLINK(x)", "second", "third"]  # newest first, formula neutralised


def test_export_honours_view_range_and_sort(client: Client, bob: User, mail: None) -> None:
    client.force_login(bob)
    q = {"q": "sender.domain = evil.example"}
    assert len(rows(client.get(URL, {**q, "view": "malware"}))) == 2
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    ranged = rows(client.get(URL, {**q, "from": since, "sort": "size"}))
    assert [row[HEADER.index("subject")] for row in ranged[1:]] == ["'=HYPERLINK(x)", "second"]
    by_size = rows(client.get(URL, {**q, "sort": "-size"}))
    assert [row[HEADER.index("size")] for row in by_size[1:]] == ["30", "20", "10"]
    # An empty query exports what the page shows: yesterday and today.
    assert len(rows(client.get(URL))) == 1 + 3


def test_export_is_audited(client: Client, bob: User, mail: None) -> None:
    client.force_login(bob)
    rows(client.get(URL, {"q": "subject ~ second", "view": "phish", "from": "2026-01-01"}))
    event = AuditEvent.objects.get(action="explorer.export")
    assert event.actor == bob
    assert event.data["source"] == "web" and event.data["view"] == "phish"
    assert event.data["query"] == "(received >= 2026-01-01) and (subject ~ second)"


def test_export_respects_the_limit(client: Client, bob: User, mail: None, settings: Settings) -> None:
    settings.CLAWBACK_EXPORT_LIMIT = 2
    client.force_login(bob)
    response = client.get(URL, {"q": "sender.domain = evil.example"})
    assert response["X-Export-Limit"] == "2" and len(rows(response)) == 3


def test_a_bad_query_is_a_400_and_not_audited(client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.get(URL, {"q": "size > lots"})
    assert response.status_code == 400 and b'bad size "lots"' in response.content
    assert client.get(URL, {"from": "soon"}).status_code == 400
    assert not AuditEvent.objects.filter(action="explorer.export").exists()


def test_header_conditions_need_preview(client: Client, erin: User, carol: User) -> None:
    client.force_login(erin)
    assert client.get(URL, {"q": "header.x-mailer ~ test"}).status_code == 400
    client.force_login(carol)
    assert client.get(URL, {"q": "header.x-mailer ~ test"}).status_code == 200


def test_export_needs_view(client: Client, nobody: User) -> None:  # noqa: F811
    assert client.get(URL)["Location"].startswith("/login/")
    client.force_login(nobody)
    assert client.get(URL).status_code == 403
    assert client.post(URL).status_code == 403


def test_the_page_links_to_the_export_with_its_search(client: Client, bob: User, mail: None) -> None:
    client.force_login(bob)
    html = client.get("/explorer/", {"q": "subject ~ second", "view": "malware", "sort": "size"}).content.decode()
    assert 'href="/explorer/export.csv?q=subject+~+second&amp;view=malware&amp;sort=size" download>Export CSV' in html
