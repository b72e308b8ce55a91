# ruff: noqa: RUF001
"""Phishing campaigns and malware waves: the mail Clawback exists to take back.

A campaign is one template sent to many mailboxes within a 1-3 hour wave.  Its body is the same
for every recipient except the recipient's name and address, per-recipient numbers and URLs, so
the body fingerprint (after the parser normalises those) clusters the wave.  A malware wave
carries the same attachment bytes, hence the same SHA-256, to every recipient.

Placeholders: ``{first}`` and ``{email}`` (recipient), ``{url}`` (the link as the recipient sees
it), ``{n}`` (a per-recipient number), ``{org}`` (the organisation's name), ``{colleague}`` (a
staff member whose name is abused), ``{partner}`` (a partner's contact), ``{lookalike}`` (a
look-alike of the organisation's domain), ``{org_domain}``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from clawback.demo import payloads
from clawback.demo.headers import Auth

# Stamps an upstream filter may have left: Exchange Online Protection, rspamd, SpamAssassin.
FOREFRONT, RSPAMD, SPAMASSASSIN = "forefront", "rspamd", "spamassassin"


@dataclass(frozen=True)
class PhishTemplate:
    key: str
    from_name: str
    from_addr: str
    mail_from: str
    reply_to: str
    subject: str
    landing: str  # "" for a no-link lure (CEO fraud)
    paragraphs: tuple[str, ...]
    cta: str  # the button text in the HTML part
    auth: Auth
    wrap: str = ""  # "" | "bitly" | "safelinks"
    encode_subject: bool = False
    html_only: bool = False
    stamp: str = ""


@dataclass(frozen=True)
class MalwareTemplate:
    key: str
    from_name: str
    from_addr: str
    mail_from: str
    subject: str
    paragraphs: tuple[str, ...]
    filename: str
    content_type: str
    build: Callable[[random.Random, str], bytes]  # (rng, look-alike domain) -> payload
    auth: Auth
    stamp: str = ""


_FAIL = Auth(spf="fail", dkim="none", dmarc="fail", compauth="fail")
_SOFTFAIL = Auth(spf="softfail", dkim="none", dmarc="fail", compauth="fail")
_LOOKALIKE_PASS = Auth(spf="pass", dkim="pass", dmarc="pass", compauth="pass")

PHISH = (
    PhishTemplate(
        key="m365-password-expiry",
        from_name="Microsoft 365",
        from_addr="no-reply@micros0ft-support.example",
        mail_from="postmaster@mail.micros0ft-support.example",
        reply_to="",
        subject="Action required: the password for {email} expires today",
        landing="https://login.micros0ft-support.example/owa/auth.php?u={email}",
        paragraphs=(
            "Dear {first},",
            "The password for your Microsoft 365 account {email} expires today. To avoid losing "
            "access to email, Teams and OneDrive, keep your current password now.",
            "Keep current password: {url}",
            "If you do not act within 24 hours your account will be signed out of all devices.",
            "Microsoft 365 Security Team",
        ),
        cta="Keep current password",
        auth=Auth(spf="softfail", dkim="none", dmarc="none", compauth="fail"),
        wrap="safelinks",
        stamp=FOREFRONT,
    ),
    PhishTemplate(
        key="helpdesk-quota",
        from_name="IT Helpdesk",
        from_addr="helpdesk@{lookalike}",
        mail_from="helpdesk@{lookalike}",
        reply_to="it-helpdesk.support@freemail-box.example",
        subject="Mailbox quota exceeded – 98% used",
        landing="https://portal.{lookalike}/quota/verify.php?u={email}",
        paragraphs=(
            "Hello {first},",
            "Your mailbox {email} has used 98% of its storage quota. Incoming messages will be "
            "rejected from ticket {n} onwards unless you validate your account.",
            "Validate your mailbox here: {url}",
            "Regards,",
            "{org} IT Helpdesk",
        ),
        cta="Validate mailbox",
        auth=_LOOKALIKE_PASS,
        wrap="bitly",
    ),
    PhishTemplate(
        key="org-spoof-deactivation",
        from_name="IT Service Desk",
        from_addr="it-servicedesk@{org_domain}",
        mail_from="bounce@mailer-relay.example",
        reply_to="servicedesk@{lookalike}",
        subject="[{org}] Your account will be deactivated in 24 hours",
        landing="https://{lookalike}/account/reactivate?u={email}",
        paragraphs=(
            "{first},",
            "We detected unusual sign-in activity on your account {email} (incident {n}). As a "
            "precaution your account will be deactivated in 24 hours.",
            "To keep your account active, confirm your identity: {url}",
            "{org} Service Desk",
        ),
        cta="Confirm identity",
        auth=Auth(spf="none", dkim="none", dmarc="fail", compauth="fail"),
        encode_subject=True,
        stamp=RSPAMD,
    ),
    PhishTemplate(
        key="paypal-limited",
        from_name="PayPal",
        from_addr="service@paypa1-secure.example",
        mail_from="service@paypa1-secure.example",
        reply_to="",
        subject="Your account has been limited",
        landing="https://www.paypa1-secure.example/signin/verify?u={email}&case={n}",
        paragraphs=(
            "Dear {first},",
            "We noticed unusual activity on your PayPal account and have temporarily limited it "
            "(case {n}). Please confirm your information to restore full access.",
            "Restore access: {url}",
            "Thank you for being a PayPal customer.",
        ),
        cta="Log in to PayPal",
        auth=Auth(spf="neutral", dkim="fail", dmarc="fail", compauth="fail"),
        encode_subject=True,
        html_only=True,
        stamp=SPAMASSASSIN,
    ),
    PhishTemplate(
        key="docusign-review",
        from_name="DocuSign via {partner}",
        from_addr="dse-na2@docusign-review.example",
        mail_from="bounces@docusign-review.example",
        reply_to="",
        subject="{partner} sent you a document to review and sign",
        landing="https://docusign-review.example/Signing/EmailStart.aspx?a=4f2c9e1a&u={email}",
        paragraphs=(
            "{first},",
            "{partner} sent you a document to review and sign: Agreement_{n}.pdf",
            "REVIEW DOCUMENT: {url}",
            "Do not share this email. It contains a secure link to DocuSign.",
        ),
        cta="REVIEW DOCUMENT",
        auth=_LOOKALIKE_PASS,
    ),
    PhishTemplate(
        key="sharepoint-share",
        from_name="{colleague} (via SharePoint Online)",
        from_addr="no-reply@sharepointonline-files.example",
        mail_from="no-reply@sharepointonline-files.example",
        reply_to="",
        subject='{colleague} shared "Q3 Salary Adjustments.xlsx" with you',
        landing="https://sharepointonline-files.example/:x:/g/personal/docs/EaB3kLq?u={email}",
        paragraphs=(
            "{colleague} shared a file with you.",
            "Q3 Salary Adjustments.xlsx",
            "Open: {url}",
            "This link will work for {email} only.",
        ),
        cta="Open",
        auth=Auth(spf="pass", dkim="none", dmarc="none", compauth="softpass"),
        wrap="safelinks",
    ),
    PhishTemplate(
        key="dhl-customs",
        from_name="DHL Express",
        from_addr="noreply@dhl-parcel-tracking.example",
        mail_from="info@bulk-sender-77.example",
        reply_to="",
        subject="Your parcel {n} is on hold – customs fee unpaid",
        landing="https://dhl-parcel-tracking.example/track/pay.php?id={n}&u={email}",
        paragraphs=(
            "Hello {first},",
            "Your parcel {n} could not be delivered because a customs fee of EUR 1.99 is unpaid.",
            "Pay now to schedule delivery: {url}",
            "DHL Express Customer Service",
        ),
        cta="Pay customs fee",
        auth=_FAIL,
        wrap="bitly",
        stamp=SPAMASSASSIN,
    ),
    PhishTemplate(
        key="ceo-gift-cards",
        from_name="{ceo}",
        from_addr="{ceo_local}.office@freemail-box.example",
        mail_from="{ceo_local}.office@freemail-box.example",
        reply_to="{ceo_local}.private@freemail-box.example",
        subject="Quick favour",
        landing="",
        paragraphs=(
            "Hi {first},",
            "Are you at your desk? I need you to handle an urgent purchase of gift cards for a "
            "client today. I am in meetings all afternoon and cannot take calls.",
            "Reply with your mobile number and I will send the details.",
            "{ceo_first}",
            "Sent from my iPhone",
        ),
        cta="",
        auth=_LOOKALIKE_PASS,
    ),
    PhishTemplate(
        key="voicemail",
        from_name="Voice Mail Service",
        from_addr="voicemail@{lookalike}",
        mail_from="voicemail@{lookalike}",
        reply_to="",
        subject="You have a new voice message (ref. {n})",
        landing="https://voicemail.{lookalike}/listen?msg={n}&u={email}",
        paragraphs=(
            "New voice message for {email}",
            "Caller: +1 555 0100 (unknown)",
            "Reference: {n}",
            "Duration: 00:47",
            "Listen to the message: {url}",
        ),
        cta="Play message",
        auth=_SOFTFAIL,
        html_only=True,
        stamp=FOREFRONT,
    ),
    PhishTemplate(
        key="wetransfer-files",
        from_name="WeTransfer",
        from_addr="noreply@wetransfer-files.example",
        mail_from="noreply@wetransfer-files.example",
        reply_to="",
        subject="{partner} sent you files via WeTransfer",
        landing="https://wetransfer-files.example/downloads/8d1f0c2b/?u={email}",
        paragraphs=(
            "{partner} sent you 3 files (24.6 MB).",
            "Purchase_Order_{n}.pdf, Specifications.docx, Drawings.zip",
            "Download your files: {url}",
            "Files will be deleted in 7 days.",
        ),
        cta="Get your files",
        auth=Auth(spf="none", dkim="none", dmarc="none", compauth="fail"),
        encode_subject=True,
    ),
)


def _exe(rng: random.Random, lookalike: str) -> bytes:
    return payloads.exe(rng, 48_000)


def _scan_zip(rng: random.Random, lookalike: str) -> bytes:
    return payloads.script_zip(rng, "scan_0043.js")


def _remittance(rng: random.Random, lookalike: str) -> bytes:
    return payloads.harvest_page("https://remit-advice.example/owa/auth.php", "Microsoft Outlook")


def _iso(rng: random.Random, lookalike: str) -> bytes:
    return payloads.iso(rng, 42_000, "PAYMENT")


def _docm(rng: random.Random, lookalike: str) -> bytes:
    return payloads.docm(rng, 30_000)


MALWARE = (
    MalwareTemplate(
        key="invoice-exe",
        from_name="Accounts Receivable",
        from_addr="ar@globalfreight-invoices.example",
        mail_from="ar@globalfreight-invoices.example",
        subject="Invoice 2291 overdue – final notice",
        paragraphs=(
            "Dear {first},",
            "Our records show that invoice 2291 is now 45 days overdue. Please review the attached "
            "invoice and arrange payment today to avoid collection fees.",
            "Accounts Receivable",
        ),
        filename="Invoice_2291.pdf.exe",
        content_type="application/octet-stream",
        build=_exe,
        auth=_FAIL,
    ),
    MalwareTemplate(
        key="scan-zip",
        from_name="Scanner MFP-04",
        from_addr="scanner@{lookalike}",
        mail_from="scanner@{lookalike}",
        subject="Scanned document from MFP-04",
        paragraphs=(
            "You have received a scanned document.",
            "Device: MFP-04 (2nd floor)",
            "Pages: 3",
            "Please open the attached file to view the document.",
        ),
        filename="scan_0043.zip",
        content_type="application/zip",
        build=_scan_zip,
        auth=_SOFTFAIL,
    ),
    MalwareTemplate(
        key="remittance-html",
        from_name="Payments Team",
        from_addr="payments@remit-advice.example",
        mail_from="payments@remit-advice.example",
        subject="Remittance advice – payment sent",
        paragraphs=(
            "Hello {first},",
            "Please find attached the remittance advice for the payment we sent today.",
            "Kind regards,",
            "Payments Team",
        ),
        filename="remittance.html",
        content_type="text/html",
        build=_remittance,
        auth=_LOOKALIKE_PASS,
        stamp=FOREFRONT,
    ),
    MalwareTemplate(
        key="payment-iso",
        from_name="Finance Department",
        from_addr="finance@ordersupply-intl.example",
        mail_from="finance@ordersupply-intl.example",
        subject="Payment confirmation #PO-77120",
        paragraphs=(
            "Good day {first},",
            "Attached is the payment confirmation for PO-77120. Kindly confirm receipt.",
            "Best regards,",
            "Finance Department",
        ),
        filename="payment.iso",
        content_type="application/octet-stream",
        build=_iso,
        auth=Auth(spf="neutral", dkim="none", dmarc="none", compauth="fail"),
    ),
    MalwareTemplate(
        key="order-docm",
        # A partner's mailbox taken over: authentication passes, which is the point.
        from_name="Sales Team",
        from_addr="sales@wingtip-logistics.example",
        mail_from="sales@wingtip-logistics.example",
        subject="New order – please confirm",
        paragraphs=(
            "Hi {first},",
            "Please find our new order attached. Enable editing to see the full order details "
            "and confirm the delivery date.",
            "Thanks,",
            "Sales Team",
        ),
        filename="Order.docm",
        content_type="application/vnd.ms-word.document.macroEnabled.12",
        build=_docm,
        auth=_LOOKALIKE_PASS,
        stamp=RSPAMD,
    ),
)

# Unicode look-alikes are out of scope: ASCII swaps are what an MX admin actually sees.
_SWAPS = (("l", "1"), ("o", "0"), ("i", "1"), ("m", "rn"), ("e", "3"))


def lookalike(org_domain: str) -> str:
    """A look-alike of the organisation's domain on the reserved ``.example`` TLD:
    ``example.test`` -> ``examp1e-test.example``."""
    label = org_domain.replace(".", "-")
    for old, new in _SWAPS:
        head, sep, tail = label.rpartition(old)
        if sep:
            return f"{head}{new}{tail}.example"
    return f"{label}-secure.example"


@dataclass(frozen=True)
class Wave:
    """One campaign as sent: a template, when, from where, and its per-run constants."""

    index: int
    template: PhishTemplate | MalwareTemplate
    start: int  # epoch seconds
    span: int  # seconds
    weight: float  # share of the kind's messages this wave gets
    short_code: str  # the bit.ly path, for bitly-wrapped campaigns
    fields: dict[str, str]  # campaign-wide placeholder values (colleague, partner, ceo, ...)

    @property
    def key(self) -> str:
        return self.template.key
