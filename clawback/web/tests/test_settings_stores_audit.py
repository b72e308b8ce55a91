"""The read-only tabs: mail stores (View) and the audit log (Manage settings)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from clawback.audit.log import record
from clawback.mailstores.models import Mailbox
from clawback.web.tests.factories import make_mailbox, make_store

pytestmark = pytest.mark.django_db


def test_stores_list_kind_mailboxes_and_status_without_secrets(client: Client, bob: User) -> None:
    store = make_store("corp-imap", kind="imap")
    store.secrets = {"password": "hunter2-secret"}
    store.params = {"host": "imap.internal.example"}
    store.save()
    make_mailbox("a@example.org", store, status=Mailbox.Status.OK, last_synced_at=timezone.now())
    make_mailbox("b@example.org", store, status=Mailbox.Status.ERROR, last_error="auth failed")
    make_store("empty-dir")
    client.force_login(bob)
    html = client.get("/settings/stores/").content.decode()
    assert "<td>corp-imap</td>" in html and "<td>imap</td>" in html
    assert '<td class="num">2</td>' in html
    assert "1 mailbox failed" in html
    assert "no mailboxes" in html
    assert "hunter2-secret" not in html


def test_audit_log_shows_newest_first_and_at_most_200(client: Client, erin: User) -> None:
    for i in range(205):
        record("test.event", actor="tester", data={"n": i})
    client.force_login(erin)
    html = client.get("/settings/audit/").content.decode()
    assert html.count("<code>test.event</code>") == 200
    assert html.index("{&quot;n&quot;: 204}") < html.index("{&quot;n&quot;: 203}")
    assert "{&quot;n&quot;: 4}" not in html


def test_audit_data_is_escaped(client: Client, erin: User) -> None:
    record("test.event", actor="<b>mallory</b>", data={"note": "<script>alert(1)</script>"})
    client.force_login(erin)
    html = client.get("/settings/audit/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;b&gt;mallory&lt;/b&gt;" in html


def test_security_reader_cannot_read_the_audit_log(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/settings/audit/").status_code == 403


def test_settings_tabs_follow_roles(client: Client, bob: User, alice: User) -> None:
    client.force_login(bob)
    response = client.get("/settings/")
    assert response["Location"] == "/settings/tokens/"
    html = client.get("/settings/tokens/").content.decode()
    assert "API tokens" in html and "Mail stores" in html
    assert "Audit log" not in html and "Organisation domains" not in html
    client.force_login(alice)
    assert client.get("/settings/")["Location"] == "/settings/domains/"
