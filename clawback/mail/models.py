"""The message index (SPEC §2): one row per delivered copy (message x recipient mailbox)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

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
    # Indexed by the (mailbox, ref) and (mailbox, message_id) indexes below.
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="copies", db_index=False)
    # Back-end reference (opaque; see mailstores.connectors.base.Ref.encode).
    ref = models.CharField(max_length=512)
    message_id = models.CharField(max_length=998)
    fingerprint = models.CharField(max_length=64, blank=True)
    simhash = models.BigIntegerField(default=0)
    cluster_id = models.CharField(max_length=64, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)

    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=300, blank=True)
    from_domain = models.CharField(max_length=255, blank=True)
    mail_from = models.CharField(max_length=320, blank=True)
    mail_from_domain = models.CharField(max_length=255, blank=True)
    sender_ip = models.CharField(max_length=45, blank=True)
    reply_to = models.CharField(max_length=320, blank=True)

    recipient = models.CharField(max_length=320)  # the mailbox's owner
    recipient_domain = models.CharField(max_length=255)
    to_addresses = models.TextField(blank=True)  # comma-separated
    cc_addresses = models.TextField(blank=True)
    delivered_to = models.TextField(blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.UNKNOWN)

    subject = models.TextField(blank=True)
    received_at = models.DateTimeField()
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
    location = models.CharField(max_length=12, choices=FOLDER_CLASS_CHOICES)
    flags = models.JSONField(default=list, blank=True)

    headers = models.JSONField(default=dict, blank=True)
    parse_problems = models.JSONField(default=list, blank=True)
    has_parse_problems = models.BooleanField(default=False)
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "ref"], name="copy_unique_ref"),
        ]
        # Indexes serve the Explorer (benchmarks/explorer.py) and sync; each one costs every
        # ingest write, so they are few and composite.  Declared here rather than with
        # db_index=True, which on PostgreSQL adds a second, varchar_pattern_ops index per column
        # for LIKE 'prefix%' -- a pattern no query of ours uses.
        #
        # Exact-match columns the analyst pivots on carry received_at second: "= x and received
        # >= -7d" is one index range, and the newest first page of a sender with 50,000 copies
        # is read in index order instead of being sorted.  (received_at, threats) serves every
        # time range and lets the Malware and Phish views test the threat sets inside the
        # index; (location, received_at) serves location filters and remediation's scopes.
        # copy_threat_received holds only phish and malware (~6 % of mail): on PostgreSQL the
        # Malware, Phish and Campaigns views read it alone (the planner proves "threat =
        # malware" implies its condition; the compiler writes the same LIKE terms).  Subject
        # search indexes differ per database: see clawback/explorer/search_indexes.py.
        indexes = [
            models.Index(fields=["mailbox", "message_id"]),
            models.Index(fields=["message_id"], name="copy_message_id"),
            models.Index(fields=["fingerprint"], name="copy_fingerprint"),
            models.Index(fields=["cluster_id"], name="copy_cluster"),
            models.Index(fields=["campaign_id"], name="copy_campaign"),
            models.Index(fields=["from_address", "received_at"], name="copy_from_address_received"),
            models.Index(fields=["from_domain", "received_at"], name="copy_from_domain_received"),
            models.Index(fields=["mail_from"], name="copy_mail_from"),
            models.Index(fields=["mail_from_domain"], name="copy_mail_from_domain"),
            models.Index(fields=["sender_ip", "received_at"], name="copy_sender_ip_received"),
            models.Index(fields=["recipient", "received_at"], name="copy_recipient_received"),
            models.Index(fields=["recipient_domain"], name="copy_recipient_domain"),
            models.Index(fields=["received_at", "threats"], name="copy_received_threats"),
            models.Index(fields=["location", "received_at"], name="copy_location_received"),
            models.Index(
                fields=["received_at", "threats"],
                name="copy_threat_received",
                condition=Q(threats__contains=",phish,")
                | Q(threats__contains=",high-confidence-phish,")
                | Q(threats__contains=",malware,"),
            ),
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
    copy = models.ForeignKey(MessageCopy, on_delete=models.CASCADE, related_name="urls", db_index=False)
    url = models.TextField()
    domain = models.CharField(max_length=255)
    path = models.TextField(blank=True)
    source = models.CharField(max_length=12)

    class Meta:
        # Covering indexes: url.domain conditions read (domain, copy) only; the url.domain pivot
        # and cascades read (copy, domain).
        indexes = [
            models.Index(fields=["domain", "copy"]),
            models.Index(fields=["copy", "domain"], name="copyurl_copy_domain"),
        ]

    def __str__(self) -> str:
        return self.url


class CopyAttachment(models.Model):
    copy = models.ForeignKey(MessageCopy, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=500, blank=True)
    ext = models.CharField(max_length=32, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    declared_type = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        # (sha256, copy) and (ext, copy) also serve lookups by sha256 or ext alone.
        indexes = [
            models.Index(fields=["sha256", "copy"]),
            models.Index(fields=["ext", "copy"]),
            models.Index(fields=["name"], name="copyattachment_name"),
            models.Index(fields=["content_type"], name="copyattachment_content_type"),
        ]

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


# TimelineEvent's columns in the order the bulk writers (sync, remediation) pass their values.
TIMELINE_COLUMNS = (
    "copy_id",
    "at",
    "kind",
    "source",
    "actor",
    "from_location",
    "to_location",
    "from_folder",
    "to_folder",
    "result",
    "detail",
)
