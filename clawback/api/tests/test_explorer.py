"""/api/v1/explorer/...: views, search, pivots, histogram, campaigns and the CSV export.

Personas: anonymous (401), nobody (no role, 403), Bob (Security Reader), Dave (Security
Operator), Erin (Security Administrator, no Preview), Carol (Data Investigator, Preview).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from clawback.audit.models import AuditEvent
from clawback.explorer.catalog import VIEWS
from clawback.explorer.tests.known_index import FA, build
from clawback.mail.models import MessageCopy

pytestmark = pytest.mark.django_db

READS = [
    ("/api/v1/explorer/views", {}),
    ("/api/v1/explorer/search", {"view": "phish"}),
    ("/api/v1/explorer/pivots", {}),
    ("/api/v1/explorer/pivots/sender.domain", {"view": "phish"}),
    ("/api/v1/explorer/histogram", {}),
    ("/api/v1/explorer/campaigns", {}),
    ("/api/v1/explorer/export.csv", {"view": "malware"}),
]


@pytest.fixture
def known(db: None) -> list[MessageCopy]:
    # The known index, moved so that its newest copy arrived just now (one copy an hour before).
    copies = build()
    shift = timezone.now() - max(c.received_at for c in copies)
    for copy in copies:
        copy.received_at += shift
    MessageCopy.objects.bulk_update(copies, ["received_at"])
    return copies


def get(client: Client, user: User, path: str, **params: Any) -> Any:
    client.force_login(user)
    return client.get(path, params)


@pytest.mark.parametrize(("path", "params"), READS)
def test_anonymous_is_401(client: Client, path: str, params: dict[str, str]) -> None:
    assert client.get(path, params).status_code == 401


@pytest.mark.parametrize(("path", "params"), READS)
def test_no_role_is_403(client: Client, nobody: User, path: str, params: dict[str, str]) -> None:
    assert get(client, nobody, path, **params).status_code == 403


@pytest.mark.parametrize("persona", ["bob", "dave", "erin"])
@pytest.mark.parametrize(("path", "params"), READS)
def test_every_view_holder_reads(
    client: Client, known: list[MessageCopy], persona: str, path: str, params: dict[str, str], request: Any
) -> None:
    assert get(client, request.getfixturevalue(persona), path, **params).status_code == 200


def test_views_list(client: Client, bob: User) -> None:
    body = get(client, bob, "/api/v1/explorer/views").json()
    assert [view["key"] for view in body] == list(VIEWS)
    assert body[1] == {
        "key": "malware",
        "label": "Malware",
        "condition": "threat = malware",
        "description": VIEWS["malware"].description,
    }


def test_search_a_view(client: Client, known: list[MessageCopy], dave: User) -> None:
    body = get(client, dave, "/api/v1/explorer/search", view="phish", q="sender.domain = bad.example", limit=5).json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (12, 5, 0, 5)
    assert body["query"] == "(threat in (phish, high-confidence-phish)) and (sender.domain = bad.example)"
    assert all(item["from_domain"] == "bad.example" for item in body["items"])
    times = [item["received_at"] for item in body["items"]]
    assert times == sorted(times, reverse=True)
    page_two = get(
        client, dave, "/api/v1/explorer/search", view="phish", q="sender.domain = bad.example", limit=5, offset=10
    )
    assert len(page_two.json()["items"]) == 2


@pytest.mark.parametrize(("view", "total"), [("all", 200), ("malware", 11), ("phish", 37), ("campaigns", 48)])
def test_view_totals(client: Client, known: list[MessageCopy], bob: User, view: str, total: int) -> None:
    assert get(client, bob, "/api/v1/explorer/search", view=view, limit=1).json()["total"] == total


def test_search_errors(client: Client, bob: User) -> None:
    response = get(client, bob, "/api/v1/explorer/search", q="threat = phsh")
    assert response.status_code == 400
    assert response.json()["token"] == "phsh" and response.json()["error"] == 'bad value "phsh" for threat'
    assert get(client, bob, "/api/v1/explorer/search", view="spam").status_code == 422
    assert get(client, bob, "/api/v1/explorer/search", limit=1001).status_code == 422


def test_header_conditions_need_preview(client: Client, known: list[MessageCopy], erin: User, carol: User) -> None:
    MessageCopy.objects.filter(pk=known[0].pk).update(headers={"x-mailer": "EvilMailer"})
    for path in ("/api/v1/explorer/search", "/api/v1/explorer/pivots/threat", "/api/v1/explorer/export.csv"):
        response = get(client, erin, path, q="header.x-mailer ~ evil")
        assert response.status_code == 400 and "Preview" in response.json()["error"]
    assert get(client, carol, "/api/v1/explorer/search", q="header.x-mailer ~ evil").json()["total"] == 1


def test_pivots(client: Client, known: list[MessageCopy], erin: User) -> None:
    keys = [p["key"] for p in get(client, erin, "/api/v1/explorer/pivots").json()]
    assert keys == [
        "delivery.action",
        "sender.domain",
        "sender.ip",
        "detection",
        "threat",
        "url.domain",
        "url",
        "recipient.address",
    ]
    body = get(client, erin, "/api/v1/explorer/pivots/sender.domain", view="all", top=2).json()
    assert body["buckets"] == [
        {"value": "news.example", "count": 60, "query": "sender.domain = news.example"},
        {"value": "partner.example", "count": 40, "query": "sender.domain = partner.example"},
    ]
    assert (body["other"], body["values"], body["total"], body["label"]) == (100, 7, 200, "Sender domain")
    phish = get(client, erin, "/api/v1/explorer/pivots/url.domain", view="phish").json()
    assert [(b["value"], b["count"]) for b in phish["buckets"]] == [("login.evil.example", 25), ("bit.ly", 12)]


def test_unknown_pivot_and_bad_query(client: Client, bob: User) -> None:
    assert get(client, bob, "/api/v1/explorer/pivots/subject").status_code == 404
    assert get(client, bob, "/api/v1/explorer/pivots/threat", q="size >").status_code == 400


def test_histogram(client: Client, known: list[MessageCopy], bob: User) -> None:
    newest = max(c.received_at for c in MessageCopy.objects.all())
    start = (newest - timedelta(hours=10)).replace(microsecond=0)
    params = {"start": start.isoformat(), "end": (start + timedelta(hours=12)).isoformat(), "step_minutes": 240}
    body = get(client, bob, "/api/v1/explorer/histogram", view="phish", **params).json()
    assert body["step_seconds"] == 4 * 3600
    # Phish copies: the newest 37, one an hour; 4 h buckets from 10 h before the newest.
    assert [b["count"] for b in body["buckets"]] == [4, 4, 3]


def test_histogram_defaults_to_yesterday_and_today(client: Client, known: list[MessageCopy], bob: User) -> None:
    body = get(client, bob, "/api/v1/explorer/histogram").json()
    assert body["step_seconds"] == 30 * 60 and len(body["buckets"]) == 96
    assert body["start"].endswith("T00:00:00Z")
    in_range = MessageCopy.objects.filter(received_at__gte=body["start"]).count()
    assert sum(b["count"] for b in body["buckets"]) == in_range


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-11-23T00:00:00Z", "end": "2026-11-22T00:00:00Z"},
        {"step_minutes": 1, "start": "2026-01-01T00:00:00Z"},
    ],
)
def test_histogram_bad_ranges(client: Client, bob: User, params: dict[str, Any]) -> None:
    assert get(client, bob, "/api/v1/explorer/histogram", **params).status_code == 400


def test_campaigns(client: Client, known: list[MessageCopy], bob: User) -> None:
    body = get(client, bob, "/api/v1/explorer/campaigns").json()
    assert [(c["copies"], c["recipients"], c["phish"], c["malware"]) for c in body] == [
        (25, 20, 25, 0),
        (12, 12, 12, 0),
        (11, 11, 0, 11),
    ]
    assert body[0]["query"] == f"fingerprint = {FA}" and body[0]["kind"] == "fingerprint"
    assert [
        c["copies"] for c in get(client, bob, "/api/v1/explorer/campaigns", q="sender.domain = bad.example").json()
    ] == [12]


def rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_streams_csv_and_is_audited(client: Client, known: list[MessageCopy], bob: User) -> None:
    response = get(client, bob, "/api/v1/explorer/export.csv", view="phish", q="sender.domain = evil.example")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clawback-export-')
    assert response["X-Export-Limit"] == "200000"
    found = rows(response)
    assert len(found) == 25 and {row["from_domain"] for row in found} == {"evil.example"}
    event = AuditEvent.objects.get(action="explorer.export")
    assert event.actor_name == "bob"
    assert event.data == {"query": "sender.domain = evil.example", "view": "phish", "limit": 200_000, "source": "api"}


def test_export_limits(client: Client, known: list[MessageCopy], erin: User, settings: Settings) -> None:
    assert len(rows(get(client, erin, "/api/v1/explorer/export.csv", limit=7))) == 7
    settings.CLAWBACK_EXPORT_LIMIT = 20
    response = get(client, erin, "/api/v1/explorer/export.csv", limit=100)
    assert response["X-Export-Limit"] == "20" and len(rows(response)) == 20
    assert get(client, erin, "/api/v1/explorer/export.csv", limit=0).status_code == 422


def test_a_bad_export_query_is_400_and_not_audited(client: Client, bob: User) -> None:
    assert get(client, bob, "/api/v1/explorer/export.csv", q="nonsense").status_code == 400
    assert not AuditEvent.objects.filter(action="explorer.export").exists()
