"""Bearer API tokens and the session: who the API believes, and who it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client, RequestFactory
from django.utils import timezone
from ninja.errors import AuthorizationError, HttpError

from clawback.accounts.actions import do_create_token
from clawback.accounts.models import ApiToken
from clawback.accounts.roles import Role
from clawback.api.auth import RoleAuth

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_authenticates_its_user(client: Client, carol: User) -> None:
    _token, secret = do_create_token(carol, "t", acting_user=carol)
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "carol"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cbk_not-a-real-token",
        "Bearer ",
        "Bearer",
        "Token {secret}",
        "Basic {secret}",
        "Bearer {secret}x",
        "Bearer {secret_no_prefix}",
    ],
)
def test_a_bad_token_is_401(client: Client, carol: User, header: str) -> None:
    _token, secret = do_create_token(carol, "t", acting_user=carol)
    value = header.format(secret=secret, secret_no_prefix=secret.removeprefix("cbk_"))
    response = client.get("/api/v1/me", headers={"Authorization": value})
    assert response.status_code == 401


def test_an_expired_token_is_401(client: Client, carol: User) -> None:
    _token, secret = do_create_token(carol, "t", expires_at=timezone.now() - timedelta(seconds=1), acting_user=carol)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_token_of_a_deactivated_user_is_401(client: Client, carol: User) -> None:
    _token, secret = do_create_token(carol, "t", acting_user=carol)
    carol.is_active = False
    carol.save()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_revoked_token_is_401(client: Client, carol: User) -> None:
    token, secret = do_create_token(carol, "t", acting_user=carol)
    token.delete()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_bad_token_does_not_fall_back_to_the_session(client: Client, carol: User) -> None:
    client.force_login(carol)
    assert client.get("/api/v1/me", headers=bearer("cbk_wrong")).status_code == 401


def test_a_token_without_the_role_is_403(client: Client, nobody: User) -> None:
    _token, secret = do_create_token(nobody, "t", acting_user=nobody)
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 403
    assert response.json() == {"detail": "the View role is required"}


def test_last_used_is_written_at_most_once_a_minute(client: Client, carol: User) -> None:
    token, secret = do_create_token(carol, "t", acting_user=carol)
    client.get("/api/v1/me", headers=bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/me", headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me", headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_the_session_authenticates_same_origin_reads(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/api/v1/me").json()["username"] == "bob"


# The API has no unsafe operation yet; the session's CSRF rule is tested on the auth itself.


def _post(user: User, *, csrf: str | None) -> object:
    factory = RequestFactory()
    data = {"csrfmiddlewaretoken": csrf} if csrf else {}
    request = factory.post("/api/v1/anything", data)
    if csrf:
        request.COOKIES["csrftoken"] = csrf
    request.user = user
    return request


def test_session_post_without_csrf_token_is_refused(bob: User) -> None:
    with pytest.raises(HttpError) as exc:
        RoleAuth(Role.VIEW)(_post(bob, csrf=None))  # type: ignore[arg-type]
    assert exc.value.status_code == 403


def test_session_post_with_csrf_token_passes(bob: User) -> None:
    token = "a" * 32
    assert RoleAuth(Role.VIEW)(_post(bob, csrf=token)) == bob  # type: ignore[arg-type]


def test_token_post_needs_no_csrf_token(bob: User) -> None:
    _token, secret = do_create_token(bob, "t", acting_user=bob)
    request = RequestFactory().post("/api/v1/anything", headers=bearer(secret))
    request.user = AnonymousUser()
    assert RoleAuth(Role.VIEW)(request) == bob


def test_missing_role_raises_403(bob: User) -> None:
    request = RequestFactory().get("/api/v1/anything")
    request.user = bob
    with pytest.raises(AuthorizationError):
        RoleAuth(Role.MANAGE_SETTINGS)(request)
