"""Exact undo: every message back in its folder with its flags; hard delete refused; purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clawback.remediation.actions import RemediationError, do_approve, do_submit, do_undo
from clawback.remediation.models import Action, ItemState, Remediation, SelectionKind, Status
from clawback.remediation.purge import purge_soft_deleted
from clawback.remediation.selection import Selection
from clawback.remediation.tests.conftest import ANN, BEN, EVIL_QUERY, World
from clawback.remediation.tests.helpers import drain, read_maildir

pytestmark = pytest.mark.django_db(transaction=True)


def run(user: Any, action: str, name: str = "r") -> Remediation:
    remediation = do_submit(acting_user=user, name=name, action=action, selection=Selection.of_query(EVIL_QUERY))
    drain()
    return Remediation.objects.get(pk=remediation.pk)


def read_in_mail_client(world: World, box: str, folder: str, message_id: str) -> None:
    """The user opens the message: it becomes \\Seen (Maildir: cur/ with the S flag)."""
    base = world.root / box / f".{folder}"
    for sub in ("new", "cur"):
        for path in (base / sub).iterdir():
            if message_id.encode() in path.read_bytes():
                key = path.name.split(":2,")[0]
                path.rename(base / "cur" / f"{key}:2,S")


@pytest.mark.parametrize("action", ["move-to-junk", "move-to-deleted", "soft-delete", "move-to-inbox"])
def test_undo_restores_folders_and_flags_exactly(world: World, erin: Any, action: str) -> None:
    before = read_maildir(world.root)
    done = run(erin, action)
    assert read_maildir(world.root) != before
    if action == "move-to-junk":
        read_in_mail_client(world, ANN, "Junk", "evil-1@evil.example")  # was unread
    reverse = do_undo(done, name="undo", acting_user=erin)
    assert reverse.selection_kind == SelectionKind.UNDO and reverse.reverse_of == done
    assert reverse.action == Action.RESTORE and reverse.status == Status.QUEUED
    drain()
    assert read_maildir(world.root) == before
    reverse.refresh_from_db()
    assert reverse.status == Status.COMPLETED
    copy = world.copy(ANN, "evil-2@evil.example")
    assert (copy.location, copy.folder, sorted(copy.flags)) == ("inbox", "INBOX", ["\\Flagged", "\\Seen"])
    assert world.copy(ANN, "evil-3@evil.example").location == "other"


def test_undo_needs_approval_like_any_other(world: World, erin: Any, carol: Any, dave: Any) -> None:
    before = read_maildir(world.root)
    done = run(erin, "move-to-junk")
    reverse = do_undo(done, name="undo", acting_user=dave)
    assert reverse.status == Status.PENDING_APPROVAL
    with pytest.raises(RemediationError, match="already undone"):
        do_undo(done, name="undo-2", acting_user=erin)
    do_approve(reverse, acting_user=carol)
    drain()
    assert read_maildir(world.root) == before


def test_hard_delete_cannot_be_undone(world: World, erin: Any) -> None:
    done = run(erin, "hard-delete")
    with pytest.raises(RemediationError, match="cannot be restored"):
        do_undo(done, name="undo", acting_user=erin)


def test_unfinished_remediation_cannot_be_undone(world: World, dave: Any, erin: Any) -> None:
    proposal = do_submit(acting_user=dave, name="p", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY))
    with pytest.raises(RemediationError, match="only a finished remediation"):
        do_undo(proposal, name="undo", acting_user=erin)


def test_soft_delete_is_purged_after_retention_and_then_not_restorable(world: World, erin: Any) -> None:
    done = run(erin, "soft-delete")
    assert purge_soft_deleted(now=timezone.now() + timedelta(days=13)) == 0
    assert purge_soft_deleted(now=timezone.now() + timedelta(days=14, minutes=1)) == 5
    state = read_maildir(world.root)
    assert "Recoverable Items" not in state[ANN] and "Recoverable Items" not in state[BEN]
    assert world.copy(ANN, "evil-1@evil.example").location == "not_found"
    assert done.items.filter(purged_at__isnull=False).count() == 5
    reverse = do_undo(done, name="undo", acting_user=erin)
    drain()
    reverse.refresh_from_db()
    assert reverse.status == Status.FAILED  # nothing could be restored
    assert {i.state for i in reverse.items.all()} == {ItemState.NOT_REMEDIABLE}
    assert "purged" in reverse.items.first().reason  # type: ignore[union-attr]


def test_purge_leaves_restored_copies_alone(world: World, erin: Any) -> None:
    done = run(erin, "soft-delete")
    do_undo(done, name="undo", acting_user=erin)
    drain()
    assert purge_soft_deleted(now=timezone.now() + timedelta(days=30)) == 0
    assert read_maildir(world.root)[ANN]["INBOX"]["evil-1@evil.example"] == ""
