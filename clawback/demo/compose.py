"""The state one ``generate()`` run shares across kinds of mail, and the steps they share:
when a message was sent, how it travelled (``Received``), where the user left it, how it ends.

Each kind lives in its own module (``threats``, ``bulk``, ``business``, ``internal``) as
functions taking the :class:`Composer`.  Everything random comes from ``Composer.rng`` in a
fixed order, so a seed reproduces a corpus byte for byte.
"""

from __future__ import annotations

import bisect
import html
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, TypeVar

from clawback.demo import mime
from clawback.demo.headers import (
    Auth,
    IpPlan,
    Org,
    Tokens,
    authentication_results,
    lmtp_hop,
    mx_via,
    received_spf,
)
from clawback.demo.message import DemoMessage
from clawback.demo.mime import CRLF, Part, rfc5322_date
from clawback.demo.people import display_name, first_name, local_part, random_person
from clawback.demo.templates import MONTHS, PARTNERS, TITLES, Partner

T = TypeVar("T")

DAY = 86_400
ORG_TZ = 60  # the organisation's UTC offset in minutes (Central Europe, winter)
MX_IP = "10.20.0.25"  # mx1.<org> as the mailstore sees it
SUBMISSION_IP = "10.20.0.10"  # smtp.<org>, where staff submit mail
_MIME_VERSION = b"\r\nMIME-Version: 1.0\r\n"

# Where each kind ends up, as (folder class, probability).  "stamped" phish was flagged by an
# upstream filter, so most of it already sits in Junk.
FOLDERS: dict[str, tuple[tuple[str, float], ...]] = {
    "phish": (("inbox", 0.85), ("junk", 0.08), ("deleted", 0.07)),
    "phish-stamped": (("junk", 0.75), ("inbox", 0.2), ("deleted", 0.05)),
    "malware": (("inbox", 0.8), ("junk", 0.12), ("deleted", 0.08)),
    "spam": (("junk", 0.8), ("inbox", 0.15), ("deleted", 0.05)),
    "newsletter": (("inbox", 0.75), ("other", 0.1), ("deleted", 0.15)),
    "business": (("inbox", 0.85), ("other", 0.1), ("deleted", 0.05)),
    "internal": (("inbox", 0.85), ("other", 0.08), ("deleted", 0.07)),
}
# How likely the user has opened a message of each kind (before folder and age adjustments).
SEEN = {"phish": 0.45, "malware": 0.4, "spam": 0.3, "newsletter": 0.55, "business": 0.85, "internal": 0.9}


class Route(NamedTuple):
    """How a message left the sender's network: its outbound MTA and what our MX saw."""

    domain: str  # the sending organisation: picks its public IP and its 10.x hops
    helo: str
    rdns: str  # the reverse DNS name our MX found ("unknown" for most bots)
    tls: bool
    hops: int  # Received headers the sender's own servers added (0-2)


@dataclass(frozen=True)
class Contact:
    """Someone at a partner, with the header forms worked out once."""

    name: str
    address: str
    title: str
    phone: str
    from_header: str


class Recipient(NamedTuple):
    address: str
    first: str  # for "Dear {first},"
    to_header: str  # 'Name <address>', encoded as needed


