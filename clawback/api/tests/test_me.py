from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_is_401(client: Client) -> None:
    assert client.get("/api/v1/me").status_code == 401


def test_security_reader(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/me").json() == {
        "username": "bob",
        "email": "",
        "roles": ["view"],
        "groups": ["Security Reader"],
    }


def test_security_administrator_has_no_preview(client: Client, erin: User) -> None:
    client.force_login(erin)
    roles = client.get("/api/v1/me").json()["roles"]
    assert roles == ["manage_settings", "propose", "quarantine_admin", "search_and_purge", "view"]


def test_data_investigator_has_preview(client: Client, carol: User) -> None:
    client.force_login(carol)
    assert "preview" in client.get("/api/v1/me").json()["roles"]


def test_no_roles_is_403(client: Client, nobody: User) -> None:
    client.force_login(nobody)
    assert client.get("/api/v1/me").status_code == 403


def test_401_names_the_bearer_scheme(client: Client) -> None:
    response = client.get("/api/v1/me")
    assert response["WWW-Authenticate"] == 'Bearer realm="clawback"'
    assert response.json() == {"detail": "authentication required: send a bearer API token"}
