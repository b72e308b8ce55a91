from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from clawback.accounts.access import roles_of
from clawback.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    role: Role
    # The first path segment this item owns, to mark it current.
    section: str


NAVIGATION = (
    NavItem("Explorer", "explorer", Role.VIEW, "explorer"),
    NavItem("Action center", "action-center", Role.VIEW, "action-center"),
    NavItem("Investigations", "investigations", Role.VIEW, "investigations"),
    # Everyone with View manages their own API tokens; the other tabs check their own roles.
    NavItem("Settings", "settings", Role.VIEW, "settings"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = roles_of(user)
    section = request.path.strip("/").split("/", 1)[0]
    return {
        "user_roles": {role.value for role in roles},
        "user_role_labels": [role.label for role in Role if role in roles],
        "nav_items": [item for item in NAVIGATION if item.role in roles],
        "nav_section": section,
    }
