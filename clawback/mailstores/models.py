from __future__ import annotations

from django.db import models


class Store(models.Model):
    """A configured mail back end (SPEC §1).  Holds kind + parameters, never Python paths."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    # Non-secret connection parameters (host, port, path, master user, ...).
    params = models.JSONField(default=dict, blank=True)
    # Secret parameters (passwords, client secrets).  Never logged or audited; see
    # ``clawback.audit.log.censor``.
    secrets = models.JSONField(default=dict, blank=True)
    # Folder name -> folder class, overriding special-use discovery.
    folder_overrides = models.JSONField(default=dict, blank=True)
    max_connections = models.PositiveSmallIntegerField(default=4)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Mailbox(models.Model):
    """One user's mail in a store."""

    class Status(models.TextChoices):
        NEW = "new", "Never synced"
        OK = "ok", "Synced"
        ERROR = "error", "Last sync failed"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="mailboxes")
    address = models.CharField(max_length=320)
    sync_state = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "address"], name="mailbox_unique_address")]

    def __str__(self) -> str:
        return f"{self.address} ({self.store.name})"
