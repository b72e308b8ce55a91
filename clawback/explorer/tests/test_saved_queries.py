"""Saved queries: create, change, share, delete; owners only; every change audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from clawback.audit.models import AuditEvent
from clawback.explorer.actions import (
    ExplorerError,
    do_delete_saved_query,
    do_save_query,
    do_update_saved_query,
)
from clawback.explorer.models import SavedQuery
from clawback.explorer.query import QueryError

pytestmark = pytest.mark.django_db


def test_save_and_audit(bob: User) -> None:
    saved = do_save_query(acting_user=bob, name="  Evil   senders ", query="sender.domain = evil.example", view="phish")
    assert (saved.name, saved.view, saved.shared, saved.owner) == ("Evil senders", "phish", False, bob)
    event = AuditEvent.objects.get(action="explorer.saved_query.create")
    assert (event.actor_name, event.object_id) == ("bob", str(saved.pk))
    assert event.data == {
        "name": "Evil senders",
        "query": "sender.domain = evil.example",
        "view": "phish",
        "shared": False,
    }


def test_names_are_unique_per_owner(bob: User, dave: User) -> None:
    do_save_query(acting_user=bob, name="Mine", query="")
    with pytest.raises(ExplorerError, match='already have a saved query named "Mine"'):
        do_save_query(acting_user=bob, name="Mine", query="size > 1m")
    do_save_query(acting_user=dave, name="Mine", query="")  # another owner's name space
    assert SavedQuery.objects.count() == 2
    assert AuditEvent.objects.filter(action="explorer.saved_query.create").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "", "query": ""}, ExplorerError),
        ({"name": "x" * 201, "query": ""}, ExplorerError),
        ({"name": "bad", "query": "sendr = x"}, QueryError),
        ({"name": "bad", "query": "", "view": "spam"}, ExplorerError),
        ({"name": "bad", "query": "header.x-mailer ~ evil"}, QueryError),  # bob has no Preview
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(bob: User, kwargs: dict[str, str], error: type) -> None:
    with pytest.raises(error):
        do_save_query(acting_user=bob, **kwargs)
    assert not SavedQuery.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="explorer.").exists()


def test_header_conditions_can_be_saved_with_preview(carol: User) -> None:
    assert do_save_query(acting_user=carol, name="mailer", query="header.x-mailer ~ evil").pk


def test_nobody_without_view_may_save(db: None) -> None:
    outsider = User.objects.create_user("outsider")
    with pytest.raises(PermissionDenied):
        do_save_query(acting_user=outsider, name="x", query="")


def test_update_by_the_owner(bob: User) -> None:
    saved = do_save_query(acting_user=bob, name="a", query="size > 1m")
    do_update_saved_query(saved, acting_user=bob, name="b", shared=True)
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.shared) == ("b", "size > 1m", True)
    event = AuditEvent.objects.get(action="explorer.saved_query.update")
    assert event.data["before"]["name"] == "a" and event.data["name"] == "b" and event.data["shared"] is True


def test_update_to_a_taken_name_is_refused(bob: User) -> None:
    do_save_query(acting_user=bob, name="a", query="")
    other = do_save_query(acting_user=bob, name="b", query="")
    with pytest.raises(ExplorerError, match="already have"):
        do_update_saved_query(other, acting_user=bob, name="a")
    other.refresh_from_db()
    assert other.name == "b"


def test_others_cannot_change_or_delete(bob: User, erin: User) -> None:
    saved = do_save_query(acting_user=bob, name="a", query="", shared=True)
    with pytest.raises(PermissionDenied, match="belongs to bob"):
        do_update_saved_query(saved, acting_user=erin, query="size > 1")
    with pytest.raises(PermissionDenied):
        do_delete_saved_query(saved, acting_user=erin)
    assert SavedQuery.objects.get().query == ""


def test_delete_and_audit(bob: User) -> None:
    saved = do_save_query(acting_user=bob, name="gone", query="threat = phish")
    pk = saved.pk
    do_delete_saved_query(saved, acting_user=bob)
    assert not SavedQuery.objects.exists()
    event = AuditEvent.objects.get(action="explorer.saved_query.delete")
    assert (event.object_id, event.data["query"]) == (str(pk), "threat = phish")


def test_shared_queries_are_visible_to_everyone(bob: User, dave: User, erin: User) -> None:
    do_save_query(acting_user=bob, name="private", query="")
    do_save_query(acting_user=bob, name="team", query="", shared=True)
    do_save_query(acting_user=dave, name="dave's", query="")
    assert sorted(SavedQuery.objects.visible_to(erin).values_list("name", flat=True)) == ["team"]
    assert sorted(SavedQuery.objects.visible_to(bob).values_list("name", flat=True)) == ["private", "team"]
