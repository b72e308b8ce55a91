from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clawback.accounts.access import roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"user_roles": {role.value for role in roles_of(user)}}
