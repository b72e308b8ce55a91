"""API authentication and authorisation: every operation names the role it needs.

A request is authenticated by an ``Authorization: Bearer cbk_…`` API token or, for same-origin
browser use, by the Django session (with Django's CSRF check on unsafe methods, as the session
cookie is sent automatically by the browser).  Nobody is anonymous: no credentials -> 401; valid
credentials without the operation's role -> 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthorizationError, HttpError
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from clawback.accounts.access import has_role
from clawback.accounts.models import TOKEN_PREFIX, ApiToken, hash_token
from clawback.accounts.roles import Role

# last_used_at is informational; writing it on every request would turn each API read into a
# database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def token_user(secret: str) -> User | None:
    """The active user owning an unexpired token with this secret, else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=hash_token(secret)).first()
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class RoleAuth(AuthBase):
    """Bearer token or session, then ``role``.  Use ``requires(role)`` to build one."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, role: Role) -> None:
        self.role = role
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        user = self._authenticate(request)
        if user is None:
            return None  # ninja answers 401
        if not has_role(user, self.role):
            raise AuthorizationError(message=f"the {self.role.label} role is required")
        request.user = user
        return user

    def _authenticate(self, request: HttpRequest) -> User | None:
        header = request.headers.get("Authorization")
        if header is not None:
            # A request that presents a token stands or falls by it; never fall back to the
            # session, so a bad token is reported as such.
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token_user(secret.strip())
        user = getattr(request, "user", None)
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if request.method in UNSAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed")
        return user


def requires(role: Role) -> RoleAuth:
    return RoleAuth(role)
