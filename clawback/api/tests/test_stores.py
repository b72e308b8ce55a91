from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.mailstores.models import Mailbox
from clawback.web.tests.factories import make_mailbox, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores() -> None:
    store = make_store("corp", kind="imap")
    store.secrets = {"password": "hunter2"}
    store.save()
    make_mailbox("a@example.org", store, status=Mailbox.Status.OK)
    make_mailbox("b@example.org", store, status=Mailbox.Status.ERROR)
    make_store("maildir-demo")


def test_anonymous_is_401(client: Client, stores: None) -> None:
    assert client.get("/api/v1/stores").status_code == 401


def test_no_roles_is_403(client: Client, stores: None, nobody: User) -> None:
    client.force_login(nobody)
    assert client.get("/api/v1/stores").status_code == 403


@pytest.mark.parametrize("persona", ["bob", "erin", "carol"])
def test_view_holders_list_stores_without_secrets(
    client: Client, stores: None, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/api/v1/stores")
    body = response.json()
    assert [(s["name"], s["kind"], s["mailboxes"], s["last_sync_status"]) for s in body] == [
        ("corp", "imap", 2, "error"),
        ("maildir-demo", "maildir", 0, "empty"),
    ]
    assert body[0]["failed_mailboxes"] == 1
    assert b"hunter2" not in response.content
