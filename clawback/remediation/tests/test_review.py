"""The review step: what a remediation would act on, computed without creating anything, and
exactly what submission then freezes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from clawback.audit.models import AuditEvent
from clawback.explorer.query import QueryError
from clawback.mail.models import MessageCopy
from clawback.remediation.actions import do_submit
from clawback.remediation.models import ApprovalPolicy, Remediation, RemediationItem
from clawback.remediation.queries import counts_by_location, not_remediable
from clawback.remediation.review import Blocked, review
from clawback.remediation.rules import NOT_FOUND_REASON, SENT_REASON
from clawback.remediation.selection import Selection, SelectionError
from clawback.remediation.tests.conftest import ANN, BEN, CAT, EVIL_QUERY, World

pytestmark = pytest.mark.django_db

DELETED_TO_JUNK = "already in Deleted Items: moving it to Junk would bring it back towards the user"


def test_counts_per_mailbox_and_location_on_the_evil_wave(world: World, erin: Any) -> None:
    # ann: evil-1, evil-2 (Inbox), evil-3 (Archive); ben: evil-1 (Inbox), evil-4 (Trash).
    found = review(Selection.of_query(EVIL_QUERY), "move-to-junk", include_sender_copy=False, acting_user=erin)
    assert found.total == 5
    assert found.mailboxes == 2
    assert found.top_mailboxes == [(ANN, 3), (BEN, 2)]
    assert found.by_location == [("inbox", 3), ("deleted", 1), ("other", 1)]
    assert found.not_remediable == [Blocked("deleted", 1, DELETED_TO_JUNK)]
    assert found.remediable == 4
    assert found.two_step is None


def test_reviewing_creates_nothing(world: World, dave: Any) -> None:
    audit_rows = AuditEvent.objects.count()
    review(Selection.of_query(EVIL_QUERY), "hard-delete", include_sender_copy=True, acting_user=dave)
    assert not Remediation.objects.exists()
    assert not RemediationItem.objects.exists()
    assert AuditEvent.objects.count() == audit_rows


@pytest.mark.parametrize("action", ["move-to-inbox", "move-to-junk", "move-to-deleted", "soft-delete", "hard-delete"])
def test_the_review_is_what_submission_freezes(world: World, erin: Any, action: str) -> None:
    selection = Selection.of_query(EVIL_QUERY, exclude=world.ids((ANN, "evil-2@evil.example")))
    found = review(selection, action, include_sender_copy=False, acting_user=erin)
    remediation = do_submit(acting_user=erin, name=f"r-{action}", action=action, selection=selection)
    assert remediation.item_count == found.total == 4
    assert counts_by_location(remediation) == dict(found.by_location)
    assert not_remediable(remediation) == {b.reason: b.count for b in found.not_remediable}


def test_only_the_top_mailboxes_are_named(world: World, erin: Any) -> None:
    found = review(Selection.of_query(EVIL_QUERY), "soft-delete", include_sender_copy=False, acting_user=erin, top=1)
    assert found.top_mailboxes == [(ANN, 3)]
    assert (found.other_mailboxes, found.other_copies) == (1, 2)
    assert found.not_remediable == []


def test_a_sent_copy_is_reported_unless_the_senders_copy_is_included(world: World, erin: Any) -> None:
    sent = Selection.picked(world.ids((CAT, "int-1@example.test")))
    found = review(sent, "move-to-deleted", include_sender_copy=False, acting_user=erin)
    assert found.not_remediable == [Blocked("sent", 1, SENT_REASON)]
    assert found.remediable == 0

    received = Selection.picked(world.ids((ANN, "int-1@example.test")))
    found = review(received, "move-to-deleted", include_sender_copy=True, acting_user=erin)
    assert found.total == 2  # ann's copy, and cat's own in Sent
    assert found.top_mailboxes == [(ANN, 1), (CAT, 1)]
    assert dict(found.by_location) == {"inbox": 1, "sent": 1}
    assert found.not_remediable == []


def test_a_copy_no_longer_in_its_mailbox_is_reported(world: World, erin: Any) -> None:
    MessageCopy.objects.filter(pk__in=world.ids((BEN, "evil-1@evil.example"))).update(location="not_found")
    found = review(Selection.of_query(EVIL_QUERY), "move-to-inbox", include_sender_copy=False, acting_user=erin)
    assert found.not_remediable == [Blocked("not_found", 1, NOT_FOUND_REASON)]


def test_who_must_approve(world: World, dave: Any, erin: Any) -> None:
    everything = Selection.of_query(EVIL_QUERY)
    found = review(everything, "move-to-junk", include_sender_copy=False, acting_user=dave)
    assert found.two_step == "dave lacks the Search and Purge role"
    ApprovalPolicy.objects.update_or_create(pk=1, defaults={"two_step_for_hard_delete": True, "two_step_above": 4})
    hard = review(everything, "hard-delete", include_sender_copy=False, acting_user=erin)
    assert hard.two_step == "the approval policy requires two-step approval for hard delete"
    above = review(everything, "move-to-junk", include_sender_copy=False, acting_user=erin)
    assert above.two_step == "the approval policy requires two-step approval above 4 messages"
    few = review(
        Selection.picked(world.ids((ANN, "evil-1@evil.example"))),
        "move-to-junk",
        include_sender_copy=False,
        acting_user=erin,
    )
    assert few.two_step is None


@override_settings(CLAWBACK_REMEDIATION_LIMIT_QUERY_EXCLUSIONS=4)
def test_limits_are_those_of_submission(world: World, erin: Any) -> None:
    selection = Selection.of_query(EVIL_QUERY, exclude=world.ids((BEN, "good-1@good.example")))
    with pytest.raises(SelectionError, match=r"matches 5 copies; a query with exclusions takes at most 4"):
        review(selection, "move-to-junk", include_sender_copy=False, acting_user=erin)
    with pytest.raises(QueryError):
        review(Selection.of_query("sendr = x"), "move-to-junk", include_sender_copy=False, acting_user=erin)
    assert not Remediation.objects.exists()
