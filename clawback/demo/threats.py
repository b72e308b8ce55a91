"""Phishing and malware messages, sent in waves (see ``campaigns``)."""

from __future__ import annotations

import bisect
import html
import random
import zlib
from urllib.parse import quote

from clawback.demo import mime
from clawback.demo.campaigns import (
    FOREFRONT,
    MALWARE,
    PHISH,
    RSPAMD,
    MalwareTemplate,
    PhishTemplate,
    Wave,
    lookalike,
)
from clawback.demo.compose import FOLDERS, Composer, Recipient, plain_text
from clawback.demo.headers import forefront, rspamd, spamassassin
from clawback.demo.message import DemoMessage
from clawback.demo.mime import CRLF, Part
from clawback.demo.people import display_name, first_name

_TZ = (0, 60, 120, 180, 330, 480, -300, -240)
_COUNTRIES = ("NL", "RU", "US", "NG", "BR", "CN", "RO", "VN")
# rspamd symbols a phishing / malware message typically collects.
_RSPAMD_MALWARE = (
    ("MIME_DOUBLE_BAD_EXTENSION", 3.0, ".pdf.exe"),
    ("MIME_BAD_EXTENSION", 2.0, "exe"),
    ("OLETOOLS", 10.0, "AutoOpen, Shell"),
    ("R_SPF_SOFTFAIL", 0.5, ""),
    ("MIME_ARCHIVE_IN_ARCHIVE", 1.0, ""),
)
_RSPAMD_PHISH = (
    ("PHISHING", 3.0, "micros0ft-support.example->microsoft.com"),
    ("DMARC_POLICY_REJECT", 2.0, ""),
    ("R_SPF_FAIL", 1.0, ""),
    ("R_DKIM_NA", 0.0, ""),
    ("FROM_NAME_HAS_TITLE", 1.0, ""),
    ("HFILTER_HOSTNAME_UNKNOWN", 2.5, ""),
    ("URI_COUNT_ODD", 1.0, ""),
)


class Threats:
    """The waves of one run and what they share (payload bytes, campaign-wide names)."""

    def __init__(self, c: Composer) -> None:
        self.c = c
        self.lookalike = lookalike(c.org.domain)
        rng = c.rng
        # The Microsoft 365 lure is the one the docs and demos point at: always sent.
        count = min(len(PHISH), rng.randint(6, 10))
        chosen = [PHISH[0], *rng.sample(PHISH[1:], count - 1)]
        self.phish = [self._wave(i, t) for i, t in enumerate(chosen)]
        self.malware = [self._wave(i, t) for i, t in enumerate(MALWARE)]
        self.phish_cum = _cumulative(self.phish)
        self.malware_cum = _cumulative(self.malware)
        # One payload per malware wave, so its SHA-256 is the wave's indicator.
        self.payloads = {w.key: self._payload(w) for w in self.malware}

    def _wave(self, index: int, template: PhishTemplate | MalwareTemplate) -> Wave:
        c, rng = self.c, self.c.rng
        span = rng.randint(3600, 3 * 3600)
        latest = max(c.start, c.start + c.window - span)
        ceo = c.mailboxes[0] if c.mailboxes else f"ceo@{c.org.domain}"
        partner = rng.choice(c.contacts[c.partner().domain])
        fields = {
            "org": c.org.name,
            "org_domain": c.org.domain,
            "lookalike": self.lookalike,
            "colleague": display_name(rng.choice(c.mailboxes)) if c.mailboxes else "Anna Berg",
            "partner": partner.name,
            "ceo": display_name(ceo),
            "ceo_first": first_name(ceo),
            "ceo_local": ceo.partition("@")[0],
        }
        return Wave(
            index=index,
            template=template,
            start=rng.randint(c.start, latest),
            span=span,
            weight=rng.uniform(0.5, 2.0),
            short_code=c.tok.cut(c.tok.alnum, 7),
            fields=fields,
        )

    def _payload(self, wave: Wave) -> bytes:
        template = wave.template
        assert isinstance(template, MalwareTemplate)
        # Its own generator: the bytes depend on the seed and the wave, not on call order.
        rng = random.Random(f"{self.c.seed}:{template.key}")
        return mime.b64_body(template.build(rng, self.lookalike))


def _cumulative(waves: list[Wave]) -> list[float]:
    out, total = [], 0.0
    for wave in waves:
        total += wave.weight
        out.append(total)
    return out


def _wrap(c: Composer, wave: Wave, url: str, rcpt: str) -> str:
    """The link as the recipient sees it: direct, shortened, or rewritten by Safe Links."""
    style = getattr(wave.template, "wrap", "")
    if style == "bitly":
        return f"https://bit.ly/{wave.short_code}"
    # Safe Links policies cover groups of users: here, a stable half of the mailboxes.
    if style == "safelinks" and zlib.crc32(rcpt.encode()) % 2:
        # data = version|flags|recipient|message|tenant|…; Outlook shows the recipient in it.
        ticks = c.rng.randrange(10**14)
        data = f"05%7C02%7C{quote(rcpt, safe='')}%7C{c.tok.hex(64)}%7C{c.tok.hex(32)}%7C0%7C0%7C638{ticks:014d}"
        sdata = quote(c.tok.cut(c.tok.b64, 43) + "=", safe="")
        return (
            f"https://eur01.safelinks.protection.outlook.com/?url={quote(url, safe='')}"
            f"&data={data}%7CUnknown%7CTWFpbGZsb3d8&sdata={sdata}&reserved=0"
        )
    return url


