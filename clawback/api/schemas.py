"""Response bodies of the API.  Fields mirror the message index (SPEC §2) by name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class ErrorOut(Schema):
    detail: str


class QueryErrorOut(Schema):
    error: str
    token: str
    line: int
    column: int


class MeOut(Schema):
    username: str
    email: str
    roles: list[str]
    groups: list[str]


class MessageSummary(Schema):
    id: int
    received_at: datetime
    message_id: str
    from_address: str
    from_name: str
    from_domain: str
    recipient: str
    subject: str
    direction: str
    location: str
    folder: str
    threats: list[str]
    detections: list[str]
    delivery_action: str
    size: int
    store: str


class SearchOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[MessageSummary]


class UrlOut(Schema):
    url: str
    domain: str
    path: str
    source: str


class AttachmentOut(Schema):
    name: str
    ext: str
    content_type: str
    declared_type: str
    sha256: str
    size: int


class TimelineOut(Schema):
    at: datetime
    kind: str
    source: str
    actor: str
    from_location: str
    to_location: str
    from_folder: str
    to_folder: str
    result: str
    detail: str


class MessageDetail(MessageSummary):
    mailbox: str
    mail_from: str
    mail_from_domain: str
    sender_ip: str
    reply_to: str
    recipient_domain: str
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    date_header: datetime | None
    language: str
    url_count: int
    attachment_count: int
    spf: str
    dkim: str
    dmarc: str
    composite_auth: str
    spam_score: float | None
    original_location: str
    original_folder: str
    flags: list[str]
    fingerprint: str
    cluster_id: str
    campaign_id: str
    has_parse_problems: bool
    parse_problems: list[str]
    urls: list[UrlOut]
    attachments: list[AttachmentOut]
    timeline: list[TimelineOut]
    # Present only for holders of the Preview role; each such read is audited.
    headers: dict[str, str] | None = None


class StoreOut(Schema):
    id: int
    name: str
    kind: str
    mailboxes: int
    last_sync_status: str
    last_synced_at: datetime | None
    failed_mailboxes: int


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    request_id: str
    data: dict[str, Any]
