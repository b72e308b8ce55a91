from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from clawback.accounts.roles import ROLE_LABELS


class Access(models.Model):
    """Holds no rows: it only carries the role permissions (SPEC §6)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(role.value, label) for role, label in ROLE_LABELS.items()]

    def __str__(self) -> str:
        return "roles"


class Organisation(models.Model):
    """The one organisation this installation protects; its domains decide direction."""

    name = models.CharField(max_length=200, default="Organisation")
    domains = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organisation:
        org = cls.objects.order_by("pk").first()
        if org is None:
            org = cls.objects.create(domains=list(settings.CLAWBACK_ORG_DOMAINS))
        return org


TOKEN_PREFIX = "cbk_"


def hash_token(secret: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_secret() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)
