"""A generated index of known make-up for the views, pivots, export and tracking tests.

200 copies, newest first one hour apart from ``NOW``:

======================  ======  =====================================================================
group                   copies  make-up
======================  ======  =====================================================================
campaign A (phish)          25  evil.example, fingerprint FA, 20 recipients (u00-u04 twice), URLs
                                https://login.evil.example/reset and /t/<n>; 4 also spam; 5 junked
campaign B (phish)          12  bad.example, fingerprint FB, 6 phish + 6 high-confidence phish,
                                URL https://bit.ly/b
campaign C (malware)        11  malw.example, fingerprint FC, attachment invoice.docm (SHA_C)
spam                        20  spam.example, junked
newsletters                 60  news.example, URL https://links.news.example/weekly
partners                    40  partner.example
colleagues                  32  corp.example, no sender IP
======================  ======  =====================================================================

So: phish view 37 (31 phish + 6 high-confidence), malware view 11, campaigns view 48.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy
from clawback.mailstores.models import Mailbox, Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FA, FB, FC = (hashlib.sha256(name.encode()).hexdigest() for name in ("A", "B", "C"))
SHA_C = hashlib.sha256(b"invoice.docm").hexdigest()
USERS = [f"u{n:02d}@corp.example" for n in range(20)]
IPS = {
    "evil.example": "203.0.113.10",
    "bad.example": "203.0.113.20",
    "malw.example": "203.0.113.30",
    "spam.example": "198.51.100.1",
    "news.example": "192.0.2.50",
    "partner.example": "192.0.2.60",
    "corp.example": "",
}
SENDER_DOMAINS = {
    "news.example": 60,
    "partner.example": 40,
    "corp.example": 32,
    "evil.example": 25,
    "spam.example": 20,
    "bad.example": 12,
    "malw.example": 11,
}


@dataclass
class Row:
    domain: str
    recipient: str
    subject: str
    threats: str = ""
    detections: str = ""
    fingerprint: str = ""
    junk: bool = False
    urls: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)


def rows() -> list[Row]:
    made: list[Row] = []
    for n in range(25):
        threats = ",phish,spam," if n < 4 else ",phish,"
        urls = ["https://login.evil.example/reset", f"https://login.evil.example/t/{n}"]
        made.append(
            Row("evil.example", USERS[n % 20], "Password expires", threats, ",url-reputation,", FA, n >= 20, urls)
        )
    for n in range(12):
        threats = ",high-confidence-phish," if n % 2 else ",phish,"
        detections = ",indicator-match,url-reputation,"
        made.append(Row("bad.example", USERS[n], "Shared document", threats, detections, FB, urls=["https://bit.ly/b"]))
    for n in range(11):
        attachment = [("invoice.docm", SHA_C)]
        made.append(
            Row("malw.example", USERS[n], "Invoice 4711", ",malware,", ",antivirus,", FC, attachments=attachment)
        )
    made += [
        Row("spam.example", USERS[n % 20], "Cheap meds", ",spam,", ",spam-filter-header,", junk=True) for n in range(20)
    ]
    made += [
        Row("news.example", USERS[n % 20], f"Weekly {n}", urls=["https://links.news.example/weekly"]) for n in range(60)
    ]
    made += [Row("partner.example", USERS[n % 20], f"Re: order {n}") for n in range(40)]
    made += [Row("corp.example", USERS[n % 20], f"Lunch {n}") for n in range(32)]
    return made


def build() -> list[MessageCopy]:
    """Write the index (copies in ``rows()`` order, newest first); return the copies."""
    store = Store.objects.create(name="known", kind="maildir")
    mailboxes = {user: Mailbox.objects.create(store=store, address=user) for user in USERS}
    copies = MessageCopy.objects.bulk_create(
        [_copy(n, row, store, mailboxes[row.recipient]) for n, row in enumerate(rows())]
    )
    urls: list[CopyUrl] = []
    attachments: list[CopyAttachment] = []
    for copy, row in zip(copies, rows(), strict=True):
        for url in row.urls:
            host, _, path = url.removeprefix("https://").partition("/")
            urls.append(CopyUrl(copy=copy, url=url, domain=host, path=f"/{path}", source="body"))
        for name, sha in row.attachments:
            attachments.append(CopyAttachment(copy=copy, name=name, ext=name.rpartition(".")[2], sha256=sha))
    CopyUrl.objects.bulk_create(urls)
    CopyAttachment.objects.bulk_create(attachments)
    return copies


def _copy(n: int, row: Row, store: Store, mailbox: Mailbox) -> MessageCopy:
    location, folder = ("junk", "Junk") if row.junk else ("inbox", "INBOX")
    sender = f"sender{n % 3}@{row.domain}"
    extra: dict[str, Any] = {"fingerprint": row.fingerprint or hashlib.sha256(f"body-{n}".encode()).hexdigest()}
    return MessageCopy(
        store=store,
        mailbox=mailbox,
        ref=f"{folder}/{n}",
        message_id=f"<m{n}@{row.domain}>",
        from_address=sender,
        from_name=f"Sender {n}",
        from_domain=row.domain,
        mail_from=sender,
        mail_from_domain=row.domain,
        sender_ip=IPS[row.domain],
        recipient=row.recipient,
        recipient_domain="corp.example",
        subject=row.subject,
        received_at=NOW - timedelta(hours=n + 1),
        size=1000 + n,
        url_count=len(row.urls),
        attachment_count=len(row.attachments),
        threats=row.threats,
        detections=row.detections,
        delivery_action="junked" if row.junk else "delivered",
        original_folder=folder,
        original_location=location,
        folder=folder,
        location=location,
        **extra,
    )
