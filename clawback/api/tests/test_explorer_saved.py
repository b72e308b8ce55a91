"""/api/v1/explorer/saved and /tracked: one's own queries, shared ones, and tracked results.

Anyone with View saves and tracks their own queries; only the owner changes or deletes one;
other people's unshared saved queries and all their tracked queries are not found (404).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clawback.audit.models import AuditEvent
from clawback.explorer import tracking
from clawback.explorer.actions import do_save_query, do_track_query
from clawback.explorer.models import SavedQuery, TrackedQuery
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db
SAVED = "/api/v1/explorer/saved"
TRACKED = "/api/v1/explorer/tracked"


def call(client: Client, user: User, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    client.force_login(user)
    if method == "get":
        return client.get(path, body or {})
    return getattr(client, method)(path, json.dumps(body or {}), content_type="application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", SAVED),
        ("post", SAVED),
        ("get", f"{SAVED}/1"),
        ("patch", f"{SAVED}/1"),
        ("delete", f"{SAVED}/1"),
        ("get", TRACKED),
        ("post", TRACKED),
        ("get", f"{TRACKED}/1"),
        ("get", f"{TRACKED}/1/runs"),
        ("delete", f"{TRACKED}/1"),
    ],
)
def test_anonymous_is_401_and_no_role_is_403(client: Client, nobody: User, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 401
    assert call(client, nobody, method, path).status_code == 403


@pytest.mark.parametrize("persona", ["bob", "dave", "erin"])
def test_every_view_holder_saves_their_own(client: Client, persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    response = call(
        client, user, "post", SAVED, {"name": "evil", "query": "sender.domain = evil.example", "view": "phish"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["view"], body["owner"], body["mine"], body["shared"]) == (
        "evil",
        "phish",
        persona,
        True,
        False,
    )
    assert SavedQuery.objects.get().owner == user
    assert AuditEvent.objects.filter(action="explorer.saved_query.create", actor_name=persona).count() == 1


def test_list_own_and_shared(client: Client, bob: User, dave: User) -> None:
    do_save_query(acting_user=bob, name="b-private", query="")
    do_save_query(acting_user=bob, name="b-shared", query="", shared=True)
    do_save_query(acting_user=dave, name="d-private", query="")
    body = call(client, dave, "get", SAVED).json()
    assert body["total"] == 2
    assert [(item["name"], item["mine"]) for item in body["items"]] == [("b-shared", False), ("d-private", True)]
    assert [item["name"] for item in call(client, dave, "get", SAVED, {"mine": "true"}).json()["items"]] == [
        "d-private"
    ]
    assert call(client, dave, "get", SAVED, {"limit": 1, "offset": 1}).json()["items"][0]["name"] == "d-private"


def test_others_private_queries_are_not_found(client: Client, bob: User, erin: User) -> None:
    saved = do_save_query(acting_user=bob, name="private", query="")
    for method in ("get", "patch", "delete"):
        assert call(client, erin, method, f"{SAVED}/{saved.pk}", {"name": "x"}).status_code == 404
    assert SavedQuery.objects.get().name == "private"


def test_shared_queries_are_read_only_for_others(client: Client, bob: User, erin: User) -> None:
    saved = do_save_query(acting_user=bob, name="team", query="threat = phish", shared=True)
    assert call(client, erin, "get", f"{SAVED}/{saved.pk}").json()["query"] == "threat = phish"
    response = call(client, erin, "patch", f"{SAVED}/{saved.pk}", {"query": "size > 1"})
    assert response.status_code == 403 and "belongs to bob" in response.json()["detail"]
    assert call(client, erin, "delete", f"{SAVED}/{saved.pk}").status_code == 403
    assert SavedQuery.objects.get().query == "threat = phish"


def test_owner_updates_and_deletes(client: Client, dave: User) -> None:
    saved = do_save_query(acting_user=dave, name="a", query="")
    body = call(client, dave, "patch", f"{SAVED}/{saved.pk}", {"name": "b", "shared": True}).json()
    assert (body["name"], body["shared"], body["query"]) == ("b", True, "")
    assert call(client, dave, "delete", f"{SAVED}/{saved.pk}").status_code == 204
    assert not SavedQuery.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="explorer.saved_query.").count() == 3


def test_bad_input(client: Client, bob: User) -> None:
    response = call(client, bob, "post", SAVED, {"name": "x", "query": "size >"})
    assert response.status_code == 400 and response.json()["token"] == ">"
    do_save_query(acting_user=bob, name="x", query="")
    response = call(client, bob, "post", SAVED, {"name": "x", "query": ""})
    assert response.status_code == 400 and "already have" in response.json()["detail"]
    assert call(client, bob, "post", SAVED, {"name": "y", "view": "spam"}).status_code == 422
    assert call(client, bob, "post", SAVED, {"name": " "}).status_code == 400


def test_track_a_query_and_read_its_runs(client: Client, erin: User) -> None:
    response = call(
        client, erin, "post", TRACKED, {"name": "evil", "query": "sender.domain = evil.example", "interval_minutes": 30}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["interval_minutes"], body["last_run_at"], body["latest"]) == ("evil", 30, None, None)
    make_copy(sender="x@evil.example")
    run = tracking.run_if_due(body["id"])
    assert run is not None
    tracked = call(client, erin, "get", f"{TRACKED}/{body['id']}").json()
    assert tracked["latest"]["count"] == 1 and tracked["last_run_at"] is not None
    runs = call(client, erin, "get", f"{TRACKED}/{body['id']}/runs").json()
    assert runs["total"] == 1
    assert runs["items"][0]["sample_ids"] == run.sample_ids and runs["items"][0]["error"] == ""
    listed = call(client, erin, "get", TRACKED).json()["items"]
    assert [(item["name"], item["latest"]["count"]) for item in listed] == [("evil", 1)]


def test_tracked_list_reads_latest_runs_in_one_query(client: Client, erin: User) -> None:
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert call(client, erin, "get", TRACKED).status_code == 200
        return len(queries)

    for name in ("a", "b"):
        tracking.run(do_track_query(acting_user=erin, name=name, query="").pk)
    list_queries()  # the first request also sets up the session
    two = list_queries()
    tracking.run(do_track_query(acting_user=erin, name="c", query="").pk)
    assert list_queries() == two


def test_tracked_queries_are_private(client: Client, bob: User, dave: User) -> None:
    tracked = do_track_query(acting_user=bob, name="mine", query="")
    assert call(client, dave, "get", TRACKED).json()["total"] == 0
    for method, path in (
        ("get", f"{TRACKED}/{tracked.pk}"),
        ("get", f"{TRACKED}/{tracked.pk}/runs"),
        ("delete", f"{TRACKED}/{tracked.pk}"),
    ):
        assert call(client, dave, method, path).status_code == 404
    assert TrackedQuery.objects.filter(pk=tracked.pk).exists()


def test_untrack(client: Client, bob: User) -> None:
    tracked = do_track_query(acting_user=bob, name="mine", query="")
    assert call(client, bob, "delete", f"{TRACKED}/{tracked.pk}").status_code == 204
    assert not TrackedQuery.objects.exists()
    assert AuditEvent.objects.filter(action="explorer.tracked_query.delete", actor_name="bob").count() == 1


@pytest.mark.parametrize(
    ("body", "status"), [({"interval_minutes": 5}, 400), ({"query": "header.x ~ y"}, 400), ({"view": "x"}, 422)]
)
def test_tracking_bad_input(client: Client, dave: User, body: dict[str, Any], status: int) -> None:
    assert call(client, dave, "post", TRACKED, {"name": "t", **body}).status_code == status
    assert not TrackedQuery.objects.exists()
