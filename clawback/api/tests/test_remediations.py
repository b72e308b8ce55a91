"""/api/v1/remediations: list, read, action log, CSV export, create, approve, reject, undo.

The roles on the operations only gate the door; four-eyes and the limits are the actions', so
these tests check that each refusal comes back as a clear 403 or 400 and changes nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from clawback.accounts.actions import do_create_token
from clawback.audit.models import AuditEvent
from clawback.remediation.actions import do_reject
from clawback.remediation.models import Remediation, Status
from clawback.remediation.queries import LOG_COLUMNS
from clawback.remediation.tests.factories import make_remediation
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db

URL = "/api/v1/remediations"


def body(ids: list[int] | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "wave", "action": "move-to-junk", "selection": {"ids": ids or []}}
    data.update(fields)
    return data


def post(client: Client, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(path, data or {}, content_type="application/json", headers=headers)


def bearer(user: User) -> dict[str, str]:
    _token, secret = do_create_token(user, "script", acting_user=user)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def copies() -> list[int]:
    return [make_copy(subject=f"Invoice {i}", sender="billing@evil.example").pk for i in range(3)]


# --- who may -------------------------------------------------------------------------------
def test_anonymous_gets_401_everywhere(client: Client, copies: list[int]) -> None:
    r = make_remediation()
    for path in (URL, f"{URL}/{r.pk}", f"{URL}/{r.pk}/items", f"{URL}/{r.pk}/export.csv"):
        assert client.get(path).status_code == 401, path
    assert post(client, URL, body(copies)).status_code == 401
    for action in ("approve", "reject", "undo"):
        assert post(client, f"{URL}/{r.pk}/{action}", {"name": "u"}).status_code == 401
    assert Remediation.objects.count() == 1 and not AuditEvent.objects.filter(action="remediation.export").exists()


def test_security_reader_reads_but_every_post_is_refused(client: Client, bob: User, copies: list[int]) -> None:
    r = make_remediation(name="proposal")
    client.force_login(bob)
    assert client.get(URL).json()["total"] == 1
    assert client.get(f"{URL}/{r.approval_id}").status_code == 200
    created = post(client, URL, body(copies, name="bob's"))
    assert created.status_code == 403 and created.json() == {"detail": "the Propose role is required"}
    for action in ("approve", "reject", "undo"):
        refused = post(client, f"{URL}/{r.pk}/{action}", {"name": "u"})
        assert refused.status_code == 403
        assert refused.json() == {"detail": "the Search and Purge role is required"}
    assert list(Remediation.objects.values_list("name", "status")) == [("proposal", Status.PENDING_APPROVAL)]


# --- create ---------------------------------------------------------------------------------
def test_dave_proposes_through_the_api_and_cannot_approve_it(client: Client, dave: User, copies: list[int]) -> None:
    headers = bearer(dave)
    response = post(client, URL, body(copies, severity="high", description="evil.example wave"), **headers)
    assert response.status_code == 201, response.json()
    data = response.json()
    # Dave lacks Search and Purge: the action made it a proposal, not a run.
    assert data["status"] == "pending_approval" and data["item_count"] == 3
    assert data["source"] == "api" and data["submitted_by"] == "dave" and data["approval_id"].startswith("RA-")
    assert data["not_remediable"] == {}
    refused = post(client, f"{URL}/{data['id']}/approve", **headers)
    assert refused.status_code == 403
    assert Remediation.objects.get(pk=data["id"]).status == Status.PENDING_APPROVAL


def test_four_eyes_holds_for_a_search_and_purge_holder(client: Client, carol: User, erin: User) -> None:
    copy = make_copy().pk
    client.force_login(carol)
    created = post(client, URL, body([copy], propose=True)).json()
    assert created["status"] == "pending_approval"
    for action in ("approve", "reject"):
        refused = post(client, f"{URL}/{created['approval_id']}/{action}")
        assert refused.status_code == 403
        assert "another person with the Search and Purge role must approve or reject it" in refused.json()["detail"]
    assert Remediation.objects.get(pk=created["id"]).status == Status.PENDING_APPROVAL

    client.force_login(erin)
    approved = post(client, f"{URL}/{created['approval_id']}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "queued" and approved.json()["decided_by"] == "erin"
    again = post(client, f"{URL}/{created['id']}/approve")
    assert again.status_code == 400 and "not pending approval" in again.json()["detail"]


def test_erin_submits_and_it_runs_directly(client: Client, erin: User, copies: list[int]) -> None:
    client.force_login(erin)
    data = post(client, URL, body(copies)).json()
    assert data["status"] == "queued" and data["decided_by"] == "erin"


def test_a_query_with_exclusions(client: Client, erin: User, copies: list[int]) -> None:
    client.force_login(erin)
    selection = {"query": "sender.domain = evil.example", "exclude": [copies[0]]}
    data = post(client, URL, body(selection=selection)).json()
    r = Remediation.objects.get(pk=data["id"])
    assert data["item_count"] == 2 and r.selection_kind == "query-exclusions" and r.exclusions == [copies[0]]
    assert set(r.items.values_list("copy_id", flat=True)) == set(copies[1:])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "shred"}, "unknown action 'shred'; one of move-to-inbox"),
        ({"severity": "urgent"}, "unknown severity 'urgent'"),
        ({"name": "  "}, "a remediation needs a name"),
        ({"selection": {"ids": [999999]}}, "no copies with id 999999"),
        ({"selection": {}}, "nothing selected: give copy ids or a query"),
        ({"selection": {"ids": [1], "query": "subject ~ x"}}, "give hand-picked ids or a query, not both"),
        ({"selection": {"query": "subject ~ nothing-matches"}}, "the selection matches no messages"),
        ({"selection": {"query": "subject ~"}}, "query error at line 1, column"),
    ],
)
def test_bad_requests_answer_400_with_the_reason(
    client: Client, erin: User, copies: list[int], fields: dict[str, Any], message: str
) -> None:
    client.force_login(erin)
    response = post(client, URL, body(copies) | fields)
    assert response.status_code == 400, response.json()
    assert message in response.json()["detail"]
    assert not Remediation.objects.exists()


def test_limits_and_taken_names(client: Client, erin: User, copies: list[int], settings: Settings) -> None:
    client.force_login(erin)
    settings.CLAWBACK_REMEDIATION_LIMIT_IDS = 2
    over = post(client, URL, body(copies))
    assert over.status_code == 400 and "at most 2 (CLAWBACK_REMEDIATION_LIMIT_IDS)" in over.json()["detail"]
    assert post(client, URL, body(copies[:1])).status_code == 201
    taken = post(client, URL, body(copies[1:2]))
    assert taken.status_code == 400 and "a remediation named 'wave' already exists" in taken.json()["detail"]


def test_header_fields_in_a_selection_need_preview(client: Client, dave: User, carol: User) -> None:
    make_copy(headers={"x-campaign": "q3"})
    selection = {"query": "header.x-campaign = q3"}
    client.force_login(dave)
    refused = post(client, URL, body(selection=selection))
    assert refused.status_code == 400 and "Preview" in refused.json()["detail"]
    client.force_login(carol)  # Data Investigator: holds Preview
    assert post(client, URL, body(selection=selection)).status_code == 201


# --- reject and undo ------------------------------------------------------------------------
def test_reject_with_a_reason(client: Client, erin: User) -> None:
    r = make_remediation(name="newsletter")
    client.force_login(erin)
    response = post(client, f"{URL}/{r.approval_id}/reject", {"reason": " not phish "})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["decision_note"] == "not phish"
    event = AuditEvent.objects.get(action="remediation.reject")
    assert event.actor_name == "erin" and event.data["reason"] == "not phish"


def test_undo_of_a_hard_delete_is_refused(client: Client, erin: User) -> None:
    r = make_remediation(erin, name="purge", action="hard-delete", propose=False)
    Remediation.objects.filter(pk=r.pk).update(status=Status.COMPLETED)
    client.force_login(erin)
    response = post(client, f"{URL}/{r.pk}/undo", {"name": "bring back"})
    assert response.status_code == 400
    assert "purged for good and cannot be restored" in response.json()["detail"]
    assert client.get(f"{URL}/{r.pk}").json()["undoable"] is False
    assert not Remediation.objects.filter(name="bring back").exists()


def test_undo_creates_the_reverse_remediation(client: Client, erin: User) -> None:
    r = make_remediation(erin, name="junked", propose=False, copies=2)
    # As the executor leaves it: every item moved to Junk.
    r.items.update(state="succeeded", to_folder="Junk")
    Remediation.objects.filter(pk=r.pk).update(status=Status.COMPLETED)
    client.force_login(erin)
    response = post(client, f"{URL}/{r.pk}/undo", {"name": "junked undo", "propose": True})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["action"] == "restore" and data["reverse_of"] == r.pk and data["item_count"] == 2
    assert data["status"] == "pending_approval" and data["source"] == "api"
    missing = post(client, f"{URL}/{r.pk}/undo", {})
    assert missing.status_code == 422  # no name: the schema refuses before any action


def test_unknown_remediation_is_404(client: Client, erin: User) -> None:
    client.force_login(erin)
    for path in (f"{URL}/RA-NOSUCH", f"{URL}/999999/items", f"{URL}/{10**30}/export.csv"):
        response = client.get(path)
        assert response.status_code == 404 and "no remediation" in response.json()["detail"], path
    assert post(client, f"{URL}/RA-NOSUCH/approve").status_code == 404


# --- read -----------------------------------------------------------------------------------
@pytest.fixture
def listed(erin: User, carol: User) -> dict[str, Remediation]:
    made = {
        "p1": make_remediation(name="p1"),
        "p2": make_remediation(carol, name="p2", action="soft-delete", source="cli"),
        "d1": make_remediation(erin, name="d1", propose=False, copies=2),
        "r1": make_remediation(name="r1"),
    }
    do_reject(made["r1"], acting_user=erin, reason="benign")
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"p1", "p2", "d1", "r1"}),
        ({"tab": "pending"}, {"p1", "p2"}),
        ({"tab": "history"}, {"d1", "r1"}),
        ({"tab": "history", "status": "rejected"}, {"r1"}),
        ({"source": "cli"}, {"p2"}),
        ({"action": "soft-delete"}, {"p2"}),
        ({"decided_by": "erin"}, {"d1", "r1"}),
        ({"name": "P"}, {"p1", "p2"}),
    ],
)
def test_list_filters(
    client: Client, bob: User, listed: dict[str, Remediation], params: dict[str, str], expected: set[str]
) -> None:
    client.force_login(bob)
    data = client.get(URL, params).json()
    assert {item["name"] for item in data["items"]} == expected and data["total"] == len(expected)


def test_list_filters_by_approval_id_and_refuses_unknown_values(
    client: Client, bob: User, listed: dict[str, Remediation]
) -> None:
    client.force_login(bob)
    only = client.get(URL, {"approval_id": listed["d1"].approval_id}).json()
    assert [item["name"] for item in only["items"]] == ["d1"]
    assert client.get(URL, {"status": "nonsense"}).status_code == 422
    assert client.get(URL, {"tab": "elsewhere"}).status_code == 422


def test_list_pages(client: Client, bob: User, listed: dict[str, Remediation]) -> None:
    client.force_login(bob)
    first = client.get(URL, {"limit": 3}).json()
    rest = client.get(URL, {"limit": 3, "offset": 3}).json()
    assert first["total"] == rest["total"] == 4
    assert len(first["items"]) == 3 and len(rest["items"]) == 1
    assert {i["name"] for i in first["items"] + rest["items"]} == {"p1", "p2", "d1", "r1"}


def test_one_remediation_has_status_and_counts(client: Client, bob: User, listed: dict[str, Remediation]) -> None:
    client.force_login(bob)
    data = client.get(f"{URL}/{listed['d1'].approval_id}").json()
    assert data["status"] == "queued" and data["total"] == 2 and data["done"] == 0
    assert data["counts"]["pending"] == 2 and data["counts"]["succeeded"] == 0
    assert data["counts_by_location"] == {"inbox": 2} and data["not_remediable"] == {}
    assert data["two_step_reason"] == "" and data["undoable"] is True
    proposal = client.get(f"{URL}/{listed['p2'].pk}").json()
    assert proposal["two_step_reason"] == "proposed for approval" and proposal["source"] == "cli"


def test_items_are_the_paged_action_log(client: Client, bob: User, erin: User) -> None:
    r = make_remediation(erin, name="three", propose=False, copies=3)
    first_item = r.items.order_by("id").first()
    assert first_item is not None
    r.items.filter(pk=first_item.pk).update(state="failed", reason="mailbox gone")
    client.force_login(bob)
    page = client.get(f"{URL}/{r.pk}/items", {"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    row = page["items"][0]
    assert row["result"] == "failed" and row["reason"] == "mailbox gone"
    assert row["mailbox"] == "ann@example.org" and row["from_location"] == "INBOX" and row["to_location"] == "junk"
    assert row["subject"].startswith("Invoice ")
    rest = client.get(f"{URL}/{r.pk}/items", {"limit": 2, "offset": 2}).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["item"] != row["item"]
    failed = client.get(f"{URL}/{r.pk}/items", {"result": "failed"}).json()
    assert failed["total"] == 1


def test_export_csv_has_a_header_and_a_row_per_item_and_is_audited(client: Client, bob: User, erin: User) -> None:
    r = make_remediation(erin, name="three", propose=False, copies=3)
    response = client.get(f"{URL}/{r.pk}/export.csv", headers=bearer(bob))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[arg-type]
    assert rows[0] == LOG_COLUMNS and len(rows) == 4
    assert {row[LOG_COLUMNS.index("mailbox")] for row in rows[1:]} == {"ann@example.org"}
    event = AuditEvent.objects.get(action="remediation.export")
    assert event.actor_name == "bob" and event.data == {
        "name": "three",
        "approval_id": r.approval_id,
        "rows": 3,
        "truncated": False,
    }
