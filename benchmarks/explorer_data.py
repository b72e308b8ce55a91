"""A synthetic message index of known make-up for the Explorer benchmark, written straight into
the database (``executemany`` on SQLite, ``COPY`` on PostgreSQL), far faster than ingesting mail.

Distributions (seeded, so the same seed gives the same index):

- time: 30 days before the anchor, busier on weekdays and in working hours;
- senders: 40 hot domains (newsletters, partners, SaaS) carry ~45 % of the mail, ~25 % comes from
  a long tail of cold domains (one per ~33 copies), ~15 % is internal, the rest is spam, phish
  and malware;
- threats: ~5 % phish (a fifth of it high-confidence) and ~1 % malware, in campaigns (a shared
  body fingerprint, subject, sending domain and IPs, URL domain or attachment hash, over a
  window of 1-48 hours, heavy-tailed sizes), ~8 % spam, ~15 % bulk;
- recipients: ``rows / 200`` mailboxes, skewed (some people receive far more);
- ~1.9 URLs per copy (a third have none), ~7 % of copies carry attachments;
- rows as wide as real ones: ~2.4 KB of stored headers per copy (Received chain, DKIM signature,
  Authentication-Results), which is what makes a full table scan expensive.

Copies are written in time order, as ingest writes them.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ORG = "corp.example"
DAYS = 30
HOURS = DAYS * 24
BATCH = 5000

HOT_DOMAINS = [
    "news.contoso.example",
    "notifications.github.example",
    "mail.salesforce.example",
    "em.travelhub.example",
    "partner.fabrikam.example",
    "billing.northwind.example",
    "alerts.azure.example",
    "jira.atlassian.example",
    "calendar.zoom.example",
    "newsletter.datadigest.example",
] + [f"hot{n:02d}.example" for n in range(30)]
COMMON_URL_DOMAINS = ["bit.ly", "aka.ms", "docs.google.example", "www.linkedin.example", "t.co"]
PHISH_SUBJECTS = [
    "Action required: your mailbox is almost full",
    "Invoice {n} overdue - pay today",
    "Your password expires in 24 hours",
    "Shared document: Q{q} payroll review",
    "DocuSign: please sign agreement {n}",
    "Unusual sign-in activity detected",
    "Voicemail received from +1 555 {n}",
]
MALWARE_SUBJECTS = ["Invoice {n}", "Scanned document {n}", "Shipping notice {n}", "Remittance advice {n}"]
HAM_SUBJECTS = [
    "Re: {project} status update",
    "Meeting notes {day}",
    "Invoice {n} from {company}",
    "Your order {n} has shipped",
    "Weekly digest: {project}",
    "[{project}] build {n} passed",
    "Lunch on {day}?",
    "Re: Re: contract renewal for {company}",
    "Quarterly report {q}",
    "Welcome to {company}",
]
SPAM_SUBJECTS = ["You won a {company} gift card", "Cheap meds {n}", "Hot singles near {day}", "Crypto gains {n}%"]
PROJECTS = ["Apollo", "Borealis", "Cygnus", "Delta", "Everest", "Falcon", "Gemini", "Helix"]
COMPANIES = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Litware", "Adatum", "Proseware"]
DAYS_OF_WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
ATTACH_HAM = [("pdf", "application/pdf"), ("docx", "application/vnd.openxmlformats"), ("xlsx", "application/vnd.ms")]
ATTACH_MALWARE = [
    ("docm", "application/vnd.ms-word.document.macroenabled.12"),
    ("xlsm", "application/vnd.ms-excel.sheet.macroenabled.12"),
    ("zip", "application/zip"),
    ("iso", "application/x-iso9660-image"),
    ("html", "text/html"),
]
MAILERS = ["Microsoft Outlook 16.0", "Postfix", "Mailchimp", "Amazon SES"]
LOGO_SHA = [hashlib.sha256(f"logo-{n}".encode()).hexdigest() for n in range(20)]


@dataclass
class Campaign:
    n: int
    kind: str  # phish, hcp, malware
    size: int
    start: int  # hour
    hours: int
    domain: str
    senders: list[str]
    ips: list[str]
    subject: str
    url_domain: str
    fingerprint: str
    hashes: list[str]
    ext: tuple[str, str]
    detections: str


@dataclass
class Facts:
    """What the generator knows about its own data: the benchmark's query targets."""

    anchor: datetime
    rows: int
    seed: int
    hot_domain: str = ""
    cold_domain: str = ""
    phish_domains: list[str] = field(default_factory=list)
    phish_url_domain: str = ""
    malware_hash: str = ""
    sender_address: str = ""
    sender_ip: str = ""
    vip: str = ""

    def to_json(self) -> str:
        data = dict(self.__dict__)
        data["anchor"] = self.anchor.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Facts:
        data = json.loads(text)
        data["anchor"] = datetime.fromisoformat(data["anchor"])
        return cls(**data)


