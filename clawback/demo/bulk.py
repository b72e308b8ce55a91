"""Newsletters (wanted bulk mail) and spam (unwanted bulk mail)."""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from clawback.demo import mime
from clawback.demo.compose import DAY, FOLDERS, Composer, Recipient, Route, plain_text
from clawback.demo.headers import Auth, dkim_signature, ms_antispam, rspamd, spamassassin
from clawback.demo.message import DemoMessage
from clawback.demo.templates import (
    HAM_TESTS,
    NEWSLETTER_BLURBS,
    NEWSLETTER_HTML,
    NEWSLETTER_ITEM,
    NEWSLETTERS,
    SPAM,
    SPAM_DOMAINS,
    SPAM_TESTS,
    Newsletter,
)

# Replaced per recipient: newsletters carry a tracking token in every link.
_TOKEN = "%%T%%"
_SPAM_AUTH = (
    Auth(spf="softfail", dkim="none", dmarc="none", compauth="fail"),
    Auth(spf="none", dkim="none", dmarc="none", compauth="none"),
    Auth(spf="fail", dkim="none", dmarc="fail", compauth="fail"),
    Auth(spf="pass", dkim="none", dmarc="none", compauth="softpass"),
)
_TZ = (0, 60, 120, 180, 330, 480, -300, -240, 300, 420)
_PASS = Auth()


@dataclass(frozen=True)
class Issue:
    """One edition of a newsletter: the same for every subscriber but the tracking token."""

    sent: int
    subject: str
    text: str
    html: str


class Newsletters:
    def __init__(self, c: Composer) -> None:
        self.c = c
        self.issues: dict[tuple[int, int], Issue] = {}
        first_day = c.start // DAY + 1
        last_day = (c.start + c.window) // DAY
        self.days = list(range(first_day, max(first_day, last_day) + 1))

    def issue(self, index: int, day: int) -> Issue:
        key = (index, day)
        found = self.issues.get(key)
        if found is None:
            found = self.issues[key] = self._compose(index, day)
        return found

    def _compose(self, index: int, day: int) -> Issue:
        c, nl = self.c, NEWSLETTERS[index]
        # Its own generator, so an edition reads the same whichever mailbox asks first.
        rng = random.Random(f"{c.seed}:newsletter:{index}:{day}")
        sent = day * DAY + nl.send_hour * 3600 + rng.randrange(0, 1800)
        sent = min(max(sent, c.start), c.start + c.window - 1800)
        headlines = rng.sample(nl.headlines, min(3, len(nl.headlines)))
        subject = rng.choice(nl.subjects).format(h=headlines[0], n=rng.randrange(12, 400))
        link = f"https://click.{nl.domain}/ls/click?upn={_TOKEN}"
        items = "".join(
            NEWSLETTER_ITEM.format(headline=html.escape(h), blurb=rng.choice(NEWSLETTER_BLURBS), link=f"{link}-{i}")
            for i, h in enumerate(headlines)
        )
        page = NEWSLETTER_HTML.format(
            title=html.escape(subject),
            name=html.escape(nl.name),
            items=items,
            unsubscribe=f"https://{nl.domain}/unsubscribe?u={_TOKEN}",
            prefs=f"https://{nl.domain}/preferences?u={_TOKEN}",
            pixel=f"https://open.{nl.domain}/o.gif?u={_TOKEN}",
        ).replace("\n", mime.CRLF)
        # Character references keep the part ASCII (and fast to encode); the text part may not be.
        page = page.encode("ascii", "xmlcharrefreplace").decode("ascii")
        text = plain_text([nl.name, *(f"{h}\r\n{link}-{i}" for i, h in enumerate(headlines)), f"Unsubscribe: {link}-u"])
        return Issue(sent=sent, subject=subject, text=text, html=page)


