"""Every API operation names a role; the URLconf refuses to build otherwise."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from ninja import NinjaAPI, Router

from clawback.accounts.roles import Role
from clawback.api.api import api, check_roles, operations, required_role
from clawback.api.auth import requires

EXPECTED = {
    ("/me", "GET"): Role.VIEW,
    ("/search", "GET"): Role.VIEW,
    ("/messages/{message_id}", "GET"): Role.VIEW,
    ("/messages/{message_id}/timeline", "GET"): Role.VIEW,
    ("/messages/{message_id}/eml", "GET"): Role.PREVIEW,
    ("/stores", "GET"): Role.VIEW,
    ("/audit", "GET"): Role.MANAGE_SETTINGS,
    ("/remediations", "GET"): Role.VIEW,
    ("/remediations", "POST"): Role.PROPOSE,
    ("/remediations/{remediation_id}", "GET"): Role.VIEW,
    ("/remediations/{remediation_id}/items", "GET"): Role.VIEW,
    ("/remediations/{remediation_id}/export.csv", "GET"): Role.VIEW,
    ("/remediations/{remediation_id}/approve", "POST"): Role.SEARCH_AND_PURGE,
    ("/remediations/{remediation_id}/reject", "POST"): Role.SEARCH_AND_PURGE,
    ("/remediations/{remediation_id}/undo", "POST"): Role.SEARCH_AND_PURGE,
    # The Explorer: saving and tracking one's own queries is part of hunting (View).
    ("/explorer/views", "GET"): Role.VIEW,
    ("/explorer/search", "GET"): Role.VIEW,
    ("/explorer/pivots", "GET"): Role.VIEW,
    ("/explorer/pivots/{pivot}", "GET"): Role.VIEW,
    ("/explorer/histogram", "GET"): Role.VIEW,
    ("/explorer/campaigns", "GET"): Role.VIEW,
    ("/explorer/export.csv", "GET"): Role.VIEW,
    ("/explorer/saved", "GET"): Role.VIEW,
    ("/explorer/saved", "POST"): Role.VIEW,
    ("/explorer/saved/{saved_id}", "GET"): Role.VIEW,
    ("/explorer/saved/{saved_id}", "PATCH"): Role.VIEW,
    ("/explorer/saved/{saved_id}", "DELETE"): Role.VIEW,
    ("/explorer/tracked", "GET"): Role.VIEW,
    ("/explorer/tracked", "POST"): Role.VIEW,
    ("/explorer/tracked/{tracked_id}", "GET"): Role.VIEW,
    ("/explorer/tracked/{tracked_id}", "DELETE"): Role.VIEW,
    ("/explorer/tracked/{tracked_id}/runs", "GET"): Role.VIEW,
}


def test_every_operation_requires_the_expected_role() -> None:
    found = {(route, method): required_role(op) for route, op in operations(api) for method in op.methods}
    assert found == EXPECTED


def _api(namespace: str, **auth: object) -> NinjaAPI:
    test_api = NinjaAPI(urls_namespace=namespace, auth=requires(Role.VIEW))
    router = Router()

    @router.get("/leak", **auth)  # type: ignore[arg-type]
    def leak(request: object) -> dict[str, str]:
        return {}

    test_api.add_router("", router)
    test_api.urls  # noqa: B018  (binds the routers)
    return test_api


def test_a_public_operation_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="leak"):
        check_roles(_api("test-public", auth=None))


def test_another_authentication_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="leak"):
        check_roles(_api("test-other", auth=lambda request: True))


def test_an_operation_without_auth_inherits_view() -> None:
    test_api = _api("test-default")
    check_roles(test_api)
    assert [required_role(op) for _route, op in operations(test_api)] == [Role.VIEW]


@pytest.mark.django_db
def test_openapi_documents_the_bearer_scheme_and_every_path(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"] == {"title": "Clawback API", "version": "1", "description": schema["info"]["description"]}
    assert set(schema["paths"]) == {
        "/api/v1/me",
        "/api/v1/search",
        "/api/v1/messages/{message_id}",
        "/api/v1/messages/{message_id}/timeline",
        "/api/v1/messages/{message_id}/eml",
        "/api/v1/stores",
        "/api/v1/audit",
        "/api/v1/remediations",
        "/api/v1/remediations/{remediation_id}",
        "/api/v1/remediations/{remediation_id}/items",
        "/api/v1/remediations/{remediation_id}/export.csv",
        "/api/v1/remediations/{remediation_id}/approve",
        "/api/v1/remediations/{remediation_id}/reject",
        "/api/v1/remediations/{remediation_id}/undo",
        "/api/v1/explorer/views",
        "/api/v1/explorer/search",
        "/api/v1/explorer/pivots",
        "/api/v1/explorer/pivots/{pivot}",
        "/api/v1/explorer/histogram",
        "/api/v1/explorer/campaigns",
        "/api/v1/explorer/export.csv",
        "/api/v1/explorer/saved",
        "/api/v1/explorer/saved/{saved_id}",
        "/api/v1/explorer/tracked",
        "/api/v1/explorer/tracked/{tracked_id}",
        "/api/v1/explorer/tracked/{tracked_id}/runs",
    }
    assert schema["components"]["securitySchemes"] == {"RoleAuth": {"type": "http", "scheme": "bearer"}}
    for path in schema["paths"].values():
        for operation in path.values():
            assert operation["security"] == [{"RoleAuth": []}]
