"""Submission: selections, limits with clear errors, roles, frozen selection, reported copies."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from clawback.explorer.query import QueryError
from clawback.remediation.actions import RemediationError, do_propose, do_submit
from clawback.remediation.models import ItemState, Remediation, SelectionKind, Status
from clawback.remediation.selection import Selection, SelectionError
from clawback.remediation.tests.conftest import ANN, BEN, EVIL, EVIL_QUERY, World
from clawback.remediation.tests.helpers import message, put

pytestmark = pytest.mark.django_db


def submit(user: Any, selection: Selection, name: str = "r1", action: str = "move-to-junk", **kw: Any) -> Remediation:
    return do_submit(acting_user=user, name=name, action=action, selection=selection, **kw)


def test_security_reader_cannot_submit_or_propose(world: World, bob: Any) -> None:
    with pytest.raises(PermissionDenied, match="bob lacks the Propose role"):
        submit(bob, Selection.of_query(EVIL_QUERY))
    with pytest.raises(PermissionDenied):
        do_propose(acting_user=bob, name="x", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY))
    assert not Remediation.objects.exists()


def test_operator_submission_becomes_a_proposal(world: World, dave: Any) -> None:
    remediation = submit(dave, Selection.of_query(EVIL_QUERY))
    assert remediation.status == Status.PENDING_APPROVAL
    assert remediation.expires_at is not None
    assert (remediation.expires_at - remediation.submitted_at).days == 7


def test_direct_submission_by_search_and_purge_runs(world: World, erin: Any) -> None:
    remediation = submit(erin, Selection.of_query(EVIL_QUERY))
    assert remediation.status == Status.QUEUED
    assert remediation.decided_by_name == "erin"
    assert remediation.approval_id.startswith("RA-") and len(remediation.approval_id) == 9
    assert remediation.runs.count() == 2  # ann and ben; ben's only remediable copy is evil-1


@override_settings(CLAWBACK_REMEDIATION_LIMIT_IDS=2)
def test_hand_picked_limit(world: World, erin: Any) -> None:
    ids = world.ids((ANN, "evil-1@evil.example"), (ANN, "evil-2@evil.example"), (BEN, "evil-1@evil.example"))
    with pytest.raises(SelectionError, match=r"3 copies picked by hand; at most 2 \(CLAWBACK_REMEDIATION_LIMIT_IDS\)"):
        submit(erin, Selection.picked(ids))


@override_settings(CLAWBACK_REMEDIATION_LIMIT_QUERY=4)
def test_query_limit(world: World, erin: Any) -> None:
    with pytest.raises(SelectionError, match=r"matches 5 copies; a whole-query remediation takes at most 4"):
        submit(erin, Selection.of_query(EVIL_QUERY))


@override_settings(CLAWBACK_REMEDIATION_LIMIT_QUERY_EXCLUSIONS=4, CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS=1)
def test_query_with_exclusions_limits(world: World, erin: Any) -> None:
    one = world.ids((ANN, "evil-1@evil.example"))
    with pytest.raises(SelectionError, match="a query with exclusions takes at most 4"):
        submit(erin, Selection.of_query(EVIL_QUERY, one))
    two = world.ids((ANN, "evil-1@evil.example"), (BEN, "evil-1@evil.example"))
    with pytest.raises(SelectionError, match=r"2 exclusions; at most 1"):
        submit(erin, Selection.of_query("sender.domain = good.example", two))
    remediation = submit(erin, Selection.of_query(EVIL_QUERY + " and location = inbox", one))
    assert remediation.selection_kind == SelectionKind.QUERY_EXCLUSIONS
    assert remediation.exclusions == one and remediation.item_count == 2


def test_errors_are_clear(world: World, erin: Any) -> None:
    with pytest.raises(SelectionError, match="no copies with id 999999"):
        submit(erin, Selection.picked([999999]))
    with pytest.raises(QueryError):
        submit(erin, Selection.of_query("sender.domian = x"))
    with pytest.raises(RemediationError, match="matches no messages"):
        submit(erin, Selection.of_query("sender.domain = nobody.example"))
    with pytest.raises(RemediationError, match="unknown action"):
        submit(erin, Selection.of_query(EVIL_QUERY), action="restore")
    submit(erin, Selection.of_query(EVIL_QUERY))
    with pytest.raises(RemediationError, match="already exists"):
        submit(erin, Selection.of_query(EVIL_QUERY))
    assert Remediation.objects.count() == 1


def test_selection_is_frozen_with_query_kept(world: World, dave: Any) -> None:
    remediation = submit(dave, Selection.of_query(EVIL_QUERY))
    put(world.root, ANN, "", message("evil-9@evil.example", EVIL, ANN))
    world.sync()
    remediation.refresh_from_db()
    assert remediation.query == EVIL_QUERY and remediation.selection_kind == SelectionKind.QUERY
    assert remediation.item_count == 5
    assert not remediation.items.filter(message_id="evil-9@evil.example").exists()


def test_non_remediable_copies_are_recorded_with_the_reason(world: World, dave: Any) -> None:
    remediation = submit(dave, Selection.of_query("sender.address = cat@example.test"))
    sent = remediation.items.get(mailbox_address="cat@example.test")
    assert sent.state == ItemState.NOT_REMEDIABLE and "Sent" in sent.reason
    inbox = remediation.items.get(mailbox_address=ANN)
    assert inbox.state == ItemState.PENDING
    # A copy the index saw disappear is reported too.
    copy = world.copy(ANN, "good-1@good.example")
    copy.location, copy.ref = "not_found", f"gone:{copy.pk}"
    copy.save()
    gone = submit(dave, Selection.picked([copy.pk]), name="r2")
    assert gone.items.get().state == ItemState.NOT_REMEDIABLE
    assert "no longer in the mailbox" in gone.items.get().reason


def test_header_conditions_need_preview(world: World, dave: Any, carol: Any) -> None:
    # dave has no Preview role: a query on header contents would let him probe them.
    probe = "sender.domain = evil.example and header.subject ~ hello"
    with pytest.raises(QueryError, match="needs the Preview role"):
        submit(dave, Selection.of_query(probe))
    with pytest.raises(QueryError, match="needs the Preview role"):
        submit(dave, Selection.of_query(probe, exclude=[world.copy(ANN, "evil-1@evil.example").pk]))
    assert not Remediation.objects.exists()
    # carol holds Preview: the same query selects the evil.example copies.
    remediation = do_propose(acting_user=carol, name="r2", action="move-to-junk", selection=Selection.of_query(probe))
    assert remediation.item_count == 5
