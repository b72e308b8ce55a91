from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from clawback.accounts.access import roles_of
from clawback.accounts.roles import Role
from clawback.api.auth import requires
from clawback.api.schemas import MeOut

router = Router(tags=["account"])


@router.get("/me", response=MeOut, auth=requires(Role.VIEW), summary="The calling user and roles")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.get_username(),
        email=getattr(user, "email", ""),
        roles=sorted(role.value for role in roles_of(user)),
        groups=sorted(user.groups.values_list("name", flat=True)),  # type: ignore[union-attr]
    )
