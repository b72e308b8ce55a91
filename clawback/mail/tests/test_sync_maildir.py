"""Sync of a Maildir store into the index: new mail, user moves, deletions, read state."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawback.mail.models import MessageCopy, TimelineEvent
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.mailstores.connectors.base import FolderClass
from clawback.mailstores.connectors.maildir.connector import MaildirConnector

pytestmark = pytest.mark.django_db
BOXES = ["ann@example.test", "ben@example.test"]


def message(n: int, to: str, subject: str = "hello") -> bytes:
    return (
        f"Return-Path: <bounce@evil.example>\r\n"
        f"Received: from mx.evil.example (mx.evil.example [198.51.100.7]) by mx1.example.test; "
        f"Mon, 16 Nov 2026 10:0{n % 10}:00 +0000\r\n"
        f"Message-ID: <m{n}@evil.example>\r\nFrom: Helpdesk <it@evil.example>\r\nTo: {to}\r\n"
        f"Subject: {subject} {n}\r\nDate: Mon, 16 Nov 2026 10:00:00 +0000\r\n"
        f"Content-Type: text/plain\r\n\r\nReset your password at https://login.evil.example/reset?u={n}\r\n"
    ).encode()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    for box in BOXES:
        for folder in ("", ".Junk", ".Trash"):
            for sub in ("cur", "new", "tmp"):
                (tmp_path / box / folder / sub).mkdir(parents=True, exist_ok=True)
    return tmp_path


@pytest.fixture
def store(maildir: Path):
    return do_add_store("local", "maildir", params={"path": str(maildir)}, acting_user="test")


def test_first_sync_indexes_every_copy_with_fields(store, maildir: Path) -> None:
    conn = MaildirConnector({"path": str(maildir)}, {})
    for box in BOXES:
        for n in range(3):
            conn.append(box, FolderClass.INBOX, message(n, box))
    conn.append(BOXES[0], FolderClass.JUNK, message(9, BOXES[0]))
    reports = [sync_mailbox(mb.pk) for mb in store.mailboxes.order_by("address")]
    assert [r.added for r in reports] == [4, 3]
    assert MessageCopy.objects.count() == 7
    copy = MessageCopy.objects.get(recipient=BOXES[1], message_id="m1@evil.example")
    assert copy.from_domain == "evil.example"
    assert copy.mail_from == "bounce@evil.example"
    assert copy.sender_ip == "198.51.100.7"
    assert copy.location == "inbox" and copy.original_location == "inbox"
    assert copy.recipient_domain == "example.test"
    assert list(copy.urls.values_list("domain", flat=True)) == ["login.evil.example"]
    assert copy.timeline.get().kind == TimelineEvent.Kind.DELIVERED
    junk = MessageCopy.objects.get(message_id="m9@evil.example")
    assert junk.location == "junk" and junk.delivery_action == "junked"


def test_resync_notices_user_move_deletion_and_read(store, maildir: Path) -> None:
    conn = MaildirConnector({"path": str(maildir)}, {})
    box = BOXES[0]
    refs = [conn.append(box, FolderClass.INBOX, message(n, box)) for n in range(3)]
    mailbox = store.mailboxes.get(address=box)
    sync_mailbox(mailbox.pk)
    assert sync_mailbox(mailbox.pk).changed == 0  # nothing new: nothing indexed twice

    # The user moves #0 to Junk with their mail client, deletes #1 for good, reads #2.
    (maildir / box / "new" / refs[0].key).rename(maildir / box / ".Junk" / "cur" / f"{refs[0].key}:2,S")
    (maildir / box / "new" / refs[1].key).unlink()
    (maildir / box / "new" / refs[2].key).rename(maildir / box / "cur" / f"{refs[2].key}:2,S")
    report = sync_mailbox(mailbox.pk)
    assert (report.added, report.moved, report.deleted, report.flags_changed) == (0, 1, 1, 1)

    moved = MessageCopy.objects.get(message_id="m0@evil.example")
    assert (moved.location, moved.folder, moved.original_location) == ("junk", "Junk", "inbox")
    event = moved.timeline.get(kind=TimelineEvent.Kind.USER_MOVED)
    assert (event.source, event.from_location, event.to_location) == ("user", "inbox", "junk")
    deleted = MessageCopy.objects.get(message_id="m1@evil.example")
    assert deleted.location == "not_found"
    assert deleted.timeline.filter(kind=TimelineEvent.Kind.USER_DELETED).exists()
    assert MessageCopy.objects.get(message_id="m2@evil.example").flags == ["\\Seen"]
    assert MessageCopy.objects.count() == 3


def test_malformed_message_is_indexed_with_problem_flag(store, maildir: Path) -> None:
    conn = MaildirConnector({"path": str(maildir)}, {})
    conn.append(BOXES[0], FolderClass.INBOX, b"\xff\xfe garbage without headers\r\n\r\n\x00\x01")
    report = sync_mailbox(store.mailboxes.get(address=BOXES[0]).pk)
    assert report.added == 1 and report.parse_problems == 1
    copy = MessageCopy.objects.get()
    assert copy.has_parse_problems and copy.parse_problems


def test_failed_mailbox_is_recorded_and_others_continue(store, maildir: Path) -> None:
    from clawback.mail.runner import sync_all
    from clawback.mailstores.models import Mailbox

    conn = MaildirConnector({"path": str(maildir)}, {})
    conn.append(BOXES[1], FolderClass.INBOX, message(1, BOXES[1]))
    ghost = Mailbox.objects.create(store=store, address="ghost@example.test")
    ids = list(store.mailboxes.order_by("id").values_list("id", flat=True))
    reports = {r.mailbox: r for r in sync_all(ids, processes=1)}
    assert reports["ghost@example.test"].error and reports["ghost@example.test"].permanent
    assert reports[BOXES[1]].added == 1
    ghost.refresh_from_db()
    assert ghost.status == "error" and "ghost@example.test" in ghost.last_error


@pytest.mark.django_db(transaction=True)  # parser processes read the index on their own connections
def test_parser_processes_index_the_same_copies_and_a_failure_stops_no_one(
    store, maildir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sync_all`` with 2 parser processes feeding the writer, each mailbox in several chunks."""
    from clawback.mail import sync
    from clawback.mail.runner import sync_all
    from clawback.mailstores.models import Mailbox

    monkeypatch.setattr(sync, "FETCH_BATCH", 3)  # 7 messages: 3 chunks per mailbox
    conn = MaildirConnector({"path": str(maildir)}, {})
    expected = set()
    for box in BOXES:
        for n in range(7):
            conn.append(box, FolderClass.INBOX, message(n, box))
            expected.add((box, f"m{n}@evil.example"))
    Mailbox.objects.create(store=store, address="ghost@example.test")
    ids = list(store.mailboxes.order_by("id").values_list("id", flat=True))

    reports = {r.mailbox: r for r in sync_all(ids, processes=2)}
    assert {box: reports[box].added for box in BOXES} == {BOXES[0]: 7, BOXES[1]: 7}
    assert reports["ghost@example.test"].error and reports["ghost@example.test"].permanent
    assert set(MessageCopy.objects.values_list("recipient", "message_id")) == expected
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.DELIVERED).count() == 14

    # Again: nothing new, nothing indexed twice.
    again = {r.mailbox: r for r in sync_all(ids, processes=2)}
    assert [again[box].added for box in BOXES] == [0, 0]
    assert MessageCopy.objects.count() == 14
