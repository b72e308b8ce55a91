"""API tokens: every View holder manages their own; the secret is shown once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.accounts.actions import do_create_token
from clawback.accounts.models import ApiToken, hash_token
from clawback.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _secret(html: str) -> str:
    match = re.search(r'<pre id="token-secret">(cbk_[A-Za-z0-9_-]+)</pre>', html)
    assert match, "no secret on the page"
    return match.group(1)


def test_creating_a_token_shows_the_secret_once(client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.post("/settings/tokens/", {"name": "siem", "expires_in": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = _secret(response.content.decode())
    token = ApiToken.objects.get(user=bob)
    assert token.digest == hash_token(secret)
    assert token.expires_at is not None
    assert AuditEvent.objects.filter(action="token.add", actor_name="bob").exists()
    again = client.get("/settings/tokens/").content.decode()
    assert secret not in again
    assert token.prefix in again


def test_the_new_secret_works_on_the_api(client: Client, bob: User) -> None:
    client.force_login(bob)
    secret = _secret(client.post("/settings/tokens/", {"name": "cli", "expires_in": ""}).content.decode())
    api = Client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["username"] == "bob"


def test_a_user_sees_only_their_own_tokens(client: Client, alice: User, bob: User) -> None:
    do_create_token(alice, "alice-secret-job", acting_user=alice)
    client.force_login(bob)
    assert "alice-secret-job" not in client.get("/settings/tokens/").content.decode()


def test_revoking_an_own_token(client: Client, bob: User) -> None:
    token, _ = do_create_token(bob, "old", acting_user=bob)
    client.force_login(bob)
    assert client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(action="token.revoke", actor_name="bob").exists()


def test_someone_elses_token_is_not_found(client: Client, alice: User, bob: User) -> None:
    token, _ = do_create_token(alice, "hers", acting_user=alice)
    client.force_login(bob)
    assert client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_revoke_is_post_only(client: Client, bob: User) -> None:
    token, _ = do_create_token(bob, "mine", acting_user=bob)
    client.force_login(bob)
    assert client.get(f"/settings/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_token_name_is_escaped(client: Client, bob: User) -> None:
    do_create_token(bob, "<img src=x onerror=alert(1)>", acting_user=bob)
    client.force_login(bob)
    html = client.get("/settings/tokens/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
