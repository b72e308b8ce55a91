"""Each action on a Maildir store moves exactly the selected copies, checked on disk."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from clawback.audit.models import AuditEvent
from clawback.mail.models import TimelineEvent
from clawback.remediation.actions import do_submit
from clawback.remediation.models import ItemState, Remediation, Status
from clawback.remediation.selection import Selection
from clawback.remediation.tests.conftest import ANN, BEN, CAT, EVIL_QUERY, World
from clawback.remediation.tests.helpers import drain, read_maildir

pytestmark = pytest.mark.django_db(transaction=True)


def submit(user, action: str, selection: Selection, **kw) -> Remediation:  # type: ignore[no-untyped-def]
    name = f"{action}-{Remediation.objects.count() + 1}"
    remediation = do_submit(acting_user=user, name=name, action=action, selection=selection, **kw)
    drain()
    remediation.refresh_from_db()
    return remediation


def moved(before: dict, after: dict) -> set[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    """(mailbox, message id, from folder, to folder) for every message that changed folder."""
    out = set()
    for box, folders in before.items():
        for folder, ids in folders.items():
            for mid in ids:
                now = [f for f, later in after.get(box, {}).items() if mid in later]
                if now != [folder]:
                    out.add((box, mid, folder, ",".join(now) or "-"))
    return out


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            "move-to-junk",
            {
                (ANN, "evil-1@evil.example", "INBOX", "Junk"),
                (BEN, "evil-1@evil.example", "INBOX", "Junk"),
                (ANN, "evil-2@evil.example", "INBOX", "Junk"),
                (ANN, "evil-3@evil.example", "Archive", "Junk"),
                # ben's evil-4 is in Trash: not pulled back to Junk (reported not remediable).
            },
        ),
        (
            "move-to-deleted",
            {
                (ANN, "evil-1@evil.example", "INBOX", "Trash"),
                (BEN, "evil-1@evil.example", "INBOX", "Trash"),
                (ANN, "evil-2@evil.example", "INBOX", "Trash"),
                (ANN, "evil-3@evil.example", "Archive", "Trash"),
            },
        ),
        (
            "soft-delete",
            {
                (ANN, "evil-1@evil.example", "INBOX", "Recoverable Items"),
                (BEN, "evil-1@evil.example", "INBOX", "Recoverable Items"),
                (ANN, "evil-2@evil.example", "INBOX", "Recoverable Items"),
                (ANN, "evil-3@evil.example", "Archive", "Recoverable Items"),
                (BEN, "evil-4@evil.example", "Trash", "Recoverable Items"),
            },
        ),
        (
            "hard-delete",
            {
                (ANN, "evil-1@evil.example", "INBOX", "-"),
                (BEN, "evil-1@evil.example", "INBOX", "-"),
                (ANN, "evil-2@evil.example", "INBOX", "-"),
                (ANN, "evil-3@evil.example", "Archive", "-"),
                (BEN, "evil-4@evil.example", "Trash", "-"),
            },
        ),
        (
            "move-to-inbox",
            {
                (ANN, "evil-3@evil.example", "Archive", "INBOX"),
                (BEN, "evil-4@evil.example", "Trash", "INBOX"),
            },
        ),
    ],
)
def test_each_action_moves_exactly_the_selection(world: World, erin, action: str, expected: set) -> None:  # type: ignore[no-untyped-def,type-arg]
    before = read_maildir(world.root)
    remediation = submit(erin, action, Selection.of_query(EVIL_QUERY))
    after = read_maildir(world.root)
    assert moved(before, after) == expected
    assert remediation.status in (Status.COMPLETED, Status.COMPLETED_WITH_ERRORS)
    # Flags travel with the message (the flagged one is still flagged).
    if action in ("move-to-junk", "move-to-deleted"):
        target = "Junk" if action == "move-to-junk" else "Trash"
        assert after[ANN][target]["evil-2@evil.example"] == "FS"
    assert remediation.counts == {k: v for k, v in remediation.counts.items() if v}  # only states that occurred
    assert sum(remediation.counts.values()) == 5


def test_move_to_junk_updates_items_index_timeline_and_audit(world: World, erin) -> None:  # type: ignore[no-untyped-def]
    remediation = submit(erin, "move-to-junk", Selection.of_query(EVIL_QUERY))
    assert remediation.status == Status.COMPLETED_WITH_ERRORS  # ben's Trash copy is reported
    assert remediation.counts == {ItemState.SUCCEEDED: 4, ItemState.NOT_REMEDIABLE: 1}
    item = remediation.items.get(mailbox_address=ANN, message_id="evil-2@evil.example")
    assert (item.from_location, item.from_folder, item.to_location, item.to_folder) == (
        "inbox",
        "INBOX",
        "junk",
        "Junk",
    )
    assert sorted(item.prior_flags) == ["\\Flagged", "\\Seen"]
    copy = world.copy(ANN, "evil-2@evil.example")
    assert (copy.location, copy.folder, copy.ref) == ("junk", "Junk", item.new_ref)
    event = copy.timeline.get(kind=TimelineEvent.Kind.REMEDIATION)
    assert (event.source, event.actor, event.from_location, event.to_location, event.result) == (
        "admin",
        "erin",
        "inbox",
        "junk",
        "succeeded",
    )
    trash = remediation.items.get(message_id="evil-4@evil.example")
    assert trash.state == ItemState.NOT_REMEDIABLE and "Deleted Items" in trash.reason
    actions = list(
        AuditEvent.objects.filter(object_type="remediation.remediation", object_id=str(remediation.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions[:1] == ["remediation.submit"] and "remediation.complete" in actions
    # The spare watchdogs were removed with the finish.
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert remediation.runs.filter(state="done").count() == 2
    # The index now agrees with the store: a sync finds nothing to change.
    world.sync()
    assert world.copy(ANN, "evil-2@evil.example").ref == item.new_ref
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.USER_MOVED).exists()


def test_hand_picked_ids_touch_nothing_else(world: World, erin) -> None:  # type: ignore[no-untyped-def]
    before = read_maildir(world.root)
    ids = world.ids((BEN, "evil-1@evil.example"))
    remediation = submit(erin, "move-to-deleted", Selection.picked(ids))
    assert moved(before, read_maildir(world.root)) == {(BEN, "evil-1@evil.example", "INBOX", "Trash")}
    assert remediation.status == Status.COMPLETED


def test_query_with_exclusions(world: World, erin) -> None:  # type: ignore[no-untyped-def]
    before = read_maildir(world.root)
    keep = world.ids((ANN, "evil-1@evil.example"), (ANN, "evil-3@evil.example"))
    submit(erin, "move-to-junk", Selection.of_query(EVIL_QUERY + " and location = inbox", keep))
    assert moved(before, read_maildir(world.root)) == {
        (BEN, "evil-1@evil.example", "INBOX", "Junk"),
        (ANN, "evil-2@evil.example", "INBOX", "Junk"),
    }


def test_sender_copy_only_when_asked(world: World, erin) -> None:  # type: ignore[no-untyped-def]
    query = "message_id = int-1@example.test and recipient.address = ann@example.test"
    before = read_maildir(world.root)
    first = submit(erin, "soft-delete", Selection.of_query(query))
    assert moved(before, read_maildir(world.root)) == {(ANN, "int-1@example.test", "INBOX", "Recoverable Items")}
    assert first.items.count() == 1
    # cat's own Sent copy is selected with the option even when the query names only ann's.
    before = read_maildir(world.root)
    second = submit(erin, "soft-delete", Selection.of_query(query), include_sender_copy=True)
    assert moved(before, read_maildir(world.root)) == {(CAT, "int-1@example.test", "Sent", "Recoverable Items")}
    assert second.counts == {ItemState.ALREADY_IN_DESTINATION: 1, ItemState.SUCCEEDED: 1}


def test_sent_copy_selected_without_option_is_reported(world: World, erin) -> None:  # type: ignore[no-untyped-def]
    remediation = submit(erin, "move-to-junk", Selection.of_query("message_id = int-1@example.test"))
    item = remediation.items.get(mailbox_address=CAT)
    assert item.state == ItemState.NOT_REMEDIABLE and "Sent" in item.reason
    assert read_maildir(world.root)[CAT]["Sent"] == {"int-1@example.test": "S"}
