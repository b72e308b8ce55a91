"""Turn fetched messages into index rows (copies, URLs, attachments, delivery events)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.utils import timezone

from clawback.lib.bulk import allocate_ids, insert_dicts
from clawback.mail.models import (
    CopyAttachment,
    CopyUrl,
    DeliveryAction,
    MessageCopy,
    TimelineEvent,
)
from clawback.mail.parsing import parse_message
from clawback.mail.parsing.result import ParsedMessage
from clawback.mailstores.connectors.base import Fetched, FolderClass
from clawback.mailstores.models import Mailbox


def wrap_set(values: Collection[str]) -> str:
    """``["phish", "spam"]`` -> ``",phish,spam,"`` so membership is one ``contains``."""
    return f",{','.join(sorted(set(values)))}," if values else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def build_copy(mailbox: Mailbox, fetched: Fetched, parsed: ParsedMessage, now: datetime) -> dict[str, Any]:
    """The index row of one fetched copy, as {attname: value} (see clawback.lib.bulk)."""
    # The top Received header is our MX's delivery time; INTERNALDATE can be an import time.
    received = parsed.received_at or fetched.internal_date or now
    address = mailbox.address.lower()
    location = fetched.folder_class.value
    return {
        "store_id": mailbox.store_id,
        "mailbox_id": mailbox.pk,
        "ref": fetched.ref.encode(),
        "message_id": _clip(parsed.message_id, 998),
        "fingerprint": parsed.fingerprint,
        "simhash": parsed.simhash,
        "cluster_id": "",
        "campaign_id": "",
        "from_address": _clip(parsed.from_address, 320),
        "from_name": _clip(parsed.from_name, 300),
        "from_domain": _clip(parsed.from_domain, 255),
        "mail_from": _clip(parsed.mail_from, 320),
        "mail_from_domain": _clip(parsed.mail_from_domain, 255),
        "sender_ip": _clip(parsed.sender_ip, 45),
        "reply_to": _clip(parsed.reply_to, 320),
        "recipient": address,
        "recipient_domain": address.rpartition("@")[2],
        "to_addresses": ",".join(parsed.to),
        "cc_addresses": ",".join(parsed.cc),
        "delivered_to": ",".join(parsed.delivered_to),
        "direction": parsed.direction,
        "subject": parsed.subject,
        "received_at": received,
        "date_header": parsed.date,
        "size": fetched.size or parsed.size,
        "language": _clip(parsed.language, 16),
        "url_count": len(parsed.urls),
        "attachment_count": len(parsed.attachments),
        "spf": _clip(parsed.auth.spf, 16),
        "dkim": _clip(parsed.auth.dkim, 16),
        "dmarc": _clip(parsed.auth.dmarc, 16),
        "composite_auth": _clip(parsed.auth.composite, 16),
        "threats": wrap_set(parsed.threats),
        "detections": wrap_set(parsed.detections),
        "spam_score": parsed.spam_score,
        "delivery_action": DeliveryAction.JUNKED
        if fetched.folder_class == FolderClass.JUNK
        else DeliveryAction.DELIVERED,
        "original_folder": fetched.ref.folder,
        "original_location": location,
        "folder": fetched.ref.folder,
        "location": location,
        "flags": list(fetched.flags),
        "headers": parsed.headers,
        "parse_problems": parsed.parse_problems,
        "has_parse_problems": bool(parsed.parse_problems),
        "indexed_at": now,
    }


def insert_copies(rows: list[tuple[dict[str, Any], ParsedMessage]]) -> None:
    """Insert copies with their URLs, attachments and delivery events.  Call inside a
    transaction (ids are allocated in it; see clawback.lib.bulk.allocate_ids)."""
    if not rows:
        return
    ids = allocate_ids(MessageCopy, len(rows))
    urls: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for copy_id, (copy, parsed) in zip(ids, rows, strict=True):
        copy["id"] = copy_id
        urls += [
            {"copy_id": copy_id, "url": u.url, "domain": _clip(u.domain, 255), "path": u.path, "source": u.source}
            for u in parsed.urls
        ]
        attachments += [
            {
                "copy_id": copy_id,
                "name": _clip(a.name, 500),
                "ext": _clip(a.ext, 32),
                "content_type": _clip(a.content_type, 200),
                "declared_type": _clip(a.declared_type, 200),
                "sha256": a.sha256,
                "size": a.size,
            }
            for a in parsed.attachments
        ]
        events.append(
            {
                "copy_id": copy_id,
                "at": copy["received_at"],
                "kind": TimelineEvent.Kind.DELIVERED.value,
                "source": TimelineEvent.Source.SYSTEM.value,
                "to_location": copy["location"],
                "to_folder": copy["folder"],
                "result": "delivered",
            }
        )
    insert_dicts(MessageCopy, [copy for copy, _ in rows], with_id=True)
    insert_dicts(CopyUrl, urls)
    insert_dicts(CopyAttachment, attachments)
    insert_dicts(TimelineEvent, events)


def parse_fetched(fetched: Fetched, org_domains: Collection[str], recipient: str) -> ParsedMessage:
    return parse_message(fetched.raw, org_domains=org_domains, recipient=recipient)


def now() -> datetime:
    return timezone.now()