def _phish_html(paragraphs: list[str], url: str, cta: str) -> bytes:
    rows = []
    for paragraph in paragraphs:
        if url and url in paragraph:
            rows.append(
                f'<p style="margin:24px 0"><a href="{html.escape(url)}" style="background:#0067b8;color:#ffffff;'
                f'padding:10px 24px;text-decoration:none;font-weight:600">{html.escape(cta)}</a></p>{CRLF}'
            )
        else:
            rows.append(f"<p>{html.escape(paragraph, quote=False)}</p>{CRLF}")
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>{CRLF}'
        f'<body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#262626">{CRLF}'
        f'<table width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">{CRLF}'
        f'<table width="560" cellpadding="24" style="border:1px solid #e1e1e1"><tr><td>{CRLF}'
        + "".join(rows)
        + f"</td></tr></table></td></tr></table>{CRLF}</body></html>{CRLF}"
    ).encode("ascii", "xmlcharrefreplace")


def _stamp(c: Composer, stamp: str, ip: str, helo: str, *, cat: str) -> str:
    rng = c.rng
    if stamp == FOREFRONT:
        return forefront(ip, helo, cat=cat, scl=rng.choice((5, 6, 9)), country=rng.choice(_COUNTRIES))
    if stamp == RSPAMD:
        score = round(rng.uniform(9.0, 14.5), 2)
        symbols = _RSPAMD_MALWARE if cat == "MALW" else _RSPAMD_PHISH
        return rspamd(score, symbols[: rng.randint(3, len(symbols))])
    tests = ("BAYES_99", "PHISH_URI", "SPF_FAIL", "DKIM_ADSP_NXDOMAIN", "HTML_MESSAGE", "URIBL_PH_SURBL")
    return spamassassin(round(rng.uniform(5.5, 12.0), 1), tests, host=c.org.mx)


def phish(c: Composer, t: Threats, rcpt: Recipient) -> DemoMessage:
    wave = t.phish[bisect.bisect(t.phish_cum, c.random() * t.phish_cum[-1])]
    template = wave.template
    assert isinstance(template, PhishTemplate)
    fields = dict(wave.fields, first=rcpt.first, email=rcpt.address, n=str(10_000 + c.below(90_000)))
    landing = template.landing.format(**fields)
    fields["url"] = _wrap(c, wave, landing, rcpt.address) if landing else ""
    paragraphs = [p.format(**fields) for p in template.paragraphs]
    if template.html_only:
        content = mime.text_part(_phish_html(paragraphs, fields["url"], template.cta), "html", "base64")
    elif landing:
        content = mime.multipart(
            "alternative",
            f"----=_Part_{c.tok.hex(48)}",
            [
                mime.text_part(plain_text(paragraphs).encode()),
                mime.text_part(_phish_html(paragraphs, fields["url"], template.cta), "html"),
            ],
        )
    else:
        content = mime.text_part(plain_text(paragraphs).encode())
    stamped = bool(template.stamp) and c.random() < 0.6
    folder = c.choose(FOLDERS["phish-stamped" if stamped else "phish"])
    return _send(c, wave, template, fields, rcpt, content, "phish", folder, stamped, "PHSH")


def malware(c: Composer, t: Threats, rcpt: Recipient) -> DemoMessage:
    wave = t.malware[bisect.bisect(t.malware_cum, c.random() * t.malware_cum[-1])]
    template = wave.template
    assert isinstance(template, MalwareTemplate)
    fields = dict(wave.fields, first=rcpt.first, email=rcpt.address, n="")
    paragraphs = [p.format(**fields) for p in template.paragraphs]
    content = mime.multipart(
        "mixed",
        f"----=_NextPart_{c.tok.hex(48)}",
        [
            mime.text_part(plain_text(paragraphs).encode()),
            mime.attachment_part(template.filename, template.content_type, t.payloads[template.key]),
        ],
    )
    stamped = bool(template.stamp) and c.random() < 0.5
    folder = c.choose(FOLDERS["phish-stamped" if stamped else "malware"])
    return _send(c, wave, template, fields, rcpt, content, "malware", folder, stamped, "MALW")


def _send(
    c: Composer,
    wave: Wave,
    template: PhishTemplate | MalwareTemplate,
    fields: dict[str, str],
    rcpt: Recipient,
    content: Part,
    kind: str,
    folder: str,
    stamped: bool,
    cat: str,
) -> DemoMessage:
    """Headers common to both threat kinds: spoofed names, failing authentication, stamps."""
    rng = c.rng
    from_addr = template.from_addr.format(**fields)
    mail_from = template.mail_from.format(**fields)
    from_domain = from_addr.rpartition("@")[2]
    route = c.bot_route(mail_from.rpartition("@")[2].removeprefix("mail."))
    sent = wave.start + int(rng.random() * wave.span)
    lines, received = c.trace(
        rcpt.address,
        route,
        mail_from=mail_from,
        from_domain=from_domain,
        dkim_domain=from_domain,
        auth=template.auth,
        sent=sent,
    )
    if stamped:
        lines.append(_stamp(c, template.stamp, c.ips.for_domain(route.domain), route.helo, cat=cat))
    subject = template.subject.format(**fields)
    encode = getattr(template, "encode_subject", False)
    message_id = c.message_id(route.helo, sent)
    lines += [
        f"From: {mime.address(template.from_name.format(**fields), from_addr)}",
        f"To: {rcpt.to_header}",
        f"Subject: {mime.encode_words(subject, force=encode)}",
        f"Date: {mime.rfc5322_date(sent, rng.choice(_TZ))}",
        f"Message-ID: <{message_id}>",
    ]
    reply_to = getattr(template, "reply_to", "")
    if reply_to:
        lines.append(f"Reply-To: {reply_to.format(**fields)}")
    lines.append("X-Mailer: PHPMailer 6.8.0 (https://github.com/PHPMailer/PHPMailer)")
    flags = c.flags(kind, folder, received)
    return c.finish(rcpt.address, kind, folder, flags, lines, content, received, message_id)
