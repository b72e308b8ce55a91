from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change or content access (SPEC §10).

    ``actor_name`` is a copy so the row still says who acted after the user is deleted.  Each
    row's ``digest`` covers its fields and the previous row's digest, so editing or deleting a
    row breaks the chain (``clawback audit verify``).
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"


class ChainHead(models.Model):
    """A single row naming the newest digest and the count of rows.

    Writers lock it, which serialises appends to the chain, and it lets ``verify`` notice a
    deleted *last* row, which the chain alone cannot show.
    """

    digest = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} rows, head {self.digest[:12]}"
