"""Remediations (SPEC §4): a frozen selection of copies, an action, an approval, per-copy items.

A :class:`Remediation` is what the Action center lists.  Its selection is frozen at submission
into one :class:`RemediationItem` per copy, which is also the executor's unit of work and the
undo record (where the copy was, with which flags).  :class:`MailboxRun` is the per-mailbox
schedule: which task works on a mailbox of a remediation, and until when its lease holds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from clawback.mail.models import FOLDER_CLASS_CHOICES, MessageCopy
from clawback.mailstores.models import Mailbox, Store

# The name decisions by automation (ZAP, automatic investigations) carry (SPEC §5 "decided by").
AUTOMATION = "Automation"


class Action(models.TextChoices):
    MOVE_TO_INBOX = "move-to-inbox", "Move to Inbox"
    MOVE_TO_JUNK = "move-to-junk", "Move to Junk"
    MOVE_TO_DELETED = "move-to-deleted", "Move to Deleted Items"
    SOFT_DELETE = "soft-delete", "Soft delete"
    HARD_DELETE = "hard-delete", "Hard delete"
    # Only undo creates these: each item goes back to its own recorded folder and flags.
    RESTORE = "restore", "Undo (restore)"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class SelectionKind(models.TextChoices):
    IDS = "ids", "Hand-picked"
    QUERY = "query", "Whole query"
    QUERY_EXCLUSIONS = "query-exclusions", "Query with exclusions"
    UNDO = "undo", "Undo of a remediation"


class Source(models.TextChoices):
    EXPLORER = "explorer", "Explorer"
    API = "api", "API"
    CLI = "cli", "CLI"
    INVESTIGATION = "investigation", "Investigation"
    ZAP = "zap", "ZAP"
    AUTOMATION = "automation", "Automation"


class Status(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    DUPLICATE = "duplicate", "Duplicate"
    QUEUED = "queued", "Queued"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"


# Statuses in which workers act on the remediation.
ACTIVE = frozenset({Status.QUEUED, Status.IN_PROGRESS})
FINISHED = frozenset({Status.COMPLETED, Status.COMPLETED_WITH_ERRORS, Status.FAILED})
# Statuses that count as "approved" for de-duplication: it ran or is running.
EXECUTED = ACTIVE | FINISHED


class Remediation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # A short human id for the Action center ("RA-7K2QXM"), unique like the reference's.
    approval_id = models.CharField(max_length=16, unique=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    description = models.TextField(blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    include_sender_copy = models.BooleanField(default=False)

    selection_kind = models.CharField(max_length=16, choices=SelectionKind.choices)
    query = models.TextField(blank=True)
    exclusions = models.JSONField(default=list, blank=True)  # copy ids left out of the query
    picked_ids = models.JSONField(default=list, blank=True)  # hand-picked copy ids
    # Messages added to an open proposal later: [{"by", "at", "kind", "query", "ids", ...}].
    additions = models.JSONField(default=list, blank=True)
    # sha256 of the sorted copy ids: "the same selection" for de-duplication.
    selection_digest = models.CharField(max_length=64, db_index=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)

    source = models.CharField(max_length=16, choices=Source.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_name = models.CharField(max_length=150)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    status = models.CharField(max_length=24, choices=Status.choices, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)  # a person, or "Automation"
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # proposals only

    investigation_id = models.CharField(max_length=32, blank=True, db_index=True)
    reverse_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reversals")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # item state -> count, when finished

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["action", "selection_digest", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.approval_id})"

    @property
    def actor_name(self) -> str:
        """Who the mailbox timeline names as having acted: the approver (the submitter when
        it ran directly, "Automation" for ZAP and automatic investigations)."""
        return self.decided_by_name or self.submitted_by_name

    @property
    def is_automated(self) -> bool:
        return self.source in (Source.ZAP, Source.AUTOMATION) or self.decided_by_name == AUTOMATION


class ItemState(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed"  # leased by a worker; the server has not been touched
    IN_FLIGHT = "in_flight", "In flight"  # intent recorded; the server may have acted
    SUCCEEDED = "succeeded", "Succeeded"
    ALREADY_IN_DESTINATION = "already_in_destination", "Already in destination"
    NOT_FOUND = "not_found", "Not found"
    FAILED = "failed", "Failed"
    NOT_REMEDIABLE = "not_remediable", "Not remediable"


UNFINISHED = frozenset({ItemState.PENDING, ItemState.CLAIMED, ItemState.IN_FLIGHT})
# "Not found counts as removed" (SPEC §4).
DONE_OK = frozenset({ItemState.SUCCEEDED, ItemState.ALREADY_IN_DESTINATION, ItemState.NOT_FOUND})
DONE_BAD = frozenset({ItemState.FAILED, ItemState.NOT_REMEDIABLE})

# to_location of hard-deleted items: gone for good, not a folder class.
PURGED = "purged"


class RemediationItem(models.Model):
    """One copy of a remediation: its frozen selection, the executor's intent and result."""

    remediation = models.ForeignKey(Remediation, on_delete=models.CASCADE, related_name="items")
    copy = models.ForeignKey(MessageCopy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mailbox_address = models.CharField(max_length=320)
    message_id = models.CharField(max_length=998)

    # Where the copy was (recorded as intent, before the server is touched): undo reads these.
    from_location = models.CharField(max_length=12, choices=FOLDER_CLASS_CHOICES)
    from_folder = models.CharField(max_length=300, blank=True)
    from_ref = models.CharField(max_length=512, blank=True)
    prior_flags = models.JSONField(default=list, blank=True)
    # Where it goes: a folder class (or "purged"); restores also name the exact folder and flags.
    to_location = models.CharField(max_length=12, blank=True)
    to_folder = models.CharField(max_length=300, blank=True)
    restore_flags = models.JSONField(null=True, blank=True)
    new_ref = models.CharField(max_length=512, blank=True)

    state = models.CharField(max_length=24, choices=ItemState.choices, default=ItemState.PENDING)
    reason = models.TextField(blank=True)
    # The worker token that holds (or last held) the item; kept after completion to show who
    # did it.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)  # soft-deleted, purged after retention

    class Meta:
        ordering = ["id"]
        indexes = [
            # The executor claims by (remediation, mailbox, state); counts group by state.
            models.Index(fields=["remediation", "mailbox", "state"]),
            models.Index(fields=["remediation", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} in {self.mailbox_address}: {self.state}"


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class MailboxRun(models.Model):
    """The work of one remediation in one mailbox: one task at a time holds its lease.

    The lease keeps a mailbox to one worker (one login); its expiry is how a killed worker is
    noticed; ``task_id`` is how a lost task is noticed (the watchdog compares it with the task
    queue).
    """

    remediation = models.ForeignKey(Remediation, on_delete=models.CASCADE, related_name="runs")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=RunState.choices, default=RunState.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)  # transient failures in a row
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["remediation", "mailbox"], name="run_unique_mailbox")]
        indexes = [
            models.Index(fields=["remediation", "state"]),
            models.Index(fields=["store", "state", "lease_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"run {self.remediation_id}/{self.mailbox_id}: {self.state}"


class ApprovalPolicy(models.Model):
    """When a Search-and-Purge holder's submission still needs a second person (SPEC §4:
    "limits and four-eyes rules are policy, not constants").  One row, editable."""

    two_step_always = models.BooleanField(default=False)
    two_step_above = models.PositiveIntegerField(null=True, blank=True)  # more messages than this
    two_step_for_hard_delete = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return "approval policy"

    @classmethod
    def current(cls) -> ApprovalPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy
