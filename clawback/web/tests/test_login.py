"""Logging in and out through Django's views, and the navigation a user then sees."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.conftest import password_of

pytestmark = pytest.mark.django_db


def test_login_form_logs_in_and_goes_to_the_explorer(client: Client, bob: User) -> None:
    response = client.post("/login/", {"username": "bob", "password": password_of("bob")})
    assert response.status_code == 302
    assert response["Location"] == "/explorer/"
    assert client.get("/explorer/").status_code == 200


def test_login_returns_to_next(client: Client, bob: User) -> None:
    response = client.post("/login/", {"username": "bob", "password": password_of("bob"), "next": "/settings/stores/"})
    assert response["Location"] == "/settings/stores/"


def test_login_refuses_a_foreign_next(client: Client, bob: User) -> None:
    response = client.post(
        "/login/", {"username": "bob", "password": password_of("bob"), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/explorer/"


def test_wrong_password_is_refused(client: Client, bob: User) -> None:
    response = client.post("/login/", {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert client.get("/explorer/").status_code == 302


def test_logout_is_post_only(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/logout/").status_code == 405
    assert client.get("/explorer/").status_code == 200
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/explorer/").status_code == 302


def test_navigation_shows_name_roles_and_allowed_links(client: Client, bob: User) -> None:
    client.force_login(bob)
    html = client.get("/action-center/").content.decode()
    assert '<span class="username">bob</span>' in html
    assert '<span class="roles">View</span>' in html
    for href in ("/explorer/", "/action-center/", "/investigations/", "/settings/"):
        assert f'href="{href}"' in html
    assert 'href="/action-center/" aria-current="page"' in html


def test_navigation_hides_links_from_a_user_without_roles(client: Client, nobody: User) -> None:
    client.force_login(nobody)
    html = client.get("/action-center/").content.decode()  # 403 page, same layout
    assert 'href="/explorer/"' not in html
    assert 'href="/settings/"' not in html
    assert "no roles" in html


def test_all_role_labels_are_listed(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get("/investigations/").content.decode()
    assert "View, Propose, Preview, Search and Purge, Quarantine admin, Manage settings, Manage users" in html
