"""The Action center's Pending and History tabs: who sees them, what each lists, filters, paging."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from clawback.remediation.actions import do_approve, do_link_investigation, do_reject
from clawback.remediation.models import Remediation
from clawback.remediation.tests.factories import make_remediation
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db

PENDING, HISTORY = "/action-center/", "/action-center/history/"


def names(html: str) -> list[str]:
    """The remediation names of the table, in order."""
    return re.findall(r'<tr class="remediation-row">\s*<td><a href="[^"]+">([^<]+)</a>', html)


def get(client: Client, path: str, **params: str) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


@pytest.fixture
def reader(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


@pytest.fixture
def some(erin: User, carol: User) -> dict[str, Remediation]:
    """Two proposals and four decided ones, from different sources, actions and deciders."""
    made = {
        "wave proposal": make_remediation(name="wave proposal"),
        "cli proposal": make_remediation(carol, name="cli proposal", action="soft-delete", source="cli"),
        "direct junk": make_remediation(erin, name="direct junk", propose=False, copies=3),
        "direct deleted": make_remediation(erin, name="direct deleted", action="move-to-deleted", propose=False),
        "approved by carol": make_remediation(name="approved by carol"),
        "rejected by erin": make_remediation(name="rejected by erin", action="hard-delete"),
    }
    do_approve(made["approved by carol"], acting_user=carol)
    do_reject(made["rejected by erin"], acting_user=erin, reason="false positive")
    return made


def test_anonymous_is_sent_to_login(client: Client) -> None:
    for path in (PENDING, HISTORY):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_pending_lists_only_proposals_and_history_the_rest(reader: Client, some: dict[str, Remediation]) -> None:
    pending = get(reader, PENDING)
    assert sorted(names(pending)) == ["cli proposal", "wave proposal"]
    assert '<span class="count">2</span>' in pending  # the Pending tab's badge
    history = get(reader, HISTORY)
    assert sorted(names(history)) == ["approved by carol", "direct deleted", "direct junk", "rejected by erin"]
    for column in ("Approval ID", "Severity", "Decided by", "Decided", "Progress"):
        assert f'<th scope="col">{column}</th>' in history


def test_a_row_shows_the_facts(reader: Client, some: dict[str, Remediation]) -> None:
    rejected = some["rejected by erin"]
    html = get(reader, HISTORY, name="rejected")
    row = html.split('<tr class="remediation-row">', 1)[1].split("</tr>", 1)[0]
    assert f'href="/action-center/{rejected.approval_id}/"' in row
    assert f"<code>{rejected.approval_id}</code>" in row
    assert "Hard delete" in row and "Rejected" in row and "Automation" in row and "erin" in row


def test_running_ones_show_their_progress(reader: Client, some: dict[str, Remediation]) -> None:
    html = get(reader, HISTORY, name="direct junk")
    assert names(html) == ["direct junk"]
    assert '<progress value="0" max="3">0 %</progress>' in html  # queued: nothing done yet


@pytest.mark.parametrize(
    ("tab", "params", "expected"),
    [
        (PENDING, {"name": "WAVE"}, ["wave proposal"]),
        (PENDING, {"source": "cli"}, ["cli proposal"]),
        (PENDING, {"action": "soft-delete"}, ["cli proposal"]),
        (HISTORY, {"status": "rejected"}, ["rejected by erin"]),
        (HISTORY, {"status": "queued", "action": "move-to-deleted"}, ["direct deleted"]),
        (HISTORY, {"decided_by": "carol"}, ["approved by carol"]),
        (HISTORY, {"name": "direct", "decided_by": "erin"}, ["direct deleted", "direct junk"]),
        (HISTORY, {"source": "cli"}, []),
    ],
)
def test_filters_narrow_the_list(
    reader: Client, some: dict[str, Remediation], tab: str, params: dict[str, str], expected: list[str]
) -> None:
    html = get(reader, tab, **params)
    assert sorted(names(html)) == expected
    assert f'<strong class="total">{len(expected)}</strong>' in html
    if not expected:
        assert "No remediations match the filters" in html


def test_filter_by_approval_id_and_investigation_id(reader: Client, some: dict[str, Remediation]) -> None:
    junk = some["direct junk"]
    assert names(get(reader, HISTORY, approval_id=junk.approval_id.lower())) == ["direct junk"]
    do_link_investigation(some["direct deleted"].pk, "INV-000042")
    assert names(get(reader, HISTORY, investigation_id="inv-000042")) == ["direct deleted"]


def test_filter_by_date(reader: Client, some: dict[str, Remediation]) -> None:
    old = timezone.now() - timedelta(days=10)
    Remediation.objects.filter(name="direct deleted").update(submitted_at=old)
    day = old.date().isoformat()
    assert names(get(reader, HISTORY, since=day, until=day)) == ["direct deleted"]
    later = (old + timedelta(days=1)).date().isoformat()
    assert "direct deleted" not in names(get(reader, HISTORY, since=later))
    assert len(names(get(reader, HISTORY, since=later))) == 3


def test_bad_filters_are_explained_not_applied(reader: Client, some: dict[str, Remediation]) -> None:
    response = reader.get(HISTORY, {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The “from” date is after the “to” date." in html
    assert names(html) == []
    response = reader.get(HISTORY, {"status": "nonsense"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_pending_tab_has_no_status_or_decider_filter(reader: Client) -> None:
    html = get(reader, PENDING)
    assert 'name="status"' not in html and 'name="decided_by"' not in html
    history = get(reader, HISTORY)
    assert 'name="status"' in history and 'name="decided_by"' in history
    assert '<option value="Automation">Automation</option>' in history


def test_paging_keeps_the_filters(reader: Client, settings: Settings, erin: User) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2
    for i in range(5):
        make_remediation(name=f"batch {i}")
    make_remediation(name="other")
    first = get(reader, PENDING, name="batch")
    assert len(names(first)) == 2 and "page 1 of 3" in first
    assert 'href="?name=batch&amp;page=2"' in first
    last = get(reader, PENDING, name="batch", page="3")
    assert names(last) == ["batch 0"]  # newest first: the oldest is last
