"""Users: Manage users only; adding goes through do_create_user (audited)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FRANK = {
    "username": "frank",
    "email": "frank@example.org",
    "password": "pw-frank-123!",
    "groups": ["Security Reader", "Security Operator"],
}


def test_admin_adds_a_user_with_groups(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post("/settings/users/", FRANK)
    assert response.status_code == 302
    frank = User.objects.get(username="frank")
    assert set(frank.groups.values_list("name", flat=True)) == {"Security Reader", "Security Operator"}
    assert frank.check_password("pw-frank-123!")
    event = AuditEvent.objects.get(action="user.add", actor_name="alice")
    assert event.data == {"username": "frank", "groups": ["Security Reader", "Security Operator"]}


def test_the_list_shows_users_and_their_groups(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)
    html = client.get("/settings/users/").content.decode()
    assert "<td>bob</td>" in html
    assert "<td>Security Reader</td>" in html
    assert 'value="Data Investigator"' in html  # the group select offers every group


def test_duplicate_username_is_reported(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)
    response = client.post("/settings/users/", FRANK | {"username": "bob"})
    assert response.status_code == 200
    assert "user &#x27;bob&#x27; already exists" in response.content.decode()
    assert not AuditEvent.objects.filter(action="user.add", data__username="bob", actor_name="alice").exists()


def test_weak_password_is_refused(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post("/settings/users/", FRANK | {"password": "password"})
    assert response.status_code == 200
    assert not User.objects.filter(username="frank").exists()


def test_unknown_group_is_refused(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post("/settings/users/", FRANK | {"groups": ["Root"]})
    assert response.status_code == 200
    assert not User.objects.filter(username="frank").exists()


def test_security_administrator_cannot_add_users(client: Client, erin: User) -> None:
    client.force_login(erin)
    assert client.post("/settings/users/", FRANK).status_code == 403
    assert not User.objects.filter(username="frank").exists()
