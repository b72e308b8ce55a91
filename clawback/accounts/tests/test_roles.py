"""The default role groups are exactly those of SPEC §6 (created by migration, editable)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from clawback.accounts.access import has_role, roles_of
from clawback.accounts.roles import Role

pytestmark = pytest.mark.django_db

# Written out again on purpose (not imported from roles.py): the spec is the reference.
SPEC_GROUPS = {
    "Global Administrator": {
        "view",
        "propose",
        "preview",
        "search_and_purge",
        "quarantine_admin",
        "manage_settings",
        "manage_users",
    },
    "Security Administrator": {"view", "propose", "search_and_purge", "quarantine_admin", "manage_settings"},
    "Data Investigator": {"view", "propose", "preview", "search_and_purge"},
    "Security Operator": {"view", "propose"},
    "Quarantine Administrator": {"view", "quarantine_admin"},
    "Security Reader": {"view"},
}


def _codenames(group: Group) -> set[str]:
    return set(group.permissions.values_list("codename", flat=True))


def test_default_groups_exist_with_exact_roles() -> None:
    groups = {g.name: _codenames(g) for g in Group.objects.filter(name__in=SPEC_GROUPS)}
    assert groups == SPEC_GROUPS


def test_roles_are_permissions_of_accounts_access() -> None:
    for group in Group.objects.filter(name__in=SPEC_GROUPS):
        labels = set(group.permissions.values_list("content_type__app_label", "content_type__model"))
        assert labels == {("accounts", "access")}


def test_preview_only_in_global_administrator_and_data_investigator() -> None:
    with_preview = set(Group.objects.filter(permissions__codename="preview").values_list("name", flat=True))
    assert with_preview == {"Global Administrator", "Data Investigator"}


def test_personas_hold_their_groups_roles(alice, bob, carol, dave, erin) -> None:
    assert roles_of(alice) == set(Role)
    assert roles_of(bob) == {Role.VIEW}
    assert roles_of(carol) == {Role.VIEW, Role.PROPOSE, Role.PREVIEW, Role.SEARCH_AND_PURGE}
    assert roles_of(dave) == {Role.VIEW, Role.PROPOSE}
    assert Role.PREVIEW not in roles_of(erin)
    assert Role.MANAGE_USERS not in roles_of(erin)


def test_inactive_user_holds_no_role(alice) -> None:
    alice.is_active = False
    alice.save()
    assert not has_role(alice, Role.VIEW)
