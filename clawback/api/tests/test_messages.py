"""GET /api/v1/messages/{id}: the email entity; headers need Preview and are audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.accounts.actions import do_create_token
from clawback.audit.models import AuditEvent
from clawback.mail.models import MessageCopy
from clawback.web.tests.factories import add_details, make_copy

pytestmark = pytest.mark.django_db

HEADERS = {"subject": "Pay now", "x-originating-ip": "203.0.113.9"}


@pytest.fixture
def copy() -> MessageCopy:
    copy = make_copy(subject="Pay now", headers=HEADERS, to_addresses="a@example.org, b@example.org")
    add_details(copy)
    return copy


def _views() -> int:
    return AuditEvent.objects.filter(action="message.headers.view").count()


def test_anonymous_is_401(client: Client, copy: MessageCopy) -> None:
    assert client.get(f"/api/v1/messages/{copy.pk}").status_code == 401


def test_no_roles_is_403(client: Client, copy: MessageCopy, nobody: User) -> None:
    client.force_login(nobody)
    assert client.get(f"/api/v1/messages/{copy.pk}").status_code == 403


@pytest.mark.parametrize("persona", ["bob", "erin"])
def test_without_preview_no_headers_and_no_audit(
    client: Client, copy: MessageCopy, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    body = client.get(f"/api/v1/messages/{copy.pk}").json()
    assert body["headers"] is None
    assert "203.0.113.9" not in str(body)
    assert _views() == 0


def test_details_urls_attachments_timeline(client: Client, copy: MessageCopy, erin: User) -> None:
    client.force_login(erin)
    body = client.get(f"/api/v1/messages/{copy.pk}").json()
    assert body["id"] == copy.pk
    assert body["subject"] == "Pay now"
    assert body["mailbox"] == "ann@example.org"
    assert body["to"] == ["a@example.org", "b@example.org"]
    assert body["urls"] == [
        {"url": "https://evil.example/login", "domain": "evil.example", "path": "/login", "source": "body"}
    ]
    assert body["attachments"][0]["name"] == "invoice.pdf"
    assert body["attachments"][0]["sha256"] == "ab" * 32
    assert [event["kind"] for event in body["timeline"]] == ["delivered"]


def test_with_preview_headers_are_returned_and_audited(client: Client, copy: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    body = client.get(f"/api/v1/messages/{copy.pk}").json()
    assert body["headers"] == HEADERS
    event = AuditEvent.objects.get(action="message.headers.view")
    assert event.actor_name == "carol"
    assert (event.object_type, event.object_id) == ("mail.messagecopy", str(copy.pk))
    assert event.data == {"message_id": copy.message_id, "recipient": "ann@example.org"}
    assert event.request_id  # ties the access to the HTTP request


def test_with_preview_over_a_token(client: Client, copy: MessageCopy, carol: User) -> None:
    _token, secret = do_create_token(carol, "t", acting_user=carol)
    body = client.get(f"/api/v1/messages/{copy.pk}", headers={"Authorization": f"Bearer {secret}"}).json()
    assert body["headers"] == HEADERS
    assert AuditEvent.objects.get(action="message.headers.view").actor_name == "carol"


def test_preview_holder_may_skip_headers(client: Client, copy: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    body = client.get(f"/api/v1/messages/{copy.pk}", {"headers": "false"}).json()
    assert body["headers"] is None
    assert _views() == 0


def test_unknown_id_is_404(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/messages/999999").status_code == 404


def test_a_missing_copy_is_not_audited(client: Client, carol: User) -> None:
    client.force_login(carol)
    client.get("/api/v1/messages/999999")
    assert _views() == 0
