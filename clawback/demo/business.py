"""Ordinary mail from external partners: invoices, meeting notes, orders, contracts, support."""

from __future__ import annotations

import random
from dataclasses import dataclass

from clawback.demo import mime, payloads
from clawback.demo.compose import FOLDERS, Composer, Contact, Recipient, Route, html_paragraphs, plain_text
from clawback.demo.headers import Auth, dkim_signature, spamassassin
from clawback.demo.message import DemoMessage
from clawback.demo.mime import CRLF, Part
from clawback.demo.templates import (
    CLOSINGS,
    GREETINGS,
    HAM_TESTS,
    LOCAL_TOPICS,
    MONTHS,
    OUTLOOK_HEAD,
    OUTLOOK_TAIL,
    PROJECTS,
    SIGN_OFFS,
    TOPICS,
    WEEKDAYS,
    Partner,
    Topic,
)

_HEAD = OUTLOOK_HEAD.replace("\n", CRLF).encode()
_TAIL = OUTLOOK_TAIL.replace("\n", CRLF).encode()
# Distinct documents per attachment pattern: the same price list or invoice goes to several
# people, as it does in real mail, so a benign SHA-256 repeats across mailboxes.
_DOC_SLOTS = 8
_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_LANGUAGE = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
# Most partners sign and align; some never set up DKIM; a few have a stale SPF record.
_AUTH = (
    (Auth(), 0.82),
    (Auth(spf="pass", dkim="none", dmarc="pass", compauth="pass"), 0.15),
    (Auth(spf="softfail", dkim="pass", dmarc="pass", compauth="pass"), 0.03),
)


@dataclass(frozen=True)
class Document:
    name: str
    content_type: str
    encoded: bytes  # base64 lines, ready for the part body
    n: str
    project: str


class Documents:
    def __init__(self, c: Composer) -> None:
        self.seed = c.seed
        self.cache: dict[tuple[str, int], Document] = {}

    def get(self, pattern: str, slot: int) -> Document:
        found = self.cache.get((pattern, slot))
        if found is None:
            found = self.cache[(pattern, slot)] = self._make(pattern, slot)
        return found

    def _make(self, pattern: str, slot: int) -> Document:
        rng = random.Random(f"{self.seed}:document:{pattern}:{slot}")
        n, project = str(rng.randrange(10_000, 99_999)), rng.choice(PROJECTS)
        name = pattern.format(n=n, project=project)
        size = int(20_000 * 10 ** rng.random())  # 20-200 KB, most near the small end
        ext = name.rpartition(".")[2]
        if ext == "pdf":
            data = payloads.pdf(rng, size, name)
        elif ext == "docx":
            data = payloads.docx(rng, size, name)
        else:
            data = payloads.xlsx(rng, size)
        return Document(name, _CONTENT_TYPES[ext], mime.b64_body(data), n, project)


def values(c: Composer, rng: random.Random, first: str, sender: str, company: str) -> dict[str, str]:
    """Placeholder values for a message to ``first``; ``rng`` decides, ``c`` gives context."""
    draw = rng.random
    return {
        "first": first,
        "sender": sender,
        "company": company,
        "org": c.org.name,
        "n": str(10_000 + int(draw() * 90_000)),
        "po": f"PO-{100_000 + int(draw() * 900_000)}",
        "amount": f"{400 + int(draw() * 94_600):,}.{int(draw() * 90) + 10}",
        "due": c.due_dates[int(draw() * len(c.due_dates))],
        "project": PROJECTS[int(draw() * len(PROJECTS))],
        "weekday": WEEKDAYS[int(draw() * len(WEEKDAYS))],
        "month": MONTHS[int(draw() * 12)],
    }


