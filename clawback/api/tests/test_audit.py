from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.audit.log import record

pytestmark = pytest.mark.django_db


def test_anonymous_is_401(client: Client) -> None:
    assert client.get("/api/v1/audit").status_code == 401


@pytest.mark.parametrize("persona", ["bob", "carol"])
def test_without_manage_settings_is_403(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/api/v1/audit")
    assert response.status_code == 403
    assert response.json() == {"detail": "the Manage settings role is required"}


def test_manage_settings_reads_newest_first(client: Client, erin: User) -> None:
    for i in range(5):
        record("test.event", actor="tester", data={"n": i, "password": "x"})
    client.force_login(erin)
    body = client.get("/api/v1/audit", {"limit": 3}).json()
    assert [event["data"]["n"] for event in body] == [4, 3, 2]
    assert body[0]["actor"] == "tester"
    assert body[0]["action"] == "test.event"
    assert body[0]["data"]["password"] == "********"


def test_limit_is_capped(client: Client, erin: User) -> None:
    client.force_login(erin)
    assert client.get("/api/v1/audit", {"limit": 1001}).status_code == 422
