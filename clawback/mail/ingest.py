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
from functools import cache, lru_cache
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


@cache
def copy_columns() -> tuple[str, ...]:
    """MessageCopy's columns other than ``id``, in model order."""
    return tuple(f.attname for f in MessageCopy._meta.concrete_fields if not f.primary_key)


@cache
def _defaults(dialect: Dialect) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(:func:`copy_columns`, the value of each for a column the builder leaves out)."""
    defaults = []
    for field in MessageCopy._meta.concrete_fields:
        if field.primary_key:
            continue
        default = field.get_default()
        if field.get_internal_type() == "JSONField":
            default = dialect.json(default)
        defaults.append(default)
    return copy_columns(), tuple(defaults)


# Per-copy constants, looked up once: an enum member's ``.value`` is a descriptor call.
_LOCATIONS = {folder_class: folder_class.value for folder_class in FolderClass}
_JUNKED, _DELIVERED_ACTION = DeliveryAction.JUNKED.value, DeliveryAction.DELIVERED.value
_NO_PROBLEMS = Dialect.json([])


@lru_cache(maxsize=256)
def _flags_json(flags: tuple[str, ...]) -> str:
    """Flag sets repeat (a few combinations of \\Seen, \\Answered, \\Flagged per store)."""
    return Dialect.json(list(flags))


@lru_cache(maxsize=8)
def _stamp(dialect: Dialect, now: datetime) -> str | None:
    """``indexed_at``: one ``now`` per fetched chunk, so the same text for all its copies."""
    return dialect.datetime(now)


def parse_copy(target: Target, fetched: Fetched, now: datetime) -> NewCopy:
    """Parse one fetched copy into its rows.  Never raises for the message's content."""
    parsed = parse_message(fetched.raw, org_domains=target.org_domains, recipient=target.address)
    return build_copy(target, fetched, parsed, now)


def build_copy(target: Target, fetched: Fetched, parsed: ParsedMessage, now: datetime) -> NewCopy:
    """The rows of one parsed copy.  Strings are clipped to their columns' lengths by slicing
    (a slice that covers the whole string is the string itself)."""
    dialect = target.dialect
    # The top Received header is our MX's delivery time; INTERNALDATE can be an import time.
    received = parsed.received_at or fetched.internal_date or now
    received_text = dialect.datetime(received)
    address = target.address.lower()
    location = _LOCATIONS[fetched.folder_class]
    ref = fetched.ref.encode()
    folder = fetched.ref.folder
    flags = fetched.flags
    auth = parsed.auth
    problems = parsed.parse_problems
    row = {
        "store_id": target.store_id,
        "mailbox_id": target.mailbox_id,
        "ref": ref,
        "message_id": parsed.message_id[:998],
        "fingerprint": parsed.fingerprint,
        "simhash": parsed.simhash,
        "from_address": parsed.from_address[:320],
        "from_name": parsed.from_name[:300],
        "from_domain": parsed.from_domain[:255],
        "mail_from": parsed.mail_from[:320],
        "mail_from_domain": parsed.mail_from_domain[:255],
        "sender_ip": parsed.sender_ip[:45],
        "reply_to": parsed.reply_to[:320],
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
        "language": parsed.language[:16],
        "url_count": len(parsed.urls),
        "attachment_count": len(parsed.attachments),
        "spf": auth.spf[:16],
        "dkim": auth.dkim[:16],
        "dmarc": auth.dmarc[:16],
        "composite_auth": auth.composite[:16],
        "threats": wrap_set(parsed.threats),
        "detections": wrap_set(parsed.detections),
        "spam_score": parsed.spam_score,
        "delivery_action": _JUNKED if fetched.folder_class == FolderClass.JUNK else _DELIVERED_ACTION,
        "original_folder": folder,
        "original_location": location,
        "folder": folder,
        "location": location,
        "flags": _flags_json(flags),
        "headers": dialect.json(parsed.headers),
        "parse_problems": dialect.json(problems) if problems else _NO_PROBLEMS,
        "has_parse_problems": bool(problems),
        "indexed_at": _stamp(dialect, now),
    }
    columns, defaults = _defaults(dialect)
    return NewCopy(
        mailbox_id=target.mailbox_id,
        message_id=parsed.message_id,
        ref=ref,
        folder=folder,
        location=location,
        flags=flags,
        has_problems=bool(problems),
        values=tuple(map(row.get, columns, defaults)),
        urls=[(u.url, u.domain[:255], u.path, u.source) for u in parsed.urls],
        attachments=[
            (a.name[:500], a.ext[:32], a.content_type[:200], a.declared_type[:200], a.sha256, a.size)
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
