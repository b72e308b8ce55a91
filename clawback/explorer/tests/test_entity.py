"""The email entity page from the index alone, and who may see what on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from clawback.audit.models import AuditEvent
from clawback.mail.models import CopyUrl, MessageCopy, TimelineEvent
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import add_details, make_copy

pytestmark = pytest.mark.django_db

CONTENT_URLS = (
    "explorer-message-headers",
    "explorer-message-preview",
    "explorer-message-preview-frame",
    "explorer-message-eml",
)


@pytest.fixture
def copy() -> MessageCopy:
    copy = make_copy(
        subject="Your mailbox is full <script>alert(1)</script>",
        sender="it@evil.example",
        threats=["phish", "spam"],
        from_name="IT Helpdesk",
        mail_from="bounce@bulk.evil.example",
        mail_from_domain="bulk.evil.example",
        sender_ip="198.51.100.7",
        to_addresses="ann@example.org, ben@example.org",
        direction="inbound",
        detections=",url-reputation,authentication-failure,",
        spam_score=7.5,
        spf="fail",
        dkim="none",
        dmarc="fail",
        composite_auth="fail",
        fingerprint="f" * 64,
        location="junk",
        folder="Junk",
        has_parse_problems=True,
        parse_problems=["unknown charset 'x-klingon'"],
        size=12345,
    )
    # Delivered to the inbox, moved to Junk since.
    MessageCopy.objects.filter(pk=copy.pk).update(original_location="inbox", original_folder="INBOX")
    copy.refresh_from_db()
    add_details(copy)
    TimelineEvent.objects.create(
        copy=copy,
        at=copy.received_at + timedelta(hours=1),
        kind=TimelineEvent.Kind.REMEDIATION,
        source=TimelineEvent.Source.ADMIN,
        actor="erin",
        from_location="inbox",
        from_folder="INBOX",
        to_location="junk",
        to_folder="Junk",
        result="succeeded",
        detail="remediation #7 move to junk",
    )
    return copy


def _url(name: str, copy: MessageCopy) -> str:
    return reverse(name, kwargs={"message_id": copy.pk})


def _page(client: Client, copy: MessageCopy) -> str:
    response = client.get(_url("explorer-message", copy))
    assert response.status_code == 200
    return response.content.decode()


def test_overview_shows_the_index(client: Client, copy: MessageCopy, bob: User) -> None:
    client.force_login(bob)
    html = _page(client, copy)
    # Escaped, never markup.
    assert "Your mailbox is full &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    for text in (
        "IT Helpdesk",
        "it@evil.example",
        "evil.example",
        "bounce@bulk.evil.example",
        "198.51.100.7",
        "ann@example.org, ben@example.org",
        "12.1\xa0KB",
        "inbound",
        "url-reputation, authentication-failure",
        "(score 7.5)",
        "unknown charset &#x27;x-klingon&#x27;",
        '<span class="auth auth-fail">fail</span>',
        '<span class="auth auth-none">none</span>',
        '<span class="threat">phish</span>',
        '<span class="location location-junk">junk</span> <span class="muted">Junk</span>',
        '<span class="location location-inbox">inbox</span> <span class="muted">INBOX</span>',
    ):
        assert text in html, text
    assert 'id="parse-problems"' in html


def test_urls_and_attachments_are_listed_and_pivot_to_the_explorer(
    client: Client, copy: MessageCopy, bob: User
) -> None:
    client.force_login(bob)
    html = _page(client, copy)
    assert '<code class="wrap">https://evil.example/login</code>' in html
    # A URL from the mail is text, never a link the analyst could click by mistake.
    assert 'href="https://evil.example/login"' not in html
    assert 'href="/explorer/?q=url.domain+%3D+evil.example"' in html
    assert "invoice.pdf" in html and "application/pdf" in html
    assert f'href="/explorer/?q=attachment.sha256+%3D+{"ab" * 32}"' in html
    assert 'href="/explorer/?q=sender.ip+%3D+198.51.100.7"' in html


def test_timeline_rows(client: Client, copy: MessageCopy, bob: User) -> None:
    client.force_login(bob)
    html = _page(client, copy)
    timeline = html.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    assert "Original delivery" in timeline and "Remediation" in timeline
    assert "<td>erin</td>" in timeline and "<td>succeeded</td>" in timeline
    assert "remediation #7 move to junk" in timeline
    assert timeline.index("Original delivery") < timeline.index("Remediation")


def test_similar_emails_and_other_recipients(client: Client, copy: MessageCopy, bob: User) -> None:
    twin = make_copy(subject="Your mailbox is full (again)", fingerprint=copy.fingerprint, recipient="cy@example.org")
    other_recipient = make_copy(subject="same message", recipient="ben@example.org")
    MessageCopy.objects.filter(pk=other_recipient.pk).update(message_id=copy.message_id)
    make_copy(subject="unrelated", fingerprint="0" * 64)
    client.force_login(bob)
    html = _page(client, copy)
    similar = html.split('id="similar"', 1)[1].split("</section>", 1)[0]
    assert '<span class="count">1</span>' in similar
    assert f'href="/explorer/message/{twin.pk}/"' in similar
    assert "unrelated" not in similar and f'href="/explorer/message/{copy.pk}/"' not in similar
    recipients = html.split('id="recipients"', 1)[1].split("</section>", 1)[0]
    assert '<span class="count">1</span>' in recipients
    assert f'href="/explorer/message/{other_recipient.pk}/"' in recipients


def test_no_fingerprint_means_no_similar_emails(client: Client, bob: User) -> None:
    lonely = make_copy(fingerprint="")
    make_copy(fingerprint="")
    client.force_login(bob)
    similar = _page(client, lonely).split('id="similar"', 1)[1].split("</section>", 1)[0]
    assert '<span class="count">0</span>' in similar


def test_query_count_does_not_grow_with_urls(
    client: Client, copy: MessageCopy, bob: User, django_assert_max_num_queries: type[DjangoAssertNumQueries]
) -> None:
    CopyUrl.objects.bulk_create(
        CopyUrl(copy=copy, url=f"https://x{n}.example/", domain=f"x{n}.example", source="body") for n in range(30)
    )
    client.force_login(bob)
    with django_assert_max_num_queries(14):
        _page(client, copy)


# --- roles ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client: Client, copy: MessageCopy) -> None:
    for name in ("explorer-message", *CONTENT_URLS):
        response = client.get(_url(name, copy))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_a_missing_copy_is_404(client: Client, bob: User, carol: User) -> None:
    client.force_login(bob)
    assert client.get("/explorer/message/999999/").status_code == 404
    client.force_login(carol)
    for suffix in ("headers/", "preview/", "preview/frame/", "eml/"):
        assert client.get(f"/explorer/message/999999/{suffix}").status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="message.").exists()


@pytest.mark.parametrize("persona", ["bob", "dave", "erin"])
def test_without_preview_no_content_on_the_page_and_403(
    client: Client, copy: MessageCopy, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    html = _page(client, copy)
    for marker in ('id="tab-headers"', 'id="tab-preview"', 'id="download-eml"', "preview-frame", "/eml/"):
        assert marker not in html
    assert "need the Preview role" in html
    for name in CONTENT_URLS:
        assert client.get(_url(name, copy)).status_code == 403, name
    assert not AuditEvent.objects.filter(action__startswith="message.").exists()


def test_with_preview_the_tabs_and_the_download_are_offered(client: Client, copy: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    html = _page(client, copy)
    assert f'<a id="tab-headers" href="/explorer/message/{copy.pk}/headers/">Headers</a>' in html
    assert f'<a id="tab-preview" href="/explorer/message/{copy.pk}/preview/">Preview</a>' in html
    assert f'<a id="download-eml" class="button" href="/explorer/message/{copy.pk}/eml/">Download .eml</a>' in html
    # Viewing the overview discloses no content: nothing to audit.
    assert not AuditEvent.objects.filter(action__startswith="message.").exists()


def test_the_preview_tab_frames_the_preview_in_a_sandbox(client: Client, copy: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    html = client.get(_url("explorer-message-preview", copy)).content.decode()
    frame = html.split('<iframe id="preview-frame"', 1)[1].split("</iframe>", 1)[0]
    assert ' sandbox="" ' in frame
    assert "allow-" not in frame  # no allow-scripts, no allow-same-origin, nothing
    assert f'src="/explorer/message/{copy.pk}/preview/frame/"' in frame
    assert 'aria-current="page">Preview</a>' in html
    # The frame reads the message and audits it; the tab around it does not.
    assert not AuditEvent.objects.filter(action__startswith="message.").exists()


def test_the_entity_page_keeps_the_site_policy(client: Client, copy: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    response = client.get(_url("explorer-message-preview", copy))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
