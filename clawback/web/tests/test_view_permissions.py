"""One permission test per view (as in netbox): anonymous, without the role, with the role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clawback.accounts.actions import do_create_token
from clawback.accounts.roles import Role
from clawback.explorer.models import SavedQuery, TrackedQuery
from clawback.remediation.tests.factories import make_remediation
from clawback.web.tests.factories import make_copy
from clawback.web.tests.test_access import PUBLIC, walk

pytestmark = pytest.mark.django_db

# For each role: a persona who lacks it and one who holds it.
PERSONAS: dict[Role, tuple[str, str]] = {
    Role.VIEW: ("nobody", "bob"),
    Role.PROPOSE: ("bob", "dave"),
    Role.PREVIEW: ("dave", "carol"),
    Role.SEARCH_AND_PURGE: ("dave", "erin"),
    Role.MANAGE_SETTINGS: ("bob", "erin"),
    Role.MANAGE_USERS: ("erin", "alice"),
}


def _own_token(user: User) -> dict[str, Any]:
    token, _secret = do_create_token(user, "mine", acting_user=user)
    return {"pk": token.pk}


def _a_copy(user: User) -> dict[str, Any]:
    return {"message_id": make_copy().pk}


def _a_proposal(user: User) -> dict[str, Any]:
    # Proposed by the automation, so every persona with Search and Purge may decide it.
    return {"key": make_remediation().approval_id}


def _own_saved(user: User) -> dict[str, Any]:
    # Made directly: the persona without View may not save through the action.
    return {"saved_id": SavedQuery.objects.create(owner=user, name="mine", query="size > 1m").pk}


def _own_tracked(user: User) -> dict[str, Any]:
    tracked = TrackedQuery.objects.create(owner=user, name="mine", query="size > 1m", next_run_at=timezone.now())
    return {"tracked_id": tracked.pk}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    role: Role
    allowed_status: int
    data: dict[str, Any] = field(default_factory=dict)
    kwargs: Callable[[User], dict[str, Any]] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}"


CASES = [
    Case("home", "GET", Role.VIEW, 302),
    Case("explorer", "GET", Role.VIEW, 200),
    Case("explorer-export", "GET", Role.VIEW, 200, {"q": "size > 1m"}),
    Case("explorer-columns", "POST", Role.VIEW, 302, {"columns": ["subject", "size"]}),
    # A selection matching nothing: the first step, saying there is nothing to act on.
    Case("explorer-take-action", "GET", Role.PROPOSE, 200, {"scope": "query", "query": "subject ~ nothing"}),
    Case("explorer-take-action", "POST", Role.PROPOSE, 200, {"scope": "query", "query": "subject ~ nothing"}),
    Case("explorer-message", "GET", Role.VIEW, 200, kwargs=_a_copy),
    # The factory's store has no path: the content views answer with their "unavailable" form.
    Case("explorer-message-headers", "GET", Role.PREVIEW, 200, kwargs=_a_copy),
    Case("explorer-message-preview", "GET", Role.PREVIEW, 200, kwargs=_a_copy),
    Case("explorer-message-preview-frame", "GET", Role.PREVIEW, 502, kwargs=_a_copy),
    Case("explorer-message-eml", "GET", Role.PREVIEW, 302, kwargs=_a_copy),
    Case("explorer-saved", "GET", Role.VIEW, 200),
    Case("explorer-saved", "POST", Role.VIEW, 302, {"name": "mine", "query": "size > 1m"}),
    Case("explorer-saved-update", "POST", Role.VIEW, 302, {"shared": "true"}, kwargs=_own_saved),
    Case("explorer-saved-delete", "POST", Role.VIEW, 302, kwargs=_own_saved),
    Case("explorer-tracked", "GET", Role.VIEW, 200),
    Case("explorer-tracked", "POST", Role.VIEW, 302, {"name": "mine", "query": "size > 1m"}),
    Case("explorer-tracked-detail", "GET", Role.VIEW, 200, kwargs=_own_tracked),
    Case("explorer-tracked-run", "POST", Role.VIEW, 302, kwargs=_own_tracked),
    Case("explorer-tracked-delete", "POST", Role.VIEW, 302, kwargs=_own_tracked),
    Case("action-center", "GET", Role.VIEW, 200),
    Case("action-center-history", "GET", Role.VIEW, 200),
    Case("remediation", "GET", Role.VIEW, 200, kwargs=_a_proposal),
    Case("remediation-progress", "GET", Role.VIEW, 200, kwargs=_a_proposal),
    Case("remediation-export", "GET", Role.VIEW, 200, kwargs=_a_proposal),
    Case("remediation-approve", "POST", Role.SEARCH_AND_PURGE, 302, kwargs=_a_proposal),
    Case("remediation-reject", "POST", Role.SEARCH_AND_PURGE, 302, {"reason": "benign"}, kwargs=_a_proposal),
    Case("remediation-undo", "POST", Role.SEARCH_AND_PURGE, 302, {"name": "undo"}, kwargs=_a_proposal),
    Case("investigations", "GET", Role.VIEW, 200),
    Case("settings", "GET", Role.VIEW, 302),
    Case("settings-domains", "GET", Role.MANAGE_SETTINGS, 200),
    Case("settings-domains", "POST", Role.MANAGE_SETTINGS, 302, {"domains": "example.org"}),
    Case("settings-users", "GET", Role.MANAGE_USERS, 200),
    Case(
        "settings-users",
        "POST",
        Role.MANAGE_USERS,
        302,
        {"username": "frank", "password": "pw-frank-123!", "groups": ["Security Reader"]},
    ),
    Case("settings-tokens", "GET", Role.VIEW, 200),
    Case("settings-tokens", "POST", Role.VIEW, 200, {"name": "ci", "expires_in": "30"}),
    Case("settings-token-revoke", "POST", Role.VIEW, 302, kwargs=_own_token),
    Case("settings-stores", "GET", Role.VIEW, 200),
    Case("settings-audit", "GET", Role.MANAGE_SETTINGS, 200),
]


def _call(client: Client, case: Case, user: User | None, owner: User | None = None) -> Any:
    kwargs = case.kwargs(user or owner) if case.kwargs and (user or owner) else {}
    url = reverse(case.name, kwargs=kwargs)
    if case.method == "GET":
        return client.get(url, case.data)
    return client.post(url, case.data)


def test_every_page_has_a_case() -> None:
    pages = {name for path, name, _v in walk() if not path.startswith("/api/") and name not in PUBLIC}
    assert pages == {case.name for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_anonymous(client: Client, case: Case, alice: User) -> None:
    response = _call(client, case, None, owner=alice)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_without_permission(client: Client, case: Case, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(PERSONAS[case.role][0])
    client.force_login(user)
    assert _call(client, case, user).status_code == 403


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_with_permission(client: Client, case: Case, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(PERSONAS[case.role][1])
    client.force_login(user)
    response = _call(client, case, user)
    assert response.status_code == case.allowed_status, response.content[:500]
