"""The REST API (SPEC §10), mounted at /api/v1/.

Every operation must carry a :class:`~clawback.api.auth.RoleAuth`: the API-wide default asks for
View, operations that need more say so, and :func:`check_roles` refuses to build the URLconf if
any operation ended up with other authentication (or ``auth=None``, which would make it public).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.docs import Swagger, _csrf_needed
from ninja.operation import Operation

from clawback.accounts.roles import Role
from clawback.api import account, explorer, messages, remediations, system
from clawback.api.auth import RoleAuth, requires


class LocalSwagger(Swagger):
    """The docs page with Swagger UI from our static files (settings.NINJA_DIR), not from the
    CDN that ninja falls back to when it is not an installed app: the Content-Security-Policy
    would refuse the CDN.  ninja is kept out of INSTALLED_APPS so that commands and workers do
    not import it at start-up.  Same context as ``Swagger.render_page`` (django-ninja 1.7)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api, "add_csrf": _csrf_needed(api)}
        return render(request, self.template, context)


api = NinjaAPI(
    title="Clawback API",
    docs=LocalSwagger(),
    version="1",
    urls_namespace="api",
    description=(
        "Authenticate with `Authorization: Bearer cbk_…` (create a token under Settings → API "
        "tokens) or, from the same origin, with the web session."
    ),
    auth=requires(Role.VIEW),
)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": "authentication required: send a bearer API token"}, status=401)
    # RFC 6750 §3: a 401 names the scheme the client should use.
    response["WWW-Authenticate"] = 'Bearer realm="clawback"'
    return response


api.add_router("", account.router)
api.add_router("", messages.router)
api.add_router("", system.router)
api.add_router("", explorer.router)
api.add_router("", remediations.router)


def operations(ninja_api: NinjaAPI) -> Iterator[tuple[str, Operation]]:
    """Every (route, operation) the API serves; the route uses ninja's ``{param}`` notation."""
    for bound in ninja_api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                yield bound.prefix + path, operation


def required_role(operation: Operation) -> Role:
    callbacks = list(operation.auth_callbacks)
    if len(callbacks) != 1 or not isinstance(callbacks[0], RoleAuth):
        raise ImproperlyConfigured(
            f"API operation {operation.view_func.__name__} must use exactly one clawback.api.auth.requires(role)"
        )
    return callbacks[0].role


def check_roles(ninja_api: NinjaAPI) -> None:
    for _route, operation in operations(ninja_api):
        required_role(operation)
