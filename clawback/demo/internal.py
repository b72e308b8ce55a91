"""Mail between colleagues: every delivered copy has a twin in the sender's Sent folder.

Which colleague writes to whom is arithmetic, not state: the ``s``-th message of mailbox ``j``
goes to the mailboxes ``j + offset(s, r)`` (mod n).  Each mailbox can therefore work out, on its
own turn, which messages it received and rebuild them from a generator seeded by (sender, s),
so the sender's copy and every recipient's copy are the same message (same Message-ID, body
and Date) while the corpus is still produced one mailbox at a time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from clawback.demo import mime
from clawback.demo.business import values
from clawback.demo.compose import FOLDERS, MX_IP, SUBMISSION_IP, Composer, Recipient, html_paragraphs, plain_text
from clawback.demo.headers import Auth, authentication_results, lmtp_hop, relay_hop
from clawback.demo.message import DemoMessage
from clawback.demo.mime import CRLF, Part
from clawback.demo.people import display_name, first_name
from clawback.demo.templates import INTERNAL_TOPICS, TITLES

# Share of a mailbox's messages that are internal (its Sent copies included).
SHARE = 0.10
_FANOUT = (1, 1, 1, 2, 2, 3)
_PASS = Auth()


@dataclass(frozen=True)
class Memo:
    """One internal message, identical for its sender and all its recipients."""

    sender: int
    recipients: tuple[int, ...]
    sent: int
    message_id: str
    relayed: bool  # through mx1 (content filter) or straight from the submission server
    head: list[str]
    content: Part


class InternalPlan:
    def __init__(self, c: Composer, per_mailbox: int) -> None:
        self.c = c
        self.n = len(c.mailboxes)
        target = round(per_mailbox * SHARE)
        self.fanout: list[int] = []
        self.base: list[int] = []
        used = 0
        while self.n >= 2 and target - used >= 2:
            # The last message takes whatever room is left, so the share comes out right.
            fanout = min(self.n - 1, c.rng.choice(_FANOUT), target - used - 1)
            self.fanout.append(fanout)
            self.base.append(c.rng.randrange(self.n - 1))
            used += 1 + fanout
        self.per_mailbox = used  # sent + received internal messages, the same for everyone

    def _offset(self, s: int, r: int) -> int:
        return 1 + (self.base[s] + r) % (self.n - 1)

    def recipients(self, sender: int, s: int) -> tuple[int, ...]:
        return tuple((sender + self._offset(s, r)) % self.n for r in range(self.fanout[s]))

    def received_by(self, rcpt: int) -> list[tuple[int, int]]:
        """(sender, s) of every internal message ``rcpt`` receives."""
        return [
            ((rcpt - self._offset(s, r)) % self.n, s) for s, fanout in enumerate(self.fanout) for r in range(fanout)
        ]

    def memo(self, sender: int, s: int) -> Memo:
        c = self.c
        rng = random.Random(f"{c.seed}:internal:{sender}:{s}")
        recipients = self.recipients(sender, s)
        author = c.mailboxes[sender]
        sent = c.sent_time(office_hours=True, rng=rng)
        subject_t, body_t = rng.choice(INTERNAL_TOPICS)
        fields = values(c, rng, first_name(author), display_name(author), c.org.name)
        greeting = f"Hi {first_name(c.mailboxes[recipients[0]])}," if len(recipients) == 1 else "Hi all,"
        paragraphs = [
            greeting,
            body_t.format(**fields),
            f"Thanks,{CRLF}{display_name(author)}{CRLF}{rng.choice(TITLES)}{CRLF}{c.org.name}",
        ]
        message_id = f"{sent:x}.{rng.getrandbits(64):016x}@{c.org.domain}"
        to = f",{CRLF} ".join(mime.address(display_name(c.mailboxes[i]), c.mailboxes[i]) for i in recipients)
        head = [
            f"From: {mime.address(display_name(author), author)}",
            f"To: {to}",
            f"Subject: {mime.encode_words(subject_t.format(**fields))}",
            f"Date: {mime.rfc5322_date(sent, 60)}",
            f"Message-ID: <{message_id}>",
            "User-Agent: Mozilla Thunderbird",
        ]
        text = plain_text(paragraphs).encode()
        if rng.random() < 0.5:
            content = mime.text_part(text)
        else:
            page = b"<html><body>\r\n" + html_paragraphs(paragraphs, "text") + b"</body></html>\r\n"
            parts = [mime.text_part(text), mime.text_part(page, "html")]
            content = mime.multipart("alternative", f"------------{rng.getrandbits(96):024x}", parts)
        return Memo(sender, recipients, sent, message_id, rng.random() < 0.5, head, content)


def sent_copy(c: Composer, memo: Memo) -> DemoMessage:
    """The sender's copy, saved by the mail client: no trace headers at all."""
    author = c.mailboxes[memo.sender]
    return c.finish(author, "internal", "sent", ("\\Seen",), list(memo.head), memo.content, memo.sent, memo.message_id)


def received_copy(c: Composer, memo: Memo, rcpt: Recipient) -> DemoMessage:
    """A colleague's copy: submission, maybe the MX's content filter, then LMTP; all 10.x."""
    tok, org = c.tok, c.org
    author = c.mailboxes[memo.sender]
    workstation = f"ws-{memo.sender % 10_000:04d}.corp.{org.domain}"
    ws_ip = f"10.10.{memo.sender // 250 % 250}.{memo.sender % 250 + 2}"
    ts = memo.sent + 1 + c.below(2)
    hops = [relay_hop(tok, workstation, ws_ip, org.submission, ts, auth=True)]
    last, last_ip = org.submission, SUBMISSION_IP
    if memo.relayed:
        ts += 1 + c.below(2)
        hops.append(relay_hop(tok, org.submission, SUBMISSION_IP, org.mx, ts, auth=False))
        last, last_ip = org.mx, MX_IP
    ts += c.below(2)
    lines = [
        f"Return-Path: <{author}>",
        f"Delivered-To: {rcpt.address}",
        lmtp_hop(tok, org, last, last_ip, author, rcpt.address, ts),
        authentication_results(
            tok, org, _PASS, ip=ws_ip, mail_from=author, from_domain=org.domain, dkim_domain=org.domain
        ),
        *reversed(hops),
        *memo.head,
    ]
    folder = c.choose(FOLDERS["internal"])
    flags = c.flags("internal", folder, ts)
    return c.finish(rcpt.address, "internal", folder, flags, lines, memo.content, ts, memo.message_id)
