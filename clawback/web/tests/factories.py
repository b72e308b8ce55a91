"""Index rows for the UI and API tests (no parsing: just enough of a delivered copy)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy, TimelineEvent
from clawback.mailstores.models import Mailbox, Store

_seq = itertools.count(1)


def make_store(name: str = "demo", kind: str = "maildir") -> Store:
    store, _ = Store.objects.get_or_create(name=name, defaults={"kind": kind})
    return store


def make_mailbox(address: str = "ann@example.org", store: Store | None = None, **kw: Any) -> Mailbox:
    store = store or make_store()
    mailbox, _ = Mailbox.objects.get_or_create(store=store, address=address, defaults=kw)
    return mailbox


def make_copy(
    *,
    subject: str = "Hello",
    sender: str = "someone@sender.example",
    recipient: str = "ann@example.org",
    received_at: datetime | None = None,
    threats: list[str] | None = None,
    location: str = "inbox",
    folder: str = "INBOX",
    size: int = 2048,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> MessageCopy:
    n = next(_seq)
    mailbox = make_mailbox(recipient)
    return MessageCopy.objects.create(
        store=mailbox.store,
        mailbox=mailbox,
        ref=f"{folder}/{n}",
        message_id=f"<m{n}@sender.example>",
        from_address=sender,
        from_domain=sender.rpartition("@")[2],
        recipient=recipient,
        recipient_domain=recipient.rpartition("@")[2],
        subject=subject,
        received_at=received_at or timezone.now() - timedelta(minutes=n),
        size=size,
        threats=f",{','.join(threats)}," if threats else "",
        original_folder=folder,
        original_location=location,
        folder=folder,
        location=location,
        headers=headers if headers is not None else {"subject": subject, "x-mailer": "test"},
        **extra,
    )


def add_details(copy: MessageCopy) -> None:
    CopyUrl.objects.create(
        copy=copy, url="https://evil.example/login", domain="evil.example", path="/login", source="body"
    )
    CopyAttachment.objects.create(
        copy=copy, name="invoice.pdf", ext="pdf", content_type="application/pdf", sha256="ab" * 32, size=10
    )
    TimelineEvent.objects.create(
        copy=copy,
        at=copy.received_at,
        kind=TimelineEvent.Kind.DELIVERED,
        source=TimelineEvent.Source.SYSTEM,
        to_location=copy.location,
        to_folder=copy.folder,
    )


def make_nobody() -> User:
    """Authenticated, active, in no role group: holds no role at all."""
    return User.objects.create_user("nobody", password="pw-nobody-123!")
