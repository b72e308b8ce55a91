"""The one place that answers "may this user do that?" for views, API, CLI and tasks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clawback.accounts.roles import Role

F = TypeVar("F", bound=Callable[..., HttpResponse])


def has_role(user: AbstractBaseUser | AnonymousUser | None, role: Role) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.has_perm(role.perm))  # type: ignore[union-attr,attr-defined]


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> set[Role]:
    return {role for role in Role if has_role(user, role)}


def check_role(user: AbstractBaseUser | AnonymousUser | None, role: Role) -> None:
    """Raise PermissionDenied naming the missing role (used by actions and the CLI)."""
    if not has_role(user, role):
        name = user.get_username() if user is not None and user.is_authenticated else "anonymous"
        raise PermissionDenied(f"{name} lacks the {role.label} role")


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for a view behind :func:`require_role` (which lets no one else in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("sign in first")
    return request.user


def require_role(role: Role) -> Callable[[F], F]:
    """View decorator: anonymous -> login page; authenticated without the role -> 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied(f"the {role.label} role is required")
            return view(request, *args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
