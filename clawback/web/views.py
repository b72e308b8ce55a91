"""The shell of the UI: home, and the pages later work fills (Investigations)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from clawback.accounts.access import require_role
from clawback.accounts.roles import Role


@require_role(Role.VIEW)
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return redirect("explorer")


@require_role(Role.VIEW)
@require_safe
def investigations(request: HttpRequest) -> HttpResponse:
    return render(request, "web/investigations.html", {"investigations": []})
