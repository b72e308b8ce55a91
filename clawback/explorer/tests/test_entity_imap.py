"""Entity content from a real Dovecot over IMAP; an analyst is never kept waiting on retries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.audit.models import AuditEvent
from clawback.lib.testing.dovecot import DovecotServer
from clawback.mail.content import INTERACTIVE_TIMEOUT, interactive_connector
from clawback.mail.models import MessageCopy
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.mailstores.connectors.imap.connector import ImapConnector
from clawback.mailstores.models import Store
from clawback.mailstores.tests.conftest import TcpProxy, proxy  # noqa: F401  (fixture)
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)

pytestmark = [pytest.mark.django_db, pytest.mark.dovecot]

RAW = (
    b"Message-ID: <imap-entity@evil.example>\r\nFrom: IT <it@evil.example>\r\nTo: {to}\r\n"
    b"Subject: Password expiry\r\nDate: Tue, 17 Nov 2026 08:00:00 +0000\r\n"
    b"Content-Type: text/html\r\n\r\n<p>Keep your password: <a href='https://evil.example/k'>here</a></p>\r\n"
)


def _store(dovecot: DovecotServer, box: str, *, port: int | None = None, **params: object) -> Store:
    return do_add_store(
        f"corp{port or ''}",
        "imap",
        params={
            "host": dovecot.host,
            "port": port or dovecot.imap_port,
            "master_user": dovecot.master_user,
            **params,
        },
        secrets={"password": dovecot.master_password},
        mailboxes=[box],
        acting_user="test",
    )


@pytest.fixture
def indexed(dovecot: DovecotServer, user: str, deliver: Callable[..., list[int]]) -> tuple[MessageCopy, bytes]:
    raw = RAW.replace(b"{to}", user.encode())
    deliver(user, "INBOX", [raw])
    store = _store(dovecot, user)
    sync_mailbox(store.mailboxes.get().pk)
    return MessageCopy.objects.get(store=store), raw


def test_eml_and_preview_over_imap(client: Client, indexed: tuple[MessageCopy, bytes], carol: User) -> None:
    copy, raw = indexed
    client.force_login(carol)
    assert client.get(f"/explorer/message/{copy.pk}/eml/").content == raw
    frame = client.get(f"/explorer/message/{copy.pk}/preview/frame/").content.decode()
    assert '<a title="Link (disabled): https://evil.example/k">here</a>' in frame
    assert AuditEvent.objects.filter(action__in=["message.eml.download", "message.preview.view"]).count() == 2


def test_a_refusing_server_is_tried_once(
    client: Client,
    dovecot: DovecotServer,
    user: str,
    deliver: Callable[..., list[int]],
    proxy: Callable[..., TcpProxy],  # noqa: F811
    carol: User,
) -> None:
    deliver(user, "INBOX", [RAW.replace(b"{to}", user.encode())])
    direct = _store(dovecot, user)
    sync_mailbox(direct.mailboxes.get().pk)
    copy = MessageCopy.objects.get(store=direct)
    refusing = proxy(refuse=10)
    # The same mailbox, now behind a server that resets every connection.
    Store.objects.filter(pk=direct.pk).update(params={**direct.params, "port": refusing.port, "retries": 5})
    client.force_login(carol)
    html = client.get(f"/explorer/message/{copy.pk}/headers/").content.decode()
    assert 'id="content-error"' in html
    assert refusing.accepted == 1  # no retries while a person waits
    assert not AuditEvent.objects.filter(action__startswith="message.").exists()


def test_interactive_connector_caps_timeout_and_retries(dovecot: DovecotServer, user: str) -> None:
    store = _store(dovecot, user, timeout=60, retries=4)
    connector = interactive_connector(store)
    assert isinstance(connector, ImapConnector)
    assert connector.retries == 0
    assert connector.settings.timeout == INTERACTIVE_TIMEOUT
    connector.close()
