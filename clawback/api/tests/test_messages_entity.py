"""The email entity over the API: detail counts, timeline, and the .eml (Preview, audited)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.accounts.actions import do_create_token
from clawback.audit.models import AuditEvent
from clawback.explorer.tests.test_entity_content import BOX, HOSTILE, deliver_and_index, maildir, store  # noqa: F401
from clawback.mail.models import MessageCopy, TimelineEvent
from clawback.mailstores.models import Store
from clawback.web.tests.factories import add_details, make_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed() -> MessageCopy:
    copy = make_copy(subject="Pay now", fingerprint="f" * 64)
    add_details(copy)
    TimelineEvent.objects.create(
        copy=copy,
        at=copy.received_at + timedelta(minutes=5),
        kind=TimelineEvent.Kind.USER_MOVED,
        source=TimelineEvent.Source.USER,
        from_location="inbox",
        from_folder="INBOX",
        to_location="other",
        to_folder="Archive",
    )
    return copy


@pytest.fixture
def on_disk(store: Store, maildir: Path) -> MessageCopy:  # noqa: F811
    return deliver_and_index(store, maildir, HOSTILE)


def _downloads() -> int:
    return AuditEvent.objects.filter(action="message.eml.download").count()


# --- detail ---------------------------------------------------------------------------------


def test_detail_counts_similar_copies_and_other_recipients(client: Client, indexed: MessageCopy, bob: User) -> None:
    make_copy(fingerprint=indexed.fingerprint)
    make_copy(fingerprint=indexed.fingerprint)
    other = make_copy(recipient="ben@example.org")
    MessageCopy.objects.filter(pk=other.pk).update(message_id=indexed.message_id)
    make_copy(fingerprint="0" * 64)
    client.force_login(bob)
    body = client.get(f"/api/v1/messages/{indexed.pk}").json()
    assert body["similar_count"] == 2
    assert body["same_message_count"] == 1
    assert (body["spf"], body["dkim"], body["dmarc"], body["composite_auth"]) == ("none", "none", "none", "none")
    assert body["urls"][0]["domain"] == "evil.example"
    assert body["attachments"][0]["sha256"] == "ab" * 32


def test_detail_without_a_fingerprint_has_no_similar_copies(client: Client, bob: User) -> None:
    copy = make_copy(fingerprint="")
    make_copy(fingerprint="")
    client.force_login(bob)
    assert client.get(f"/api/v1/messages/{copy.pk}").json()["similar_count"] == 0


# --- timeline -------------------------------------------------------------------------------


def test_anonymous_gets_401(client: Client, indexed: MessageCopy) -> None:
    for suffix in ("", "/timeline", "/eml"):
        assert client.get(f"/api/v1/messages/{indexed.pk}{suffix}").status_code == 401


@pytest.mark.parametrize("persona", ["bob", "dave", "erin", "carol"])
def test_timeline_for_every_view_holder(
    client: Client, indexed: MessageCopy, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    events = client.get(f"/api/v1/messages/{indexed.pk}/timeline").json()
    assert [(e["kind"], e["source"], e["to_folder"]) for e in events] == [
        ("delivered", "system", "INBOX"),
        ("user_moved", "user", "Archive"),
    ]
    assert events[1]["from_location"] == "inbox"


def test_timeline_of_a_missing_copy_is_404(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/messages/999999/timeline").status_code == 404


# --- .eml -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["bob", "dave", "erin"])
def test_eml_needs_preview(client: Client, on_disk: MessageCopy, persona: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/api/v1/messages/{on_disk.pk}/eml")
    assert response.status_code == 403
    assert response.json() == {"detail": "the Preview role is required"}
    assert _downloads() == 0


@pytest.mark.parametrize("persona", ["carol", "alice"])
def test_eml_for_preview_holders_is_the_message_and_audited(
    client: Client, on_disk: MessageCopy, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/api/v1/messages/{on_disk.pk}/eml")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith(f'attachment; filename="clawback-{on_disk.pk}-')
    assert response.content == HOSTILE
    event = AuditEvent.objects.get(action="message.eml.download")
    assert event.actor_name == persona
    assert event.object_id == str(on_disk.pk)
    assert event.data["content"] == "raw message (.eml)"


def test_eml_over_a_token(client: Client, on_disk: MessageCopy, carol: User) -> None:
    _token, secret = do_create_token(carol, "t", acting_user=carol)
    response = client.get(f"/api/v1/messages/{on_disk.pk}/eml", headers={"Authorization": f"Bearer {secret}"})
    assert response.content == HOSTILE
    assert AuditEvent.objects.get(action="message.eml.download").actor_name == "carol"


def test_eml_from_an_unreachable_store_is_502_and_not_audited(
    client: Client,
    on_disk: MessageCopy,
    maildir: Path,  # noqa: F811
    carol: User,
) -> None:
    shutil.rmtree(maildir / BOX)
    client.force_login(carol)
    response = client.get(f"/api/v1/messages/{on_disk.pk}/eml")
    assert response.status_code == 502
    assert "could not be read" in response.json()["detail"]
    assert _downloads() == 0


def test_eml_of_a_missing_copy_is_404(client: Client, carol: User) -> None:
    client.force_login(carol)
    assert client.get("/api/v1/messages/999999/eml").status_code == 404
    assert _downloads() == 0
