"""The message index (SPEC §2): one row per delivered copy (message x recipient mailbox)."""

from __future__ import annotations

from django.db import models

from clawback.mailstores.connectors.base import FolderClass
from clawback.mailstores.models import Mailbox, Store

FOLDER_CLASS_CHOICES = [(c.value, c.value) for c in FolderClass]


class Direction(models.TextChoices):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTRA_ORG = "intra-org"
    UNKNOWN = "unknown"


class DeliveryAction(models.TextChoices):
    DELIVERED = "delivered"
    JUNKED = "junked"
    BLOCKED = "blocked"
    REPLACED = "replaced"


class MessageCopy(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="copies")
    # Back-end reference (opaque; see mailstores.connectors.base.Ref.encode).
    ref = models.CharField(max_length=512)
    message_id = models.CharField(max_length=998, db_index=True)
    fingerprint = models.CharField(max_length=64, db_index=True, blank=True)
    simhash = models.BigIntegerField(default=0)
    cluster_id = models.CharField(max_length=64, blank=True, db_index=True)
    campaign_id = models.CharField(max_length=64, blank=True, db_index=True)

    from_address = models.CharField(max_length=320, blank=True, db_index=True)
    from_name = models.CharField(max_length=300, blank=True)
    from_domain = models.CharField(max_length=255, blank=True, db_index=True)
    mail_from = models.CharField(max_length=320, blank=True, db_index=True)
    mail_from_domain = models.CharField(max_length=255, blank=True, db_index=True)
    sender_ip = models.CharField(max_length=45, blank=True, db_index=True)
    reply_to = models.CharField(max_length=320, blank=True)

    recipient = models.CharField(max_length=320, db_index=True)  # the mailbox's owner
    recipient_domain = models.CharField(max_length=255, db_index=True)
    to_addresses = models.TextField(blank=True)  # comma-separated
    cc_addresses = models.TextField(blank=True)
    delivered_to = models.TextField(blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.UNKNOWN)

    subject = models.TextField(blank=True)
    received_at = models.DateTimeField(db_index=True)
    date_header = models.DateTimeField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=16, blank=True)
    url_count = models.PositiveIntegerField(default=0)
    attachment_count = models.PositiveIntegerField(default=0)

    spf = models.CharField(max_length=16, default="none")
    dkim = models.CharField(max_length=16, default="none")
    dmarc = models.CharField(max_length=16, default="none")
    composite_auth = models.CharField(max_length=16, default="none")

    # Comma-wrapped sets (",phish,spam,") so "contains ,phish," matches one member exactly.
    threats = models.CharField(max_length=200, blank=True, default="")
    detections = models.CharField(max_length=300, blank=True, default="")
    spam_score = models.FloatField(null=True, blank=True)
    delivery_action = models.CharField(max_length=10, choices=DeliveryAction.choices, default=DeliveryAction.DELIVERED)

    original_folder = models.CharField(max_length=300)
    original_location = models.CharField(max_length=12, choices=FOLDER_CLASS_CHOICES)
    folder = models.CharField(max_length=300)
    location = models.CharField(max_length=12, choices=FOLDER_CLASS_CHOICES, db_index=True)
    flags = models.JSONField(default=list, blank=True)

    headers = models.JSONField(default=dict, blank=True)
    parse_problems = models.JSONField(default=list, blank=True)
    has_parse_problems = models.BooleanField(default=False)
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "ref"], name="copy_unique_ref"),
        ]
        indexes = [
            models.Index(fields=["received_at", "location"]),
            models.Index(fields=["mailbox", "message_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} in {self.recipient}"

    @property
    def threat_list(self) -> list[str]:
        return [t for t in self.threats.split(",") if t]

    @property
    def detection_list(self) -> list[str]:
        return [t for t in self.detections.split(",") if t]


class CopyUrl(models.Model):
    copy = models.ForeignKey(MessageCopy, on_delete=models.CASCADE, related_name="urls")
    url = models.TextField()
    domain = models.CharField(max_length=255, db_index=True)
    path = models.TextField(blank=True)
    source = models.CharField(max_length=12)

    class Meta:
        # Covering indexes: the query language's EXISTS subqueries read only these columns.
        indexes = [models.Index(fields=["domain", "copy"])]

    def __str__(self) -> str:
        return self.url


class CopyAttachment(models.Model):
    copy = models.ForeignKey(MessageCopy, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=500, blank=True, db_index=True)
    ext = models.CharField(max_length=32, blank=True, db_index=True)
    content_type = models.CharField(max_length=200, blank=True, db_index=True)
    declared_type = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["sha256", "copy"]), models.Index(fields=["ext", "copy"])]

    def __str__(self) -> str:
        return self.name or self.sha256


class TimelineEvent(models.Model):
    """A post-delivery event of one copy (SPEC §2 timeline)."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", "Original delivery"
        USER_MOVED = "user_moved", "Moved by user"
        USER_DELETED = "user_deleted", "Deleted by user"
        USER_FLAGS = "user_flags", "Read state changed by user"
        REMEDIATION = "remediation", "Remediation"
        ZAP = "zap", "Zero-hour auto purge"

    class Source(models.TextChoices):
        SYSTEM = "system"
        ADMIN = "admin"
        USER = "user"
        AUTOMATION = "automation"

    copy = models.ForeignKey(MessageCopy, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    actor = models.CharField(max_length=150, blank=True)
    from_location = models.CharField(max_length=12, blank=True)
    to_location = models.CharField(max_length=12, blank=True)
    from_folder = models.CharField(max_length=300, blank=True)
    to_folder = models.CharField(max_length=300, blank=True)
    result = models.CharField(max_length=32, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at} {self.kind}"
