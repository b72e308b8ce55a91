"""Every URL of the project refuses who it must.

The URLconf is walked recursively, so a new view is covered the day it is added: it must carry
``require_role`` (pages) or ``requires(role)`` (API), or be listed as public below.

Public, by decision: the login page, logout (POST; harmless for anyone), and the API's OpenAPI
document, its docs page and its root (a 404): they describe the open-source API's shape and hold
no data.  Static files are served by WhiteNoise outside the URLconf.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from clawback.accounts.actions import do_create_token
from clawback.accounts.roles import Role
from clawback.api.api import api, operations, required_role
from clawback.explorer.actions import do_save_query, do_track_query
from clawback.explorer.models import SavedQuery, TrackedQuery
from clawback.remediation.tests.factories import make_remediation
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "api:openapi-json", "api:openapi-view", "api:api-root"}
# State-changing routes that every View holder may use on their own behalf.
OPEN_TO_VIEW = {"settings-tokens", "settings-token-revoke", "explorer-columns"}
# API operations a View holder uses on their own objects (saved and tracked queries): with no
# body they are refused as malformed; on someone else's object, as forbidden or unknown.
API_OPEN_TO_VIEW = {"/api/v1/explorer/saved", "/api/v1/explorer/tracked"}
# The same for the pages: an empty form is refused as malformed (400); alice's shared saved
# query, as forbidden (403); her private tracked query, as unknown (404); a GET-only page, 405.
PAGES_OPEN_TO_VIEW = {
    "explorer-saved",
    "explorer-saved-update",
    "explorer-saved-delete",
    "explorer-tracked",
    "explorer-tracked-detail",
    "explorer-tracked-run",
    "explorer-tracked-delete",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def walk(patterns: list[Any] | None = None, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, qualified url name, view) for every pattern of the URLconf."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        assert isinstance(p.pattern, RoutePattern), f"regex URL {p.pattern} is not walked by this test"
        if isinstance(p, URLResolver):
            inner_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from walk(p.url_patterns, prefix + str(p.pattern), inner_ns)
        else:
            assert isinstance(p, URLPattern)
            yield "/" + prefix + str(p.pattern), f"{ns}{p.name}", p.callback


@pytest.fixture
def objects(alice: User) -> dict[str, int | str]:
    token, _secret = do_create_token(alice, "alice's", acting_user=alice)
    remediation = make_remediation(alice).pk
    saved = do_save_query(acting_user=alice, name="alice's saved", query="threat = phish", shared=True).pk
    tracked = do_track_query(acting_user=alice, name="alice's tracked", query="threat = phish").pk
    return {
        "pk": token.pk,
        "message_id": make_copy().pk,
        "key": remediation,
        "remediation_id": remediation,
        "saved_id": saved,
        "tracked_id": tracked,
        "pivot": "sender.domain",
    }


def fill(path: str, objects: dict[str, int | str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in objects, f"no test object for path parameter {name!r} in {path}"
        return str(objects[name])

    return PARAM.sub(value, path)


def routes(objects: dict[str, int | str]) -> list[tuple[str, str, Any]]:
    found = [(fill(path, objects), name, view) for path, name, view in walk()]
    assert len(found) > 10  # the walk really found the URLconf
    return found


def api_route_methods(objects: dict[str, int | str]) -> list[tuple[str, str, Role]]:
    """(path, method, role) of every API operation, from the API's own operations."""
    out = []
    for route, op in operations(api):
        path = "/api/v1/" + re.sub(r"{(?:\w+:)?(\w+)}", r"<\1>", route).lstrip("/")
        for method in op.methods:
            out.append((fill(path, objects), method, required_role(op)))
    assert out
    return out


def request(client: Client, method: str, path: str) -> Any:
    return getattr(client, method.lower())(path)


# --- anonymous -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_every_page(client: Client, objects: dict[str, int | str]) -> None:
    pages = [(p, n) for p, n, _v in routes(objects) if not p.startswith("/api/") and n not in PUBLIC]
    assert {"explorer", "settings-domains", "settings-token-revoke"} <= {n for _p, n in pages}
    for path, name in pages:
        for method in ("GET", "POST"):
            response = request(client, method, path)
            assert response.status_code == 302, (method, path, name)
            assert response["Location"].startswith("/login/?next="), (method, path)


def test_anonymous_gets_401_from_every_api_operation(client: Client, objects: dict[str, int | str]) -> None:
    for path, method, _role in api_route_methods(objects):
        response = request(client, method, path)
        assert response.status_code == 401, (method, path)


def test_anonymous_gets_no_data_from_any_api_url_or_method(client: Client, objects: dict[str, int | str]) -> None:
    api_urls = [(p, n) for p, n, _v in routes(objects) if p.startswith("/api/") and n not in PUBLIC]
    assert api_urls
    for path, _name in api_urls:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            assert request(client, method, path).status_code in (401, 405), (method, path)


def test_public_urls_are_exactly_these(client: Client, objects: dict[str, int | str]) -> None:
    names = {n for _p, n, _v in routes(objects)}
    assert names >= PUBLIC
    assert client.get("/login/").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/").status_code == 404


def test_every_page_view_declares_its_role(objects: dict[str, int | str]) -> None:
    undeclared = [
        name
        for path, name, view in routes(objects)
        if not path.startswith("/api/") and name not in PUBLIC and not hasattr(view, "required_role")
    ]
    assert undeclared == []


# --- a Security Reader (View only) -----------------------------------------------------------


def test_security_reader_is_refused_every_state_change_and_every_role_he_lacks(
    client: Client, bob: User, objects: dict[str, int | str]
) -> None:
    client.force_login(bob)
    refused = 0
    for path, name, view in routes(objects):
        if path.startswith("/api/") or name in PUBLIC:
            continue
        role = view.required_role
        get = client.get(path)
        post = client.post(path)
        if role is not Role.VIEW:
            assert get.status_code == 403, (path, name)
            assert post.status_code == 403, (path, name)
            refused += 1
        elif name in OPEN_TO_VIEW:
            assert post.status_code in (200, 302, 404), (path, name)
        elif name in PAGES_OPEN_TO_VIEW:
            assert get.status_code in (200, 404, 405), (path, name)
            assert post.status_code in (400, 403, 404, 405), (path, name)
        else:
            # A View page: readable, and its POST is no state change at all.
            assert get.status_code in (200, 302), (path, name)
            assert post.status_code == 405, (path, name)
    assert refused >= 3  # domains, users, audit
    assert {name for _p, name, _v in routes(objects)} >= PAGES_OPEN_TO_VIEW
    # alice's saved and tracked queries are untouched.
    assert SavedQuery.objects.filter(pk=objects["saved_id"], name="alice's saved", shared=True).exists()
    tracked = TrackedQuery.objects.get(pk=objects["tracked_id"])
    assert not tracked.runs.exists()


def test_security_reader_is_refused_every_api_operation_he_lacks(
    client: Client, bob: User, objects: dict[str, int | str]
) -> None:
    client.force_login(bob)
    for path, method, role in api_route_methods(objects):
        response = request(client, method, path)
        own = path in API_OPEN_TO_VIEW or path.startswith(tuple(f"{p}/" for p in API_OPEN_TO_VIEW))
        if role is Role.VIEW and method in UNSAFE and own:
            assert response.status_code in (400, 403, 404, 422), (method, path)
        elif role is not Role.VIEW or method in UNSAFE:
            assert response.status_code == 403, (method, path)
        elif own and path not in API_OPEN_TO_VIEW:
            # alice's tracked query is hers alone (visibility is tested in explorer/tests).
            assert response.status_code in (200, 404), (method, path)
        else:
            assert response.status_code == 200, (method, path)
    # alice's saved and tracked queries are untouched.
    assert SavedQuery.objects.filter(pk=objects["saved_id"]).exists()
    assert TrackedQuery.objects.filter(pk=objects["tracked_id"]).exists()


def test_a_user_without_roles_is_refused_everything(
    client: Client, nobody: User, objects: dict[str, int | str]
) -> None:
    client.force_login(nobody)
    for path, name, _view in routes(objects):
        if name in PUBLIC:
            continue
        if path.startswith("/api/"):
            continue
        assert client.get(path).status_code == 403, path
        assert client.post(path).status_code == 403, path
    for path, method, _role in api_route_methods(objects):
        assert request(client, method, path).status_code == 403, (method, path)
