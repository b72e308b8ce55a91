"""The parser's output: plain data, no Django.  ``to_json()`` is what ``clawback parse`` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ParsedUrl:
    url: str
    domain: str
    path: str
    # body | html | header | subject | attachment | qr
    source: str


@dataclass
class ParsedAttachment:
    name: str
    ext: str
    content_type: str  # detected from the bytes (magic), falling back to the declared type
    declared_type: str
    sha256: str
    size: int


@dataclass
class AuthResults:
    spf: str = "none"  # pass | fail | softfail | neutral | none | temperror | permerror
    dkim: str = "none"  # pass | fail | none | ...
    dmarc: str = "none"  # pass | fail | bestguesspass | none | ...
    composite: str = "none"  # pass | fail | softpass | none (the reference system's CompAuth)


@dataclass
class ParsedMessage:
    message_id: str = ""
    subject: str = ""
    from_address: str = ""
    from_domain: str = ""
    from_name: str = ""
    mail_from: str = ""  # Return-Path address
    mail_from_domain: str = ""
    sender_ip: str = ""  # first external hop of Received
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # to + cc + delivered_to, deduplicated
    received_at: datetime | None = None  # last Received hop's date, else Date
    date: datetime | None = None  # the Date header
    size: int = 0
    direction: str = "unknown"  # inbound | outbound | intra-org | unknown
    language: str = ""
    auth: AuthResults = field(default_factory=AuthResults)
    urls: list[ParsedUrl] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    spam_verdict: str = ""  # "" | spam | bulk | ham
    spam_score: float | None = None
    # Threat types a filter upstream already stamped (malware, phish, high-confidence-phish,
    # spam, bulk) and the detection technologies that said so (spam-filter-header, ...).
    threats: list[str] = field(default_factory=list)
    detections: list[str] = field(default_factory=list)
    fingerprint: str = ""  # exact fingerprint of the normalised body (similar emails)
    simhash: int = 0  # 64-bit simhash of the normalised body (near duplicates)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> values joined by \n
    body_text: str = ""  # the normalised text used for the fingerprint (not stored)
    parse_problems: list[str] = field(default_factory=list)

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        data = asdict(self)
        for key in ("received_at", "date"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        data.pop("body_text", None)
        data.pop("headers", None)
        # Two's complement so the hex reads as the 64 bits, not as a negative number.
        data["simhash"] = f"{self.simhash & 0xFFFFFFFFFFFFFFFF:016x}"
        if path is not None:
            data = {"path": path, **data}
        return data
