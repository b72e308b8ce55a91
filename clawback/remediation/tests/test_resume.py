"""A worker that dies at any step leaves nothing a restart will not finish, by design.

The death is simulated in-process: a connector that does its work on the store and then the
"process dies" (an exception nothing catches), before or after the server acted.  The lease is
then made to expire and the watchdog and a fresh worker take over.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clawback.mail.models import TimelineEvent
from clawback.mailstores.connectors.maildir.connector import MaildirConnector
from clawback.mailstores.models import Mailbox
from clawback.remediation import scheduling
from clawback.remediation.actions import do_submit, do_undo
from clawback.remediation.executor import run_mailbox
from clawback.remediation.models import ItemState, MailboxRun, Remediation, RemediationItem, RunState, Status
from clawback.remediation.selection import Selection
from clawback.remediation.tests.conftest import ANN, BEN, EVIL_QUERY, World
from clawback.remediation.tests.helpers import drain, read_maildir, where

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(BaseException):
    """The worker process dies here (BaseException: no handler in the executor catches it)."""


class DyingConnector(MaildirConnector):
    """Dies right after (or before) the named call reached the store."""

    def __init__(self, root: str, method: str, *, after: bool) -> None:
        super().__init__({"path": root}, {})
        self.method, self.after = method, after

    def _die_around(self, name: str, call: Any, *args: Any) -> Any:
        if name == self.method and not self.after:
            raise Killed(name)
        result = call(*args)
        if name == self.method:
            raise Killed(name)
        return result

    def move(self, *args: Any) -> Any:  # type: ignore[override]
        return self._die_around("move", super().move, *args)

    def move_to_folder(self, *args: Any) -> Any:  # type: ignore[override]
        return self._die_around("move_to_folder", super().move_to_folder, *args)

    def hard_delete(self, *args: Any) -> Any:  # type: ignore[override]
        return self._die_around("hard_delete", super().hard_delete, *args)

    def set_flags(self, *args: Any) -> Any:  # type: ignore[override]
        return self._die_around("set_flags", super().set_flags, *args)


def queued(erin: Any, action: str, name: str = "r") -> Remediation:
    """Submitted and approved, its tasks queued but not run."""
    remediation = do_submit(acting_user=erin, name=name, action=action, selection=Selection.of_query(EVIL_QUERY))
    return Remediation.objects.get(pk=remediation.pk)


def die_in(world: World, remediation: Remediation, box: str, method: str, *, after: bool) -> None:
    mailbox = Mailbox.objects.get(address=box)
    with pytest.raises(Killed):
        run_mailbox(remediation.pk, mailbox.pk, connector=DyingConnector(str(world.root), method, after=after))


def time_passes() -> None:
    """The dead worker's leases run out."""
    past = timezone.now() - timedelta(seconds=1)
    MailboxRun.objects.filter(state=RunState.RUNNING).update(lease_expires_at=past)
    RemediationItem.objects.filter(state=ItemState.IN_FLIGHT).update(lease_expires_at=past)


def recover(remediation: Remediation) -> Remediation:
    time_passes()
    drain()  # the other mailboxes' tasks still queued
    assert scheduling.tick(remediation.pk)  # the watchdog finds the dead run
    drain()
    remediation.refresh_from_db()
    return remediation


@pytest.mark.parametrize("after", [False, True], ids=["before-the-server-acted", "after-the-server-acted"])
def test_killed_move_finishes_exactly_once(world: World, erin: Any, after: bool) -> None:
    remediation = queued(erin, "move-to-deleted")
    die_in(world, remediation, ANN, "move", after=after)
    items = remediation.items.filter(mailbox_address=ANN, state=ItemState.IN_FLIGHT)
    assert items.count() == 3  # intent recorded before the server was touched
    assert all(i.from_folder and i.lease_owner for i in items)

    remediation = recover(remediation)
    state = read_maildir(world.root)
    for mid in ("evil-1@evil.example", "evil-2@evil.example", "evil-3@evil.example"):
        assert where(state, ANN, mid) == ["Trash"]
    assert where(state, BEN, "evil-1@evil.example") == ["Trash"]
    assert remediation.status == Status.COMPLETED
    assert remediation.counts == {ItemState.SUCCEEDED: 4, ItemState.ALREADY_IN_DESTINATION: 1}
    # Each copy was moved once: one remediation event per copy, and the index follows the store.
    copy = world.copy(ANN, "evil-2@evil.example")
    assert copy.timeline.filter(kind=TimelineEvent.Kind.REMEDIATION).count() == 1
    assert (copy.location, copy.folder) == ("deleted", "Trash")
    world.sync()
    assert not TimelineEvent.objects.filter(kind__in=["user_moved", "user_deleted"]).exists()


