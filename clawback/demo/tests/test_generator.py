"""The demo generator: reproducible, in the right proportions, and parseable as real mail."""

from __future__ import annotations

import email
import html
import re
import statistics
from collections import Counter, defaultdict
from datetime import timedelta
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime

import pytest

from clawback.demo.generator import MIX, DemoMessage, generate, mailboxes
from clawback.demo.tests.conftest import BOXES, NOW, PER_MAILBOX

REQUIRED = ("Message-ID", "Date", "From", "To", "Subject", "MIME-Version", "Content-Type")
TRACE = ("Return-Path", "Delivered-To", "Authentication-Results")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"\S+@\S+")
_NON_LETTER = re.compile(r"[\W\d_]+")
_TAG = re.compile(r"<[^>]+>")


def parse(m: DemoMessage) -> EmailMessage:
    msg = email.message_from_bytes(m.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def headers(m: DemoMessage) -> Message:
    """Headers only, without policy.default's (slow) structured parsing: for presence checks."""
    return BytesHeaderParser(policy=policy.compat32).parsebytes(m.raw)


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    assert part is not None
    text = part.get_content()
    return html.unescape(_TAG.sub(" ", text)) if part.get_content_subtype() == "html" else text


def normalise(text: str, recipient: str) -> str:
    """What the index's body fingerprint ignores: URLs, addresses, numbers, the recipient."""
    personal = set(_NON_LETTER.sub(" ", recipient.lower()).split())
    text = _EMAIL.sub(" ", _URL.sub(" ", text.lower()))
    return " ".join(w for w in _NON_LETTER.sub(" ", text).split() if w not in personal)


def by_kind(corpus: list[DemoMessage], kind: str) -> list[DemoMessage]:
    return [m for m in corpus if m.kind == kind]


# -- reproducibility and mailboxes -----------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    def run(seed: int) -> list[tuple[str, str, bytes]]:
        return [(m.mailbox, m.folder_class, m.raw) for m in generate(BOXES[:8], 40, seed=seed, now=NOW)]

    first = run(3)
    assert first == run(3)
    assert first != run(4)


def test_mailboxes_are_unique_stable_first_dot_last_addresses() -> None:
    boxes = mailboxes(5000, domain="corp.example")
    assert len(set(boxes)) == 5000
    assert boxes[:50] == mailboxes(50, domain="corp.example")
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+[0-9]*@corp\.example", b) for b in boxes)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(BOXES, 1, now=NOW.replace(tzinfo=None))


# -- composition -----------------------------------------------------------------------------


def test_every_mailbox_gets_its_share_and_the_mix_holds(corpus: list[DemoMessage]) -> None:
    assert len(corpus) == len(BOXES) * PER_MAILBOX
    assert Counter(m.mailbox for m in corpus) == dict.fromkeys(BOXES, PER_MAILBOX)
    shares = Counter(m.kind for m in corpus)
    for kind, share in MIX.items():
        assert abs(shares[kind] / len(corpus) - share) < 0.015, (kind, shares[kind])
    for box in BOXES:
        mine = Counter(m.kind for m in corpus if m.mailbox == box)
        assert 6 <= mine["phish"] <= 10 and 13 <= mine["spam"] <= 17 and mine["business"] >= 40, (box, mine)


def test_folders_and_flags_look_lived_in(corpus: list[DemoMessage]) -> None:
    folders = Counter((m.kind, m.folder_class) for m in corpus)
    spam = len(by_kind(corpus, "spam"))
    assert folders[("spam", "junk")] > 0.7 * spam
    assert folders[("internal", "sent")] > 0 and folders[("business", "deleted")] > 0
    assert folders[("phish", "inbox")] > folders[("phish", "junk")] > 0
    assert all(m.flags == ("\\Seen",) for m in corpus if m.folder_class == "sent")
    seen = sum("\\Seen" in m.flags for m in corpus)
    assert 0.4 < seen / len(corpus) < 0.85
    assert any("\\Answered" in m.flags for m in corpus) and any("\\Flagged" in m.flags for m in corpus)


# -- every message is well-formed mail -------------------------------------------------------


def test_every_message_parses_without_defects() -> None:
    # A corpus of its own, smaller: policy.default parses every header, which is slow.
    for m in generate(BOXES[:8], 100, seed=11, now=NOW):
        msg = parse(m)
        for part in msg.walk():
            assert not part.defects, (m.kind, part.defects)
            for name, value in part.items():
                assert not getattr(value, "defects", ()), (m.kind, name, value.defects)
            if not part.is_multipart():
                part.get_content()


def test_every_message_has_the_required_headers_and_ascii_crlf_lines(corpus: list[DemoMessage]) -> None:
    for m in corpus:
        head, _, _ = m.raw.partition(b"\r\n\r\n")
        assert head.isascii()
        assert b"\n" not in m.raw.replace(b"\r\n", b"")
        assert max(len(line) for line in m.raw.split(b"\r\n")) <= 998
        msg = headers(m)
        for name in REQUIRED:
            assert msg[name], (m.kind, name)
        assert msg["Message-ID"] == f"<{m.message_id}>"
        assert m.received_at.tzinfo is not None and NOW - timedelta(days=7) <= m.received_at <= NOW
        if m.folder_class == "sent":
            continue  # saved by the sender's client: no trace headers, as in real Sent folders
        for name in TRACE:
            assert msg[name], (m.kind, name)
        assert msg["Delivered-To"] == m.mailbox
        received = msg.get_all("Received")
        assert 2 <= len(received) <= 4
        top_date = parsedate_to_datetime(received[0].rpartition(";")[2].strip())
        assert top_date == m.received_at
        assert str(msg["Authentication-Results"]).startswith("mx1.example.test;")


def test_some_subjects_and_names_use_rfc2047(corpus: list[DemoMessage]) -> None:
    raw = b"".join(m.raw.partition(b"\r\n\r\n")[0] for m in corpus[:2000])
    assert raw.count(b"Subject: =?utf-8?B?") > 20
    assert re.search(rb"(From|To): =\?utf-8\?B\?", raw)
    assert any(not str(parse(m)["Subject"]).isascii() for m in corpus[:200])


def test_sizes_are_typical_with_a_few_large_attachments(corpus: list[DemoMessage]) -> None:
    sizes = [len(m.raw) for m in corpus]
    assert 2_000 < statistics.median(sizes) < 8_000
    large = [s for s in sizes if s > 20_000]
    assert 0.01 * len(sizes) < len(large) < 0.15 * len(sizes)
    assert max(sizes) < 300_000


def test_external_hops_use_the_given_addresses() -> None:
    ips = ("100.64.7.1", "100.64.7.2")
    for m in generate(BOXES[:5], 20, now=NOW, external_ips=ips):
        if m.kind == "internal":
            continue
        mx_hop = next(r for r in headers(m).get_all("Received") if "by mx1.example.test" in r)
        assert re.search(r"\[(100\.64\.7\.[12])\]", str(mx_hop)), str(mx_hop)


# -- internal mail ---------------------------------------------------------------------------


def test_internal_mail_has_its_twin_in_the_senders_sent_folder(corpus: list[DemoMessage]) -> None:
    copies = defaultdict(list)
    for m in by_kind(corpus, "internal"):
        copies[m.message_id].append(m)
    assert copies
    for group in copies.values():
        sent = [m for m in group if m.folder_class == "sent"]
        assert len(sent) == 1, group
        recipients = {a for _, a in getaddresses([headers(sent[0])["To"]])}
        assert {m.mailbox for m in group if m != sent[0]} == recipients
        bodies = {m.raw.partition(b"\r\nMIME-Version: 1.0\r\n")[2] for m in group}
        assert len(bodies) == 1
    for m in by_kind(corpus, "internal"):
        for hop in headers(m).get_all("Received") or ():
            assert re.findall(r"\[(\d+\.\d+\.\d+\.\d+)\]", str(hop))[0].startswith("10.")


# -- campaigns -------------------------------------------------------------------------------


def test_phishing_waves_share_a_body_modulo_the_recipient(corpus: list[DemoMessage]) -> None:
    waves = defaultdict(list)
    for m in by_kind(corpus, "phish"):
        msg = parse(m)
        waves[getaddresses([str(msg["From"])])[0][1]].append((m, msg))
    assert 6 <= len(waves) <= 10
    for sender, copies in waves.items():
        assert len({m.mailbox for m, _ in copies}) >= 10, sender
        names = {m.mailbox: str(msg["To"]) for m, msg in copies}
        texts = {normalise(body_text(msg), names[m.mailbox] + " " + m.mailbox) for m, msg in copies}
        # A colleague's name in the lure may coincide with a recipient's: allow a few variants.
        assert len(texts) <= 4, (sender, texts)
        times = sorted(m.received_at for m, _ in copies)
        assert times[-1] - times[0] <= timedelta(hours=3, minutes=5), sender


def test_phish_carries_the_tricks_an_analyst_hunts_for(corpus: list[DemoMessage]) -> None:
    raw = b"\n".join(m.raw for m in by_kind(corpus, "phish"))
    for needle in (
        b"From: Microsoft 365 <no-reply@micros0ft-support.example>",
        b"examp1e-test.example",
        b"Reply-To: ",
        b"dmarc=fail",
        b"compauth=fail",
        b"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2F",
        b"https://bit.ly/",
        b"SFV:SPM",
        b"CAT:PHSH",
        b"PHISHING(3.00)",
        b"X-Spam-Flag: YES",
    ):
        assert needle in raw, needle
    # The flagship campaign: direct for some recipients, behind Safe Links for the others.
    assert re.search(rb"https://login\.micros0ft-support\.example/owa/auth\.php\?u=[a-z.]+@example\.test", raw)
    assert re.search(rb"url=https%3A%2F%2Flogin\.micros0ft-support\.example%2Fowa%2Fauth\.php%3Fu%3D[a-z.]+%40", raw)


def test_malware_waves_send_identical_attachments_with_the_right_magic(corpus: list[DemoMessage]) -> None:
    payloads: dict[str, set[bytes]] = defaultdict(set)
    for m in by_kind(corpus, "malware"):
        for part in parse(m).iter_attachments():
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            payloads[part.get_filename() or ""].add(data)
    assert set(payloads) == {"Invoice_2291.pdf.exe", "scan_0043.zip", "remittance.html", "payment.iso", "Order.docm"}
    for name, variants in payloads.items():
        assert len(variants) == 1, name
    assert next(iter(payloads["Invoice_2291.pdf.exe"])).startswith(b"MZ")
    assert next(iter(payloads["scan_0043.zip"])).startswith(b"PK")
    assert next(iter(payloads["Order.docm"])).startswith(b"PK")
    assert next(iter(payloads["remittance.html"])).startswith(b"<html")
    assert next(iter(payloads["payment.iso"]))[0x8001:0x8006] == b"CD001"


def test_spam_and_newsletters_carry_filter_and_bulk_markers(corpus: list[DemoMessage]) -> None:
    for m in by_kind(corpus, "spam"):
        msg = headers(m)
        assert msg["X-Spam-Flag"] == "YES" and msg["X-Spam-Status"].startswith("Yes, score=")
    for m in by_kind(corpus, "newsletter"):
        msg = headers(m)
        assert msg["List-Unsubscribe"] and msg["X-Spam-Status"].startswith("No,")
        assert re.fullmatch(r"BCL:\d;", msg["X-Microsoft-Antispam"])


def test_business_mail_passes_authentication_and_varies(corpus: list[DemoMessage]) -> None:
    business = [headers(m) for m in by_kind(corpus, "business")]
    subjects = Counter(msg["Subject"] for msg in business[:500])
    assert len(subjects) > 300
    for msg in business:
        results = msg["Authentication-Results"]
        assert "spf=pass" in results or "spf=softfail" in results
        assert "dmarc=pass" in results
    types = Counter(msg.get_content_type() for msg in business)
    assert types["text/plain"] and types["multipart/alternative"] and types["multipart/mixed"]
