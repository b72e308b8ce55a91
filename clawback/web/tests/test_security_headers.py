"""HTML carries a Content-Security-Policy that forbids inline script and style; JSON does not."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.web.middleware import CONTENT_SECURITY_POLICY
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db

EXPECTED = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def test_policy_is_the_agreed_one() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED


@pytest.mark.parametrize("path", ["/login/", "/api/v1/docs"])
def test_public_html_has_the_policy(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == EXPECTED
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_the_policy_and_no_inline_script_or_style(client: Client, alice: User) -> None:
    make_copy()
    client.force_login(alice)
    for path in ("/explorer/", "/action-center/", "/settings/audit/", "/settings/users/"):
        response = client.get(path)
        assert response["Content-Security-Policy"] == EXPECTED, path
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path


def test_api_docs_load_swagger_from_our_static_files(client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html


def test_json_has_no_policy(client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.get("/api/v1/me")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Content-Security-Policy" not in response
