"""Roles and default role groups (SPEC §6), as in the reference system.

A role is a Django permission on the ``accounts.Access`` model; a role group is a Django
``Group``.  Role groups are created by migration and editable afterwards.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEW = "view"
    PROPOSE = "propose"
    PREVIEW = "preview"
    SEARCH_AND_PURGE = "search_and_purge"
    QUARANTINE_ADMIN = "quarantine_admin"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_USERS = "manage_users"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def perm(self) -> str:
        """The ``app_label.codename`` string Django's ``has_perm`` expects."""
        return f"accounts.{self.value}"


ROLE_LABELS = {
    Role.VIEW: "View",
    Role.PROPOSE: "Propose",
    Role.PREVIEW: "Preview",
    Role.SEARCH_AND_PURGE: "Search and Purge",
    Role.QUARANTINE_ADMIN: "Quarantine admin",
    Role.MANAGE_SETTINGS: "Manage settings",
    Role.MANAGE_USERS: "Manage users",
}

ALL_ROLES = list(Role)

DEFAULT_ROLE_GROUPS: dict[str, list[Role]] = {
    "Global Administrator": ALL_ROLES,
    "Security Administrator": [
        Role.VIEW,
        Role.PROPOSE,
        Role.SEARCH_AND_PURGE,
        Role.QUARANTINE_ADMIN,
        Role.MANAGE_SETTINGS,
    ],
    "Data Investigator": [Role.VIEW, Role.PROPOSE, Role.PREVIEW, Role.SEARCH_AND_PURGE],
    "Security Operator": [Role.VIEW, Role.PROPOSE],
    "Quarantine Administrator": [Role.VIEW, Role.QUARANTINE_ADMIN],
    "Security Reader": [Role.VIEW],
}
