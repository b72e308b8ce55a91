"""The query language returns exactly the right copies from a small index of known make-up."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clawback.explorer.query import compile_query, search
from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy
from clawback.mailstores.models import Mailbox, Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SHA_PDF = hashlib.sha256(b"report.pdf").hexdigest()
SHA_DOCM = hashlib.sha256(b"invoice.docm").hexdigest()
SHA_PNG = hashlib.sha256(b"logo.png").hexdigest()
SHA_EXE = hashlib.sha256(b"payload.exe").hexdigest()
MB = 1024 * 1024


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# label -> (mailbox owner, From address, received, other columns).  URLs and attachments are
# lists of (url, source) and (name, content type, sha256, size).
ROWS: dict[str, tuple[str, str, datetime, dict[str, Any]]] = {
    "c01": (
        "alice",
        "x@evil.example",
        ago(days=1),
        {
            "subject": "Invoice overdue",
            "urls": [("https://bit.ly/abc", "body")],
            "threats": ",phish,",
            "detections": ",url-reputation,",
            "headers": {"x-mailer": "FooMailer 2.1"},
            "spf": "fail",
            "dmarc": "fail",
            "composite_auth": "fail",
            "spam_score": 8.5,
        },
    ),
    "c02": (
        "bob",
        "x@evil.example",
        ago(days=1),
        {
            "subject": "Invoice overdue",
            "urls": [("https://bit.ly/abc", "body")],
            "threats": ",phish,",
            "location": "junk",
            "folder": "Junk",
            "delivery_action": "junked",
        },
    ),
    "c03": (
        "carol",
        "y@bad.example",
        ago(days=3),
        {
            "urls": [
                ("https://bit.ly/x", "body"),
                ("https://bit.ly/y", "html"),
                ("https://bad.example/login.php", "html"),
            ],
            "threats": ",phish,spam,",
            "detections": ",spam-filter-header,url-reputation,",
            "spam_score": 6.0,
        },
    ),
    "c04": ("alice", "z@evil.example", ago(days=10), {"urls": [("https://bit.ly/old", "body")]}),
    "c05": (
        "alice",
        "a@evil.example",
        ago(hours=2),
        {"urls": [("https://other.example/x", "body")], "headers": {"x-mailer": "Outlook"}},
    ),
    "c06": ("bob", "b@good.example", ago(days=2), {"subject": "Lunch on Friday", "size": 2 * MB}),
    "c07": (
        "carol",
        "c@bad.example",
        ago(days=2),
        {"urls": [("https://bit.ly/q", "body")], "location": "deleted", "folder": "Trash"},
    ),
    "c08": (
        "alice",
        "news@bulk.example",
        ago(hours=5),
        {
            "threats": ",bulk,",
            "detections": ",spam-filter-header,",
            "attachments": [("report.pdf", "application/pdf", SHA_PDF, 120 * 1024)],
            "size": 3 * MB,
            "spam_score": 3.0,
            "headers": {"x-mailer": "BulkSender", "list-unsubscribe": "<mailto:u@bulk.example>"},
        },
    ),
    "c09": (
        "bob",
        "hr@corp.example",
        ago(minutes=30),
        {
            "subject": "Q4 invoice",
            "direction": "intra-org",
            "size": 4096,
            "attachments": [
                ("Invoice.docm", "application/vnd.ms-word.document.macroenabled.12", SHA_DOCM, 50_000),
                ("logo.png", "image/png", SHA_PNG, 2_000),
            ],
            "has_parse_problems": True,
        },
    ),
    "c10": (
        "carol",
        "ceo@corp-example.com",
        ago(days=6),
        {
            "subject": "urgent wire",
            "from_name": "The CEO",
            "reply_to": "attacker@evil.example",
            "mail_from": "bounce@mailer.example",
            "mail_from_domain": "mailer.example",
            "sender_ip": "203.0.113.7",
            "composite_auth": "softpass",
        },
    ),
    "c11": (
        "dave",
        "x@evil.example",
        ago(days=1),
        {
            "subject": "Invoice overdue",
            "urls": [("https://bit.ly/abc", "body")],
            "threats": ",malware,",
            "detections": ",file-reputation,",
            "location": "quarantine",
            "attachments": [("payload.exe", "application/x-dosexec", SHA_EXE, 70_000)],
        },
    ),
    "c12": (
        "alice",
        "alice@corp.example",
        ago(minutes=20),
        {"direction": "outbound", "location": "sent", "folder": "Sent"},
    ),
    "c13": ("alice", "friend@good.example", at("2026-11-20T08:00:00"), {"subject": "On the 20th"}),
    "c14": ("bob", "friend@good.example", at("2026-11-20T23:59:59"), {}),
    "c15": ("bob", "friend@good.example", at("2026-11-21T00:00:00"), {}),
    "c16": (
        "carol",
        "pay@qr-pay.example",
        ago(days=8),
        {"urls": [("https://qr.example/pay", "qr")], "threats": ",high-confidence-phish,"},
    ),
    "c17": (
        "alice",
        "list@lists.example",
        ago(weeks=3),
        {"message_id": "<abc@id.example>", "headers": {"x-mailer": "foo\nbar"}},
    ),
    "c18": (
        "bob",
        "kunde@shop.example",
        ago(days=13),
        {"language": "de", "cluster_id": "cl-1", "campaign_id": "camp-1", "fingerprint": "fp1"},
    ),
    "c19": ("carol", "kunde@shop.example", ago(days=15), {"cluster_id": "cl-1", "fingerprint": "fp1"}),
    "c20": ("alice", "billing@vendor.example", ago(minutes=40), {"subject": "Invoice"}),
}
ALL = frozenset(ROWS)
WITH_BITLY = frozenset({"c01", "c02", "c03", "c04", "c07", "c11"})
WITH_THREAT = frozenset({"c01", "c02", "c03", "c08", "c11", "c16"})
ALICE = frozenset({"c01", "c04", "c05", "c08", "c12", "c13", "c17", "c20"})


def _mailbox(owner: str) -> Mailbox:
    store_name = "m365" if owner == "dave" else "corp"
    store, _ = Store.objects.get_or_create(name=store_name, defaults={"kind": "maildir"})
    mailbox, _ = Mailbox.objects.get_or_create(store=store, address=f"{owner}@corp.example")
    return mailbox


def _create(label: str, owner: str, sender: str, received: datetime, extra: dict[str, Any]) -> None:
    extra = dict(extra)
    urls = extra.pop("urls", [])
    attachments = extra.pop("attachments", [])
    mailbox = _mailbox(owner)
    folder = extra.pop("folder", "INBOX")
    location = extra.pop("location", "inbox")
    defaults: dict[str, Any] = {
        "message_id": f"<{label}@mail.example>",
        "subject": f"Message {label}",
        "direction": "inbound",
        "size": 10_000,
    }
    copy = MessageCopy.objects.create(
        store=mailbox.store,
        mailbox=mailbox,
        ref=label,
        from_address=sender,
        from_domain=sender.rpartition("@")[2],
        recipient=mailbox.address,
        recipient_domain="corp.example",
        received_at=received,
        url_count=len(urls),
        attachment_count=len(attachments),
        original_folder="INBOX",
        original_location="inbox",
        folder=folder,
        location=location,
        **(defaults | extra),
    )
    for url, source in urls:
        parts = urlsplit(url)
        CopyUrl.objects.create(copy=copy, url=url, domain=parts.hostname, path=parts.path, source=source)
    for name, content_type, sha256, size in attachments:
        ext = name.rpartition(".")[2].lower()
        CopyAttachment.objects.create(
            copy=copy, name=name, ext=ext, content_type=content_type, sha256=sha256, size=size
        )


@pytest.fixture
def index(db: None) -> dict[int, str]:
    """Creates ROWS; returns copy id -> label."""
    for label, (owner, sender, received, extra) in ROWS.items():
        _create(label, owner, sender, received, extra)
    return dict(MessageCopy.objects.values_list("pk", "ref"))


def found(index: dict[int, str], query: str) -> set[str]:
    ids = list(search(query, now=NOW).values_list("pk", flat=True))
    assert len(ids) == len(set(ids)), f"duplicate rows for {query!r}"
    return {index[pk] for pk in ids}


EXPECTED: list[tuple[str, frozenset[str] | set[str]]] = [
    ("", ALL),
    (
        "sender.domain in (evil.example, bad.example) and url.domain = bit.ly "
        "and received >= -7d and not location = junk",
        {"c01", "c03", "c07", "c11"},
    ),
    # URLs: one row per copy however many URLs match; negation means "no such URL".
    ("url.domain = bit.ly", WITH_BITLY),
    ("url.domain = BIT.LY", WITH_BITLY),
    ("not url.domain = bit.ly", ALL - WITH_BITLY),
    ("url.domain != bit.ly", ALL - WITH_BITLY),
    ("url.domain not in (bit.ly, qr.example)", ALL - WITH_BITLY - {"c16"}),
    ("url.domain = bit.ly and url.domain = bad.example", {"c03"}),
    ("url ~ login.php", {"c03"}),
    ("url = https://bit.ly/ABC", {"c01", "c02", "c11"}),
    ("url.path = /login.php", {"c03"}),
    ("url.path = /LOGIN.php", set()),
    ("url.source = qr", {"c16"}),
    # Precedence: not > and > or.
    ("sender.domain = bad.example or sender.domain = evil.example and location = junk", {"c02", "c03", "c07"}),
    ("(sender.domain = bad.example or sender.domain = evil.example) and location = junk", {"c02"}),
    ("not sender.domain = evil.example and url.count > 0", {"c03", "c07", "c16"}),
    ("not (sender.domain = evil.example or url.count = 0)", {"c03", "c07", "c16"}),
    ("NOT sender.domain = evil.example AND url.count > 0", {"c03", "c07", "c16"}),
    # Headers.
    ("header.x-mailer ~ foo", {"c01", "c17"}),
    ("not header.x-mailer ~ foo", ALL - {"c01", "c17"}),
    ("header.x-mailer = BulkSender", {"c08"}),
    ("header.x-mailer = bulksender", set()),
    ('header.X-Mailer = "foo\\nbar"', {"c17"}),
    ("header.x-mailer != Outlook", ALL - {"c05"}),
    ('header.list-unsubscribe ~ "mailto:"', {"c08"}),
    ("header.x-mailer in (Outlook, BulkSender)", {"c05", "c08"}),
    # Relative and absolute times (now = 2026-11-23 12:00 UTC).
    ("received >= -12h", {"c05", "c08", "c09", "c12", "c20"}),
    ("received >= -35m", {"c09", "c12"}),
    ("received < -2w", {"c17", "c19"}),
    ("received >= -7d", ALL - {"c04", "c16", "c17", "c18", "c19"}),
    ("received >= today", {"c05", "c08", "c09", "c12", "c20"}),
    ("received >= yesterday", {"c01", "c02", "c05", "c08", "c09", "c11", "c12", "c20"}),
    ("received = 2026-11-20", {"c03", "c13", "c14"}),
    ("received != 2026-11-20", ALL - {"c03", "c13", "c14"}),
    ("received in (2026-11-20, 2026-11-21)", {"c03", "c06", "c07", "c13", "c14", "c15"}),
    (
        "received > 2026-11-20",
        {"c01", "c02", "c05", "c06", "c07", "c08", "c09", "c11", "c12", "c15", "c20"},
    ),
    ("received <= 2026-11-20", {"c03", "c04", "c10", "c13", "c14", "c16", "c17", "c18", "c19"}),
    ("received < 2026-11-20", {"c04", "c10", "c16", "c17", "c18", "c19"}),
    ("received = 2026-11-20T08:00:00", {"c13"}),
    ('received >= "2026-11-20T09:00:00+01:00" and received < 2026-11-20T08:00:01Z', {"c13"}),
    # Threats and detections are sets: "=" is membership of one whole member.
    ("threat = phish", {"c01", "c02", "c03"}),
    ("threat = spam", {"c03"}),
    ("threat = high-confidence-phish", {"c16"}),
    ("threat in (malware, bulk)", {"c08", "c11"}),
    ("threat = none", ALL - WITH_THREAT),
    ("threat != none", WITH_THREAT),
    ("threat = phish and threat = spam", {"c03"}),
    ("detection = url-reputation", {"c01", "c03"}),
    ("detection = spam-filter-header", {"c03", "c08"}),
    # Counts and sizes.
    ("url.count = 0", ALL - WITH_BITLY - {"c05", "c16"}),
    ("url.count >= 2", {"c03"}),
    ("attachment.count > 1", {"c09"}),
    ("attachment.count in (1, 2)", {"c08", "c09", "c11"}),
    ("size > 1mb", {"c06", "c08"}),
    ("size = 2mb", {"c06"}),
    ("size <= 4k", {"c09"}),
    # Attachments.
    (f"attachment.sha256 = {SHA_PDF.upper()}", {"c08"}),
    (f"attachment.sha256 in ({SHA_DOCM}, {SHA_EXE})", {"c09", "c11"}),
    (f"not attachment.sha256 = {SHA_PDF}", ALL - {"c08"}),
    ("attachment.ext = .PDF", {"c08"}),
    ("attachment.ext = docm", {"c09"}),
    ("attachment.name ~ invoice", {"c09"}),
    ("attachment.name = invoice.docm", {"c09"}),
    ("attachment.type = application/pdf", {"c08"}),
    ("attachment.size > 100k", {"c08"}),
    ("attachment.type = image/png and attachment.ext = docm", {"c09"}),
    # Text: "=" is the whole value, "~" a part.
    ("subject = invoice", {"c20"}),
    ("subject ~ invoice", {"c01", "c02", "c09", "c11", "c20"}),
    ("subject !~ invoice", ALL - {"c01", "c02", "c09", "c11", "c20"}),
    ('subject in ("invoice overdue", "LUNCH ON FRIDAY")', {"c01", "c02", "c06", "c11"}),
    ("sender.address = X@EVIL.EXAMPLE", {"c01", "c02", "c11"}),
    ('sender.name = "the ceo"', {"c10"}),
    ("sender.name in (nobody, 'The CEO', o'neil)", {"c10"}),
    ("sender.ip = 203.0.113.7", {"c10"}),
    ("mailfrom.domain = mailer.example", {"c10"}),
    ("mailfrom.address = bounce@mailer.example", {"c10"}),
    ("reply_to = attacker@evil.example", {"c10"}),
    ("message_id = abc@id.example", {"c17"}),
    ("message_id = <abc@id.example>", {"c17"}),
    ('message_id in ("<abc@id.example>", c20@mail.example)', {"c17", "c20"}),
    ("mailbox = ALICE@corp.example", ALICE),
    ("recipient.address = alice@corp.example", ALICE),
    ("recipient.domain = corp.example", ALL),
    ("store = m365", {"c11"}),
    ("store != m365", ALL - {"c11"}),
    ("store in (M365, elsewhere)", {"c11"}),
    ("language = DE", {"c18"}),
    ("cluster = cl-1", {"c18", "c19"}),
    ("campaign = camp-1", {"c18"}),
    ("fingerprint = fp1 and not mailbox = bob@corp.example", {"c19"}),
    # Enums.
    ("direction = intra-org", {"c09"}),
    ("direction = outbound", {"c12"}),
    ("location in (junk, quarantine)", {"c02", "c11"}),
    ("location.original = inbox and location != inbox", {"c02", "c07", "c11", "c12"}),
    ("folder = junk", {"c02"}),
    ("folder.original = inbox", ALL),
    ("delivery.action = junked", {"c02"}),
    ("auth.spf = fail", {"c01"}),
    ("auth.composite = softpass", {"c10"}),
    ("auth.dmarc != none", {"c01"}),
    # Nullable and boolean columns.
    ("spam.score > 5", {"c01", "c03"}),
    ("not spam.score > 5", ALL - {"c01", "c03"}),
    ("spam.score <= 3", {"c08"}),
    ("parse_problem = true", {"c09"}),
    ("parse_problem = no", ALL - {"c09"}),
]


@pytest.mark.parametrize(("query", "expected"), EXPECTED, ids=[q or "(empty)" for q, _ in EXPECTED])
def test_finds_exactly(index: dict[int, str], query: str, expected: set[str]) -> None:
    assert found(index, query) == set(expected)


def test_id_field(index: dict[int, str]) -> None:
    ids = {label: pk for pk, label in index.items()}
    assert found(index, f"id = {ids['c05']}") == {"c05"}
    assert found(index, f"id in ({ids['c01']}, {ids['c02']})") == {"c01", "c02"}


def test_search_narrows_a_given_queryset(index: dict[int, str]) -> None:
    alices = MessageCopy.objects.filter(mailbox__address="alice@corp.example")
    ids = search("url.domain = bit.ly", queryset=alices, now=NOW).values_list("pk", flat=True)
    assert {index[pk] for pk in ids} == {"c01", "c04"}


def test_relative_times_default_to_the_current_time() -> None:
    before = timezone.now()
    condition = compile_query("received >= -1h")
    after = timezone.now()
    [child] = condition.children
    assert isinstance(child, tuple)
    lookup, bound = child
    assert lookup == "received_at__gte"
    assert before - timedelta(hours=1) <= bound <= after - timedelta(hours=1)