def business(c: Composer, docs: Documents, rcpt: Recipient) -> DemoMessage:
    draw = c.random
    partner = c.partner()
    contact = c.pick(c.contacts[partner.domain])
    local = LOCAL_TOPICS.get(partner.lang)
    topic = local if local is not None and draw() < 0.7 else c.pick(TOPICS)
    lang = partner.lang if topic is local else "en"
    fields = values(c, c.rng, rcpt.first, contact.name, partner.company)
    doc = None
    if topic.attachment and draw() < 0.12:
        doc = docs.get(topic.attachment, c.below(_DOC_SLOTS))
        fields["n"], fields["project"] = doc.n, doc.project
    subject = c.pick(topic.subjects).format(**fields)
    paragraphs = _paragraphs(c, topic, lang, fields, contact, partner)
    content = _content(c, paragraphs, doc)
    sent = c.sent_time(office_hours=True)
    helo = f"{partner.mta}.{partner.domain}"
    route = Route(partner.domain, helo, helo, tls=True, hops=1 + c.below(2))
    auth = _pick_auth(draw())
    lines, received = c.trace(
        rcpt.address,
        route,
        mail_from=contact.address,
        from_domain=partner.domain,
        dkim_domain=partner.domain,
        auth=auth,
        sent=sent,
    )
    if draw() < 0.5:
        lines.append(spamassassin(round(draw() * 4.0 - 3.0, 1) + 0.0, HAM_TESTS, host=c.org.mx))
    if auth.dkim != "none":
        lines.append(dkim_signature(c.tok, partner.domain, "selector1", sent))
    message_id = c.message_id(helo, sent)
    lines += [
        f"From: {contact.from_header}",
        f"To: {rcpt.to_header}",
        f"Subject: {mime.encode_words(subject)}",
        f"Date: {mime.rfc5322_date(sent, partner.tz)}",
        f"Message-ID: <{message_id}>",
    ]
    if subject[:3] in ("RE:", "AW:"):
        parent = f"<{c.tok.hex(64)}@{c.org.domain}>"
        lines += [f"In-Reply-To: {parent}", f"References: {parent}"]
    lines.append(f"Content-Language: {_LANGUAGE[lang]}")
    folder = c.choose(FOLDERS["business"])
    flags = c.flags("business", folder, received)
    return c.finish(rcpt.address, "business", folder, flags, lines, content, received, message_id)


def _pick_auth(x: float) -> Auth:
    for auth, p in _AUTH:
        x -= p
        if x < 0:
            return auth
    return _AUTH[0][0]


def _paragraphs(
    c: Composer, topic: Topic, lang: str, fields: dict[str, str], contact: Contact, partner: Partner
) -> list[str]:
    start, pool = c.below(len(topic.details)), topic.details
    details = [pool[(start + i) % len(pool)].format(**fields) for i in range(1 + c.below(3))]
    paragraphs = [c.pick(GREETINGS[lang]).format(**fields), c.pick(topic.openers).format(**fields)]
    if details[0].startswith("- "):
        paragraphs.append(CRLF.join(details))  # a bullet list stays one block
    else:
        paragraphs.append(" ".join(details))
    if lang == "en":
        paragraphs.append(c.pick(CLOSINGS["en"]))
        sign_off = c.pick(SIGN_OFFS)
    else:
        sign_off = c.pick(CLOSINGS[lang])
    paragraphs.append(f"{sign_off}{CRLF}{contact.name}{CRLF}{contact.title} | {partner.company}{CRLF}{contact.phone}")
    return paragraphs


def _content(c: Composer, paragraphs: list[str], doc: Document | None) -> Part:
    tok = c.tok
    text = plain_text(paragraphs).encode()
    if doc is None and c.random() < 0.35:
        return mime.text_part(text)
    # Outlook sends both parts quoted-printable; it is slow to produce, so only some do.
    encoding = "quoted-printable" if c.random() < 0.04 else ""
    page = _HEAD + html_paragraphs(paragraphs) + _TAIL
    alternative = mime.multipart(
        "alternative",
        f"_000_{tok.hex(64)}_",
        [mime.text_part(text, "plain", encoding), mime.text_part(page, "html", encoding)],
    )
    if doc is None:
        return alternative
    attachment = mime.attachment_part(doc.name, doc.content_type, doc.encoded)
    return mime.multipart("mixed", f"_004_{tok.hex(64)}_", [alternative, attachment])
