"""Organisation domains: Manage settings only, through do_set_org_domains (audited)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clawback.accounts.models import Organisation
from clawback.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_saving_domains_normalises_and_audits(client: Client, erin: User) -> None:
    client.force_login(erin)
    response = client.post("/settings/domains/", {"domains": "Example.ORG\nbücher.example, example.org"})
    assert response.status_code == 302
    assert Organisation.current().domains == ["example.org", "xn--bcher-kva.example"]
    event = AuditEvent.objects.get(action="org.domains")
    assert event.actor_name == "erin"
    assert event.data == {"domains": ["example.org", "xn--bcher-kva.example"]}


def test_the_form_shows_the_current_domains(client: Client, erin: User) -> None:
    org = Organisation.current()
    org.domains = ["corp.example"]
    org.save()
    client.force_login(erin)
    assert "corp.example</textarea>" in client.get("/settings/domains/").content.decode()


def test_an_invalid_domain_changes_nothing(client: Client, erin: User) -> None:
    client.force_login(erin)
    response = client.post("/settings/domains/", {"domains": "example.org\nnot a <domain>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not a domain name: not, a, &lt;domain&gt;" in html
    assert not AuditEvent.objects.filter(action="org.domains").exists()


def test_viewing_the_form_writes_nothing(client: Client, erin: User) -> None:
    client.force_login(erin)
    client.get("/settings/domains/")
    assert not Organisation.objects.exists()


def test_security_reader_cannot_save(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.post("/settings/domains/", {"domains": "example.org"}).status_code == 403
    assert not AuditEvent.objects.filter(action="org.domains").exists()
