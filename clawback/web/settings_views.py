"""Settings: organisation domains, users, API tokens, mail stores, audit log.

Each tab names its role; POST handlers check it server-side (``require_role``) and change state
only through the ``do_*`` actions, which write the audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clawback.accounts.access import has_role, require_role, signed_in_user
from clawback.accounts.actions import (
    do_create_token,
    do_create_user,
    do_revoke_token,
    do_set_org_domains,
)
from clawback.accounts.models import ApiToken, Organisation
from clawback.accounts.roles import Role
from clawback.audit.models import AuditEvent
from clawback.web.forms import AddUserForm, OrgDomainsForm, TokenForm
from clawback.web.stores import store_summaries

AUDIT_ROWS = 200


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str
    role: Role


TABS = (
    Tab("domains", "Organisation domains", "settings-domains", Role.MANAGE_SETTINGS),
    Tab("users", "Users", "settings-users", Role.MANAGE_USERS),
    Tab("tokens", "API tokens", "settings-tokens", Role.VIEW),
    Tab("stores", "Mail stores", "settings-stores", Role.VIEW),
    Tab("audit", "Audit log", "settings-audit", Role.MANAGE_SETTINGS),
)


def _tabs(request: HttpRequest) -> list[Tab]:
    return [tab for tab in TABS if has_role(request.user, tab.role)]


def _render(request: HttpRequest, tab: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context = {"tabs": _tabs(request), "tab": tab, **context}
    return render(request, f"web/settings/{tab}.html", context, status=status)


@require_role(Role.VIEW)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return redirect(_tabs(request)[0].url_name)


@require_role(Role.MANAGE_SETTINGS)
@require_http_methods(["GET", "HEAD", "POST"])
def domains(request: HttpRequest) -> HttpResponse:
    org = Organisation.objects.order_by("pk").first()
    current = org.domains if org is not None else list(settings.CLAWBACK_ORG_DOMAINS)
    form = OrgDomainsForm(request.POST or None, initial={"domains": "\n".join(current)})
    if request.method == "POST" and form.is_valid():
        do_set_org_domains(form.cleaned_data["domains"], acting_user=signed_in_user(request))
        messages.success(request, "Organisation domains saved.")
        return redirect("settings-domains")
    return _render(request, "domains", {"form": form, "current": current})


@require_role(Role.MANAGE_USERS)
@require_http_methods(["GET", "HEAD", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    form = AddUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_create_user(
                data["username"],
                groups=data["groups"],
                password=data["password"],
                email=data["email"],
                acting_user=signed_in_user(request),
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"User {data['username']} added.")
            return redirect("settings-users")
    rows = User.objects.prefetch_related("groups").order_by("username")
    return _render(request, "users", {"form": form, "users": rows})


@require_role(Role.VIEW)
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = do_create_token(
            signed_in_user(request),
            form.cleaned_data["name"],
            expires_at=form.expires_at(timezone.now()),
            acting_user=signed_in_user(request),
        )
        # Rendered into this response only (never a redirect, a message or the session):
        # the secret is shown once and not kept anywhere but its digest.
        form = TokenForm()
    own = ApiToken.objects.filter(user=request.user.pk).order_by("-created_at")
    return _render(request, "tokens", {"form": form, "tokens": own, "secret": secret})


@require_role(Role.VIEW)
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's token is "not found", not "forbidden": its existence is not for you.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user.pk)
    do_revoke_token(token, acting_user=signed_in_user(request))
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("settings-tokens")


@require_role(Role.VIEW)
@require_safe
def stores(request: HttpRequest) -> HttpResponse:
    return _render(request, "stores", {"stores": store_summaries()})


@require_role(Role.MANAGE_SETTINGS)
@require_safe
def audit(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-id")[:AUDIT_ROWS]
    return _render(request, "audit", {"events": events, "limit": AUDIT_ROWS})