class Composer:
    def __init__(
        self,
        mailboxes: Sequence[str],
        *,
        seed: int,
        org_domain: str,
        now: datetime,
        days: int,
        external_ips: Sequence[str],
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.tok = Tokens(self.rng)
        self.org = Org(org_domain)
        self.ips = IpPlan(external_ips)
        self.mailboxes = list(mailboxes)
        self.now = int(now.timestamp())
        self.start = self.now - days * DAY
        # Leave two minutes for delivery so nothing is received after ``now``.
        self.window = max(1, days * DAY - 120)
        # "due by" dates a message may mention: 3 to 40 days after now.
        self.due_dates = [_long_date(self.now + k * DAY) for k in range(3, 40)]
        self.partners, self.partner_weights = self._partners()
        self.contacts = {p.domain: self._contacts(p) for p in PARTNERS}
        self._recipients: dict[str, Recipient] = {}
        self._routes: dict[Route, tuple[str, list[str], str]] = {}

    # -- setup -------------------------------------------------------------------------------

    def _partners(self) -> tuple[list[Partner], list[float]]:
        """A few partners write most of the mail (Zipf-like), as in any real mailbox."""
        order = list(PARTNERS)
        self.rng.shuffle(order)
        cumulative, total = [], 0.0
        for rank in range(len(order)):
            total += 1 / (rank + 1)
            cumulative.append(total)
        return order, cumulative

    def _contacts(self, partner: Partner) -> list[Contact]:
        rng = self.rng
        out = []
        for _ in range(rng.randint(2, 4)):
            first, last = random_person(rng)
            phone = f"+{rng.choice((1, 33, 34, 44, 49))} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
            name, address = f"{first} {last}", f"{local_part(first, last)}@{partner.domain}"
            out.append(Contact(name, address, rng.choice(TITLES), phone, mime.address(name, address)))
        return out

    def recipient(self, mailbox: str) -> Recipient:
        found = self._recipients.get(mailbox)
        if found is None:
            found = Recipient(mailbox, first_name(mailbox), mime.address(display_name(mailbox), mailbox))
            self._recipients[mailbox] = found
        return found

    # -- shared steps ------------------------------------------------------------------------
    # pick() and below() stand in for rng.choice() and rng.randrange(): same stream, a third
    # of the cost, and they are called a few dozen times per message.

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def choose(self, table: Sequence[tuple[str, float]]) -> str:
        x = self.random()
        for name, p in table:
            x -= p
            if x < 0:
                return name
        return table[0][0]

    def partner(self) -> Partner:
        weights = self.partner_weights
        return self.partners[bisect.bisect(weights, self.random() * weights[-1])]

    def sent_time(self, *, office_hours: bool, rng: random.Random | None = None) -> int:
        """A send time inside the window; business mail mostly on weekdays 07:00-19:00."""
        draw = rng.random if rng else self.random
        ts = self.start
        for _ in range(8):
            ts = self.start + int(draw() * self.window)
            if not office_hours:
                return ts
            local = ts + ORG_TZ * 60
            hour, weekday = local // 3600 % 24, (local // DAY + 3) % 7  # 1970-01-01 was a Thursday
            if (7 <= hour < 19 and weekday < 5) or draw() < 0.1:
                return ts
        return ts

    def bot_route(self, domain: str) -> Route:
        """A bulk or malicious sender: often no reverse DNS, often no TLS, few inside hops."""
        draw = self.random
        helo = f"mail.{domain}"
        return Route(domain, helo, helo if draw() < 0.5 else "unknown", tls=draw() < 0.5, hops=int(draw() * 2))

    def message_id(self, host: str, ts: int) -> str:
        return f"{ts:x}.{self.rng.getrandbits(64):016x}@{host}"

    def trace(
        self, rcpt: str, route: Route, *, mail_from: str, from_domain: str, dkim_domain: str, auth: Auth, sent: int
    ) -> tuple[list[str], int]:
        """Return-Path .. the sender's first hop, top first, and the delivery time.

        2-4 ``Received``: LMTP into the mailstore, the MX hop carrying the sender's public IP,
        then up to two hops inside the sending network (10.x).  This runs for nearly every
        message, so the parts that depend only on the route are rendered once (``_route_parts``).
        """
        draw, tok, org = self.random, self.tok, self.org
        parts = self._routes.get(route)
        if parts is None:
            parts = self._routes[route] = self._route_parts(route)
        ip, inside_prefixes, mx_prefix = parts
        ts = sent
        inside = []
        for prefix in inside_prefixes:
            ts += 1 + int(draw() * 3)
            inside.append(f"{prefix}{tok.queue_id()};{CRLF}\t{rfc5322_date(ts)} (UTC)")
        ts += 1 + int(draw() * 39)
        mx = f"{mx_prefix}{tok.queue_id()}{CRLF}\tfor <{rcpt}>; {rfc5322_date(ts)} (UTC)"
        ts += int(draw() * 3)
        lines = [
            f"Return-Path: <{mail_from}>",
            f"Delivered-To: {rcpt}",
            lmtp_hop(tok, org, org.mx, MX_IP, mail_from, rcpt, ts),
            authentication_results(
                tok, org, auth, ip=ip, mail_from=mail_from, from_domain=from_domain, dkim_domain=dkim_domain
            ),
        ]
        if draw() < 0.5:
            lines.append(received_spf(auth, ip=ip, helo=route.helo, mail_from=mail_from, rcpt=rcpt))
        lines.append(mx)
        if inside:
            lines += inside[::-1]
        return lines, ts

    def _route_parts(self, route: Route) -> tuple[str, list[str], str]:
        """(public IP, the sender's inside hops up to the queue id, the MX hop up to its id)."""
        domain, rng = route.domain, self.rng
        ip = self.ips.for_domain(domain)
        prefixes = []
        client = f"app{rng.randint(1, 8)}.int.{domain}"
        for hop in range(route.hops):
            by = route.helo if hop == route.hops - 1 else f"relay{hop + 1}.int.{domain}"
            proto = "ESMTPSA" if hop == 0 else "ESMTP"
            client_ip = IpPlan.internal(domain, hop)
            prefixes.append(
                f"Received: from {client} ({client} [{client_ip}]){CRLF}\tby {by} (Postfix) with {proto} id "
            )
            client = by
        via = mx_via(self.org, tls=route.tls)
        return ip, prefixes, f"Received: from {route.helo} ({route.rdns} [{ip}]){CRLF}\t{via} id "

    def flags(self, kind: str, folder: str, ts: int) -> tuple[str, ...]:
        draw = self.random
        p = SEEN[kind]
        if folder == "junk":
            p *= 0.3
        elif folder in ("deleted", "other"):
            p = 0.97
        if self.now - ts < DAY:
            p *= 0.6
        if draw() >= p:
            return ()
        if kind in ("business", "internal"):
            x = draw()
            if x < 0.12:
                return ("\\Seen", "\\Answered")
            if x < 0.16:
                return ("\\Seen", "\\Flagged")
        return ("\\Seen",)

    def finish(
        self,
        mailbox: str,
        kind: str,
        folder: str,
        flags: tuple[str, ...],
        lines: list[str],
        content: Part,
        received: int,
        message_id: str,
    ) -> DemoMessage:
        """Join header lines (ASCII), the MIME-Version and content headers, and the body."""
        content_headers, body = content
        raw = b"".join((CRLF.join(lines).encode(), _MIME_VERSION, content_headers, b"\r\n\r\n", body))
        return DemoMessage(mailbox, folder, flags, kind, raw, datetime.fromtimestamp(received, UTC), message_id)


def _long_date(ts: int) -> str:
    t = time.gmtime(ts)
    return f"{t.tm_mday} {MONTHS[t.tm_mon - 1]} {t.tm_year}"


def plain_text(paragraphs: Sequence[str]) -> str:
    return f"{CRLF}{CRLF}".join(paragraphs) + CRLF


def html_paragraphs(paragraphs: Sequence[str], css_class: str = "MsoNormal") -> bytes:
    """One ``<p>`` per paragraph, line breaks kept, each on its own line (RFC 5322 §2.1.1).

    Non-ASCII becomes character references, as many HTML mailers do, which keeps the part ASCII.
    """
    out = []
    for paragraph in paragraphs:
        if "&" in paragraph or "<" in paragraph or ">" in paragraph:
            paragraph = html.escape(paragraph, quote=False)
        if CRLF in paragraph:
            paragraph = paragraph.replace(CRLF, "<br>" + CRLF)
        out.append(f'<p class="{css_class}">{paragraph}</p>{CRLF}')
    return "".join(out).encode("ascii", "xmlcharrefreplace")
