"""Alerts and investigations (SPEC §8).  For now: the "Administrative action submitted" alert
and the admin-action investigation that every manual remediation raises (SPEC §4)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from clawback.remediation.models import Remediation


class AlertSeverity(models.TextChoices):
    INFORMATIONAL = "informational", "Informational"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class InvestigationStatus(models.TextChoices):
    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    PENDING_ACTION = "pending_action", "Pending action"
    NO_THREATS_FOUND = "no_threats_found", "No threats found"
    PARTIALLY_REMEDIATED = "partially_remediated", "Partially remediated"
    REMEDIATED = "remediated", "Remediated"
    FAILED = "failed", "Failed"
    TERMINATED = "terminated", "Terminated"


class Investigation(models.Model):
    class Kind(models.TextChoices):
        ADMIN_ACTION = "admin_action", "Admin action"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=24, choices=InvestigationStatus.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    remediation = models.ForeignKey(
        Remediation, null=True, blank=True, on_delete=models.SET_NULL, related_name="investigations"
    )
    # What an admin-action investigation records (SPEC §4): entities, action, status, count,
    # who submitted and who approved.
    action = models.CharField(max_length=16, blank=True)
    entities = models.JSONField(default=dict, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    submitted_by_name = models.CharField(max_length=150, blank=True)
    approver_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.display_id} {self.title}"

    @property
    def display_id(self) -> str:
        return f"INV-{self.pk:06d}"


class Alert(models.Model):
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=16, choices=AlertSeverity.choices)
    category = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    remediation = models.ForeignKey(Remediation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    investigation = models.ForeignKey(
        Investigation, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
