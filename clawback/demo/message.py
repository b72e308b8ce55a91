"""The unit the generator yields and the Maildir writer consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

KINDS = ("phish", "malware", "spam", "newsletter", "business", "internal")
FOLDER_CLASSES = ("inbox", "junk", "sent", "deleted", "other")


@dataclass(slots=True)
class DemoMessage:
    """One delivered copy: a message as it sits in one mailbox."""

    mailbox: str  # the recipient mailbox (for "sent": the sender's own mailbox)
    folder_class: str  # inbox | junk | sent | deleted | other
    flags: tuple[str, ...]  # IMAP system flags, e.g. ("\\Seen",)
    kind: str  # phish | malware | spam | newsletter | business | internal
    raw: bytes  # RFC 5322, CRLF line endings
    received_at: datetime  # tz-aware UTC: the top Received hop (for "sent": when it was sent)
    message_id: str  # the Message-ID without angle brackets, as the index stores it
