"""A remediation's page: facts, counts, progress polling, action log, CSV export, and the
Approve / Reject / Undo forms, whose refusals (roles, four-eyes, hard delete) are shown, not 500s."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from clawback.audit.models import AuditEvent
from clawback.remediation.actions import do_submit
from clawback.remediation.models import Remediation, Status
from clawback.remediation.queries import LOG_COLUMNS
from clawback.remediation.selection import Selection
from clawback.remediation.tests.conftest import ANN, EVIL_QUERY, World
from clawback.remediation.tests.factories import make_remediation
from clawback.remediation.tests.helpers import drain, read_maildir, where
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db

BUTTONS = ("approve/", "reject/", "undo/")


def page_url(r: Remediation, suffix: str = "") -> str:
    return f"/action-center/{r.approval_id}/{suffix}"


def page(client: Client, r: Remediation, **params: str) -> str:
    response = client.get(page_url(r), params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def counts(html: str) -> dict[str, int]:
    """The "messages per result" table: result -> count."""
    rows = re.findall(r'<tr class="result-(\w+)">.*?<td class="num">(\d+)</td>', html, re.DOTALL)
    return {result: int(n) for result, n in rows}


def form_actions(html: str) -> list[str]:
    return [a for a in re.findall(r'<form method="post" action="([^"]+)"', html) if a != "/logout/"]


def shown_messages(client: Client, response: Any) -> str:
    """The page a POST redirected to, with its flash messages."""
    assert response.status_code == 302, response.content[:300]
    return client.get(response["Location"]).content.decode()


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- viewing --------------------------------------------------------------------------------
def test_anonymous_is_sent_to_login_from_every_url(client: Client) -> None:
    r = make_remediation()
    for suffix in ("", "progress/", "export.csv"):
        response = client.get(page_url(r, suffix))
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    for suffix in BUTTONS:
        assert client.post(page_url(r, suffix))["Location"].startswith("/login/?next=")
    assert Remediation.objects.get(pk=r.pk).status == Status.PENDING_APPROVAL


def test_found_by_approval_id_or_id_and_404_otherwise(client: Client, bob: User) -> None:
    r = make_remediation(name="wave")
    login(client, bob)
    assert "<h1>wave" in page(client, r)
    assert client.get(f"/action-center/{r.pk}/").status_code == 200
    assert client.get("/action-center/RA-NOSUCH/").status_code == 404
    assert client.get(f"/action-center/{10**30}/").status_code == 404


def test_the_header_shows_the_facts(client: Client, bob: User, dave: User) -> None:
    r = make_remediation(dave, name="wave", description="Phish from evil.example", severity="high", propose=False)
    html = page(login(client, bob), r)
    assert '<h1>wave <code class="approval-id">' in html and r.approval_id in html
    assert "Phish from evil.example" in html and "Move to Junk" in html and "High" in html
    assert "by dave" in html and "Hand-picked" in html
    # Dave lacks Search and Purge: the page says why it waits.
    assert "<dt>Two-step approval</dt>\n        <dd>dave lacks the Search and Purge role</dd>" in html
    assert "Pending approval" in html


# --- a Security Reader ----------------------------------------------------------------------
def test_security_reader_sees_no_buttons_and_every_post_is_refused(client: Client, bob: User, erin: User) -> None:
    proposal = make_remediation(name="proposal")
    finished = make_remediation(erin, name="finished", propose=False)
    Remediation.objects.filter(pk=finished.pk).update(status=Status.COMPLETED)
    login(client, bob)
    for r in (proposal, finished):
        html = page(client, r)
        assert form_actions(html) == []
        assert "Approve</button>" not in html and "Undo</button>" not in html
    assert "A person with the Search and Purge role approves or rejects it." in page(client, proposal)
    for r in (proposal, finished):
        for suffix in BUTTONS:
            assert client.post(page_url(r, suffix), {"name": "x", "reason": "y"}).status_code == 403
    assert Remediation.objects.get(pk=proposal.pk).status == Status.PENDING_APPROVAL
    assert not Remediation.objects.filter(reverse_of=finished).exists()


# --- approve and reject -----------------------------------------------------------------------
def test_erin_approves_through_the_page(client: Client, erin: User, dave: User) -> None:
    proposal = make_remediation(dave, name="wave")
    html = page(login(client, erin), proposal)
    assert form_actions(html) == [page_url(proposal, "approve/"), page_url(proposal, "reject/")]
    done = shown_messages(client, client.post(page_url(proposal, "approve/")))
    proposal.refresh_from_db()
    assert proposal.status == Status.QUEUED and proposal.decided_by_name == "erin"
    assert f"Approved wave ({proposal.approval_id}): queued." in done
    assert AuditEvent.objects.filter(action="remediation.approve", actor_name="erin").count() == 1
    # Decided: no more buttons, and approving again is refused with the reason.
    assert "Approve</button>" not in done
    again = shown_messages(client, client.post(page_url(proposal, "approve/")))
    assert "is queued, not pending approval" in again


def test_a_proposer_cannot_approve_their_own_and_sees_why(client: Client, carol: User) -> None:
    # Carol holds Search and Purge, so only four-eyes stands in her way.
    proposal = make_remediation(carol, name="mine")
    html = page(login(client, carol), proposal)
    assert "Approve</button>" not in html and form_actions(html) == []
    assert "carol proposed (or added to) &#x27;mine&#x27;: another person with the Search and Purge role" in html
    for suffix in ("approve/", "reject/"):
        shown = shown_messages(client, client.post(page_url(proposal, suffix)))
        assert '<li class="message error">carol proposed (or added to)' in shown
    assert Remediation.objects.get(pk=proposal.pk).status == Status.PENDING_APPROVAL
    assert not AuditEvent.objects.filter(action__in=["remediation.approve", "remediation.reject"]).exists()


def test_a_security_operator_cannot_approve_at_all(client: Client, dave: User) -> None:
    proposal = make_remediation(name="other's")
    login(client, dave)
    assert client.post(page_url(proposal, "approve/")).status_code == 403
    assert Remediation.objects.get(pk=proposal.pk).status == Status.PENDING_APPROVAL


def test_reject_with_a_reason(client: Client, erin: User) -> None:
    proposal = make_remediation(name="benign")
    login(client, erin)
    shown = shown_messages(client, client.post(page_url(proposal, "reject/"), {"reason": "  newsletter, not phish "}))
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED and proposal.decision_note == "newsletter, not phish"
    assert "Rejected benign" in shown
    assert '<dd class="wrap decision-note">newsletter, not phish</dd>' in shown
    history = client.get("/action-center/history/", {"status": "rejected", "decided_by": "erin"}).content.decode()
    assert "benign" in history


def test_approving_hard_delete_warns_that_it_is_final(client: Client, erin: User) -> None:
    proposal = make_remediation(name="purge", action="hard-delete")
    html = page(login(client, erin), proposal)
    warning = html.index("Hard delete purges the messages for good: it cannot be undone.")
    assert warning < html.index("Approve</button>")


# --- undo -----------------------------------------------------------------------------------
def test_hard_delete_cannot_be_undone_and_the_page_says_so(client: Client, erin: User) -> None:
    r = make_remediation(erin, name="purged", action="hard-delete", propose=False)
    Remediation.objects.filter(pk=r.pk).update(status=Status.COMPLETED)
    html = page(login(client, erin), r)
    assert "Hard delete purges the messages for good: it cannot be undone." in html
    assert page_url(r, "undo/") not in form_actions(html)
    shown = shown_messages(client, client.post(page_url(r, "undo/"), {"name": "bring back"}))
    assert "hard-deleted its messages: they are purged for good and cannot be restored" in shown
    assert not Remediation.objects.filter(name="bring back").exists()


def test_undo_needs_a_name(client: Client, erin: User) -> None:
    r = make_remediation(erin, name="done", propose=False)
    Remediation.objects.filter(pk=r.pk).update(status=Status.COMPLETED)
    login(client, erin)
    shown = shown_messages(client, client.post(page_url(r, "undo/"), {"name": "   "}))
    assert '<li class="message error">This field is required.</li>' in shown
    assert not Remediation.objects.filter(reverse_of=r).exists()


def test_undo_of_an_unfinished_one_is_refused(client: Client, erin: User) -> None:
    r = make_remediation(erin, name="running", propose=False)
    login(client, erin)
    assert page_url(r, "undo/") not in form_actions(page(client, r))
    shown = shown_messages(client, client.post(page_url(r, "undo/"), {"name": "too soon"}))
    assert "only a finished remediation can be undone" in shown


# --- a real run on Maildir: counts, log, progress, export, undo ------------------------------
@pytest.fixture
def ran(world: World, erin: User) -> Remediation:
    """Erin moved the evil.example wave to Junk: four moved, one was already deeper (Trash)."""
    r = do_submit(acting_user=erin, name="wave", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY))
    drain()
    return Remediation.objects.get(pk=r.pk)


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_counts_per_result_locations_and_the_log(client: Client, bob: User, ran: Remediation) -> None:
    html = page(login(client, bob), ran)
    assert ran.status == Status.COMPLETED_WITH_ERRORS
    assert counts(html) == {
        "succeeded": 4,
        "already_in_destination": 0,
        "not_found": 0,
        "failed": 0,
        "not_remediable": 1,
    }
    assert "Completed with errors" in html and "hx-trigger" not in html  # finished: no polling
    by_location = html.split('class="data compact by-location"', 1)[1].split("</table>", 1)[0]
    found = re.findall(r'location-(\w+)">\w+</span></td><td class="num">(\d+)', by_location)
    assert dict(found) == {"inbox": "3", "deleted": "1", "other": "1"}
    assert "already in Deleted Items: moving it to Junk would bring it back towards the user" in html
    assert html.count('<tr class="log-row">') == 5
    assert '<code class="message-id">evil-2@evil.example</code>' in html
    assert "INBOX → Junk" in html


@pytest.mark.django_db(transaction=True)
def test_the_action_log_pages_and_filters_by_result(
    client: Client, bob: User, ran: Remediation, settings: Settings
) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2
    login(client, bob)
    first = page(client, ran)
    assert first.count('<tr class="log-row">') == 2 and "page 1 of 3" in first
    third = page(client, ran, page="3")
    assert third.count('<tr class="log-row">') == 1
    only_bad = page(client, ran, result="not_remediable")
    assert only_bad.count('<tr class="log-row">') == 1 and "Not remediable</span>" in only_bad
    assert page(client, ran, result="failed").count('<tr class="log-row">') == 0


@pytest.mark.django_db(transaction=True)
def test_undo_through_the_page_puts_everything_back(client: Client, erin: User, ran: Remediation, world: World) -> None:
    assert where(read_maildir(world.root), ANN, "evil-2@evil.example") == ["Junk"]
    html = page(login(client, erin), ran)
    assert page_url(ran, "undo/") in form_actions(html)
    response = client.post(page_url(ran, "undo/"), {"name": "wave undo"})
    reverse = Remediation.objects.get(name="wave undo")
    assert response["Location"] == page_url(reverse)
    assert reverse.reverse_of_id == ran.pk and reverse.source == "explorer"
    drain()
    assert where(read_maildir(world.root), ANN, "evil-2@evil.example") == ["INBOX"]
    # The original now links to its undo and offers no second one.
    html = page(client, ran)
    assert "Undone by</dt>" in html and "wave undo" in html
    assert page_url(ran, "undo/") not in form_actions(html)


@pytest.mark.django_db(transaction=True)
def test_undo_can_be_proposed_instead(client: Client, erin: User, ran: Remediation) -> None:
    login(client, erin)
    client.post(page_url(ran, "undo/"), {"name": "wave undo", "propose": "on"})
    assert Remediation.objects.get(name="wave undo").status == Status.PENDING_APPROVAL


@pytest.mark.django_db(transaction=True)
def test_csv_export_has_a_header_and_one_row_per_item_and_is_audited(
    client: Client, bob: User, ran: Remediation
) -> None:
    anonymous = client.get(page_url(ran, "export.csv"))
    assert anonymous.status_code == 302 and not AuditEvent.objects.filter(action="remediation.export").exists()
    response = login(client, bob).get(page_url(ran, "export.csv"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{ran.approval_id}-action-log.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[arg-type]
    assert rows[0] == LOG_COLUMNS
    assert len(rows) == 1 + 5
    assert {row[LOG_COLUMNS.index("result")] for row in rows[1:]} == {"succeeded", "not_remediable"}
    event = AuditEvent.objects.get(action="remediation.export")
    assert event.actor_name == "bob" and event.data["rows"] == 5 and event.object_id == str(ran.pk)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client: Client, erin: User) -> None:
    copy = make_copy(subject='=HYPERLINK("https://evil.example","Click")')
    r = do_submit(acting_user=erin, name="formula", action="move-to-junk", selection=Selection.picked([copy.pk]))
    response = login(client, erin).get(page_url(r, "export.csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[arg-type]
    assert rows[1][LOG_COLUMNS.index("subject")] == '\'=HYPERLINK("https://evil.example","Click")'


# --- progress polling -------------------------------------------------------------------------
def test_a_running_remediation_is_polled_and_reloads_when_finished(client: Client, erin: User) -> None:
    r = make_remediation(erin, name="running", propose=False, copies=2)
    login(client, erin)
    html = page(client, r)
    poll = f'hx-get="{page_url(r, "progress/")}?poll=1" hx-trigger="every 3s" hx-swap="outerHTML"'
    assert poll in html
    assert "<strong>0</strong> of 2 done" in html and "estimating the time left" in html
    fragment = client.get(page_url(r, "progress/"), {"poll": "1"})
    assert fragment.status_code == 200 and "HX-Refresh" not in fragment
    assert "<h2>Status:" in fragment.content.decode() and "<html" not in fragment.content.decode()
    Remediation.objects.filter(pk=r.pk).update(status=Status.COMPLETED)
    finished = client.get(page_url(r, "progress/"), {"poll": "1"})
    assert finished["HX-Refresh"] == "true" and "hx-trigger" not in finished.content.decode()


def test_a_duplicate_links_to_the_original(client: Client, erin: User, carol: User) -> None:
    copy = make_copy()
    first = do_submit(acting_user=erin, name="first", action="move-to-junk", selection=Selection.picked([copy.pk]))
    dup = do_submit(acting_user=carol, name="again", action="move-to-junk", selection=Selection.picked([copy.pk]))
    assert dup.status == Status.DUPLICATE
    html = page(login(client, erin), dup)
    assert f'<a href="{page_url(first)}">first ({first.approval_id})</a>' in html