def newsletter(c: Composer, n: Newsletters, rcpt: Recipient) -> DemoMessage:
    draw, tok = c.random, c.tok
    index = c.below(len(NEWSLETTERS))
    nl = NEWSLETTERS[index]
    issue = n.issue(index, c.pick(n.days))
    token = tok.cut(tok.alnum, 32)
    # Large lists go out over half an hour or so.
    sent = issue.sent + c.below(1800)
    encoding = "base64" if index % 3 == 0 else ""
    content = mime.multipart(
        "alternative",
        f"_----{tok.hex(64)}",
        [
            mime.text_part(issue.text.replace(_TOKEN, token).encode(), "plain", encoding),
            mime.text_part(issue.html.replace(_TOKEN, token).encode(), "html", encoding),
        ],
    )
    # Bulk senders run proper infrastructure: reverse DNS, TLS, one hop out of their platform.
    helo = f"mta{1 + index % 4}.{nl.domain}"
    route = Route(nl.domain, helo, helo, tls=True, hops=1)
    bounce = f"bounce-{tok.hex(32)}@{nl.domain}"  # VERP: one return path per recipient
    lines, received = c.trace(
        rcpt.address, route, mail_from=bounce, from_domain=nl.domain, dkim_domain=nl.domain, auth=_PASS, sent=sent
    )
    message_id = c.message_id(route.helo, sent)
    lines += [
        spamassassin(round(draw() * 4.0 - 1.5, 1) + 0.0, HAM_TESTS, host=c.org.mx),
        ms_antispam(nl.bcl + c.below(2)),
        dkim_signature(tok, nl.domain, "esp1", sent),
        *_newsletter_headers(nl, rcpt, token, sent, issue.subject),
        f"Message-ID: <{message_id}>",
    ]
    folder = c.choose(FOLDERS["newsletter"])
    flags = c.flags("newsletter", folder, received)
    return c.finish(rcpt.address, "newsletter", folder, flags, lines, content, received, message_id)


def _newsletter_headers(nl: Newsletter, rcpt: Recipient, token: str, sent: int, subject: str) -> list[str]:
    return [
        f"From: {mime.address(nl.name, f'{nl.local}@{nl.domain}')}",
        f"To: {rcpt.to_header}",
        f"Subject: {mime.encode_words(subject)}",
        f"Date: {mime.rfc5322_date(sent)}",
        f"List-Unsubscribe: <https://{nl.domain}/unsubscribe?u={token}>,{mime.CRLF}"
        f"\t<mailto:unsubscribe-{token}@{nl.domain}?subject=unsubscribe>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        f"List-Id: {mime.address(nl.name, f'{nl.local}.{nl.domain}')}",
        "Precedence: bulk",
        f"Feedback-ID: {nl.send_hour}:{nl.local}:newsletter:esp1",
    ]


def spam(c: Composer, rcpt: Recipient) -> DemoMessage:
    rng, tok = c.rng, c.tok
    name, subject, body = c.pick(SPAM)
    domain = c.pick(SPAM_DOMAINS)
    from_addr = f"{tok.cut(tok.alnum, 6 + c.below(5)).lower()}@{domain}"
    mail_from = from_addr if c.random() < 0.5 else f"bounce{c.below(1000)}@{c.pick(SPAM_DOMAINS)}"
    url = f"https://{c.pick(('www.', 'go.', ''))}{domain}/{tok.cut(tok.alnum, 10)}"
    paragraphs = [f"Dear {rcpt.first}," if c.random() < 0.4 else "Dear friend,", body.format(url=url)]
    paragraphs.append(f"To stop receiving these messages click here: https://{domain}/optout")
    if c.random() < 0.6:
        page = _spam_html(subject, paragraphs, url)
        content = mime.text_part(page, "html", "base64" if c.random() < 0.5 else "")
    else:
        content = mime.text_part(plain_text(paragraphs).encode())
    sent = c.sent_time(office_hours=False)
    route = c.bot_route(domain)
    auth = rng.choice(_SPAM_AUTH)
    lines, received = c.trace(
        rcpt.address, route, mail_from=mail_from, from_domain=domain, dkim_domain=domain, auth=auth, sent=sent
    )
    score = round(rng.uniform(5.2, 25.0), 1)
    lines.append(spamassassin(score, rng.sample(SPAM_TESTS, rng.randint(3, 7)), host=c.org.mx))
    if rng.random() < 0.3:
        lines.append(rspamd(score, (("BAYES_SPAM", 5.1, "99.87%"), ("RBL_SPAMHAUS_SBL", 4.0, ""))))
    folder = c.choose(FOLDERS["spam"])
    if folder == "junk" and rng.random() < 0.3:
        subject = f"***SPAM*** {subject}"
    message_id = c.message_id(route.helo, sent)
    lines += [
        f"From: {mime.address(name, from_addr)}",
        f"To: {rcpt.to_header}",
        f"Subject: {mime.encode_words(subject)}",
        f"Date: {mime.rfc5322_date(sent, c.pick(_TZ))}",
        f"Message-ID: <{message_id}>",
    ]
    flags = c.flags("spam", folder, received)
    return c.finish(rcpt.address, "spam", folder, flags, lines, content, received, message_id)


def _spam_html(subject: str, paragraphs: list[str], url: str) -> bytes:
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>\r\n" for p in paragraphs)
    return (
        f'<html><body style="font-family:Arial"><center>\r\n<h1 style="color:#c00">{html.escape(subject)}</h1>\r\n'
        f'{body}<a href="{html.escape(url)}"><img src="{html.escape(url)}/banner.jpg" width="600" '
        f'alt="CLICK HERE"></a>\r\n</center></body></html>\r\n'
    ).encode()