def _ip(n: int) -> str:
    return f"{(n * 37) % 200 + 20}.{(n * 91) % 256}.{(n * 13) % 256}.{n % 254 + 1}"


class Generator:
    def __init__(self, rows: int, seed: int, anchor: datetime) -> None:
        self.rows = rows
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.start = anchor - timedelta(days=DAYS)
        self.mailboxes = [f"user{n:05d}@{ORG}" for n in range(max(100, rows // 200))]
        # Skewed recipients: mailbox n has weight 1/(n+1)^0.6.
        self.mailbox_cum = list(itertools.accumulate(1 / (n + 1) ** 0.6 for n in range(len(self.mailboxes))))
        self.hot_cum = list(itertools.accumulate(1 / (n + 1) ** 0.8 for n in range(len(HOT_DOMAINS))))
        self.cold_count = max(100, rows // 33)
        self.campaigns = self._campaigns()
        self.by_hour = self._campaign_hours()
        self.next_id = 1
        self.next_url = 1
        self.next_attachment = 1
        rng = self.rng
        self.signatures = [base64.b64encode(rng.randbytes(256)).decode() for _ in range(4096)]
        self.ids = [f"{rng.getrandbits(48):X}" for _ in range(4096)]
        self.hop_parts = [f"[10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}]" for _ in range(4096)]

    def _pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.rng.random() * len(items))]

    # --- plan -----------------------------------------------------------------------------
    def _campaigns(self) -> list[Campaign]:
        rng = self.rng
        out: list[Campaign] = []
        plans = (("phish", 0.04, 2500), ("hcp", 0.01, 10000), ("malware", 0.01, 10000))
        for kind, share, per in plans:
            count = max(3, self.rows // per)
            weights = [rng.paretovariate(1.2) for _ in range(count)]
            total = share * self.rows
            for weight in weights:
                n = len(out)
                out.append(self._campaign(n, kind, max(3, round(total * weight / sum(weights)))))
        return out

    def _campaign(self, n: int, kind: str, size: int) -> Campaign:
        rng = self.rng
        domain = (
            f"{rng.choice(['secure', 'login', 'docs', 'pay', 'support'])}-{rng.choice(COMPANIES).lower()}{n}.example"
        )
        template = rng.choice(MALWARE_SUBJECTS if kind == "malware" else PHISH_SUBJECTS)
        detections = {
            "phish": ",url-reputation,",
            "hcp": ",indicator-match,url-reputation,",
            "malware": ",antivirus,file-reputation,",
        }[kind]
        return Campaign(
            n=n,
            kind=kind,
            size=size,
            start=rng.randrange(HOURS),
            hours=rng.randint(1, 48),
            domain=domain,
            senders=[f"{rng.choice(['it', 'billing', 'noreply', 'hr', 'ceo'])}{k}@{domain}" for k in range(3)],
            ips=[_ip(100_000 + n * 7 + k) for k in range(rng.randint(1, 3))],
            subject=template.format(n=rng.randrange(10_000, 99_999), q=rng.randint(1, 4)),
            url_domain=f"{rng.choice(['auth', 'verify', 'm365', 'cdn'])}-{n}.{rng.choice(['top', 'xyz', 'click'])}",
            fingerprint=hashlib.sha256(f"campaign-{n}".encode()).hexdigest(),
            hashes=[hashlib.sha256(f"malware-{n}-{k}".encode()).hexdigest() for k in range(rng.randint(1, 3))],
            ext=rng.choice(ATTACH_MALWARE),
            detections=detections,
        )

    def _campaign_hours(self) -> dict[int, list[Campaign]]:
        """hour -> one entry per campaign copy received in that hour."""
        by_hour: dict[int, list[Campaign]] = {}
        for campaign in self.campaigns:
            for _ in range(campaign.size):
                hour = min(HOURS - 1, campaign.start + self.rng.randrange(campaign.hours))
                by_hour.setdefault(hour, []).append(campaign)
        return by_hour

    def facts(self) -> Facts:
        biggest = max((c for c in self.campaigns if c.kind != "malware"), key=lambda c: c.size)
        malware = max((c for c in self.campaigns if c.kind == "malware"), key=lambda c: c.size)
        return Facts(
            anchor=self.anchor,
            rows=self.rows,
            seed=0,
            hot_domain=HOT_DOMAINS[3],
            cold_domain=f"vendor{self.cold_count // 2}.example",
            phish_domains=[c.domain for c in self.campaigns[:3]],
            phish_url_domain=biggest.url_domain,
            malware_hash=malware.hashes[0],
            sender_address=f"ops@{HOT_DOMAINS[5]}",
            sender_ip=_ip(5),
            vip=self.mailboxes[0],
        )

    # --- rows -----------------------------------------------------------------------------
    def hours(self) -> Iterator[tuple[int, int]]:
        """(hour, copies not in campaigns) for every hour, summing to the planned total."""
        campaign_rows = sum(len(v) for v in self.by_hour.values())
        rest = max(0, self.rows - campaign_rows)
        weights = [self._hour_weight(h) for h in range(HOURS)]
        total = sum(weights)
        given = 0
        for hour, weight in enumerate(weights):
            n = rest - given if hour == HOURS - 1 else round(rest * weight / total)
            given += n
            yield hour, n

    def _hour_weight(self, hour: int) -> float:
        moment = self.start + timedelta(hours=hour)
        day = 1.0 if moment.weekday() < 5 else 0.35
        return day * (1.0 if 7 <= moment.hour <= 18 else 0.3)

    def batches(self, mailbox_ids: dict[str, int], store_id: int) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
        """Batches of (copies, urls, attachments), each a list of dicts keyed by column."""
        copies: list[Any] = []
        urls: list[Any] = []
        attachments: list[Any] = []
        for hour, plain in self.hours():
            kinds: list[Campaign | None] = [*self.by_hour.get(hour, []), *([None] * plain)]
            offsets = sorted(self.rng.random() * 3600 for _ in kinds)
            self.rng.shuffle(kinds)
            for offset, campaign in zip(offsets, kinds, strict=True):
                when = self.start + timedelta(hours=hour, seconds=offset)
                copy, copy_urls, copy_attachments = self._copy(campaign, when, mailbox_ids, store_id)
                copies.append(copy)
                urls += copy_urls
                attachments += copy_attachments
                if len(copies) >= BATCH:
                    yield copies, urls, attachments
                    copies, urls, attachments = [], [], []
        if copies:
            yield copies, urls, attachments

    def _recipient(self) -> str:
        return self.mailboxes[bisect.bisect(self.mailbox_cum, self.rng.random() * self.mailbox_cum[-1])]

    def _copy(
        self, campaign: Campaign | None, when: datetime, mailbox_ids: dict[str, int], store_id: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        rng = self.rng
        copy_id = self.next_id
        self.next_id += 1
        recipient = self._recipient()
        row = self._threat_row(campaign) if campaign else self._plain_row()
        sender = row["from_address"]
        domain = sender.rpartition("@")[2]
        location = row.pop("location")
        folder = {"inbox": "INBOX", "junk": "Junk", "deleted": "Trash", "other": "Archive"}[location]
        row.update(
            id=copy_id,
            store_id=store_id,
            mailbox_id=mailbox_ids[recipient],
            ref=f"{folder}/{copy_id}",
            message_id=f"<{copy_id}.{rng.getrandbits(40):x}@{domain}>",
            simhash=rng.getrandbits(63),
            cluster_id="",
            campaign_id="",
            from_domain=domain,
            mail_from=sender,
            mail_from_domain=domain,
            reply_to="",
            recipient=recipient,
            recipient_domain=ORG,
            to_addresses=recipient,
            cc_addresses="",
            delivered_to=recipient,
            direction="intra-org" if domain == ORG else "inbound",
            received_at=when,
            date_header=when - timedelta(seconds=rng.randint(1, 120)),
            size=rng.randint(3_000, 120_000),
            language="en",
            spam_score=round(rng.random() * (9 if row["threats"] else 3), 1),
            original_folder=folder,
            original_location=location,
            folder=folder,
            location=location,
            flags=["\\Seen"] if rng.random() < 0.6 else [],
            headers=self._headers(sender, recipient, row["sender_ip"], row["subject"], when),
            parse_problems=[],
            has_parse_problems=False,
            indexed_at=when + timedelta(seconds=rng.randint(1, 300)),
        )
        copy_urls = [self._url(copy_id, d) for d in row.pop("url_domains")]
        copy_attachments = [self._attachment(copy_id, *a) for a in row.pop("attachments")]
        row["url_count"] = len(copy_urls)
        row["attachment_count"] = len(copy_attachments)
        return row, copy_urls, copy_attachments

    def _threat_row(self, c: Campaign) -> dict[str, Any]:
        rng = self.rng
        junk = rng.random() < 0.3
        threats = {"phish": ",phish,", "hcp": ",high-confidence-phish,", "malware": ",malware,"}[c.kind]
        return {
            "from_address": rng.choice(c.senders),
            "from_name": "IT Service Desk",
            "sender_ip": rng.choice(c.ips),
            "subject": c.subject,
            "fingerprint": c.fingerprint,
            "threats": threats,
            "detections": c.detections,
            "delivery_action": "junked" if junk else "delivered",
            "location": "junk" if junk else rng.choice(("inbox", "inbox", "inbox", "deleted")),
            "spf": "fail",
            "dkim": "none",
            "dmarc": "fail",
            "composite_auth": "fail",
            "url_domains": [c.url_domain] * rng.randint(1, 2) if c.kind != "malware" else [],
            "attachments": [(rng.choice(c.hashes), *c.ext)] if c.kind == "malware" else [],
        }

    def _plain_row(self) -> dict[str, Any]:
        rng = self.rng
        pick = rng.random()
        if pick < 0.53:  # hot senders: notifications, partners, newsletters
            domain = HOT_DOMAINS[bisect.bisect(self.hot_cum, rng.random() * self.hot_cum[-1])]
            kind = "bulk" if pick < 0.16 else "ham"
            sender = f"{rng.choice(['noreply', 'ops', 'news', 'team'])}@{domain}"
            ip = _ip(HOT_DOMAINS.index(domain) * 4 + rng.randrange(4))
        elif pick < 0.77:  # the long tail
            n = rng.randrange(self.cold_count)
            domain, kind = f"vendor{n}.example", "ham"
            sender, ip = f"{rng.choice(['sales', 'info', 'j.doe', 'accounts'])}@{domain}", _ip(1000 + n)
        elif pick < 0.92:  # colleagues
            domain, kind = ORG, "ham"
            sender, ip = self._recipient(), ""
        else:
            n = rng.randrange(50_000)
            domain, kind = f"spam{n}.example", "spam"
            sender, ip = f"promo@{domain}", _ip(500_000 + n)
        return self._plain(kind, sender, domain, ip)

    def _plain(self, kind: str, sender: str, domain: str, ip: str) -> dict[str, Any]:
        rng = self.rng
        template = rng.choice(SPAM_SUBJECTS if kind == "spam" else HAM_SUBJECTS)
        subject = template.format(
            n=rng.randrange(100, 99_999),
            project=rng.choice(PROJECTS),
            company=rng.choice(COMPANIES),
            day=rng.choice(DAYS_OF_WEEK),
            q=rng.randint(1, 4),
        )
        spam = kind == "spam"
        url_domains = [self._ham_url_domain(domain) for _ in range(self._url_count())]
        attachments = []
        if rng.random() < 0.065 and not spam:
            ext, content_type = rng.choice(ATTACH_HAM)
            sha = rng.choice(LOGO_SHA) if rng.random() < 0.2 else f"{rng.getrandbits(256):064x}"
            attachments.append((sha, ext, content_type))
        return {
            "from_address": sender,
            "from_name": sender.partition("@")[0].title(),
            "sender_ip": ip,
            "subject": subject,
            "fingerprint": f"{rng.getrandbits(256):064x}",
            "threats": {"spam": ",spam,", "bulk": ",bulk,"}.get(kind, ""),
            "detections": ",spam-filter-header," if spam else "",
            "delivery_action": "junked" if spam else "delivered",
            "location": "junk" if spam else rng.choices(("inbox", "deleted", "other"), (90, 6, 4))[0],
            "spf": "pass",
            "dkim": "pass" if kind != "spam" else "none",
            "dmarc": "pass" if kind != "spam" else "none",
            "composite_auth": "pass" if kind != "spam" else "softpass",
            "url_domains": url_domains,
            "attachments": attachments,
        }

    def _url_count(self) -> int:
        r = self.rng.random()
        return 0 if r < 0.33 else 1 if r < 0.55 else 2 if r < 0.7 else self.rng.randint(3, 8)

    def _ham_url_domain(self, domain: str) -> str:
        r = self.rng.random()
        if r < 0.1:
            return self.rng.choice(COMMON_URL_DOMAINS)
        return f"{'links' if r < 0.5 else 'www'}.{domain}"

    def _url(self, copy_id: int, domain: str) -> dict[str, Any]:
        n = self.next_url
        self.next_url += 1
        path = f"/{self.rng.choice(['login', 'c', 'track', 'view', 'docs'])}/{self.rng.getrandbits(32):x}"
        url = f"https://{domain}{path}"
        return {"id": n, "copy_id": copy_id, "url": url, "domain": domain, "path": path, "source": "body"}

    def _attachment(self, copy_id: int, sha: str, ext: str, content_type: str) -> dict[str, Any]:
        n = self.next_attachment
        self.next_attachment += 1
        return {
            "id": n,
            "copy_id": copy_id,
            "name": f"document-{n}.{ext}",
            "ext": ext,
            "content_type": content_type,
            "declared_type": content_type,
            "sha256": sha,
            "size": self.rng.randint(10_000, 2_000_000),
        }

    def _headers(self, sender: str, recipient: str, ip: str, subject: str, when: datetime) -> str:
        """The stored headers as JSON text (~2.4 KB, as real mail's): built from pre-made random
        parts, as formatting a fresh DKIM signature per copy would dominate the generation."""
        pick = self._pick
        domain = sender.rpartition("@")[2]
        stamp = f"{when:%a, %d %b %Y} {when.hour:02d}:{when.minute:02d}:{when.second:02d} +0000"
        hops = "\\n".join(
            f"from relay{k}.{domain} ({pick(self.hop_parts)})\\tby mx{k}.{ORG} (Postfix) with ESMTPS "
            f"id {pick(self.ids)}\\tfor <{recipient}>; {stamp}"
            for k in range(2 + int(self.rng.random() * 3))
        )
        signature = pick(self.signatures)
        return (
            f'{{"return-path": "<{sender}>", "delivered-to": "{recipient}", "received": "{hops}", '
            f'"authentication-results": "mx1.{ORG};\\tdkim=pass header.d={domain} header.b=\\"{signature[:8]}\\";'
            f"\\tspf=pass (mx1.{ORG}: domain of {sender} designates {ip or '10.0.0.1'} as permitted sender) "
            f'smtp.mailfrom={sender};\\tdmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from={domain}", '
            f'"dkim-signature": "v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1; t=1700000000;\\t'
            f'h=from:to:subject:date:message-id:mime-version:content-type; bh={signature[-44:]};\\tb={signature}", '
            f'"from": "{sender}", "to": "{recipient}", "subject": {json.dumps(subject)}, "date": "{stamp}", '
            f'"message-id": "<{pick(self.ids)}@{domain}>", "mime-version": "1.0", '
            f'"content-type": "multipart/alternative; boundary=\\"b1\\"", "x-mailer": "{pick(MAILERS)}", '
            f'"arc-seal": "i=1; a=rsa-sha256; t=1700000000; cv=none; d={ORG}; s=arc-2026; b={pick(self.signatures)}", '
            f'"received-spf": "Pass (mx1.{ORG}: domain of {sender} designates {ip or "10.0.0.1"} as permitted '
            f'sender) receiver=mx1.{ORG}; client-ip={ip or "10.0.0.1"}; helo=relay0.{domain};"}}'
        )
