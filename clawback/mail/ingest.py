"""Fetched messages -> index rows (copies, URLs, attachments, delivery events), and their insert.

The work is split where the processes split (see :mod:`clawback.mail.runner`): a parser process
turns a fetched message into a :class:`NewCopy` of plain tuples whose values are already in the
database's form (:class:`clawback.lib.bulk.Dialect`), so what travels back to the writer is
compact to pickle and the writer only adds primary keys and sends the rows
(:func:`insert_copies`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from clawback.lib.bulk import Dialect, allocate_ids, insert_rows
from clawback.mail.models import (
    TIMELINE_COLUMNS,
    CopyAttachment,
    CopyUrl,
    DeliveryAction,
    MessageCopy,
    TimelineEvent,
)
from clawback.mail.parsing import parse_message
from clawback.mail.parsing.result import ParsedMessage
from clawback.mailstores.connectors.base import Fetched, FolderClass

URL_COLUMNS = ("copy_id", "url", "domain", "path", "source")
ATTACHMENT_COLUMNS = ("copy_id", "name", "ext", "content_type", "declared_type", "sha256", "size")
_DELIVERED = (TimelineEvent.Kind.DELIVERED.value, TimelineEvent.Source.SYSTEM.value)


@dataclass(frozen=True)
class Target:
    """The mailbox copies are indexed for: what a parser process needs to build its rows."""

    store_id: int
    mailbox_id: int
    address: str
    org_domains: tuple[str, ...]
    dialect: Dialect


class NewCopy(NamedTuple):
    """One parsed copy, ready to insert: ``values`` in :func:`copy_columns` order (without the
    id), children without their ``copy_id``."""

    mailbox_id: int
    message_id: str
    ref: str
    folder: str
    location: str
    flags: tuple[str, ...]
    has_problems: bool
    values: tuple[Any, ...]
    urls: list[tuple[str, str, str, str]]
    attachments: list[tuple[str, str, str, str, str, int]]
    event: tuple[Any, ...]


def wrap_set(values: Collection[str]) -> str:
    """``["phish", "spam"]`` -> ``",phish,spam,"`` so membership is one ``contains``."""
    return f",{','.join(sorted(set(values)))}," if values else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


@cache
def copy_columns() -> tuple[str, ...]:
    """MessageCopy's columns other than ``id``, in model order."""
    return tuple(f.attname for f in MessageCopy._meta.concrete_fields if not f.primary_key)


@cache
def _defaults(dialect: Dialect) -> tuple[tuple[str, Any], ...]:
    """(column, value for a column the builder leaves out) in :func:`copy_columns` order."""
    out = []
    for field in MessageCopy._meta.concrete_fields:
        if field.primary_key:
            continue
        default = field.get_default()
        if field.get_internal_type() == "JSONField":
            default = dialect.json(default)
        out.append((field.attname, default))
    return tuple(out)


def parse_copy(target: Target, fetched: Fetched, now: datetime) -> NewCopy:
    """Parse one fetched copy into its rows.  Never raises for the message's content."""
    parsed = parse_message(fetched.raw, org_domains=target.org_domains, recipient=target.address)
    return build_copy(target, fetched, parsed, now)


def build_copy(target: Target, fetched: Fetched, parsed: ParsedMessage, now: datetime) -> NewCopy:
    dialect = target.dialect
    # The top Received header is our MX's delivery time; INTERNALDATE can be an import time.
    received = parsed.received_at or fetched.internal_date or now
    received_text = dialect.datetime(received)
    address = target.address.lower()
    location = fetched.folder_class.value
    ref = fetched.ref.encode()
    folder = fetched.ref.folder
    flags = fetched.flags
    auth = parsed.auth
    row = {
        "store_id": target.store_id,
        "mailbox_id": target.mailbox_id,
        "ref": ref,
        "message_id": _clip(parsed.message_id, 998),
        "fingerprint": parsed.fingerprint,
        "simhash": parsed.simhash,
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
        "received_at": received_text,
        "date_header": dialect.datetime(parsed.date),
        "size": fetched.size or parsed.size,
        "language": _clip(parsed.language, 16),
        "url_count": len(parsed.urls),
        "attachment_count": len(parsed.attachments),
        "spf": _clip(auth.spf, 16),
        "dkim": _clip(auth.dkim, 16),
        "dmarc": _clip(auth.dmarc, 16),
        "composite_auth": _clip(auth.composite, 16),
        "threats": wrap_set(parsed.threats),
        "detections": wrap_set(parsed.detections),
        "spam_score": parsed.spam_score,
        "delivery_action": DeliveryAction.JUNKED.value
        if fetched.folder_class == FolderClass.JUNK
        else DeliveryAction.DELIVERED.value,
        "original_folder": folder,
        "original_location": location,
        "folder": folder,
        "location": location,
        "flags": dialect.json(list(flags)),
        "headers": dialect.json(parsed.headers),
        "parse_problems": dialect.json(parsed.parse_problems),
        "has_parse_problems": bool(parsed.parse_problems),
        "indexed_at": dialect.datetime(now),
    }
    return NewCopy(
        mailbox_id=target.mailbox_id,
        message_id=parsed.message_id,
        ref=ref,
        folder=folder,
        location=location,
        flags=flags,
        has_problems=bool(parsed.parse_problems),
        values=tuple([row.get(name, default) for name, default in _defaults(dialect)]),
        urls=[(u.url, _clip(u.domain, 255), u.path, u.source) for u in parsed.urls],
        attachments=[
            (
                _clip(a.name, 500),
                _clip(a.ext, 32),
                _clip(a.content_type, 200),
                _clip(a.declared_type, 200),
                a.sha256,
                a.size,
            )
            for a in parsed.attachments
        ],
        event=(received_text, *_DELIVERED, "", "", location, "", folder, "delivered", ""),
    )


def insert_copies(copies: Sequence[NewCopy]) -> list[int]:
    """Insert copies with their URLs, attachments and delivery events; return their ids.
    Call inside a transaction (ids are allocated in it; see clawback.lib.bulk.allocate_ids)."""
    if not copies:
        return []
    ids = allocate_ids(MessageCopy, len(copies))
    pairs = list(zip(ids, copies, strict=True))
    insert_rows(MessageCopy, ("id", *copy_columns()), [(i, *c.values) for i, c in pairs])
    insert_rows(CopyUrl, URL_COLUMNS, [(i, *u) for i, c in pairs for u in c.urls])
    insert_rows(CopyAttachment, ATTACHMENT_COLUMNS, [(i, *a) for i, c in pairs for a in c.attachments])
    insert_rows(TimelineEvent, TIMELINE_COLUMNS, [(i, *c.event) for i, c in pairs])
    return ids
