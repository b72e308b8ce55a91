"""Two-step approval: four-eyes, rejection, expiry, additions, policy, de-duplication."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from clawback.audit.models import AuditEvent
from clawback.investigations.models import Alert, Investigation
from clawback.remediation.actions import (
    RemediationError,
    do_add_to_proposal,
    do_approve,
    do_expire_proposals,
    do_propose,
    do_reject,
    do_set_policy,
    do_submit,
)
from clawback.remediation.models import ApprovalPolicy, Remediation, Status
from clawback.remediation.selection import Selection
from clawback.remediation.tests.conftest import ANN, BEN, EVIL_QUERY, World
from clawback.remediation.tests.helpers import drain, read_maildir, where

pytestmark = pytest.mark.django_db


def propose(user: Any, name: str = "p1", query: str = EVIL_QUERY, action: str = "move-to-junk") -> Remediation:
    return do_propose(acting_user=user, name=name, action=action, selection=Selection.of_query(query))


def audit_actions(remediation: Remediation) -> list[str]:
    rows = AuditEvent.objects.filter(object_type="remediation.remediation", object_id=str(remediation.pk))
    return list(rows.values_list("action", flat=True))


def test_nobody_approves_their_own_proposal(world: World, carol: Any, erin: Any) -> None:
    proposal = propose(carol)
    with pytest.raises(PermissionDenied, match="another person with the Search and Purge role"):
        do_approve(proposal, acting_user=carol)
    with pytest.raises(PermissionDenied):
        do_reject(proposal, acting_user=carol)
    approved = do_approve(proposal, acting_user=erin)
    assert approved.status == Status.QUEUED and approved.decided_by_name == "erin"
    assert audit_actions(approved) == ["remediation.propose", "remediation.approve"]


def test_approver_needs_search_and_purge(world: World, carol: Any, dave: Any) -> None:
    proposal = propose(carol)
    with pytest.raises(PermissionDenied, match="dave lacks the Search and Purge role"):
        do_approve(proposal, acting_user=dave)


def test_whoever_added_messages_cannot_approve(world: World, dave: Any, carol: Any, erin: Any) -> None:
    proposal = propose(dave, query=EVIL_QUERY + " and recipient.address = ben@example.test")
    assert proposal.item_count == 2
    added = do_add_to_proposal(proposal, Selection.of_query(EVIL_QUERY), acting_user=carol)
    assert added == 3  # ann's three; ben's two were already in
    proposal.refresh_from_db()
    assert proposal.item_count == 5 and proposal.additions[0]["by"] == "carol"
    with pytest.raises(PermissionDenied):
        do_approve(proposal, acting_user=carol)
    do_approve(proposal, acting_user=erin)


@pytest.mark.django_db(transaction=True)
def test_reject_runs_nothing(world: World, dave: Any, erin: Any) -> None:
    before = read_maildir(world.root)
    proposal = propose(dave)
    rejected = do_reject(proposal, acting_user=erin, reason="false positive")
    drain()
    assert rejected.status == Status.REJECTED and rejected.decision_note == "false positive"
    assert read_maildir(world.root) == before
    with pytest.raises(RemediationError, match="rejected, not pending approval"):
        do_approve(rejected, acting_user=erin)


def test_proposals_expire_after_seven_days(world: World, dave: Any, erin: Any) -> None:
    proposal = propose(dave)
    assert do_expire_proposals(now=timezone.now() + timedelta(days=6)) == 0
    assert do_expire_proposals(now=timezone.now() + timedelta(days=7, minutes=1)) == 1
    proposal.refresh_from_db()
    assert proposal.status == Status.EXPIRED
    late = propose(dave, name="p2")
    Remediation.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(RemediationError, match="expired"):
        do_approve(late, acting_user=erin)
    assert Remediation.objects.get(pk=late.pk).status == Status.EXPIRED


def test_policy_two_step(world: World, erin: Any, alice: Any, carol: Any) -> None:
    def submit(name: str, action: str = "move-to-junk") -> Remediation:
        return do_submit(acting_user=erin, name=name, action=action, selection=Selection.of_query(EVIL_QUERY))

    assert submit("direct").status == Status.QUEUED
    with pytest.raises(PermissionDenied):
        do_set_policy(acting_user=carol, two_step_always=True, two_step_above=None, two_step_for_hard_delete=False)
    do_set_policy(acting_user=alice, two_step_always=False, two_step_above=None, two_step_for_hard_delete=True)
    assert submit("hd", "hard-delete").status == Status.PENDING_APPROVAL
    assert submit("soft", "soft-delete").status == Status.QUEUED
    do_set_policy(acting_user=alice, two_step_always=False, two_step_above=4, two_step_for_hard_delete=False)
    assert submit("big", "move-to-deleted").status == Status.PENDING_APPROVAL  # 5 messages > 4
    do_set_policy(acting_user=alice, two_step_always=True, two_step_above=None, two_step_for_hard_delete=False)
    assert ApprovalPolicy.current().two_step_always
    assert submit("always", "move-to-inbox").status == Status.PENDING_APPROVAL


def test_same_selection_and_action_within_the_hour_is_a_duplicate(world: World, erin: Any, carol: Any) -> None:
    first = do_submit(acting_user=erin, name="a", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY))
    ids = list(first.items.values_list("copy_id", flat=True))
    # The same copies, selected another way: still the same selection.
    second = do_submit(acting_user=carol, name="b", action="move-to-junk", selection=Selection.picked(ids))
    assert second.status == Status.DUPLICATE and second.duplicate_of == first
    assert not second.runs.exists()
    # Another action is not a duplicate; nor is the same one after the hour.
    other = do_submit(acting_user=carol, name="c", action="move-to-deleted", selection=Selection.picked(ids))
    assert other.status == Status.QUEUED
    Remediation.objects.filter(pk=first.pk).update(decided_at=timezone.now() - timedelta(minutes=61))
    third = do_submit(acting_user=carol, name="d", action="move-to-junk", selection=Selection.picked(ids))
    assert third.status == Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_duplicate_is_not_executed(world: World, erin: Any, carol: Any) -> None:
    do_submit(acting_user=erin, name="a", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY))
    drain()
    # Someone moves a message back by hand; a duplicate must not move it again.
    home = world.root / ANN
    for path in (home / ".Junk" / "cur").iterdir():
        if b"evil-2@" in path.read_bytes():
            path.rename(home / "cur" / path.name)
    dup = do_submit(acting_user=carol, name="b", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY))
    drain()
    assert Remediation.objects.get(pk=dup.pk).status == Status.DUPLICATE
    assert where(read_maildir(world.root), ANN, "evil-2@evil.example") == ["INBOX"]


@pytest.mark.django_db(transaction=True)
def test_manual_remediation_raises_alert_and_admin_investigation(world: World, dave: Any, erin: Any) -> None:
    proposal = propose(dave)
    investigation = Investigation.objects.get(remediation_id=proposal.pk)
    assert investigation.status == "pending_action" and investigation.action == "move-to-junk"
    assert investigation.message_count == 5 and investigation.submitted_by_name == "dave"
    assert investigation.entities["mailboxes"] == 2
    assert set(investigation.entities["top_mailboxes"]) == {ANN, BEN}
    alert = Alert.objects.get(remediation_id=proposal.pk)
    assert alert.title == "Administrative action submitted" and alert.severity == "informational"
    assert Remediation.objects.get(pk=proposal.pk).investigation_id == investigation.display_id

    do_approve(proposal, acting_user=erin)
    drain()
    investigation.refresh_from_db()
    assert investigation.approver_name == "erin"
    assert investigation.status == "partially_remediated"  # ben's Trash copy is reported