@pytest.mark.parametrize("after", [False, True], ids=["before-expunge", "after-expunge"])
def test_killed_hard_delete_finishes(world: World, erin: Any, after: bool) -> None:
    remediation = queued(erin, "hard-delete")
    die_in(world, remediation, ANN, "hard_delete", after=after)
    # Killed between the two steps: the messages wait in the recoverable folder, recorded.
    item = remediation.items.get(mailbox_address=ANN, message_id="evil-2@evil.example")
    assert item.state == ItemState.IN_FLIGHT and item.new_ref.startswith("Recoverable Items")

    remediation = recover(remediation)
    state = read_maildir(world.root)
    assert not any(mid.startswith("evil") for folders in state.values() for ids in folders.values() for mid in ids)
    assert remediation.status == Status.COMPLETED
    assert remediation.counts == {ItemState.SUCCEEDED: 5}


def test_killed_undo_restores_flags_too(world: World, erin: Any) -> None:
    done = queued(erin, "move-to-junk")
    drain()
    reverse = do_undo(Remediation.objects.get(pk=done.pk), name="undo", acting_user=erin)
    die_in(world, reverse, ANN, "set_flags", after=False)  # moved back, flags not yet restored
    reverse = recover(reverse)
    state = read_maildir(world.root)
    assert state[ANN]["INBOX"]["evil-2@evil.example"] == "FS"
    assert state[ANN]["Archive"]["evil-3@evil.example"] == "S"
    assert reverse.status == Status.COMPLETED


def test_lost_task_is_requeued(world: World, erin: Any) -> None:
    """A worker killed after taking a task but before starting it: the task row says running
    and nobody will run it; the watchdog notices and queues a new one."""
    remediation = queued(erin, "move-to-junk")
    from django_tasks_db.models import DBTaskResult

    run = MailboxRun.objects.get(remediation=remediation, mailbox__address=ANN)
    long_ago = timezone.now() - timedelta(minutes=10)
    DBTaskResult.objects.filter(id=run.task_id).update(status="RUNNING", started_at=long_ago)
    MailboxRun.objects.filter(pk=run.pk).update(updated_at=long_ago)
    drain()
    remediation.refresh_from_db()
    assert remediation.status == Status.IN_PROGRESS  # ben is done, ann waits
    assert scheduling.tick(remediation.pk) == "re-queued 1 runs"
    drain()
    remediation.refresh_from_db()
    assert remediation.status == Status.COMPLETED_WITH_ERRORS  # ben's Trash copy is reported
    assert where(read_maildir(world.root), ANN, "evil-1@evil.example") == ["Junk"]


def test_stale_index_is_relocated_by_message_id(world: World, erin: Any) -> None:
    """The user moved one copy and deleted another after the last sync: the first is moved
    from where it is now, the second is reported not found."""
    remediation = queued(erin, "move-to-deleted")
    home = world.root / ANN
    for path in (home / "cur").iterdir():
        if b"evil-2@" in path.read_bytes():
            path.rename(home / ".Archive" / "cur" / path.name)
    for path in (home / "new").iterdir():
        if b"evil-1@" in path.read_bytes():
            path.unlink()
    drain()
    remediation.refresh_from_db()
    state = read_maildir(world.root)
    assert where(state, ANN, "evil-2@evil.example") == ["Trash"]
    assert where(state, ANN, "evil-1@evil.example") == []
    items = {i.message_id: i for i in remediation.items.filter(mailbox_address=ANN)}
    assert items["evil-2@evil.example"].state == ItemState.SUCCEEDED
    assert items["evil-1@evil.example"].state == ItemState.NOT_FOUND
    assert world.copy(ANN, "evil-2@evil.example").folder == "Trash"
    assert remediation.status == Status.COMPLETED  # not found counts as removed
